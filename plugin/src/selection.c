#include "selection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_pattern.h"
#include "model_enums.h"

bool nsp_selection_table_selected(Neosync__Plugin__V1__TableRef *const *include, size_t n_include,
				  Neosync__Plugin__V1__TableRef *const *exclude, size_t n_exclude,
				  const char *schema, const char *table)
{
	bool in = n_include == 0;
	for (size_t i = 0; i < n_include && !in; i++)
		in = nsp_table_ref_matches(include[i], schema, table);
	for (size_t i = 0; i < n_exclude && in; i++)
		in = !nsp_table_ref_matches(exclude[i], schema, table);
	return in;
}

enum { UNKNOWN = 0, VISITING, DONE };

typedef struct sel_state {
	nsp_model *m;
	bool *selected;      /* per object: a TABLE the job selects */
	unsigned char *mark; /* DFS state for missing_table */
	long *missing;       /* first unselected table reachable through needs, -1 none */
	bool *reaches_sel;   /* reaches a selected table through needs */
} sel_state;

/* The first unselected table an object needs, directly or through other objects. */
static void visit(sel_state *s, size_t i)
{
	if (s->mark[i] != UNKNOWN)
		return; /* DONE, or a cycle (VISITING): cycles add nothing new */
	s->mark[i] = VISITING;
	nsp_object *o = s->m->objects[i];
	long missing = -1;
	bool reaches = false;
	if (o->kind == NSP_KIND_TABLE) {
		if (!s->selected[i])
			missing = (long)i;
		else
			reaches = true;
	}
	for (size_t d = 0; d < o->nneeds; d++) {
		size_t n = o->needs[d];
		visit(s, n);
		if (missing < 0 && s->missing[n] >= 0)
			missing = s->missing[n];
		reaches = reaches || s->reaches_sel[n];
	}
	s->missing[i] = missing;
	s->reaches_sel[i] = reaches;
	s->mark[i] = DONE;
}

/* Objects that belong to the job by themselves: selected tables, objects of selected tables,
 * and views or other free-standing objects built on selected tables. */
static bool anchored(sel_state *s, size_t i)
{
	nsp_object *o = s->m->objects[i];
	if (o->kind == NSP_KIND_TABLE)
		return s->selected[i];
	if (o->table_oid != 0) {
		nsp_object *t = nsp_model_find(s->m, (nsp_catref){NSP_CLASS_PG_CLASS, o->table_oid});
		if (t != NULL && t->kind == NSP_KIND_TABLE)
			return s->selected[t->index];
	}
	return s->reaches_sel[i] && o->kind != NSP_KIND_FUNCTION && o->kind != NSP_KIND_AGGREGATE &&
	       o->kind != NSP_KIND_TYPE && o->kind != NSP_KIND_DOMAIN;
}

static bool object_needs(const nsp_object *o, size_t index)
{
	for (size_t d = 0; d < o->nneeds; d++)
		if (o->needs[d] == index)
			return true;
	return false;
}

/* An attach step needs its parent and its partition; the partition is the one that needs the
 * other (pg_depend records a partition's automatic dependency on its parent). True when
 * `child` is that partition and its parent is selected. */
static bool parent_of_attach_selected(const sel_state *s, const nsp_object *attach, size_t child)
{
	for (size_t d = 0; d < attach->nneeds; d++) {
		size_t t = attach->needs[d];
		if (t != child && s->m->objects[t]->kind == NSP_KIND_TABLE && s->selected[t] &&
		    object_needs(s->m->objects[child], t))
			return true;
	}
	return false;
}

static void pull_in(nsp_model *m, bool *keep, size_t i)
{
	if (keep[i])
		return;
	keep[i] = true;
	for (size_t d = 0; d < m->objects[i]->nneeds; d++)
		pull_in(m, keep, m->objects[i]->needs[d]);
}

static int compact(nsp_model *m, const bool *keep)
{
	size_t n = m->nobjects;
	size_t *renumber = malloc((n ? n : 1) * sizeof(*renumber));
	if (renumber == NULL)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		renumber[i] = keep[i] ? k++ : SIZE_MAX;
	/* Aliases point at indices: rebuild them from each kept object's own address. */
	nsp_model fresh;
	if (nsp_model_init(&fresh) != 0) {
		free(renumber);
		return -1;
	}
	free(fresh.objects);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		nsp_object *o = m->objects[i];
		if (!keep[i]) {
			nsp_model_free_object(o);
			continue;
		}
		size_t w = 0;
		for (size_t d = 0; d < o->nneeds; d++)
			if (renumber[o->needs[d]] != SIZE_MAX)
				o->needs[w++] = renumber[o->needs[d]];
		o->nneeds = w;
		o->index = k;
		m->objects[k++] = o;
	}
	m->nobjects = k;
	struct nsp_alias_map *old = m->aliases;
	m->aliases = fresh.aliases;
	int rc = 0;
	for (size_t i = 0; i < m->nobjects && rc == 0; i++)
		if (m->objects[i]->ref.classid != 0)
			rc = nsp_model_alias(m, m->objects[i]->ref, i);
	nsp_model_free_aliases(old);
	free(renumber);
	return rc;
}

int nsp_selection_apply(nsp_model *m, Neosync__Plugin__V1__TableRef *const *include, size_t n_include,
			Neosync__Plugin__V1__TableRef *const *exclude, size_t n_exclude, nsp_error *err)
{
	if (n_include == 0 && n_exclude == 0)
		return 0;
	size_t n = m->nobjects;
	sel_state s = {.m = m};
	s.selected = calloc(n ? n : 1, sizeof(bool));
	s.mark = calloc(n ? n : 1, 1);
	s.missing = malloc((n ? n : 1) * sizeof(long));
	s.reaches_sel = calloc(n ? n : 1, sizeof(bool));
	bool *keep = calloc(n ? n : 1, sizeof(bool));
	int rc = -1;
	if (!s.selected || !s.mark || !s.missing || !s.reaches_sel || !keep)
		goto out;
	for (size_t i = 0; i < n; i++) {
		nsp_object *o = m->objects[i];
		s.missing[i] = -1;
		s.selected[i] = o->kind == NSP_KIND_TABLE &&
				nsp_selection_table_selected(include, n_include, exclude, n_exclude,
							     o->schema, o->name);
	}
	/* Partitions follow their partitioned parent (rows must route), down every level. */
	bool grew = true;
	while (grew) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			nsp_object *o = m->objects[i];
			if (o->kind != NSP_KIND_PARTITION_ATTACH)
				continue;
			bool any_selected = false;
			for (size_t d = 0; d < o->nneeds; d++)
				any_selected = any_selected || s.selected[o->needs[d]];
			if (!any_selected)
				continue;
			/* The attach needs parent and child: select the child when the parent is. */
			for (size_t d = 0; d < o->nneeds; d++) {
				size_t t = o->needs[d];
				if (m->objects[t]->kind == NSP_KIND_TABLE && !s.selected[t] &&
				    parent_of_attach_selected(&s, o, t)) {
					s.selected[t] = true;
					grew = true;
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		visit(&s, i);
	/* Extensions are always kept: what of theirs a table uses (a type, a function) is not
	 * an object of the model, so the need cannot be seen. */
	for (size_t i = 0; i < n; i++)
		if (m->objects[i]->kind == NSP_KIND_EXTENSION)
			pull_in(m, keep, i);
	for (size_t i = 0; i < n; i++) {
		if (!anchored(&s, i))
			continue;
		if (s.missing[i] >= 0) {
			nsp_object *t = m->objects[s.missing[i]];
			char reason[512];
			snprintf(reason, sizeof(reason),
				 "needs table %s.%s, which the job does not select", t->schema, t->name);
			if (nsp_object_set_skip_reason(m->objects[i], reason) != 0)
				goto out;
			keep[i] = true;
		} else {
			pull_in(m, keep, i);
		}
	}
	/* Comments, sequence values and other decorations follow what they decorate. */
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			nsp_object *o = m->objects[i];
			if (keep[i] || o->nneeds == 0 || s.missing[i] >= 0)
				continue;
			bool all = true;
			for (size_t d = 0; d < o->nneeds && all; d++)
				all = keep[o->needs[d]] && m->objects[o->needs[d]]->skip_reason == NULL;
			if (all && o->kind != NSP_KIND_FUNCTION && o->kind != NSP_KIND_AGGREGATE && o->kind != NSP_KIND_TYPE &&
			    o->kind != NSP_KIND_DOMAIN && o->kind != NSP_KIND_TABLE) {
				pull_in(m, keep, i);
				changed = true;
			}
		}
	}
	/* Default privileges are the database's, not a table's: always kept, after those of the
	 * views they follow (catalog_default_privileges.c) that are kept and not skipped. */
	for (size_t i = 0; i < n; i++) {
		nsp_object *o = m->objects[i];
		if (o->ref.classid != NSP_CLASS_PG_DEFAULT_ACL)
			continue;
		keep[i] = true;
		size_t w = 0;
		for (size_t d = 0; d < o->nneeds; d++)
			if (keep[o->needs[d]] && m->objects[o->needs[d]]->skip_reason == NULL)
				o->needs[w++] = o->needs[d];
		o->nneeds = w;
	}
	/* A kept object whose need is skipped is skipped too. */
	changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			nsp_object *o = m->objects[i];
			if (!keep[i] || o->skip_reason != NULL)
				continue;
			for (size_t d = 0; d < o->nneeds; d++) {
				nsp_object *dep = m->objects[o->needs[d]];
				if (dep->skip_reason == NULL)
					continue;
				char reason[600];
				snprintf(reason, sizeof(reason), "needs %s, which is skipped: %s", dep->identity,
					 dep->skip_reason);
				if (nsp_object_set_skip_reason(o, reason) != 0)
					goto out;
				changed = true;
				break;
			}
		}
	}
	rc = compact(m, keep);
out:
	free(s.selected);
	free(s.mark);
	free(s.missing);
	free(s.reaches_sel);
	free(keep);
	if (rc != 0)
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			      "out of memory applying the table selection");
	return rc;
}
