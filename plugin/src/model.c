#include "model.h"

#include <stdlib.h>
#include <string.h>

/* Open-addressing hash map from a catalog address to an object index. */
typedef struct nsp_alias_slot {
	nsp_catref ref;
	size_t index;
	bool used;
} nsp_alias_slot;

struct nsp_alias_map {
	nsp_alias_slot *slots;
	size_t cap, count;
};

static uint64_t ref_hash(nsp_catref r)
{
	uint64_t h = ((uint64_t)r.classid << 32) | r.objid;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static bool ref_eq(nsp_catref a, nsp_catref b)
{
	return a.classid == b.classid && a.objid == b.objid;
}

static nsp_alias_slot *alias_slot(struct nsp_alias_map *map, nsp_catref ref)
{
	size_t i = (size_t)(ref_hash(ref) & (map->cap - 1));
	while (map->slots[i].used && !ref_eq(map->slots[i].ref, ref))
		i = (i + 1) & (map->cap - 1);
	return &map->slots[i];
}

static int alias_grow(struct nsp_alias_map *map)
{
	size_t ncap = map->cap ? map->cap * 2 : 1024;
	nsp_alias_slot *old = map->slots;
	size_t ocap = map->cap;
	map->slots = calloc(ncap, sizeof(*map->slots));
	if (map->slots == NULL) {
		map->slots = old;
		return -1;
	}
	map->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			*alias_slot(map, old[i].ref) = old[i];
	free(old);
	return 0;
}

int nsp_model_init(nsp_model *m)
{
	memset(m, 0, sizeof(*m));
	m->aliases = calloc(1, sizeof(*m->aliases));
	if (m->aliases == NULL || alias_grow(m->aliases) != 0) {
		free(m->aliases);
		m->aliases = NULL;
		return -1;
	}
	return 0;
}

void nsp_model_free_object(nsp_object *o)
{
	free(o->schema);
	free(o->name);
	free(o->identity);
	free(o->table);
	free(o->sql);
	free(o->skip_reason);
	free(o->needs);
	free(o->needs_refs);
	free(o->address_type);
	free(o->address_names);
	free(o->address_args);
	for (size_t i = 0; i < o->nextra_locks; i++)
		free(o->extra_lock_tables[i]);
	free(o->extra_lock_tables);
	free(o->extra_lock_modes);
	for (size_t i = 0; i < o->nbuiltin_functions; i++)
		free(o->builtin_functions[i]);
	free(o->builtin_functions);
	free(o);
}

void nsp_model_free(nsp_model *m)
{
	for (size_t i = 0; i < m->nobjects; i++)
		nsp_model_free_object(m->objects[i]);
	free(m->objects);
	nsp_model_free_aliases(m->aliases);
	memset(m, 0, sizeof(*m));
}

static int dup_into(char **dst, const char *src)
{
	free(*dst);
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

void nsp_model_free_aliases(struct nsp_alias_map *aliases)
{
	if (aliases) {
		free(aliases->slots);
		free(aliases);
	}
}

nsp_object *nsp_model_add(nsp_model *m, nsp_kind kind,
			  nsp_phase phase, nsp_catref ref, const char *schema,
			  const char *name, const char *identity, const char *sql)
{
	if (m->nobjects == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		nsp_object **objs = realloc(m->objects, ncap * sizeof(*objs));
		if (objs == NULL)
			return NULL;
		m->objects = objs;
		m->cap = ncap;
	}
	nsp_object *o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->index = m->nobjects;
	o->kind = kind;
	o->phase = phase;
	o->ref = ref;
	if (dup_into(&o->schema, schema) || dup_into(&o->name, name) ||
	    dup_into(&o->identity, identity) || dup_into(&o->sql, sql)) {
		nsp_model_free_object(o);
		return NULL;
	}
	m->objects[m->nobjects++] = o;
	if (ref.classid != 0 && nsp_model_alias(m, ref, o->index) != 0) {
		m->nobjects--;
		nsp_model_free_object(o);
		return NULL;
	}
	return o;
}

int nsp_model_alias(nsp_model *m, nsp_catref ref, size_t object_index)
{
	struct nsp_alias_map *map = m->aliases;
	if ((map->count + 1) * 2 > map->cap && alias_grow(map) != 0)
		return -1;
	nsp_alias_slot *slot = alias_slot(map, ref);
	if (slot->used)
		return 0;
	slot->used = true;
	slot->ref = ref;
	slot->index = object_index;
	map->count++;
	return 0;
}

nsp_object *nsp_model_find(const nsp_model *m, nsp_catref ref)
{
	nsp_alias_slot *slot = alias_slot(m->aliases, ref);
	return slot->used ? m->objects[slot->index] : NULL;
}

int nsp_object_set_table(nsp_object *o, uint32_t table_oid, const char *quoted_table,
			 nsp_lock_mode mode)
{
	o->table_oid = table_oid;
	o->lock_mode = mode;
	return dup_into(&o->table, quoted_table);
}

int nsp_object_set_sql(nsp_object *o, const char *sql)
{
	return dup_into(&o->sql, sql);
}

int nsp_object_add_lock(nsp_object *o, const char *quoted_table, nsp_lock_mode mode)
{
	char **t = realloc(o->extra_lock_tables, (o->nextra_locks + 1) * sizeof(*t));
	if (t == NULL)
		return -1;
	o->extra_lock_tables = t;
	nsp_lock_mode *m = realloc(o->extra_lock_modes, (o->nextra_locks + 1) * sizeof(*m));
	if (m == NULL)
		return -1;
	o->extra_lock_modes = m;
	if ((t[o->nextra_locks] = strdup(quoted_table)) == NULL)
		return -1;
	m[o->nextra_locks++] = mode;
	return 0;
}

int nsp_object_set_address(nsp_object *o, const char *type, const char *names, const char *args)
{
	return dup_into(&o->address_type, type) || dup_into(&o->address_names, names) ||
			       dup_into(&o->address_args, args)
		       ? -1
		       : 0;
}

int nsp_object_set_skip_reason(nsp_object *o, const char *reason)
{
	return dup_into(&o->skip_reason, reason);
}

void nsp_object_require_major(nsp_object *o, int major, const char *feature)
{
	if (major > o->min_major) {
		o->min_major = major;
		o->min_major_feature = feature;
	}
}

int nsp_object_uses_builtin_function(nsp_object *o, const char *regprocedure)
{
	for (size_t i = 0; i < o->nbuiltin_functions; i++)
		if (strcmp(o->builtin_functions[i], regprocedure) == 0)
			return 0;
	char **grown = realloc(o->builtin_functions, (o->nbuiltin_functions + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	o->builtin_functions = grown;
	grown[o->nbuiltin_functions] = strdup(regprocedure);
	if (grown[o->nbuiltin_functions] == NULL)
		return -1;
	o->nbuiltin_functions++;
	return 0;
}

int nsp_object_needs(nsp_object *o, size_t other_index)
{
	if (other_index == o->index)
		return 0;
	for (size_t i = 0; i < o->nneeds; i++)
		if (o->needs[i] == other_index)
			return 0;
	if (o->nneeds == o->needs_cap) {
		size_t ncap = o->needs_cap ? o->needs_cap * 2 : 4;
		size_t *n = realloc(o->needs, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		o->needs = n;
		o->needs_cap = ncap;
	}
	o->needs[o->nneeds++] = other_index;
	return 0;
}

int nsp_object_needs_ref(nsp_object *o, nsp_catref ref)
{
	if (o->nneeds_refs == o->needs_refs_cap) {
		size_t ncap = o->needs_refs_cap ? o->needs_refs_cap * 2 : 4;
		nsp_catref *n = realloc(o->needs_refs, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		o->needs_refs = n;
		o->needs_refs_cap = ncap;
	}
	o->needs_refs[o->nneeds_refs++] = ref;
	return 0;
}

int nsp_model_resolve(nsp_model *m)
{
	for (size_t i = 0; i < m->nobjects; i++) {
		nsp_object *o = m->objects[i];
		for (size_t r = 0; r < o->nneeds_refs; r++) {
			nsp_object *dep = nsp_model_find(m, o->needs_refs[r]);
			if (dep != NULL && nsp_object_needs(o, dep->index) != 0)
				return -1;
		}
		o->nneeds_refs = 0;
	}
	return 0;
}
