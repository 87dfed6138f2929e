/* error - the one error record a failing function fills in, where the failure happens,
 * with its context; callers pass it up unchanged (each error is reported once). */
#ifndef NSP_ERROR_H
#define NSP_ERROR_H

#include <libpq-fe.h>

#include "neosync/plugin/v1/plugin.pb-c.h"

typedef struct nsp_error {
	Neosync__Plugin__V1__ErrorCode code; /* ERROR_CODE_OK when no error */
	char sqlstate[6];
	char message[1024];
} nsp_error;

void nsp_error_clear(nsp_error *err);
/* Set the error (printf-style message); returns -1 so callers can `return nsp_error_set(...)`. */
int nsp_error_set(nsp_error *err, Neosync__Plugin__V1__ErrorCode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set the error from a failed libpq result: SQLSTATE, primary message and detail, prefixed with
 * what was being done (`context`). Returns -1. */
int nsp_error_set_pg(nsp_error *err, Neosync__Plugin__V1__ErrorCode code, const char *context,
		     const PGresult *res, PGconn *conn);

#endif
