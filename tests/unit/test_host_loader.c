/* The loader (host-sim/src/loader.c) against the real plugin (NSP_TEST_PLUGIN_PATH) and the
 * deliberately broken plugins of tests/plugins (NSP_TEST_PLUGINS_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "host_api.h"
#include "loader.h"

static nsp_host_ctx ctx;
static nsp_host_api api;

static int setup(void **state)
{
	(void)state;
	nsp_host_api_make(&api, &ctx, "test", NSP_LOG_WARNING);
	return 0;
}

static void test_plugin_path(const char *variant, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/libnsp_test_%s.so", NSP_TEST_PLUGINS_DIR, variant);
}

/* Loading `path` fails, and the message holds the path and each of `want` (NULL-terminated). */
static void expect_failure(const char *path, const char *const *want)
{
	nsp_loaded_plugin *p = (nsp_loaded_plugin *)&api; /* must be reset to NULL */
	char err[1024] = "";
	assert_int_not_equal(nsp_loader_open(path, &api, &p, err, sizeof(err)), 0);
	assert_null(p);
	if (strstr(err, path) == NULL)
		fail_msg("error does not name the path %s: %s", path, err);
	for (size_t i = 0; want[i] != NULL; i++)
		if (strstr(err, want[i]) == NULL)
			fail_msg("error lacks \"%s\": %s", want[i], err);
}

static void test_real_plugin(void **state)
{
	(void)state;
	nsp_loaded_plugin *p = NULL;
	char err[1024] = "";
	if (nsp_loader_open(NSP_TEST_PLUGIN_PATH, &api, &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(p);
	assert_non_null(p->handle);
	assert_int_equal(p->desc.abi_major, NSP_ABI_MAJOR);
	assert_non_null(p->desc.name);
	assert_non_null(p->desc.version);

	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	if (nsp_loader_describe(p, &d, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(d->info);
	assert_string_equal(d->info->name, p->desc.name);
	assert_string_equal(d->info->version, p->desc.version);
	assert_int_equal(d->info->abi_major, NSP_ABI_MAJOR);
	assert_true(d->info->n_capabilities > 0);
	neosync__plugin__v1__describe_response__free_unpacked(d, NULL);

	/* An empty pre-sync request is invalid: the plugin answers with an error response. */
	Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
	Neosync__Plugin__V1__PreSyncResponse *resp = NULL;
	int status = NSP_OK;
	if (nsp_loader_pre_sync(p, &req, &resp, &status, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_not_equal(status, NSP_OK);
	assert_non_null(resp->error);
	assert_int_not_equal(resp->error->code, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK);
	neosync__plugin__v1__pre_sync_response__free_unpacked(resp, NULL);

	nsp_loader_close(p);
}

/* The same object loaded twice gives two independent handles. */
static void test_two_handles(void **state)
{
	(void)state;
	nsp_loaded_plugin *a = NULL, *b = NULL;
	char err[1024] = "";
	assert_int_equal(nsp_loader_open(NSP_TEST_PLUGIN_PATH, &api, &a, err, sizeof(err)), 0);
	assert_int_equal(nsp_loader_open(NSP_TEST_PLUGIN_PATH, &api, &b, err, sizeof(err)), 0);
	assert_ptr_not_equal(a->handle, b->handle);
	nsp_loader_close(a);
	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	assert_int_equal(nsp_loader_describe(b, &d, err, sizeof(err)), 0);
	neosync__plugin__v1__describe_response__free_unpacked(d, NULL);
	nsp_loader_close(b);
	nsp_loader_close(NULL);
}

static void test_newer_minor_loads(void **state)
{
	(void)state;
	char path[1024], err[1024] = "";
	test_plugin_path("newer_minor", path, sizeof(path));
	nsp_loaded_plugin *p = NULL;
	if (nsp_loader_open(path, &api, &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p->desc.abi_minor, NSP_ABI_MINOR + 1);
	Neosync__Plugin__V1__DescribeResponse *d = NULL;
	assert_int_equal(nsp_loader_describe(p, &d, err, sizeof(err)), 0);
	assert_string_equal(d->info->name, "nsp-test");
	neosync__plugin__v1__describe_response__free_unpacked(d, NULL);

	Neosync__Plugin__V1__PostSyncRequest req = NEOSYNC__PLUGIN__V1__POST_SYNC_REQUEST__INIT;
	Neosync__Plugin__V1__PostSyncResponse *resp = NULL;
	int status = -1;
	assert_int_equal(nsp_loader_post_sync(p, &req, &resp, &status, err, sizeof(err)), 0);
	assert_int_equal(status, NSP_OK);
	assert_null(resp->error);
	neosync__plugin__v1__post_sync_response__free_unpacked(resp, NULL);
	nsp_loader_close(p);
}

static void test_missing_symbol(void **state)
{
	(void)state;
	char path[1024];
	test_plugin_path("missing_symbol", path, sizeof(path));
	expect_failure(path, (const char *const[]){"does not export", NSP_ENTRY_SYMBOL, NULL});
}

static void test_wrong_major(void **state)
{
	(void)state;
	char path[1024], host[32];
	test_plugin_path("wrong_major", path, sizeof(path));
	snprintf(host, sizeof(host), "host ABI %d.%d", NSP_ABI_MAJOR, NSP_ABI_MINOR);
	expect_failure(path, (const char *const[]){"plugin ABI 2.0", host, "not compatible", NULL});
}

static void test_refuses(void **state)
{
	(void)state;
	char path[1024], host[32];
	test_plugin_path("refuses", path, sizeof(path));
	snprintf(host, sizeof(host), "host ABI %d.%d", NSP_ABI_MAJOR, NSP_ABI_MINOR);
	/* The loader says it was refused and passes the plugin's own message on. */
	expect_failure(path, (const char *const[]){"refused", "plugin ABI 2.0", host, NULL});
}

static void test_too_small(void **state)
{
	(void)state;
	char path[1024];
	test_plugin_path("too_small", path, sizeof(path));
	expect_failure(path, (const char *const[]){"smaller than", NULL});
}

static void test_missing_member(void **state)
{
	(void)state;
	char path[1024];
	test_plugin_path("missing_member", path, sizeof(path));
	expect_failure(path, (const char *const[]){"lacks required member", "pre_sync", NULL});
}

static void test_open_fails(void **state)
{
	(void)state;
	char path[1024];
	test_plugin_path("open_fails", path, sizeof(path));
	expect_failure(path, (const char *const[]){"open failed", "open always fails", NULL});
}

static void test_nonexistent(void **state)
{
	(void)state;
	expect_failure(NSP_TEST_PLUGINS_DIR "/no-such-plugin.so",
		       (const char *const[]){"no such file", NULL});
}

static void test_not_a_shared_object(void **state)
{
	(void)state;
	expect_failure(NSP_TEST_SOURCE_DIR "/CMakeLists.txt",
		       (const char *const[]){"not a shared object", NULL});
	expect_failure(NSP_TEST_SOURCE_DIR, (const char *const[]){"directory", NULL});

	/* An empty file, too. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/empty-plugin.so", NSP_TEST_PLUGINS_DIR);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	expect_failure(path, (const char *const[]){"not a shared object", NULL});
	remove(path);
}

static void test_no_path(void **state)
{
	(void)state;
	nsp_loaded_plugin *p = NULL;
	char err[256] = "";
	assert_int_not_equal(nsp_loader_open("", &api, &p, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no plugin path"));
	assert_int_not_equal(nsp_loader_open(NULL, &api, &p, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_plugin),
		cmocka_unit_test(test_two_handles),
		cmocka_unit_test(test_newer_minor_loads),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_wrong_major),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_missing_member),
		cmocka_unit_test(test_open_fails),
		cmocka_unit_test(test_nonexistent),
		cmocka_unit_test(test_not_a_shared_object),
		cmocka_unit_test(test_no_path),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
