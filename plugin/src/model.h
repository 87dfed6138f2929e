/* model - the source schema as a list of objects. Each object is one unit of DDL (one plan
 * step): its kind, phase, catalog address, SQL, the relation it locks and what it needs first.
 * Catalog loaders (catalog_*.c) add objects; the planner (plan.c) orders them.
 *
 * Dependencies are recorded two ways: by object index (nsp_object_needs) when the loader knows
 * the object, or by catalog address (nsp_object_needs_ref) resolved once every loader has run,
 * through the aliases each object registers (e.g. a view's _RETURN rule, a table's row type). */
#ifndef NSP_MODEL_H
#define NSP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model_enums.h"

/* Fixed OIDs of the catalogs that pg_depend refers to (stable across PostgreSQL versions). */
enum {
	NSP_CLASS_PG_DEFAULT_ACL = 826,
	NSP_CLASS_PG_TYPE = 1247,
	NSP_CLASS_PG_PROC = 1255,
	NSP_CLASS_PG_CLASS = 1259,
	NSP_CLASS_PG_ATTRDEF = 2604,
	NSP_CLASS_PG_CAST = 2605,
	NSP_CLASS_PG_CONSTRAINT = 2606,
	NSP_CLASS_PG_LANGUAGE = 2612,
	NSP_CLASS_PG_NAMESPACE = 2615,
	NSP_CLASS_PG_OPCLASS = 2616,
	NSP_CLASS_PG_OPERATOR = 2617,
	NSP_CLASS_PG_REWRITE = 2618,
	NSP_CLASS_PG_TRIGGER = 2620,
	NSP_CLASS_PG_OPFAMILY = 2753,
	NSP_CLASS_PG_EXTENSION = 3079,
	NSP_CLASS_PG_POLICY = 3256,
	NSP_CLASS_PG_STATISTIC_EXT = 3381,
	NSP_CLASS_PG_COLLATION = 3456,
	NSP_CLASS_PG_TS_DICT = 3600,
	NSP_CLASS_PG_TS_CONFIG = 3602,
};

typedef struct nsp_catref {
	uint32_t classid; /* catalog the object lives in (pg_class oid of that catalog) */
	uint32_t objid;   /* its oid there */
} nsp_catref;

typedef struct nsp_object {
	size_t index;                        /* position in the model */
	nsp_kind kind;
	nsp_phase phase;
	nsp_catref ref;                      /* {0,0} for steps derived from another object */
	char *schema;                        /* unquoted */
	char *name;                          /* unquoted */
	char *identity;                      /* display identity, e.g. public.actor.actor_pkey */
	uint32_t table_oid;                  /* relation the object belongs to, 0 if none */
	char *table;                         /* its quoted qualified name, NULL if none */
	nsp_lock_mode lock_mode; /* lock the step takes on `table` */
	char *sql;                           /* the statement(s) of the step */
	uint64_t cost;                       /* scheduling hint: bytes of the table it reads */
	char *skip_reason;                   /* non-NULL: not attempted, reported skipped */
	bool unsupported;                    /* the destination's major cannot hold it: skip_reason
					      * says why; reported failed (dest_compat.c) */
	int min_major;                       /* oldest destination major that can hold it (0: any) */
	const char *min_major_feature;       /* the feature that needs it (a string literal) */
	char **builtin_functions;            /* built-in functions its SQL calls, as regprocedure */
	size_t nbuiltin_functions;           /* text (checked on an older destination) */
	char *address_type;                  /* pg_identify_object_as_address of the object a comment */
	char *address_names;                 /* is about: type, names and args joined by '\x1f' */
	char *address_args;
	char **extra_lock_tables;            /* other relations the step locks (quoted, qualified) */
	nsp_lock_mode *extra_lock_modes;
	size_t nextra_locks;

	size_t *needs;                       /* indices of objects that must come first */
	size_t nneeds, needs_cap;
	nsp_catref *needs_refs;              /* catalog addresses, resolved by nsp_model_resolve */
	size_t nneeds_refs, needs_refs_cap;
} nsp_object;

typedef struct nsp_model {
	nsp_object **objects;
	size_t nobjects, cap;
	struct nsp_alias_map *aliases;       /* catref -> object index */
	int server_version;                  /* server_version_num of the source */
	int dst_version;                     /* the destination's, when known (0: not known): a
					      * few statements are written as its major takes them */
} nsp_model;

int nsp_model_init(nsp_model *m);
void nsp_model_free(nsp_model *m);
/* For code that removes objects from the model (selection.c). */
void nsp_model_free_object(nsp_object *o);
void nsp_model_free_aliases(struct nsp_alias_map *aliases);

/* Add an object; strings are copied (schema/name may be NULL). Registers ref as an alias of it
 * unless ref is {0,0}. Returns NULL when out of memory. */
nsp_object *nsp_model_add(nsp_model *m, nsp_kind kind,
			  nsp_phase phase, nsp_catref ref, const char *schema,
			  const char *name, const char *identity, const char *sql);
/* Let another catalog row stand for an existing object (a view's rule, a table's row type,
 * a constraint whose index is the object, ...). The first alias of a ref wins. */
int nsp_model_alias(nsp_model *m, nsp_catref ref, size_t object_index);
nsp_object *nsp_model_find(const nsp_model *m, nsp_catref ref);

int nsp_object_set_table(nsp_object *o, uint32_t table_oid, const char *quoted_table,
			 nsp_lock_mode mode);
int nsp_object_set_sql(nsp_object *o, const char *sql);
/* Another relation the step locks besides its table (a foreign key locks the referenced one). */
int nsp_object_add_lock(nsp_object *o, const char *quoted_table, nsp_lock_mode mode);
int nsp_object_set_skip_reason(nsp_object *o, const char *reason);
/* The object needs a destination of PostgreSQL `major` or later for `feature` (a string literal
 * naming what that major added, e.g. "virtual generated columns"); the highest need wins. */
void nsp_object_require_major(nsp_object *o, int major, const char *feature);
/* The object's SQL calls the built-in function `regprocedure` (e.g. "uuidv7()"). */
int nsp_object_uses_builtin_function(nsp_object *o, const char *regprocedure);
/* The address of the object the step is about (names and args joined by '\x1f'). */
int nsp_object_set_address(nsp_object *o, const char *type, const char *names, const char *args);
int nsp_object_needs(nsp_object *o, size_t other_index);
int nsp_object_needs_ref(nsp_object *o, nsp_catref ref);

/* Turn every needs_ref into a needs index (refs that name no object of the model are dropped:
 * system objects, extension members). Self-references are dropped. */
int nsp_model_resolve(nsp_model *m);

#endif
