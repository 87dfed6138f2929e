#include <stdio.h>

#include "catalog.h"
#include "render_comments.h"
#include "strbuf.h"
#include "model_enums.h"

/* Comments on every object of the model. pg_identify_object() gives the identity in the form
 * COMMENT ON takes ("t on s.tbl" for triggers, "s.f(integer)" for functions); domain
 * constraints need "ON DOMAIN", so their target is built in the query. Each comment is a step
 * of its own that needs its object, so it lands in the object's phase. */
int nsp_catalog_load_comments(nsp_catalog_ctx *ctx)
{
	const Neosync__Plugin__V1__SchemaPluginOptions *opts = ctx->options;
	if (opts != NULL &&
	    opts->comments_opt_case == NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT_COMMENTS &&
	    !opts->comments)
		return 0; /* comments off */
	PGresult *res = nsp_catalog_query(
		ctx, "comments",
		"SELECT d.classoid, d.objoid, i.type, "
		"  CASE WHEN d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND c.contypid <> 0 "
		"       THEN 'CONSTRAINT ' || pg_catalog.quote_ident(c.conname) || ' ON DOMAIN ' || "
		"            c.contypid::pg_catalog.regtype::pg_catalog.text "
		"  END AS domain_target, i.identity, d.description, "
		"  a.type, pg_catalog.array_to_string(a.object_names, E'\\x1f'), "
		"  pg_catalog.array_to_string(a.object_args, E'\\x1f') "
		"FROM pg_catalog.pg_description d "
		"CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) i "
		"CROSS JOIN LATERAL pg_catalog.pg_identify_object_as_address(d.classoid, d.objoid, d.objsubid) a "
		"LEFT JOIN pg_catalog.pg_constraint c ON d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass "
		"  AND c.oid = d.objoid "
		"WHERE d.objoid >= 16384 ORDER BY 1, 2, d.objsubid");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref ref = {nsp_cell_oid(res, i, 0), nsp_cell_oid(res, i, 1)};
		nsp_object *target = nsp_model_find(ctx->model, ref);
		if (target == NULL)
			continue;
		const char *identity = nsp_cell(res, i, 4);
		nsp_comment_row row = {
			.type = nsp_cell(res, i, 2),
			.identity = identity,
			.domain_target = nsp_cell(res, i, 3),
			.description = nsp_cell(res, i, 5),
		};
		nsp_strbuf_reset(&sql);
		if (!nsp_render_comment(&row, &sql))
			continue;
		char display[512];
		snprintf(display, sizeof(display), "comment on %s %s", row.type, identity);
		nsp_object *o = nsp_strbuf_failed(&sql)
					? NULL
					: nsp_model_add(ctx->model, NSP_KIND_COMMENT, NSP_PHASE_PRE, (nsp_catref){0, 0},
							target->schema, target->name, display, sql.data);
		if (o == NULL || nsp_object_needs(o, target->index) != 0 ||
		    nsp_object_set_address(o, nsp_cell(res, i, 6), nsp_cell(res, i, 7), nsp_cell(res, i, 8)) != 0)
			rc = -1;
		else if (target->table != NULL)
			rc = nsp_object_set_table(o, target->table_oid, target->table,
						  NSP_LOCK_SHARE_UPDATE_EXCLUSIVE);
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading comments");
	return 0;
}
