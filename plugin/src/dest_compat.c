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

typedef struct id_pos {
	uint32_t id;
	size_t pos;
} id_pos;

static int id_pos_cmp(const void *a, const void *b)
{
	uint32_t x = ((const id_pos *)a)->id, y = ((const id_pos *)b)->id;
	return x < y ? -1 : x > y;
}

int nsp_compat_found_init(nsp_compat_found *f, size_t n)
{
	f->n = n;
	f->count = 0;
	f->reason = calloc(n ? n : 1, sizeof(*f->reason));
	f->unsupported = calloc(n ? n : 1, sizeof(*f->unsupported));
	return f->reason != NULL && f->unsupported != NULL ? 0 : -1;
}

void nsp_compat_found_free(nsp_compat_found *f)
{
	for (size_t i = 0; f->reason != NULL && i < f->n; i++)
		free(f->reason[i]);
	free(f->reason);
	free(f->unsupported);
	*f = (nsp_compat_found){0};
}

static int found_set(nsp_compat_found *f, size_t i, const char *reason)
{
	if (f->reason[i] != NULL)
		return 0;
	f->reason[i] = strdup(reason);
	if (f->reason[i] == NULL)
		return -1;
	f->count++;
	return 0;
}

int nsp_dest_compat_fail_step(const Neosync__Plugin__V1__Plan *plan, nsp_compat_found *f,
			      size_t index, const char *message)
{
	size_t n = plan->n_steps;
	if (f->n != n || index >= n || found_set(f, index, message) != 0)
		return -1;
	f->unsupported[index] = true;
	id_pos *map = malloc((n ? n : 1) * sizeof(*map));
	if (map == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		map[i] = (id_pos){plan->steps[i]->id, i};
	qsort(map, n, sizeof(*map), id_pos_cmp);
	char reason[768];
	snprintf(reason, sizeof(reason), "needs %s, which is not created: %s",
		 plan->steps[index]->identity, message);
	/* Plan order is a topological order: one pass over the later steps finds every dependent
	 * (of this failure, or of an earlier one). */
	int rc = 0;
	for (size_t i = index + 1; i < n && rc == 0; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		bool gone = false;
		for (size_t d = 0; d < s->n_depends_on && !gone; d++) {
			id_pos key = {s->depends_on[d], 0};
			const id_pos *hit = bsearch(&key, map, n, sizeof(*map), id_pos_cmp);
			gone = hit != NULL && f->reason[hit->pos] != NULL;
		}
		if (gone && s->skip_reason[0] == '\0')
			rc = found_set(f, i, reason);
	}
	free(map);
	return rc;
}

int nsp_dest_compat_record(Neosync__Plugin__V1__Plan *plan, const nsp_compat_found *f)
{
	for (size_t i = 0; i < f->n && i < plan->n_steps; i++) {
		if (f->reason[i] == NULL)
			continue;
		char *copy = strdup(f->reason[i]);
		if (copy == NULL)
			return -1;
		Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->skip_reason != NULL && s->skip_reason != protobuf_c_empty_string)
			free(s->skip_reason);
		s->skip_reason = copy;
		s->unsupported = s->unsupported || f->unsupported[i];
	}
	return 0;
}
