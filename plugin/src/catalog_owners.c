#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_owners.h"
#include "strbuf.h"
#include "model_enums.h"

/* Owners and privileges (options `owners` and `acls`, both off by default: destination roles
 * rarely match). Every step is post-sync, so a role missing on the destination fails one
 * reported step, never the load.
 *
 * Privileges: an ACL is an ordered list, and pg_dump prints its GRANTs in that order, so the
 * destination's must be the source's entry for entry. A step revokes everything from the
 * owner, PUBLIC and every grantee, then grants each entry in the source's order (a GRANT to a
 * role with no entry appends one); column privileges follow (a table-level REVOKE takes a
 * column's too). This also gives objects that exist before the job (the public schema, whose
 * ACL is not acldefault()) the source's ACL. Entries granted by a role other than the owner
 * are granted as that role (SET LOCAL ROLE). An extension's member gets a step (after the
 * extension) when its ACL differs from the one the extension's script left (pg_init_privs), as
 * pg_dump decides.
 * Default privileges: catalog_default_privileges.c.
 *
 * The SQL is written by render_owners.c from the rows read here (nsp_owner_row, nsp_acl_row),
 * roles as the destination names them (options.roleMap). */

const char *nsp_catalog_map_role(const nsp_catalog_ctx *ctx, const char *role)
{
	const Neosync__Plugin__V1__SchemaPluginOptions *o = ctx->options;
	if (role == NULL || role[0] == '\0')
		return role;
	for (size_t i = 0; o != NULL && i < o->n_role_map; i++)
		if (strcmp(o->role_map[i]->source_role, role) == 0 && o->role_map[i]->destination_role[0])
			return o->role_map[i]->destination_role;
	return role;
}

/* Objects with an owner and an ACL, as one list: catalog, oid, owner, kind for acldefault. */
#define OWNED_OBJECTS                                                                              \
	"SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid AS classid, c.oid, "      \
	"  c.relowner AS owner, c.relacl AS acl, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END AS k, " \
	"  c.relnamespace AS nsp " \
	"FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "              \
	"UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.proowner, p.proacl, 'f', p.pronamespace " \
	"FROM pg_catalog.pg_proc p "                                                                  \
	"UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typowner, t.typacl, 'T', t.typnamespace " \
	"FROM pg_catalog.pg_type t WHERE t.typtype IN ('e', 'c', 'r', 'd') "                          \
	"UNION ALL SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, n.nspowner, n.nspacl, 'n', 0::pg_catalog.oid " \
	"FROM pg_catalog.pg_namespace n "                                                             \
	"UNION ALL SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, co.oid, co.collowner, NULL, NULL, co.collnamespace " \
	"FROM pg_catalog.pg_collation co "                                                            \
	"UNION ALL SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, op.oid, op.oprowner, NULL, NULL, op.oprnamespace " \
	"FROM pg_catalog.pg_operator op "                                                             \
	"UNION ALL SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid, s.stxowner, NULL, NULL, s.stxnamespace " \
	"FROM pg_catalog.pg_statistic_ext s "

/* The owner step of each object (ALTER ... OWNER TO rewrites the ACL's entries of the old
 * owner, so privileges are applied after it), sorted by catalog address. */
typedef struct owner_step {
	nsp_catref ref;
	size_t index; /* of the step in the model */
} owner_step;

typedef struct owner_steps {
	owner_step *items;
	size_t n, cap;
} owner_steps;

static int ref_cmp(const void *pa, const void *pb)
{
	const owner_step *a = pa, *b = pb;
	if (a->ref.classid != b->ref.classid)
		return a->ref.classid < b->ref.classid ? -1 : 1;
	return a->ref.objid < b->ref.objid ? -1 : (a->ref.objid > b->ref.objid);
}

static int owner_steps_add(owner_steps *o, nsp_catref ref, size_t index)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		owner_step *items = realloc(o->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		o->items = items;
		o->cap = cap;
	}
	o->items[o->n++] = (owner_step){ref, index};
	return 0;
}

/* The owner step of `ref`, or NULL. The list is sorted (load_owners reads rows in that order). */
static const owner_step *owner_step_of(const owner_steps *o, nsp_catref ref)
{
	owner_step key = {.ref = ref};
	return o->n ? bsearch(&key, o->items, o->n, sizeof(*o->items), ref_cmp) : NULL;
}

/* A view, materialized view, sequence or foreign table has no `table` of its own in the model,
 * but its owner and privileges live in its pg_class row, as do relhasrules and relhastriggers,
 * which a rule or trigger on it rewrites: two such statements at once make one of them fail
 * ("tuple concurrently updated", seen with a generated schema's view). Locking the relation
 * keeps them apart, as the steps on tables are. */
static int lock_own_relation(nsp_object *o, const nsp_object *target)
{
	nsp_strbuf rel;
	nsp_strbuf_init(&rel);
	nsp_strbuf_append_qualified(&rel, target->schema, target->name);
	int rc = nsp_strbuf_failed(&rel) ? -1 : nsp_object_add_lock(o, rel.data, NSP_LOCK_ACCESS_EXCLUSIVE);
	nsp_strbuf_free(&rel);
	return rc;
}

static nsp_object *add_step(nsp_catalog_ctx *ctx, nsp_kind kind,
			    nsp_object *target, const char *what, const char *identity, const char *sql)
{
	char display[600];
	snprintf(display, sizeof(display), "%s of %s", what, identity);
	nsp_object *o = nsp_model_add(ctx->model, kind, NSP_PHASE_POST, (nsp_catref){0, 0}, target->schema,
				      target->name, display, sql);
	if (o == NULL || nsp_object_needs(o, target->index) != 0)
		return NULL;
	if (target->table != NULL &&
	    nsp_object_set_table(o, target->table_oid, target->table,
				 NSP_LOCK_ACCESS_EXCLUSIVE) != 0)
		return NULL;
	if (target->table == NULL && target->ref.classid == NSP_CLASS_PG_CLASS &&
	    lock_own_relation(o, target) != 0)
		return NULL;
	return o;
}

/* A sequence owned by a column (serial, identity) cannot change owner by itself (0A000): its
 * table's ALTER ... OWNER TO takes it along, and its own step, after that one, finds the owner
 * already right, as in pg_dump's restore order. */
static int follow_linked_tables(nsp_catalog_ctx *ctx, PGresult *res, const size_t *step_of_row,
				const owner_steps *steps)
{
	for (int i = 0; i < PQntuples(res); i++) {
		uint32_t table = nsp_cell_oid(res, i, 6);
		if (table == 0 || step_of_row[i] == SIZE_MAX)
			continue;
		const owner_step *t = owner_step_of(steps, (nsp_catref){NSP_CLASS_PG_CLASS, table});
		if (t != NULL && nsp_object_needs(ctx->model->objects[step_of_row[i]], t->index) != 0)
			return -1;
	}
	return 0;
}

static int load_owners(nsp_catalog_ctx *ctx, nsp_strbuf *sql, owner_steps *steps)
{
	PGresult *res = nsp_catalog_query(
		ctx, "owners",
		"SELECT o.classid, o.oid, i.type, i.identity, pg_catalog.pg_get_userbyid(o.owner), "
		"  o.owner = d.datdba AND o.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass, "
		"  (SELECT sd.refobjid FROM pg_catalog.pg_depend sd WHERE i.type = 'sequence' AND "
		"     sd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND sd.objid = o.oid AND "
		"     sd.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND sd.deptype IN ('a', 'i') "
		"     LIMIT 1) "
		"FROM (" OWNED_OBJECTS ") o "
		"CROSS JOIN LATERAL pg_catalog.pg_identify_object(o.classid, o.oid, 0) i "
		"JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database() "
		"WHERE o.oid >= 16384 OR i.identity = 'public' ORDER BY 1, 2");
	if (res == NULL)
		return -1;
	int rows = PQntuples(res);
	size_t *step_of_row = malloc((rows ? (size_t)rows : 1) * sizeof(*step_of_row));
	int rc = step_of_row == NULL ? -1 : 0;
	for (int i = 0; i < rows && rc == 0; i++) {
		step_of_row[i] = SIZE_MAX;
		nsp_catref ref = {nsp_cell_oid(res, i, 0), nsp_cell_oid(res, i, 1)};
		nsp_object *target = nsp_model_find(ctx->model, ref);
		nsp_owner_row row = {
			.type = nsp_cell(res, i, 2),
			.identity = nsp_cell(res, i, 3),
			.owner = nsp_catalog_map_role(ctx, nsp_cell(res, i, 4)),
		};
		/* Objects of the model only, owned by what they are (not a table's row type). */
		if (target == NULL || nsp_owner_designator(row.type) == NULL || target->ref.objid != ref.objid)
			continue;
		const char *identity = row.identity;
		nsp_strbuf_reset(sql);
		nsp_render_owner(&row, sql);
		nsp_object *o = nsp_strbuf_failed(sql) ? NULL
			: add_step(ctx, NSP_KIND_OWNER, target, "owner", identity, sql->data);
		if (o == NULL || owner_steps_add(steps, ref, o->index) != 0)
			rc = -1;
		else
			step_of_row[i] = o->index;
		/* The owner of the public schema from 15 on (dest_compat.h). */
		if (o != NULL && strcmp(nsp_cell(res, i, 4), "pg_database_owner") == 0)
			nsp_object_require_major(o, 14, "the role pg_database_owner");
	}
	if (rc == 0)
		rc = follow_linked_tables(ctx, res, step_of_row, steps);
	free(step_of_row);
	PQclear(res);
	return rc;
}

/* Rows of the privileges query: one per object (or column) and grantee, in ACL order. */
enum {
	A_CLASSID, A_OID, A_TYPE, A_IDENTITY, A_ATTNUM, A_OWNER, A_GRANTEE, A_PRIVS, A_GRANTABLE,
	A_EXTENSION, /* the extension the object is a member of, NULL if none */
	A_GRANTOR,   /* who granted: the owner, or a role holding the grant option */
	A_NAMESPACE, /* the object's schema, 0 for a schema */
	A_OWNER_ALL, /* the owner's own entry, holding every privilege the source's major has */
};

static bool same_cell(PGresult *res, int a, int b, int col)
{
	const char *x = nsp_cell(res, a, col), *y = nsp_cell(res, b, col);
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static bool granted_by_other(PGresult *res, int i)
{
	const char *grantor = nsp_cell(res, i, A_GRANTOR);
	return grantor != NULL && strcmp(grantor, nsp_cell(res, i, A_OWNER)) != 0;
}

/* The ACL entries of the object's rows [first, end), roles as the destination names them;
 * compared by source name (two roles mapped to one are still two grantees). */
static nsp_acl_entry *read_entries(const nsp_catalog_ctx *ctx, PGresult *res, int first, int end)
{
	nsp_acl_entry *entries = calloc((size_t)(end - first), sizeof(*entries));
	if (entries == NULL)
		return NULL;
	const char *owner = nsp_cell(res, first, A_OWNER);
	for (int i = first; i < end; i++) {
		const char *grantee = nsp_cell(res, i, A_GRANTEE);
		bool column = nsp_cell_oid(res, i, A_ATTNUM) != 0, repeated = false;
		for (int j = first; j < i && !column && !repeated; j++)
			repeated = same_cell(res, i, j, A_GRANTEE);
		entries[i - first] = (nsp_acl_entry){
			.column = column,
			.grantee = nsp_catalog_map_role(ctx, grantee),
			.grantee_is_owner = grantee != NULL && strcmp(grantee, owner) == 0,
			.grantee_repeated = repeated,
			.grantor = granted_by_other(res, i) ? nsp_catalog_map_role(ctx, nsp_cell(res, i, A_GRANTOR))
							    : NULL,
			.privileges = nsp_cell(res, i, A_PRIVS),
			.grantable = nsp_cell(res, i, A_GRANTABLE),
			.owner_all = nsp_cell_bool(res, i, A_OWNER_ALL),
		};
	}
	return entries;
}

/* A grant made as another role needs that role's USAGE on the object's schema, which the
 * schema's owner and privilege steps give on the destination. */
static int needs_schema_access(nsp_object *o, PGresult *res, int first, int end,
			       const owner_steps *owners, const owner_steps *schema_acls)
{
	bool chain = false;
	for (int i = first; i < end && !chain; i++)
		chain = granted_by_other(res, i);
	nsp_catref schema = {NSP_CLASS_PG_NAMESPACE, nsp_cell_oid(res, first, A_NAMESPACE)};
	if (!chain || schema.objid == 0)
		return 0;
	const owner_step *owner = owner_step_of(owners, schema), *acl = owner_step_of(schema_acls, schema);
	if (owner != NULL && nsp_object_needs(o, owner->index) != 0)
		return -1;
	return acl == NULL ? 0 : nsp_object_needs(o, acl->index);
}

/* The step of one object: its rows are [first, end), object-level ones (attnum 0) first. The
 * steps of schemas are recorded in `schema_acls` (schemas come first). */
static int add_privileges(nsp_catalog_ctx *ctx, nsp_strbuf *sql, PGresult *res, int first,
			  int end, const owner_steps *steps, owner_steps *schema_acls)
{
	nsp_catref ref = {nsp_cell_oid(res, first, A_CLASSID), nsp_cell_oid(res, first, A_OID)};
	nsp_object *target = nsp_model_find(ctx->model, ref);
	uint32_t extension = nsp_cell_oid(res, first, A_EXTENSION);
	if (extension != 0) /* the extension creates it: its privileges follow the extension */
		target = nsp_model_find(ctx->model, (nsp_catref){NSP_CLASS_PG_EXTENSION, extension});
	else if (target != NULL && target->ref.objid != ref.objid)
		target = NULL; /* a row that only stands for an object (a table's row type) */
	const char *type = nsp_cell(res, first, A_TYPE), *identity = nsp_cell(res, first, A_IDENTITY);
	if (target == NULL || nsp_grant_designator(type) == NULL)
		return 0;
	nsp_acl_entry *entries = read_entries(ctx, res, first, end);
	if (entries == NULL)
		return -1;
	nsp_acl_row row = {
		.type = type,
		.identity = identity,
		.owner = nsp_catalog_map_role(ctx, nsp_cell(res, first, A_OWNER)),
		.entries = entries,
		.nentries = (size_t)(end - first),
	};
	nsp_strbuf_reset(sql);
	nsp_render_privileges(&row, sql);
	free(entries);
	bool maintain = false;
	for (int i = first; i < end; i++)
		for (int col = A_PRIVS; col <= A_GRANTABLE; col++)
			maintain = maintain || (nsp_cell(res, i, col) != NULL &&
						strstr(nsp_cell(res, i, col), "MAINTAIN") != NULL);
	int rc = -1;
	nsp_object *o = nsp_strbuf_failed(sql)
		? NULL : add_step(ctx, NSP_KIND_ACL, target, "privileges", identity, sql->data);
	if (o != NULL) {
		const owner_step *owner = owner_step_of(steps, ref);
		rc = owner == NULL ? 0 : nsp_object_needs(o, owner->index);
		if (maintain) /* dest_compat.h */
			nsp_object_require_major(o, 17, "the MAINTAIN privilege");
		if (rc == 0)
			rc = needs_schema_access(o, res, first, end, steps, schema_acls);
		if (rc == 0 && ref.classid == NSP_CLASS_PG_NAMESPACE)
			rc = owner_steps_add(schema_acls, ref, o->index);
	}
	return rc;
}

static int load_acls(nsp_catalog_ctx *ctx, nsp_strbuf *sql, const owner_steps *steps)
{
	/* The ACL entries of objects and of columns, one row per grantee in the order of the ACL
	 * (aclexplode's), with its privileges as "SELECT, UPDATE" or "SELECT(col)" lists. An
	 * empty ACL ('{}': everything revoked) gives one row with no grantee. */
	PGresult *res = nsp_catalog_query(
		ctx, "privileges",
		"WITH o AS (" OWNED_OBJECTS "), "
		"a0 AS (SELECT o.classid, o.oid, 0 AS attnum, NULL::pg_catalog.name AS attname, o.owner, o.acl, o.nsp, o.k "
		"      FROM o WHERE o.acl IS NOT NULL AND (o.oid >= 16384 "
		"        OR o.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass) "
		"      UNION ALL "
		"      SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, at.attrelid, at.attnum, at.attname, "
		"        c.relowner, at.attacl, c.relnamespace, NULL "
		"      FROM pg_catalog.pg_attribute at JOIN pg_catalog.pg_class c ON c.oid = at.attrelid "
		"      WHERE at.attacl IS NOT NULL AND at.attnum > 0 AND NOT at.attisdropped "
		"        AND c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')), "
		/* an extension's member: only when its ACL is no longer the one the extension's script
		 * left (pg_init_privs), as pg_dump does; the step then belongs to the extension */
		"a AS (SELECT a0.*, xd.refobjid AS ext FROM a0 "
		"      LEFT JOIN pg_catalog.pg_depend xd ON xd.classid = a0.classid AND xd.objid = a0.oid "
		"        AND xd.objsubid = 0 AND xd.deptype = 'e' "
		"        AND xd.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass "
		"      LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = a0.classid AND ip.objoid = a0.oid "
		"        AND ip.objsubid = a0.attnum "
		"      WHERE xd.objid IS NULL OR a0.acl IS DISTINCT FROM ip.initprivs), "
		"e AS (SELECT a.*, x.grantor, x.grantee, x.is_grantable, x.ord, x.privilege_type || "
		"        CASE WHEN a.attnum > 0 THEN '(' || pg_catalog.quote_ident(a.attname) || ')' ELSE '' END AS priv "
		"      FROM a LEFT JOIN LATERAL pg_catalog.aclexplode(a.acl) WITH ORDINALITY "
		"        x(grantor, grantee, privilege_type, is_grantable, ord) ON true) "
		"SELECT e.classid, e.oid, i.type, i.identity, e.attnum, pg_catalog.pg_get_userbyid(e.owner), "
		"  CASE WHEN e.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(e.grantee) END, "
		"  pg_catalog.string_agg(e.priv, ', ' ORDER BY e.ord) FILTER (WHERE NOT e.is_grantable), "
		"  pg_catalog.string_agg(e.priv, ', ' ORDER BY e.ord) FILTER (WHERE e.is_grantable), e.ext, "
		"  pg_catalog.pg_get_userbyid(e.grantor), e.nsp, "
		"  e.attnum = 0 AND e.grantee = e.owner AND e.k IS NOT NULL AND "
		"    pg_catalog.count(*) FILTER (WHERE NOT e.is_grantable) = (SELECT pg_catalog.count(*) "
		"      FROM pg_catalog.aclexplode(pg_catalog.acldefault(e.k::pg_catalog.\"char\", e.owner)) d "
		"      WHERE d.grantee = e.owner) "
		"FROM e CROSS JOIN LATERAL pg_catalog.pg_identify_object(e.classid, e.oid, 0) i "
		"GROUP BY e.classid, e.oid, i.type, i.identity, e.attnum, e.owner, e.grantee, e.ext, e.grantor, e.nsp, e.k "
		"ORDER BY e.classid <> 'pg_catalog.pg_namespace'::pg_catalog.regclass, 1, 2, 5, "
		"  pg_catalog.min(e.ord)");
	if (res == NULL)
		return -1;
	int rc = 0, rows = PQntuples(res);
	owner_steps schema_acls = {0};
	for (int first = 0; first < rows && rc == 0;) {
		int end = first + 1;
		while (end < rows && nsp_cell_oid(res, end, A_CLASSID) == nsp_cell_oid(res, first, A_CLASSID) &&
		       nsp_cell_oid(res, end, A_OID) == nsp_cell_oid(res, first, A_OID))
			end++;
		rc = add_privileges(ctx, sql, res, first, end, steps, &schema_acls);
		first = end;
	}
	free(schema_acls.items);
	PQclear(res);
	return rc;
}

int nsp_catalog_load_owners(nsp_catalog_ctx *ctx)
{
	const Neosync__Plugin__V1__SchemaPluginOptions *o = ctx->options;
	if (o == NULL || (!o->owners && !o->acls))
		return 0;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	owner_steps steps = {0};
	int rc = 0;
	if (o->owners)
		rc = load_owners(ctx, &sql, &steps);
	if (rc == 0 && o->acls)
		rc = load_acls(ctx, &sql, &steps);
	if (rc == 0 && o->acls)
		rc = nsp_catalog_load_default_privileges(ctx, &sql);
	free(steps.items);
	nsp_strbuf_free(&sql);
	if (rc != 0 && ctx->err->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading owners and privileges");
	return rc;
}
