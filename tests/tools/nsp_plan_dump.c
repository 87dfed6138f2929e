/* nsp_plan_dump - developer and test tool: read a source database's catalog, plan, and write
 * the pre-sync and post-sync statements as two SQL files, in plan order, each after a comment
 * line naming the step, its table and the locks the schedulers know it takes. --owners-acls
 * plans with the options owners and acls on (the default plan has neither). */
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
		fprintf(f, "-- step %u: %s %s [schema=%s name=%s table=%s locks=", s->id,
			protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor,
							     s->kind)->name,
			s->identity, s->schema, s->name, s->table);
		for (size_t l = 0; l < s->n_locks; l++) {
			const ProtobufCEnumValue *mode = protobuf_c_enum_descriptor_get_value(
				&neosync__plugin__v1__lock_mode__descriptor, s->locks[l]->mode);
			fprintf(f, "%s%s:%s", l ? "," : "", s->locks[l]->relation,
				mode != NULL ? mode->name : "?");
		}
		fprintf(f, "]%s%s\n%s\n", s->skip_reason[0] ? " SKIPPED: " : "", s->skip_reason, s->sql);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	Neosync__Plugin__V1__SchemaPluginOptions opts = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__INIT;
	const Neosync__Plugin__V1__SchemaPluginOptions *options = NULL;
	if (argc == 5 && strcmp(argv[1], "--owners-acls") == 0) {
		opts.owners = opts.acls = true;
		options = &opts;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: nsp_plan_dump [--owners-acls] SOURCE_URL PRE.sql POST.sql\n");
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
	/* The URL as the plugin passes it: a large catalog is read on two sessions, as in a job. */
	int rc = nsp_catalog_load(conn, argv[1], options, &model, &err, &stats);
	PQfinish(conn);
	Neosync__Plugin__V1__Plan *plan = NULL;
	if (rc == 0)
		rc = nsp_plan_build(&model, options, "dump", &plan, &err);
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
