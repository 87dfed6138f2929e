#include "plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index_heap.h"
#include "pb.h"
#include "model_enums.h"

int nsp_plan_kind_priority(nsp_kind kind)
{
	/* After pg_dump's dbObjectTypePriority: namespaces, types and functions before tables;
	 * keys and indexes before the objects that use them; comments, owners and ACLs last. */
	switch (kind) {
	case NSP_KIND_SCHEMA: return 1;
	case NSP_KIND_EXTENSION: return 2;
	case NSP_KIND_COLLATION: return 3;
	case NSP_KIND_TYPE: return 4;
	case NSP_KIND_DOMAIN: return 5;
	case NSP_KIND_DOMAIN_CONSTRAINT: return 6;
	case NSP_KIND_FUNCTION: return 7;
	case NSP_KIND_AGGREGATE: return 8;
	case NSP_KIND_OPERATOR: return 9;
	case NSP_KIND_CAST: return 10;
	case NSP_KIND_TEXT_SEARCH: return 11;
	case NSP_KIND_SEQUENCE: return 12;
	case NSP_KIND_TABLE: return 13;
	case NSP_KIND_PARTITION_ATTACH: return 14;
	case NSP_KIND_CHECK_CONSTRAINT: return 15;
	case NSP_KIND_TABLE_PROPERTY: return 16;
	case NSP_KIND_VIEW: return 17;
	case NSP_KIND_MATERIALIZED_VIEW: return 18;
	case NSP_KIND_PRIMARY_KEY: return 20;
	case NSP_KIND_UNIQUE_CONSTRAINT: return 21;
	case NSP_KIND_EXCLUSION_CONSTRAINT: return 22;
	case NSP_KIND_INDEX: return 23;
	case NSP_KIND_INDEX_ATTACH: return 24;
	case NSP_KIND_RULE: return 25;
	case NSP_KIND_TRIGGER: return 26;
	case NSP_KIND_FOREIGN_KEY: return 27;
	case NSP_KIND_POLICY: return 28;
	case NSP_KIND_ROW_SECURITY: return 29;
	case NSP_KIND_STATISTICS: return 30;
	case NSP_KIND_MATVIEW_REFRESH: return 31;
	case NSP_KIND_SEQUENCE_VALUE: return 32;
	case NSP_KIND_IDENTITY: return 33;
	case NSP_KIND_COMMENT: return 40;
	case NSP_KIND_OWNER: return 41;
	case NSP_KIND_ACL: return 42;
	default: return 50;
	}
}

static bool has_defer(const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		      Neosync__Plugin__V1__DeferrableKind kind)
{
	if (opts == NULL)
		return false;
	for (size_t i = 0; i < opts->n_defer; i++)
		if (opts->defer[i] == kind)
			return true;
	return false;
}

int nsp_plan_assign_phases(nsp_model *m, const Neosync__Plugin__V1__SchemaPluginOptions *opts)
{
	bool defer_checks =
		has_defer(opts, NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_CHECK_CONSTRAINTS);
	bool defer_domain_checks =
		has_defer(opts, NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_DOMAIN_CHECKS);
	for (size_t i = 0; i < m->nobjects; i++) {
		nsp_object *o = m->objects[i];
		if ((defer_checks && o->kind == NSP_KIND_CHECK_CONSTRAINT) ||
		    (defer_domain_checks && o->kind == NSP_KIND_DOMAIN_CONSTRAINT))
			o->phase = NSP_PHASE_POST;
	}
	/* A pre-sync object that needs a post-sync one moves after it; repeat until stable. */
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < m->nobjects; i++) {
			nsp_object *o = m->objects[i];
			if (o->phase != NSP_PHASE_PRE)
				continue;
			for (size_t d = 0; d < o->nneeds; d++) {
				if (m->objects[o->needs[d]]->phase == NSP_PHASE_POST) {
					o->phase = NSP_PHASE_POST;
					changed = true;
					break;
				}
			}
		}
	}
	return 0;
}

/* The sort key of the tie-break: phase, kind priority, schema, name, then model position. */
static int object_cmp(const nsp_object *a, const nsp_object *b)
{
	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	int pa = nsp_plan_kind_priority(a->kind), pb = nsp_plan_kind_priority(b->kind);
	if (pa != pb)
		return pa < pb ? -1 : 1;
	int c = strcmp(a->schema ? a->schema : "", b->schema ? b->schema : "");
	if (c == 0)
		c = strcmp(a->identity ? a->identity : "", b->identity ? b->identity : "");
	if (c != 0)
		return c;
	return a->index < b->index ? -1 : (a->index > b->index);
}

static bool object_before(const void *ctx, size_t a, size_t b)
{
	const nsp_model *m = ctx;
	return object_cmp(m->objects[a], m->objects[b]) < 0;
}

int nsp_plan_order(const nsp_model *m, size_t **order, nsp_error *warning)
{
	size_t n = m->nobjects;
	size_t *out = malloc((n ? n : 1) * sizeof(*out));
	size_t *waiting = calloc(n ? n : 1, sizeof(*waiting)); /* unmet needs per object */
	size_t *ndependents = calloc(n ? n : 1, sizeof(*ndependents));
	size_t **dependents = calloc(n ? n : 1, sizeof(*dependents));
	bool *done = calloc(n ? n : 1, sizeof(*done));
	nsp_index_heap h = {.items = malloc((n ? n : 1) * sizeof(size_t)), .before = object_before, .ctx = m};
	int rc = -1;
	if (!out || !waiting || !ndependents || !dependents || !done || !h.items)
		goto out;
	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < m->objects[i]->nneeds; d++)
			ndependents[m->objects[i]->needs[d]]++;
	for (size_t i = 0; i < n; i++) {
		dependents[i] = malloc((ndependents[i] ? ndependents[i] : 1) * sizeof(size_t));
		if (dependents[i] == NULL)
			goto out;
		ndependents[i] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		nsp_object *o = m->objects[i];
		waiting[i] = o->nneeds;
		for (size_t d = 0; d < o->nneeds; d++)
			dependents[o->needs[d]][ndependents[o->needs[d]]++] = i;
		if (waiting[i] == 0)
			nsp_index_heap_push(&h, i);
	}
	size_t count = 0;
	while (count < n) {
		if (h.n == 0) {
			/* A cycle: release the first object (in sort order) still waiting. */
			size_t pick = SIZE_MAX;
			for (size_t i = 0; i < n; i++)
				if (!done[i] && (pick == SIZE_MAX ||
						 object_cmp(m->objects[i], m->objects[pick]) < 0))
					pick = i;
			if (warning && warning->message[0] == '\0')
				snprintf(warning->message, sizeof(warning->message),
					 "dependency cycle broken at %s", m->objects[pick]->identity);
			waiting[pick] = 0;
			nsp_index_heap_push(&h, pick);
		}
		size_t next = nsp_index_heap_pop(&h);
		if (done[next])
			continue;
		done[next] = true;
		out[count++] = next;
		for (size_t d = 0; d < ndependents[next]; d++) {
			size_t dep = dependents[next][d];
			if (!done[dep] && waiting[dep] > 0 && --waiting[dep] == 0)
				nsp_index_heap_push(&h, dep);
		}
	}
	*order = out;
	out = NULL;
	rc = 0;
out:
	if (dependents)
		for (size_t i = 0; i < n; i++)
			free(dependents[i]);
	free(dependents);
	free(out);
	free(waiting);
	free(ndependents);
	free(done);
	free(h.items);
	return rc;
}

/* Split a '\x1f'-joined list into a repeated string field. */
static int split_list(const char *joined, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (joined == NULL || joined[0] == '\0')
		return 0;
	size_t parts = 1;
	for (const char *p = joined; *p; p++)
		parts += *p == '\x1f';
	*out = calloc(parts, sizeof(char *));
	if (*out == NULL)
		return -1;
	const char *start = joined;
	for (;;) {
		const char *sep = strchr(start, '\x1f');
		size_t len = sep ? (size_t)(sep - start) : strlen(start);
		char *piece = malloc(len + 1);
		if (piece == NULL)
			return -1;
		memcpy(piece, start, len);
		piece[len] = '\0';
		(*out)[(*n)++] = piece;
		if (sep == NULL)
			return 0;
		start = sep + 1;
	}
}

static int make_address(Neosync__Plugin__V1__Step *s, const nsp_object *o)
{
	Neosync__Plugin__V1__ObjectAddress *a = malloc(sizeof(*a));
	if (a == NULL)
		return -1;
	neosync__plugin__v1__object_address__init(a);
	s->address = a;
	a->type = nsp_pb_str(o->address_type);
	return split_list(o->address_names, &a->names, &a->n_names) ||
			       split_list(o->address_args, &a->args, &a->n_args)
		       ? -1
		       : 0;
}

static Neosync__Plugin__V1__Step *make_step(const nsp_object *o, uint32_t id, const uint32_t *step_of)
{
	Neosync__Plugin__V1__Step *s = malloc(sizeof(*s));
	if (s == NULL)
		return NULL;
	neosync__plugin__v1__step__init(s);
	s->id = id;
	s->phase = nsp_phase_wire(o->phase);
	s->kind = nsp_kind_wire(o->kind);
	s->identity = nsp_pb_str(o->identity);
	s->schema = nsp_pb_str(o->schema);
	s->name = nsp_pb_str(o->name);
	s->table = nsp_pb_str(o->table);
	s->sql = nsp_pb_str(o->sql);
	s->cost = o->cost;
	s->skip_reason = nsp_pb_str(o->skip_reason);
	s->unsupported = o->unsupported;
	if (o->nneeds > 0) {
		s->depends_on = malloc(o->nneeds * sizeof(uint32_t));
		if (s->depends_on != NULL) {
			for (size_t d = 0; d < o->nneeds; d++)
				s->depends_on[d] = step_of[o->needs[d]];
			s->n_depends_on = o->nneeds;
		}
	}
	if (o->address_type != NULL && make_address(s, o) != 0) {
		protobuf_c_message_free_unpacked(&s->base, NULL);
		return NULL;
	}
	size_t nlocks = o->nextra_locks +
			(o->table != NULL && o->lock_mode != NSP_LOCK_UNSPECIFIED);
	s->locks = nlocks ? calloc(nlocks, sizeof(*s->locks)) : NULL;
	for (size_t k = 0; s->locks != NULL && k < nlocks; k++) {
		Neosync__Plugin__V1__LockRef *l = malloc(sizeof(*l));
		if (l == NULL)
			break;
		neosync__plugin__v1__lock_ref__init(l);
		bool own = k == o->nextra_locks;
		l->relation = nsp_pb_str(own ? o->table : o->extra_lock_tables[k]);
		l->mode = nsp_lock_wire(own ? o->lock_mode : o->extra_lock_modes[k]);
		s->locks[s->n_locks++] = l;
	}
	return s;
}

int nsp_plan_build(nsp_model *m, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		   const char *job_id, Neosync__Plugin__V1__Plan **out, nsp_error *err)
{
	*out = NULL;
	nsp_plan_assign_phases(m, opts);
	size_t *order = NULL;
	nsp_error warning;
	nsp_error_clear(&warning);
	if (nsp_plan_order(m, &order, &warning) != 0)
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory ordering the plan");
	uint32_t *step_of = calloc(m->nobjects ? m->nobjects : 1, sizeof(*step_of));
	Neosync__Plugin__V1__Plan *plan = malloc(sizeof(*plan));
	if (step_of == NULL || plan == NULL) {
		free(order);
		free(step_of);
		free(plan);
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory building the plan");
	}
	neosync__plugin__v1__plan__init(plan);
	for (size_t i = 0; i < m->nobjects; i++)
		step_of[order[i]] = (uint32_t)(i + 1);
	plan->format_version = 1;
	plan->job_id = nsp_pb_str(job_id);
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	plan->created_at = nsp_pb_str(now);
	plan->source_server_version = (uint32_t)m->server_version;
	plan->steps = calloc(m->nobjects ? m->nobjects : 1, sizeof(*plan->steps));
	int rc = 0;
	if (plan->steps == NULL)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < m->nobjects; i++) {
		plan->steps[i] = make_step(m->objects[order[i]], (uint32_t)(i + 1), step_of);
		if (plan->steps[i] == NULL)
			rc = -1;
		else
			plan->n_steps = i + 1;
	}
	free(order);
	free(step_of);
	if (rc != 0) {
		protobuf_c_message_free_unpacked(&plan->base, NULL);
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory building the plan");
	}
	*out = plan;
	return 0;
}
