/* hydrate_empty - which tables the data step need not copy: no row in the job's snapshot.
 *
 * 5 000 empty tables copied one by one cost seconds of round trips (a snapshot import, two catalog
 * queries and a COPY each). These two probes settle them in a few queries instead. */
#ifndef NSP_HYDRATE_EMPTY_H
#define NSP_HYDRATE_EMPTY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* has_rows[i] = whether the table schemas[i].names[i] (ONLY it, as COPY TO reads it) has a row
 * visible in the transaction open on src: EXISTS in that transaction's snapshot is the proof (a
 * file size or reltuples is not). Many tables per query, inside a savepoint: on a failure (a table
 * the role may not read) the transaction stays usable, -1 is returned with err set and has_rows is
 * all true (the caller copies every table, as without the probe). */
int nsp_hydrate_probe_rows(PGconn *src, const char *const *schemas, const char *const *names, size_t n,
			   bool *has_rows, char *err, size_t errlen);

/* missing[i] = the table is not on the destination (what its COPY would have found out, 42P01).
 * A few queries for any n. -1 with err set on a failure. */
int nsp_hydrate_probe_missing(PGconn *dst, const char *const *schemas, const char *const *names,
			      size_t n, bool *missing, char *err, size_t errlen);

#endif
