#include "dest_compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int major_of(int version_num)
{
	return version_num >= 100000 ? version_num / 10000 : version_num / 100;
}

/* Skip every object that needs a skipped one, until nothing changes. */
static int skip_dependents(nsp_model *m)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < m->nobjects; i++) {
			nsp_object *o = m->objects[i];
			if (o->skip_reason != NULL)
				continue;
			for (size_t d = 0; d < o->nneeds; d++) {
				const nsp_object *dep = m->objects[o->needs[d]];
				if (dep->skip_reason == NULL)
					continue;
				char reason[768];
				snprintf(reason, sizeof(reason), "needs %s, which is %s: %s", dep->identity,
					 dep->unsupported ? "not created" : "skipped", dep->skip_reason);
				if (nsp_object_set_skip_reason(o, reason) != 0)
					return -1;
				changed = true;
				break;
			}
		}
	}
	return 0;
}

int nsp_dest_compat_mark(nsp_model *m, int dst_version, nsp_error *err)
{
	if (dst_version <= 0 || major_of(dst_version) >= major_of(m->server_version))
		return 0;
	int dst_major = major_of(dst_version);
	bool any = false;
	for (size_t i = 0; i < m->nobjects; i++) {
		nsp_object *o = m->objects[i];
		if (o->min_major <= dst_major || o->skip_reason != NULL)
			continue;
		char reason[512];
		snprintf(reason, sizeof(reason),
			 "the destination (PostgreSQL %d) cannot hold it: %s came in PostgreSQL %d",
			 dst_major, o->min_major_feature ? o->min_major_feature : "a feature it uses",
			 o->min_major);
		if (nsp_object_set_skip_reason(o, reason) != 0)
			goto oom;
		o->unsupported = true;
		any = true;
	}
	if (any && skip_dependents(m) != 0)
		goto oom;
	return 0;
oom:
	return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			     "out of memory marking what the destination cannot hold");
}

bool nsp_dest_compat_older(const Neosync__Plugin__V1__Plan *plan)
{
	return plan->destination_server_version > 0 &&
	       major_of((int)plan->destination_server_version) < major_of((int)plan->source_server_version);
}

bool nsp_dest_compat_lacks_feature(const char *sqlstate)
{
	/* syntax error; undefined function, object (type, collation, ...); feature not supported;
	 * invalid parameter value (an unknown option); invalid object, table or column definition;
	 * wrong object type. */
	static const char *const codes[] = {"42601", "42883", "42704", "0A000", "22023",
					    "42P17", "42P16", "42611", "42809"};
	for (size_t i = 0; sqlstate != NULL && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(sqlstate, codes[i]) == 0)
			return true;
	return false;
}

static void set_reason(Neosync__Plugin__V1__Step *s, const char *reason)
{
	char *copy = strdup(reason);
	if (copy == NULL)
		return; /* out of memory: the step keeps the reason it has */
	if (s->skip_reason != NULL && s->skip_reason != protobuf_c_empty_string)
		free(s->skip_reason);
	s->skip_reason = copy;
}

typedef struct id_pos {
	uint32_t id;
	size_t pos;
} id_pos;

static int id_pos_cmp(const void *a, const void *b)
{
	uint32_t x = ((const id_pos *)a)->id, y = ((const id_pos *)b)->id;
	return x < y ? -1 : x > y;
}

int nsp_dest_compat_fail_step(Neosync__Plugin__V1__Plan *plan, size_t index, const char *message)
{
	Neosync__Plugin__V1__Step *failed = plan->steps[index];
	failed->unsupported = true;
	set_reason(failed, message);
	size_t n = plan->n_steps;
	bool *gone = calloc(n, sizeof(*gone));
	id_pos *map = malloc(n * sizeof(*map));
	if (gone == NULL || map == NULL) {
		free(gone);
		free(map);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		map[i] = (id_pos){plan->steps[i]->id, i};
	qsort(map, n, sizeof(*map), id_pos_cmp);
	gone[index] = true;
	char reason[768];
	snprintf(reason, sizeof(reason), "needs %s, which is not created: %s", failed->identity, message);
	/* Plan order is a topological order: one pass over the later steps finds every dependent. */
	for (size_t i = index + 1; i < n; i++) {
		Neosync__Plugin__V1__Step *s = plan->steps[i];
		for (size_t d = 0; d < s->n_depends_on && !gone[i]; d++) {
			id_pos key = {s->depends_on[d], 0};
			const id_pos *hit = bsearch(&key, map, n, sizeof(*map), id_pos_cmp);
			gone[i] = hit != NULL && gone[hit->pos];
		}
		if (gone[i] && s->skip_reason[0] == '\0')
			set_reason(s, reason);
	}
	free(gone);
	free(map);
	return 0;
}
