#include "catalog.h"
#include "render_schemas.h"
#include "strbuf.h"
#include "model_enums.h"

/* Schemas and extensions. `public` exists in every new database: it is an object of the model
 * (comments, owner and privileges refer to it) whose step has nothing to run. */
int nsp_catalog_load_schemas(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "schemas",
		"SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n "
		"WHERE " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_namespace", "n.oid") " ORDER BY n.nspname");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *name = nsp_cell(res, i, 1);
		nsp_strbuf_reset(&sql);
		nsp_render_schema(name, &sql);
		nsp_catref ref = {NSP_CLASS_PG_NAMESPACE, nsp_cell_oid(res, i, 0)};
		if (nsp_strbuf_failed(&sql) ||
		    nsp_model_add(ctx->model, NSP_KIND_SCHEMA, NSP_PHASE_PRE, ref, name, name, name, sql.data) == NULL)
			rc = -1;
	}
	PQclear(res);
	if (rc != 0) {
		nsp_strbuf_free(&sql);
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading schemas");
	}

	/* Extensions made by initdb (plpgsql) have oids below FirstNormalObjectId. */
	res = nsp_catalog_query(ctx, "extensions",
				"SELECT e.oid, e.extname, n.nspname, e.extnamespace FROM pg_catalog.pg_extension e "
				"JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
				"WHERE e.oid >= 16384 ORDER BY e.extname");
	if (res == NULL) {
		nsp_strbuf_free(&sql);
		return -1;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *name = nsp_cell(res, i, 1);
		const char *schema = nsp_cell(res, i, 2);
		nsp_strbuf_reset(&sql);
		nsp_render_extension(&(nsp_extension_row){.name = name, .schema = schema}, &sql);
		nsp_catref ref = {NSP_CLASS_PG_EXTENSION, nsp_cell_oid(res, i, 0)};
		nsp_object *o = nsp_strbuf_failed(&sql) ? NULL
				: nsp_model_add(ctx->model, NSP_KIND_EXTENSION, NSP_PHASE_PRE, ref, schema, name, name, sql.data);
		if (o == NULL ||
		    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_NAMESPACE, nsp_cell_oid(res, i, 3)}) != 0)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading extensions");
	return 0;
}
