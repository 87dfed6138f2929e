/* The ABI glue without a database: entry negotiation, describe, and requests that must be
 * refused with an error response (malformed bytes, missing or invalid fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

const nsp_plugin_descriptor *neosync_plugin_entry(uint32_t host_abi_major, uint32_t host_abi_minor,
						  char *err, size_t errlen);

typedef struct fixture {
	const nsp_plugin_descriptor *d;
	nsp_plugin *h;
	int logs;
} fixture;

static void count_log(void *ctx, nsp_log_level level, const char *msg)
{
	(void)level;
	(void)msg;
	((fixture *)ctx)->logs++;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char err[256] = "";
	f->d = neosync_plugin_entry(NSP_ABI_MAJOR, NSP_ABI_MINOR, err, sizeof(err));
	assert_non_null(f->d);
	nsp_host_api host = {.struct_size = sizeof(host), .abi_major = NSP_ABI_MAJOR,
			     .abi_minor = NSP_ABI_MINOR, .host_ctx = f, .log = count_log};
	assert_int_equal(f->d->open(&host, &f->h, err, sizeof(err)), NSP_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	f->d->close(f->h);
	free(f);
	return 0;
}

static void test_entry_refuses_other_major(void **state)
{
	(void)state;
	char err[256] = "";
	assert_null(neosync_plugin_entry(NSP_ABI_MAJOR + 1, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "ABI 1.0"));
	assert_non_null(strstr(err, "ABI 2.0"));
}

static void test_open_refuses_other_major_host(void **state)
{
	fixture *f = *state;
	nsp_host_api host = {.struct_size = sizeof(host), .abi_major = NSP_ABI_MAJOR + 1};
	nsp_plugin *h = NULL;
	char err[256] = "";
	assert_int_equal(f->d->open(&host, &h, err, sizeof(err)), NSP_ERR_ABI);
	assert_null(h);
	assert_non_null(strstr(err, "host ABI 2.0"));
}

static void test_open_accepts_older_smaller_host_struct(void **state)
{
	fixture *f = *state;
	/* A host built before is_cancelled existed: the plugin must not read past struct_size. */
	nsp_host_api host = {.struct_size = offsetof(nsp_host_api, is_cancelled),
			     .abi_major = NSP_ABI_MAJOR, .abi_minor = 0};
	nsp_plugin *h = NULL;
	char err[256] = "";
	assert_int_equal(f->d->open(&host, &h, err, sizeof(err)), NSP_OK);
	f->d->close(h);
}

static void test_describe(void **state)
{
	fixture *f = *state;
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(f->d->describe(f->h, NULL, 0, &out, &len), NSP_OK);
	Neosync__Plugin__V1__DescribeResponse *resp =
		neosync__plugin__v1__describe_response__unpack(NULL, len, out);
	assert_non_null(resp);
	assert_string_equal(resp->info->name, "neosync-schema");
	assert_int_equal(resp->info->abi_major, NSP_ABI_MAJOR);
	assert_true(resp->info->n_capabilities >= 2);
	neosync__plugin__v1__describe_response__free_unpacked(resp, NULL);
	f->d->free_buffer(out);
}

static void test_malformed_pre_sync_gets_error_response(void **state)
{
	fixture *f = *state;
	const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(f->d->pre_sync(f->h, garbage, sizeof(garbage), &out, &len),
			 NSP_ERR_INVALID_ARGUMENT);
	Neosync__Plugin__V1__PreSyncResponse *resp =
		neosync__plugin__v1__pre_sync_response__unpack(NULL, len, out);
	assert_non_null(resp);
	assert_non_null(resp->error);
	assert_int_equal(resp->error->code, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INVALID_ARGUMENT);
	assert_non_null(strstr(resp->error->message, "PreSyncRequest"));
	neosync__plugin__v1__pre_sync_response__free_unpacked(resp, NULL);
	f->d->free_buffer(out);
	assert_true(f->logs > 0);
}

static void test_malformed_post_sync_gets_error_response(void **state)
{
	fixture *f = *state;
	const uint8_t truncated[] = {0x0a, 0x20, 'a', 'b'}; /* field 1, length 32, 2 bytes present */
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(f->d->post_sync(f->h, truncated, sizeof(truncated), &out, &len),
			 NSP_ERR_INVALID_ARGUMENT);
	Neosync__Plugin__V1__PostSyncResponse *resp =
		neosync__plugin__v1__post_sync_response__unpack(NULL, len, out);
	assert_non_null(resp);
	assert_int_equal(resp->error->code, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INVALID_ARGUMENT);
	neosync__plugin__v1__post_sync_response__free_unpacked(resp, NULL);
	f->d->free_buffer(out);
}

/* Pack a request, call pre_sync, return the error message (caller frees the response). */
static Neosync__Plugin__V1__PreSyncResponse *call_pre(fixture *f,
						       const Neosync__Plugin__V1__PreSyncRequest *req,
						       int expect_status)
{
	size_t len = neosync__plugin__v1__pre_sync_request__get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	neosync__plugin__v1__pre_sync_request__pack(req, buf);
	uint8_t *out = NULL;
	size_t out_len = 0;
	assert_int_equal(f->d->pre_sync(f->h, buf, len, &out, &out_len), expect_status);
	free(buf);
	Neosync__Plugin__V1__PreSyncResponse *resp =
		neosync__plugin__v1__pre_sync_response__unpack(NULL, out_len, out);
	f->d->free_buffer(out);
	assert_non_null(resp);
	return resp;
}

static void test_pre_sync_validation(void **state)
{
	fixture *f = *state;
	Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
	Neosync__Plugin__V1__PreSyncResponse *resp = call_pre(f, &req, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(resp->error->message, "source"));
	neosync__plugin__v1__pre_sync_response__free_unpacked(resp, NULL);

	Neosync__Plugin__V1__PostgresConnection pg_src = NEOSYNC__PLUGIN__V1__POSTGRES_CONNECTION__INIT;
	Neosync__Plugin__V1__PostgresConnection pg_dst = NEOSYNC__PLUGIN__V1__POSTGRES_CONNECTION__INIT;
	Neosync__Plugin__V1__Connection src = NEOSYNC__PLUGIN__V1__CONNECTION__INIT;
	Neosync__Plugin__V1__Connection dst = NEOSYNC__PLUGIN__V1__CONNECTION__INIT;
	src.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	src.postgres = &pg_src;
	dst.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	dst.postgres = &pg_dst;
	pg_src.url = "postgresql://u:secretpw@localhost:1/db";
	pg_dst.url = "host=localhost port=notaport= =";
	req.source = &src;
	req.destination = &dst;
	resp = call_pre(f, &req, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(resp->error->message, "destination connection string is invalid"));
	assert_null(strstr(resp->error->message, "secretpw"));
	neosync__plugin__v1__pre_sync_response__free_unpacked(resp, NULL);

	Neosync__Plugin__V1__SchemaPluginOptions opts = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__INIT;
	opts.on_existing = 42;
	pg_dst.url = "postgresql:///db";
	req.options = &opts;
	resp = call_pre(f, &req, NSP_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(resp->error->message, "options.onExisting"));
	neosync__plugin__v1__pre_sync_response__free_unpacked(resp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_refuses_other_major),
		cmocka_unit_test_setup_teardown(test_open_refuses_other_major_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_accepts_older_smaller_host_struct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_pre_sync_gets_error_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_post_sync_gets_error_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pre_sync_validation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
