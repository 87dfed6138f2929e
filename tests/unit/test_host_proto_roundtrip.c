/* The protobuf contract: every message that crosses the ABI or the wire packs and unpacks to the
 * same message, and malformed bytes are refused (NULL), never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "neosync/plugin/v1/job.pb-c.h"
#include "neosync/plugin/v1/options.pb-c.h"
#include "neosync/plugin/v1/plan.pb-c.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(m, buf), *len);
	return buf;
}

/* pack -> unpack -> pack gives the same bytes; returns the unpacked copy (caller frees). */
static ProtobufCMessage *roundtrip(const ProtobufCMessage *m)
{
	size_t len, len2;
	uint8_t *buf = pack(m, &len);
	ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
	assert_non_null(copy);
	assert_ptr_equal(copy->descriptor, m->descriptor);
	uint8_t *buf2 = pack(copy, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	free(buf);
	free(buf2);
	return copy;
}

/* Every proper prefix of the packed message either fails to unpack or (cut at a field boundary)
 * unpacks to a valid message; cutting inside the last field always fails. */
static void check_truncations(const ProtobufCMessage *m)
{
	size_t len;
	uint8_t *buf = pack(m, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *prefix = malloc(n ? n : 1); /* exact size, so valgrind sees any over-read */
		assert_non_null(prefix);
		memcpy(prefix, buf, n);
		ProtobufCMessage *u = protobuf_c_message_unpack(m->descriptor, NULL, n, prefix);
		if (n == len - 1)
			assert_null(u);
		if (u != NULL)
			protobuf_c_message_free_unpacked(u, NULL);
		free(prefix);
	}
	free(buf);
}

/* A connection and a selection used by several requests. */
static Neosync__Plugin__V1__PostgresConnection pg_src = NEOSYNC__PLUGIN__V1__POSTGRES_CONNECTION__INIT;
static Neosync__Plugin__V1__PostgresConnection pg_dst = NEOSYNC__PLUGIN__V1__POSTGRES_CONNECTION__INIT;
static Neosync__Plugin__V1__Connection src = NEOSYNC__PLUGIN__V1__CONNECTION__INIT;
static Neosync__Plugin__V1__Connection dst = NEOSYNC__PLUGIN__V1__CONNECTION__INIT;
static Neosync__Plugin__V1__TableRef t1 = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
static Neosync__Plugin__V1__TableRef t2 = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
static Neosync__Plugin__V1__TableRef *tables[] = {&t1, &t2};
static Neosync__Plugin__V1__SchemaPluginOptions opts = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__INIT;
static Neosync__Plugin__V1__DeferrableKind defer[] = {NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_CHECK_CONSTRAINTS};
static Neosync__Plugin__V1__RoleMapping role = NEOSYNC__PLUGIN__V1__ROLE_MAPPING__INIT;
static Neosync__Plugin__V1__RoleMapping *roles[] = {&role};
static Neosync__Plugin__V1__SchemaPluginOptions__SessionSettingsEntry setting =
	NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__SESSION_SETTINGS_ENTRY__INIT;
static Neosync__Plugin__V1__SchemaPluginOptions__SessionSettingsEntry *settings[] = {&setting};

/* A plan of three steps: a table (pre-sync), its primary key and a foreign key (post-sync). */
static Neosync__Plugin__V1__Plan plan = NEOSYNC__PLUGIN__V1__PLAN__INIT;
static Neosync__Plugin__V1__Step s1 = NEOSYNC__PLUGIN__V1__STEP__INIT;
static Neosync__Plugin__V1__Step s2 = NEOSYNC__PLUGIN__V1__STEP__INIT;
static Neosync__Plugin__V1__Step s3 = NEOSYNC__PLUGIN__V1__STEP__INIT;
static Neosync__Plugin__V1__Step *steps[] = {&s1, &s2, &s3};
static uint32_t s2_deps[] = {1};
static uint32_t s3_deps[] = {1, 2};
static Neosync__Plugin__V1__LockRef l2 = NEOSYNC__PLUGIN__V1__LOCK_REF__INIT;
static Neosync__Plugin__V1__LockRef l3a = NEOSYNC__PLUGIN__V1__LOCK_REF__INIT;
static Neosync__Plugin__V1__LockRef l3b = NEOSYNC__PLUGIN__V1__LOCK_REF__INIT;
static Neosync__Plugin__V1__LockRef *s2_locks[] = {&l2};
static Neosync__Plugin__V1__LockRef *s3_locks[] = {&l3a, &l3b};
static uint8_t digest[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};

static Neosync__Plugin__V1__StepResult r1 = NEOSYNC__PLUGIN__V1__STEP_RESULT__INIT;
static Neosync__Plugin__V1__StepResult r2 = NEOSYNC__PLUGIN__V1__STEP_RESULT__INIT;
static Neosync__Plugin__V1__StepResult *results[] = {&r1, &r2};
static Neosync__Plugin__V1__Summary summary = NEOSYNC__PLUGIN__V1__SUMMARY__INIT;
static Neosync__Plugin__V1__Summary__FailuresBySqlstateEntry f1 = NEOSYNC__PLUGIN__V1__SUMMARY__FAILURES_BY_SQLSTATE_ENTRY__INIT;
static Neosync__Plugin__V1__Summary__FailuresBySqlstateEntry f2 = NEOSYNC__PLUGIN__V1__SUMMARY__FAILURES_BY_SQLSTATE_ENTRY__INIT;
static Neosync__Plugin__V1__Summary__FailuresBySqlstateEntry *failures[] = {&f1, &f2};
static Neosync__Plugin__V1__Error error_ok = NEOSYNC__PLUGIN__V1__ERROR__INIT;

static int setup(void **state)
{
	(void)state;
	pg_src.url = "postgresql:///src?host=/run/pg";
	pg_dst.url = "host=/run/pg dbname=dst";
	src.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	src.postgres = &pg_src;
	dst.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	dst.postgres = &pg_dst;
	t1.schema = "public";
	t1.table = "actor";
	t2.schema = "sales";
	t2.table = "*";

	opts.n_defer = 1;
	opts.defer = defer;
	opts.on_existing = NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_SKIP;
	opts.fk_mode = NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_NOT_VALID_ON_VIOLATION;
	opts.parallelism = 4;
	opts.owners = 1;
	role.source_role = "alice";
	role.destination_role = "bob";
	opts.n_role_map = 1;
	opts.role_map = roles;
	opts.comments_opt_case = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT_COMMENTS;
	opts.comments = 0; /* set to false: must survive the trip, unlike a plain proto3 false */
	setting.key = "maintenance_work_mem";
	setting.value = "1GB";
	opts.n_session_settings = 1;
	opts.session_settings = settings;
	opts.lock_timeout_ms = 10000;

	s1.id = 1;
	s1.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC;
	s1.kind = NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_TABLE;
	s1.identity = "public.actor";
	s1.schema = "public";
	s1.name = "actor";
	s1.sql = "CREATE TABLE \"public\".\"actor\" (id integer NOT NULL)";
	s1.cost = UINT64_C(1) << 40;
	s2.id = 2;
	s2.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC;
	s2.kind = NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_PRIMARY_KEY;
	s2.identity = "public.actor.actor_pkey";
	s2.table = "\"public\".\"actor\"";
	s2.sql = "ALTER TABLE \"public\".\"actor\" ADD CONSTRAINT actor_pkey PRIMARY KEY (id)";
	s2.n_depends_on = 1;
	s2.depends_on = s2_deps;
	l2.relation = "\"public\".\"actor\"";
	l2.mode = NEOSYNC__PLUGIN__V1__LOCK_MODE__LOCK_MODE_ACCESS_EXCLUSIVE;
	s2.n_locks = 1;
	s2.locks = s2_locks;
	s3.id = 3;
	s3.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC;
	s3.kind = NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_FOREIGN_KEY;
	s3.identity = "sales.orders.orders_actor_fkey";
	s3.n_depends_on = 2;
	s3.depends_on = s3_deps;
	l3a.relation = "\"sales\".\"orders\"";
	l3a.mode = NEOSYNC__PLUGIN__V1__LOCK_MODE__LOCK_MODE_SHARE_ROW_EXCLUSIVE;
	l3b.relation = "\"public\".\"actor\"";
	l3b.mode = NEOSYNC__PLUGIN__V1__LOCK_MODE__LOCK_MODE_SHARE_ROW_EXCLUSIVE;
	s3.n_locks = 2;
	s3.locks = s3_locks;
	s3.skip_reason = "table sales.orders is not selected";
	plan.format_version = 1;
	plan.job_id = "demo";
	plan.created_at = "2024-05-01T12:00:00Z";
	plan.source_server_version = 150004;
	plan.n_steps = 3;
	plan.steps = steps;
	plan.integrity.data = digest;
	plan.integrity.len = sizeof digest;

	r1.step_id = 1;
	r1.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC;
	r1.kind = NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_PRIMARY_KEY;
	r1.identity = "public.actor.actor_pkey";
	r1.status = NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED;
	r1.sqlstate = "23505";
	r1.message = "could not create unique index \"actor_pkey\"";
	r1.duration_us = 123456;
	r1.violation_count = -1;
	r2.step_id = 3;
	r2.status = NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_SKIPPED;
	r2.message = "depends on step 2, which failed";
	f1.key = "23505";
	f1.value = 1;
	f2.key = "23503";
	f2.value = 2;
	summary.applied = 10;
	summary.failed = 3;
	summary.skipped = 1;
	summary.unchanged = 2;
	summary.conflicts = 1;
	summary.duration_us = UINT64_MAX;
	summary.n_failures_by_sqlstate = 2;
	summary.failures_by_sqlstate = failures;
	error_ok.code = NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL;
	error_ok.message = "1 step failed";
	return 0;
}

static void assert_plan_equal(const Neosync__Plugin__V1__Plan *p)
{
	assert_non_null(p);
	assert_int_equal(p->format_version, 1);
	assert_string_equal(p->job_id, "demo");
	assert_int_equal(p->source_server_version, 150004);
	assert_int_equal(p->integrity.len, sizeof digest);
	assert_memory_equal(p->integrity.data, digest, sizeof digest);
	assert_int_equal(p->n_steps, 3);
	assert_string_equal(p->steps[0]->sql, s1.sql);
	assert_true(p->steps[0]->cost == UINT64_C(1) << 40);
	assert_int_equal(p->steps[1]->n_depends_on, 1);
	assert_int_equal(p->steps[1]->depends_on[0], 1);
	assert_int_equal(p->steps[1]->n_locks, 1);
	assert_int_equal(p->steps[1]->locks[0]->mode, NEOSYNC__PLUGIN__V1__LOCK_MODE__LOCK_MODE_ACCESS_EXCLUSIVE);
	assert_int_equal(p->steps[2]->kind, NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_FOREIGN_KEY);
	assert_int_equal(p->steps[2]->n_depends_on, 2);
	assert_int_equal(p->steps[2]->depends_on[1], 2);
	assert_int_equal(p->steps[2]->n_locks, 2);
	assert_string_equal(p->steps[2]->locks[0]->relation, "\"sales\".\"orders\"");
	assert_string_equal(p->steps[2]->skip_reason, s3.skip_reason);
}

static void test_job_config(void **state)
{
	(void)state;
	Neosync__Plugin__V1__JobConfig cfg = NEOSYNC__PLUGIN__V1__JOB_CONFIG__INIT;
	Neosync__Plugin__V1__HydrationSettings hyd = NEOSYNC__PLUGIN__V1__HYDRATION_SETTINGS__INIT;
	Neosync__Plugin__V1__PluginHook ph = NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__INIT;
	Neosync__Plugin__V1__JobHook hook = NEOSYNC__PLUGIN__V1__JOB_HOOK__INIT;
	Neosync__Plugin__V1__JobHook *hooks[] = {&hook};
	cfg.job_id = "demo";
	cfg.source = &src;
	cfg.destination = &dst;
	cfg.n_tables = 2;
	cfg.tables = tables;
	cfg.n_exclude_tables = 1;
	cfg.exclude_tables = &tables[1];
	hyd.parallelism = 3;
	hyd.truncate_before_insert = 1;
	cfg.hydration = &hyd;
	ph.target_case = NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS;
	ph.address = "unix:/run/neosync/plugin.sock";
	ph.options = &opts;
	hook.name = "schema";
	hook.enabled = 1;
	hook.priority = -5;
	hook.plugin = &ph;
	cfg.n_hooks = 1;
	cfg.hooks = hooks;

	Neosync__Plugin__V1__JobConfig *c = (void *)roundtrip(&cfg.base);
	assert_string_equal(c->job_id, "demo");
	assert_string_equal(c->source->postgres->url, pg_src.url);
	assert_string_equal(c->destination->postgres->url, pg_dst.url);
	assert_int_equal(c->n_tables, 2);
	assert_string_equal(c->tables[1]->table, "*");
	assert_int_equal(c->n_exclude_tables, 1);
	assert_int_equal(c->hydration->parallelism, 3);
	assert_int_equal(c->hooks[0]->priority, -5);
	assert_int_equal(c->hooks[0]->plugin->target_case, NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS);
	assert_string_equal(c->hooks[0]->plugin->address, ph.address);
	const Neosync__Plugin__V1__SchemaPluginOptions *o = c->hooks[0]->plugin->options;
	assert_int_equal(o->comments_opt_case, NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT_COMMENTS);
	assert_false(o->comments);
	assert_int_equal(o->on_existing, NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_SKIP);
	assert_string_equal(o->session_settings[0]->key, "maintenance_work_mem");
	assert_string_equal(o->role_map[0]->destination_role, "bob");
	protobuf_c_message_free_unpacked(&c->base, NULL);
	check_truncations(&cfg.base);
}

static void test_pre_sync(void **state)
{
	(void)state;
	Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
	req.job_id = "demo";
	req.run_id = "run-1";
	req.source = &src;
	req.destination = &dst;
	req.n_tables = 2;
	req.tables = tables;
	req.options = &opts;
	req.dry_run = 1;
	Neosync__Plugin__V1__PreSyncRequest *r = (void *)roundtrip(&req.base);
	assert_string_equal(r->run_id, "run-1");
	assert_true(r->dry_run);
	assert_int_equal(r->options->n_defer, 1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	check_truncations(&req.base);

	Neosync__Plugin__V1__PreSyncResponse resp = NEOSYNC__PLUGIN__V1__PRE_SYNC_RESPONSE__INIT;
	resp.error = &error_ok;
	resp.plan = &plan;
	resp.n_results = 2;
	resp.results = results;
	resp.summary = &summary;
	Neosync__Plugin__V1__PreSyncResponse *p = (void *)roundtrip(&resp.base);
	assert_int_equal(p->error->code, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_PARTIAL);
	assert_plan_equal(p->plan);
	assert_int_equal(p->n_results, 2);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	check_truncations(&resp.base);
}

static void test_post_sync(void **state)
{
	(void)state;
	Neosync__Plugin__V1__PostSyncRequest req = NEOSYNC__PLUGIN__V1__POST_SYNC_REQUEST__INIT;
	req.job_id = "demo";
	req.run_id = "run-1";
	req.destination = &dst;
	req.options = &opts;
	req.plan = &plan;
	req.n_exclude_tables = 1;
	req.exclude_tables = tables;
	Neosync__Plugin__V1__PostSyncRequest *r = (void *)roundtrip(&req.base);
	assert_null(r->source);
	assert_false(r->replan);
	assert_plan_equal(r->plan);
	assert_string_equal(r->exclude_tables[0]->table, "actor");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	check_truncations(&req.base);

	Neosync__Plugin__V1__PostSyncResponse resp = NEOSYNC__PLUGIN__V1__POST_SYNC_RESPONSE__INIT;
	resp.error = &error_ok;
	resp.n_results = 2;
	resp.results = results;
	resp.summary = &summary;
	Neosync__Plugin__V1__PostSyncResponse *p = (void *)roundtrip(&resp.base);
	assert_int_equal(p->n_results, 2);
	assert_string_equal(p->error->message, "1 step failed");
	protobuf_c_message_free_unpacked(&p->base, NULL);
	check_truncations(&resp.base);

	/* the streamed form: a oneof of progress or the final response */
	Neosync__Plugin__V1__PostSyncEvent ev = NEOSYNC__PLUGIN__V1__POST_SYNC_EVENT__INIT;
	ev.event_case = NEOSYNC__PLUGIN__V1__POST_SYNC_EVENT__EVENT_RESPONSE;
	ev.response = &resp;
	Neosync__Plugin__V1__PostSyncEvent *e = (void *)roundtrip(&ev.base);
	assert_int_equal(e->event_case, NEOSYNC__PLUGIN__V1__POST_SYNC_EVENT__EVENT_RESPONSE);
	assert_int_equal(e->response->summary->failed, 3);
	protobuf_c_message_free_unpacked(&e->base, NULL);
}

static void test_step_result(void **state)
{
	(void)state;
	Neosync__Plugin__V1__StepResult *r = (void *)roundtrip(&r1.base);
	assert_int_equal(r->step_id, 1);
	assert_int_equal(r->status, NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED);
	assert_string_equal(r->sqlstate, "23505");
	assert_string_equal(r->message, r1.message);
	assert_true(r->duration_us == 123456);
	assert_true(r->violation_count == -1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	check_truncations(&r1.base);
}

static void test_summary(void **state)
{
	(void)state;
	Neosync__Plugin__V1__Summary *s = (void *)roundtrip(&summary.base);
	assert_int_equal(s->applied, 10);
	assert_int_equal(s->conflicts, 1);
	assert_true(s->duration_us == UINT64_MAX);
	assert_int_equal(s->n_failures_by_sqlstate, 2);
	assert_string_equal(s->failures_by_sqlstate[1]->key, "23503");
	assert_int_equal(s->failures_by_sqlstate[1]->value, 2);
	protobuf_c_message_free_unpacked(&s->base, NULL);
	check_truncations(&summary.base);
}

static void test_progress_event(void **state)
{
	(void)state;
	Neosync__Plugin__V1__ProgressEvent ev = NEOSYNC__PLUGIN__V1__PROGRESS_EVENT__INIT;
	ev.job_id = "demo";
	ev.run_id = "run-1";
	ev.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC;
	ev.step_id = 7;
	ev.identity = "public.actor.actor_pkey";
	ev.status = NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED;
	ev.done = 5;
	ev.total = 9;
	ev.message = "applied";
	Neosync__Plugin__V1__ProgressEvent *e = (void *)roundtrip(&ev.base);
	assert_int_equal(e->phase, NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC);
	assert_int_equal(e->done, 5);
	assert_int_equal(e->total, 9);
	assert_string_equal(e->identity, ev.identity);
	protobuf_c_message_free_unpacked(&e->base, NULL);
	check_truncations(&ev.base);
}

static void test_plugin_info(void **state)
{
	(void)state;
	char *caps[] = {"pre_sync", "post_sync", "plan", "progress"};
	Neosync__Plugin__V1__PluginInfo info = NEOSYNC__PLUGIN__V1__PLUGIN_INFO__INIT;
	info.name = "neosync-schema-plugin";
	info.version = "0.1.0";
	info.abi_major = 1;
	info.abi_minor = 2;
	info.n_capabilities = 4;
	info.capabilities = caps;
	info.description = "schema before and after the data";
	Neosync__Plugin__V1__DescribeResponse d = NEOSYNC__PLUGIN__V1__DESCRIBE_RESPONSE__INIT;
	d.info = &info;
	Neosync__Plugin__V1__DescribeResponse *r = (void *)roundtrip(&d.base);
	assert_string_equal(r->info->name, "neosync-schema-plugin");
	assert_int_equal(r->info->abi_major, 1);
	assert_int_equal(r->info->abi_minor, 2);
	assert_int_equal(r->info->n_capabilities, 4);
	assert_string_equal(r->info->capabilities[3], "progress");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	check_truncations(&info.base);
}

/* An empty message packs to zero bytes, and zero bytes unpack to the defaults. */
static void test_empty(void **state)
{
	(void)state;
	Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
	assert_int_equal(protobuf_c_message_get_packed_size(&req.base), 0);
	Neosync__Plugin__V1__PreSyncRequest *r = neosync__plugin__v1__pre_sync_request__unpack(NULL, 0, (const uint8_t *)"");
	assert_non_null(r);
	assert_string_equal(r->job_id, "");
	assert_null(r->options);
	neosync__plugin__v1__pre_sync_request__free_unpacked(r, NULL);
}

static void expect_refused(const ProtobufCMessageDescriptor *d, const uint8_t *bytes, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1); /* exact size, so valgrind sees any over-read */
	assert_non_null(copy);
	memcpy(copy, bytes, len);
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, copy);
	assert_null(m);
	free(copy);
}

static void test_garbage(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *descs[] = {
		&neosync__plugin__v1__job_config__descriptor,        &neosync__plugin__v1__pre_sync_request__descriptor,
		&neosync__plugin__v1__pre_sync_response__descriptor, &neosync__plugin__v1__post_sync_request__descriptor,
		&neosync__plugin__v1__post_sync_response__descriptor, &neosync__plugin__v1__plan__descriptor,
		&neosync__plugin__v1__step_result__descriptor,        &neosync__plugin__v1__summary__descriptor,
		&neosync__plugin__v1__progress_event__descriptor,     &neosync__plugin__v1__plugin_info__descriptor,
	};
	/* wire type 7 does not exist */
	static const uint8_t bad_wire[] = {0x0f, 0x01};
	/* field 1, length-delimited, length 16 but 1 byte follows */
	static const uint8_t short_len[] = {0x0a, 0x10, 'a'};
	/* a varint that never ends */
	static const uint8_t endless[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	/* field number 0 is invalid */
	static const uint8_t field_zero[] = {0x00, 0x01};
	for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++) {
		expect_refused(descs[i], bad_wire, sizeof bad_wire);
		expect_refused(descs[i], short_len, sizeof short_len);
		expect_refused(descs[i], endless, sizeof endless);
		expect_refused(descs[i], field_zero, sizeof field_zero);
	}
	/* a plan whose step has a length that runs past the end of the plan */
	static const uint8_t bad_step[] = {0x2a, 0x05, 0x08, 0x01, 0x42, 0x10, 'x'};
	expect_refused(&neosync__plugin__v1__plan__descriptor, bad_step, sizeof bad_step);

	/* random bytes: whatever unpacks must be freeable; nothing may crash */
	uint32_t seed = 12345;
	uint8_t buf[257];
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(round % 256) + 1;
		for (size_t j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = (uint8_t)(seed >> 16);
		}
		for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++) {
			ProtobufCMessage *m = protobuf_c_message_unpack(descs[i], NULL, len, buf);
			if (m != NULL)
				protobuf_c_message_free_unpacked(m, NULL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_config),
		cmocka_unit_test(test_pre_sync),
		cmocka_unit_test(test_post_sync),
		cmocka_unit_test(test_step_result),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_progress_event),
		cmocka_unit_test(test_plugin_info),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
