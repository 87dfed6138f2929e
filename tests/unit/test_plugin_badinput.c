/* Bad input to the plugin, without a database (issue 7): every hook given malformed and
 * truncated protobuf, another ABI, unknown option values, invalid and unreachable connection
 * strings; the source version check; a forged plan refused before any connection (the
 * verifier itself: test_plugin_plan_verify.c).
 *
 * Every connection string here points at 127.0.0.1:1 (a closed port: refused at once) or does
 * not parse; nothing reaches a server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plugin.pb-c.h"
#include "connection.h"
#include "plan_verify.h"
#include "small_plan.h"
#include "model_enums.h"

const nsp_plugin_descriptor *neosync_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
						  char *err, size_t errlen);

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x
#define PASSWORD "Pa55-unit-s3cret"
#define CLOSED_URL "postgresql://app:" PASSWORD "@127.0.0.1:1/db?connect_timeout=2"

typedef struct fixture {
	const nsp_plugin_descriptor *d;
	nsp_plugin *h;
	char logs[8192];
} fixture;

static void keep_log(void *ctx, nsp_log_level level, const char *msg)
{
	(void)level;
	fixture *f = ctx;
	size_t n = strlen(f->logs);
	snprintf(f->logs + n, sizeof(f->logs) - n, "%s\n", msg);
}

static int setup(void **state)
{
	unsetenv(NSP_PLAN_KEY_ENV);
	unsetenv(NSP_PLAN_KEY_FILE_ENV);
	fixture *f = calloc(1, sizeof(*f));
	char err[256] = "";
	f->d = neosync_plugin_entry(NSP_ABI_MAJOR, NSP_ABI_MINOR, err, sizeof(err));
	assert_non_null(f->d);
	nsp_host_api host = {.struct_size = sizeof(host), .abi_major = NSP_ABI_MAJOR,
			     .abi_minor = NSP_ABI_MINOR, .host_ctx = f, .log = keep_log};
	assert_int_equal(f->d->open(&host, &f->h, err, sizeof(err)), NSP_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	f->d->close(f->h);
	free(f);
	unsetenv(NSP_PLAN_KEY_ENV);
	return 0;
}

/* --- requests -------------------------------------------------------------------------------- */

typedef struct reqs {
	Neosync__Plugin__V1__PostgresConnection pg_src, pg_dst;
	Neosync__Plugin__V1__Connection src, dst;
	Neosync__Plugin__V1__SchemaPluginOptions opts;
	Neosync__Plugin__V1__PreSyncRequest pre;
	Neosync__Plugin__V1__PostSyncRequest post;
} reqs;

static void make_reqs(reqs *r, const char *src_url, const char *dst_url)
{
	neosync__plugin__v1__postgres_connection__init(&r->pg_src);
	neosync__plugin__v1__postgres_connection__init(&r->pg_dst);
	r->pg_src.url = (char *)src_url;
	r->pg_dst.url = (char *)dst_url;
	neosync__plugin__v1__connection__init(&r->src);
	neosync__plugin__v1__connection__init(&r->dst);
	r->src.kind_case = r->dst.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	r->src.postgres = &r->pg_src;
	r->dst.postgres = &r->pg_dst;
	neosync__plugin__v1__schema_plugin_options__init(&r->opts);
	r->opts.connect_timeout_s = 2;
	neosync__plugin__v1__pre_sync_request__init(&r->pre);
	r->pre.job_id = "badinput";
	r->pre.source = &r->src;
	r->pre.destination = &r->dst;
	r->pre.options = &r->opts;
	neosync__plugin__v1__post_sync_request__init(&r->post);
	r->post.job_id = "badinput";
	r->post.source = &r->src;
	r->post.destination = &r->dst;
	r->post.options = &r->opts;
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(*len ? *len : 1);
	assert_non_null(b);
	protobuf_c_message_pack(m, b);
	return b;
}

/* Call a hook; return its status and the decoded error (code, message) of the response. */
typedef struct outcome {
	int status;
	int code;
	char message[1024];
} outcome;

static outcome call(fixture *f, int which, const uint8_t *in, size_t len)
{
	outcome o = {0};
	f->logs[0] = '\0'; /* this call's log lines only */
	uint8_t *out = NULL;
	size_t out_len = 0;
	nsp_hook_fn fn = which == 0 ? f->d->describe : which == 1 ? f->d->pre_sync : f->d->post_sync;
	o.status = fn(f->h, in, len, &out, &out_len);
	assert_true(o.status >= NSP_OK && o.status <= NSP_ERR_PARTIAL);
	assert_non_null(out); /* a response, also on failure */
	if (which == 0) {
		Neosync__Plugin__V1__DescribeResponse *r =
			neosync__plugin__v1__describe_response__unpack(NULL, out_len, out);
		assert_non_null(r);
		neosync__plugin__v1__describe_response__free_unpacked(r, NULL);
	} else {
		const ProtobufCMessageDescriptor *d =
			which == 1 ? &neosync__plugin__v1__pre_sync_response__descriptor
				   : &neosync__plugin__v1__post_sync_response__descriptor;
		ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, out_len, out);
		assert_non_null(m);
		const Neosync__Plugin__V1__Error *e =
			which == 1 ? ((Neosync__Plugin__V1__PreSyncResponse *)m)->error
				   : ((Neosync__Plugin__V1__PostSyncResponse *)m)->error;
		if (e != NULL) {
			o.code = e->code;
			snprintf(o.message, sizeof(o.message), "%s", e->message);
		}
		protobuf_c_message_free_unpacked(m, NULL);
	}
	f->d->free_buffer(out);
	return o;
}

static outcome call_msg(fixture *f, int which, const ProtobufCMessage *m)
{
	size_t len;
	uint8_t *b = pack(m, &len);
	outcome o = call(f, which, b, len);
	free(b);
	return o;
}

static void assert_no_secret(const fixture *f, const outcome *o)
{
	if (strstr(o->message, PASSWORD) != NULL || strstr(f->logs, PASSWORD) != NULL)
		print_error("password in: %s\nlogs: %s\n", o->message, f->logs);
	assert_null(strstr(o->message, PASSWORD));
	assert_null(strstr(o->message, "app:"));
	assert_null(strstr(f->logs, PASSWORD));
}

/* --- tests ------------------------------------------------------------------------------------ */

static void test_abi_major_refused_at_entry_and_open(void **state)
{
	fixture *f = *state;
	char err[256] = "";
	assert_null(neosync_plugin_entry(NSP_ABI_MAJOR + 1, 3, err, sizeof(err)));
	assert_non_null(strstr(err, "ABI 1.0"));
	assert_non_null(strstr(err, "ABI 2.3"));
	assert_null(neosync_plugin_entry(0, 0, NULL, 0)); /* no error buffer: still no crash */
	nsp_host_api host = {.struct_size = sizeof(host), .abi_major = NSP_ABI_MAJOR + 1, .abi_minor = 7};
	nsp_plugin *h = NULL;
	assert_int_equal(f->d->open(&host, &h, err, sizeof(err)), NSP_ERR_ABI);
	assert_null(h);
	assert_non_null(strstr(err, "2.7"));
	assert_non_null(strstr(err, "1.0"));
	/* a host struct too small to hold the members the plugin reads */
	nsp_host_api tiny = {.struct_size = 4, .abi_major = NSP_ABI_MAJOR};
	assert_int_equal(f->d->open(&tiny, &h, err, sizeof(err)), NSP_ERR_ABI);
	assert_null(h);
	assert_int_equal(f->d->open(NULL, &h, err, sizeof(err)), NSP_ERR_ABI);
}

static void test_hooks_refuse_null_arguments(void **state)
{
	fixture *f = *state;
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(f->d->pre_sync(NULL, NULL, 0, &out, &len), NSP_ERR_INVALID_ARGUMENT);
	assert_int_equal(f->d->post_sync(f->h, NULL, 5, &out, &len), NSP_ERR_INVALID_ARGUMENT);
	assert_int_equal(f->d->describe(f->h, NULL, 0, NULL, &len), NSP_ERR_INVALID_ARGUMENT);
	f->d->free_buffer(NULL);
}

/* Every prefix of a valid request, and every single-byte corruption, to every hook: a known
 * status and a response saying why; never OK (nothing can succeed against a closed port). */
static void test_truncated_and_corrupted_requests(void **state)
{
	fixture *f = *state;
	reqs r;
	make_reqs(&r, CLOSED_URL, CLOSED_URL);
	Neosync__Plugin__V1__Step step = NEOSYNC__PLUGIN__V1__STEP__INIT;
	Neosync__Plugin__V1__Step *steps[1] = {&step};
	step.id = 1;
	step.phase = nsp_phase_wire(NSP_PHASE_POST);
	step.kind = nsp_kind_wire(NSP_KIND_INDEX);
	step.identity = "public.t.i";
	step.sql = "CREATE INDEX \"i\" ON \"public\".\"t\" (\"a\");";
	Neosync__Plugin__V1__Plan plan = NEOSYNC__PLUGIN__V1__PLAN__INIT;
	plan.format_version = 1;
	plan.steps = steps;
	plan.n_steps = 1;
	r.post.plan = &plan;
	const ProtobufCMessage *msgs[2] = {&r.pre.base, &r.post.base};
	for (int w = 1; w <= 2; w++) {
		size_t len;
		uint8_t *full = pack(msgs[w - 1], &len);
		for (size_t cut = 0; cut < len; cut += (cut < 40 ? 1 : 7)) {
			uint8_t *copy = malloc(cut ? cut : 1);
			memcpy(copy, full, cut);
			outcome o = call(f, w, copy, cut);
			free(copy);
			assert_int_not_equal(o.status, NSP_OK);
			assert_true(o.message[0] != '\0');
			assert_no_secret(f, &o);
		}
		for (size_t i = 0; i < len; i += 3) {
			uint8_t *copy = malloc(len);
			memcpy(copy, full, len);
			copy[i] ^= 0xa5;
			outcome o = call(f, w, copy, len);
			free(copy);
			assert_int_not_equal(o.status, NSP_OK);
			assert_true(o.message[0] != '\0');
		}
		free(full);
	}
	/* garbage and truncation say which message they were not */
	const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	outcome o = call(f, 1, garbage, sizeof(garbage));
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "not a valid neosync.plugin.v1.PreSyncRequest"));
	o = call(f, 2, garbage, sizeof(garbage));
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "PostSyncRequest"));
	o = call(f, 0, garbage, sizeof(garbage));
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
}

static void test_unknown_option_values(void **state)
{
	fixture *f = *state;
	reqs r;
	make_reqs(&r, CLOSED_URL, CLOSED_URL);
	r.opts.on_existing = (Neosync__Plugin__V1__OnExisting)99;
	outcome o = call_msg(f, 1, &r.pre.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "options.onExisting"));
	assert_non_null(strstr(o.message, "99"));
	r.opts.on_existing = 0;
	r.opts.fk_mode = (Neosync__Plugin__V1__FkMode)-3;
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "options.fkMode"));
	r.opts.fk_mode = 0;
	Neosync__Plugin__V1__DeferrableKind defer[2] = {1, (Neosync__Plugin__V1__DeferrableKind)42};
	r.opts.defer = defer;
	r.opts.n_defer = 2;
	o = call_msg(f, 1, &r.pre.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "options.defer[1]"));
	r.opts.n_defer = 0;
	r.opts.parallelism = 1000;
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "options.parallelism"));
}

static void test_invalid_and_missing_connection_strings(void **state)
{
	fixture *f = *state;
	const char *bad[] = {"host=x port", "postgres://%zz",
			     "host='unterminated password=" PASSWORD, "nosuchkey=1 password=" PASSWORD};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reqs r;
		make_reqs(&r, bad[i], CLOSED_URL);
		outcome o = call_msg(f, 1, &r.pre.base);
		assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
		assert_non_null(strstr(o.message, "source connection string is invalid"));
		assert_no_secret(f, &o);
		make_reqs(&r, CLOSED_URL, bad[i]);
		o = call_msg(f, 1, &r.pre.base);
		assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
		assert_non_null(strstr(o.message, "destination connection string is invalid"));
		assert_no_secret(f, &o);
	}
	reqs r;
	make_reqs(&r, "", CLOSED_URL);
	outcome o = call_msg(f, 1, &r.pre.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "set source.postgres.url"));
	r.pre.destination = NULL;
	r.pre.source->postgres->url = CLOSED_URL;
	o = call_msg(f, 1, &r.pre.base);
	assert_non_null(strstr(o.message, "destination: missing"));
}

/* libpq's parse errors quote the whole URI, password included: the plugin must not pass them on. */
static void test_invalid_url_error_never_quotes_password(void **state)
{
	fixture *f = *state;
	reqs r;
	make_reqs(&r, "postgresql://app:" PASSWORD "@[::1/db", CLOSED_URL);
	outcome o = call_msg(f, 1, &r.pre.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.message, "source connection string is invalid"));
	assert_null(strstr(o.message, PASSWORD));
	assert_no_secret(f, &o);
}

static void test_unreachable_host_is_a_connection_error(void **state)
{
	fixture *f = *state;
	reqs r;
	make_reqs(&r, CLOSED_URL, CLOSED_URL);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	outcome o = call_msg(f, 1, &r.pre.base);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(o.status, NSP_ERR_FAILED);
	assert_int_equal(o.code, EC(CONNECTION));
	assert_non_null(strstr(o.message, "cannot connect to the source"));
	assert_non_null(strstr(o.message, "127.0.0.1"));
	assert_no_secret(f, &o);
	assert_true(b.tv_sec - a.tv_sec < 5); /* refused at once, not a timeout */
	/* post-sync without a plan but with replan: the same, for the source */
	r.post.replan = 1;
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.code, EC(CONNECTION));
	assert_no_secret(f, &o);
}

static void test_source_version_check(void **state)
{
	(void)state;
	nsp_error err;
	static const int ok[] = {120000, 130012, 150008, 160004, 170000, 170099, 180000, 180006, 190000};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		nsp_error_clear(&err);
		assert_int_equal(nsp_verify_source_version(ok[i], &err), 0);
	}
	nsp_error_clear(&err);
	assert_int_equal(nsp_verify_source_version(200000, &err), -1);
	assert_int_equal(err.code, EC(INVALID_ARGUMENT));
	assert_non_null(strstr(err.message, "PostgreSQL 20.0 is newer"));
	assert_non_null(strstr(err.message, "12 to 19"));
	assert_int_equal(nsp_verify_source_version(200002, &err), -1);
	assert_non_null(strstr(err.message, "PostgreSQL 20.2 is newer"));
	assert_int_equal(nsp_verify_source_version(110022, &err), -1);
	assert_non_null(strstr(err.message, "older"));
	assert_int_equal(nsp_verify_source_version(0, &err), -1);
}

/* Through the ABI: a forged plan is refused before any connection is tried (the destination is a
 * closed port: a connection attempt would give a CONNECTION error instead). */
static void test_post_sync_refuses_forged_plan_before_connecting(void **state)
{
	fixture *f = *state;
	reqs r;
	make_reqs(&r, CLOSED_URL, CLOSED_URL);
	small_plan p;
	make_plan(&p);
	p.s2.sql = "CREATE INDEX \"i\" ON \"public\".\"t\" (\"a\"); DROP TABLE \"public\".\"t\";";
	r.post.plan = &p.plan;
	outcome o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.status, NSP_ERR_INVALID_ARGUMENT);
	assert_int_equal(o.code, EC(INVALID_ARGUMENT));
	assert_non_null(strstr(o.message, "step 2 (public.t.i"));
	assert_non_null(strstr(o.message, "Nothing was run"));
	/* the genuine plan gets as far as connecting */
	p.s2.sql = "CREATE INDEX \"i\" ON \"public\".\"t\" (\"a\");";
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.code, EC(CONNECTION));
	/* with a key: unsigned plans are refused, signed ones pass to the connection */
	setenv(NSP_PLAN_KEY_ENV, "0123456789abcdef-unit-key", 1);
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.code, EC(INVALID_ARGUMENT));
	assert_non_null(strstr(o.message, "not signed"));
	nsp_error err;
	assert_int_equal(nsp_plan_sign(&p.plan, &err), 0);
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.code, EC(CONNECTION));
	p.s2.identity = "public.t.j";
	o = call_msg(f, 2, &r.post.base);
	assert_int_equal(o.code, EC(INVALID_ARGUMENT));
	assert_non_null(strstr(o.message, "signature does not match"));
	unsetenv(NSP_PLAN_KEY_ENV);
	free(p.plan.integrity.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_abi_major_refused_at_entry_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks_refuse_null_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_corrupted_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_option_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_and_missing_connection_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_url_error_never_quotes_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_host_is_a_connection_error, setup, teardown),
		cmocka_unit_test(test_source_version_check),
		cmocka_unit_test_setup_teardown(test_post_sync_refuses_forged_plan_before_connecting, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
