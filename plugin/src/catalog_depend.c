#include "catalog.h"
#include "model_enums.h"

/* Dependencies between objects, from pg_depend: normal and automatic ones, between objects
 * created after initdb. Rows whose ends are not objects of the model (system objects,
 * extension members) fall away when resolved. A sequence's automatic dependency on its table
 * is its OWNED BY, which is a step of its own (catalog_sequences.c): following it would make
 * a cycle with the table's default that uses the sequence.
 *
 * An object that uses a member of an extension (a function in a default, check or index
 * expression, a type, an operator class) needs that extension: the member is no object of the
 * model, so the reference goes to the extension the member belongs to (pg_depend deptype 'e').
 * Without it, a table using uuid_generate_v4() could be created before CREATE EXTENSION, on
 * another connection of a parallel pre-sync. */
int nsp_catalog_load_depend(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "dependencies",
		"SELECT DISTINCT d.classid, d.objid, COALESCE(e.refclassid, d.refclassid), "
		"  COALESCE(e.refobjid, d.refobjid), d.deptype "
		"FROM pg_catalog.pg_depend d "
		"LEFT JOIN pg_catalog.pg_depend e ON e.classid = d.refclassid AND e.objid = d.refobjid "
		"  AND e.objsubid = 0 AND e.deptype = 'e' "
		"WHERE d.deptype IN ('n', 'a') AND d.objid >= 16384 AND d.refobjid >= 16384");
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref dep = {nsp_cell_oid(res, i, 0), nsp_cell_oid(res, i, 1)};
		nsp_catref ref = {nsp_cell_oid(res, i, 2), nsp_cell_oid(res, i, 3)};
		nsp_object *o = nsp_model_find(ctx->model, dep);
		if (o == NULL)
			continue;
		const char *deptype = nsp_cell(res, i, 4);
		if (o->kind == NSP_KIND_SEQUENCE && deptype[0] == 'a')
			continue;
		rc = nsp_object_needs_ref(o, ref);
	}
	PQclear(res);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading dependencies");
	return 0;
}
