#include "catalog.h"
#include "render_collations.h"
#include "strbuf.h"
#include "model_enums.h"

/* Collations of user schemas, written as pg_dump's dumpCollation writes them. Where the ICU
 * locale lives depends on the version: collcollate before 15, colliculocale in 15 and 16,
 * colllocale (shared with the builtin provider) from 17; ICU tailoring rules exist from 16.
 * The collation version is not copied: the destination records its own library's version. */
int nsp_catalog_load_collations(nsp_catalog_ctx *ctx)
{
	const char *locale = ctx->server_version >= 170000   ? "c.colllocale"
			     : ctx->server_version >= 150000 ? "c.colliculocale"
							     : "NULL::pg_catalog.text";
	const char *rules = ctx->server_version >= 160000 ? "c.collicurules" : "NULL::pg_catalog.text";
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	nsp_strbuf_appendf(&q,
			   "SELECT c.oid, n.nspname, c.collname, c.collprovider, c.collisdeterministic, "
			   "c.collcollate, c.collctype, %s, %s "
			   "FROM pg_catalog.pg_collation c "
			   "JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace "
			   "WHERE " NSP_SQL_USER_SCHEMA("n") " AND c.oid >= 16384 AND c.collprovider <> 'd' AND "
			   NSP_SQL_NOT_EXT_MEMBER("pg_collation", "c.oid") " ORDER BY n.nspname, c.collname",
			   locale, rules);
	if (nsp_strbuf_failed(&q)) {
		nsp_strbuf_free(&q);
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading collations");
	}
	PGresult *res = nsp_catalog_query(ctx, "collations", q.data);
	nsp_strbuf_free(&q);
	if (res == NULL)
		return -1;
	nsp_strbuf sql, ident;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&ident);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *schema = nsp_cell(res, i, 1), *name = nsp_cell(res, i, 2);
		nsp_collation_row row = {
			.schema = schema,
			.name = name,
			.provider = nsp_cell(res, i, 3)[0],
			.deterministic = nsp_cell_bool(res, i, 4),
			.collate = nsp_cell(res, i, 5),
			.ctype = nsp_cell(res, i, 6),
			.locale = nsp_cell(res, i, 7),
			.rules = nsp_cell(res, i, 8),
		};
		nsp_strbuf_reset(&sql);
		nsp_render_collation(&row, &sql);
		nsp_strbuf_reset(&ident);
		nsp_strbuf_append(&ident, schema);
		nsp_strbuf_append_char(&ident, '.');
		nsp_strbuf_append(&ident, name);
		nsp_catref ref = {NSP_CLASS_PG_COLLATION, nsp_cell_oid(res, i, 0)};
		if (nsp_strbuf_failed(&sql) || nsp_strbuf_failed(&ident) ||
		    nsp_model_add(ctx->model, NSP_KIND_COLLATION, NSP_PHASE_PRE, ref, schema, name, ident.data, sql.data) ==
			    NULL)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&ident);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading collations");
	return 0;
}
