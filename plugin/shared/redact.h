/* redact - connection strings as they may appear in logs, reports and errors: never with a
 * password, and for URLs without user info. */
#ifndef NSP_REDACT_H
#define NSP_REDACT_H

#include <stddef.h>

/* Write a redacted form of a libpq URL or conninfo string into out (outlen bytes):
 * host, port and database only, e.g. "postgresql://host:5432/db" or "host=/run/pg port=5432 dbname=db".
 * Malformed input gives "<connection>". */
void nsp_redact_conninfo(const char *conninfo, char *out, size_t outlen);

/* Replace every occurrence of secret (if non-empty) in text, in place, by asterisks. */
void nsp_redact_secret_in_place(char *text, const char *secret);

#endif
