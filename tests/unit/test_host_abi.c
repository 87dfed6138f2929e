/* ABI negotiation on the host side (host-sim/src/abi.c), with in-memory descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "abi.h"

static int f_open(const nsp_host_api *host, nsp_plugin **out, char *err, size_t errlen)
{
	(void)host;
	(void)err;
	(void)errlen;
	*out = NULL;
	return NSP_OK;
}
static void f_close(nsp_plugin *h)
{
	(void)h;
}
static int f_hook(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	(void)h;
	(void)in;
	(void)in_len;
	*out = NULL;
	*out_len = 0;
	return NSP_OK;
}
static int f_hook2(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	return f_hook(h, in, in_len, out, out_len);
}
static int f_hook3(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	return f_hook(h, in, in_len, out, out_len);
}
static void f_free(uint8_t *b)
{
	(void)b;
}

static nsp_plugin_descriptor full(uint32_t major, uint32_t minor)
{
	nsp_plugin_descriptor d;
	memset(&d, 0, sizeof(d));
	d.struct_size = sizeof(d);
	d.abi_major = major;
	d.abi_minor = minor;
	d.name = "test";
	d.version = "1.2.3";
	d.open = f_open;
	d.close = f_close;
	d.describe = f_hook;
	d.pre_sync = f_hook2;
	d.post_sync = f_hook3;
	d.free_buffer = f_free;
	return d;
}

static void test_match(void **state)
{
	(void)state;
	nsp_plugin_descriptor d = full(NSP_ABI_MAJOR, NSP_ABI_MINOR), out;
	char err[256] = "";
	assert_int_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_memory_equal(&out, &d, sizeof(d));
	assert_ptr_equal(out.pre_sync, f_hook2);
	assert_ptr_equal(out.free_buffer, f_free);
}

/* A plugin of an older minor: a host of 1.(current+3) takes it, and every member past the
 * plugin's struct_size reads as NULL. (Today the 1.0 descriptor is the whole struct, so the
 * "past struct_size" range is empty; it grows as minors append members.) */
static void test_older_minor(void **state)
{
	(void)state;
	unsigned char buf[sizeof(nsp_plugin_descriptor) + 64];
	memset(buf, 0xAB, sizeof(buf)); /* garbage where an older plugin has nothing */
	nsp_plugin_descriptor d = full(NSP_ABI_MAJOR, 0);
	d.struct_size = NSP_ABI_V1_0_DESCRIPTOR_SIZE;
	memcpy(buf, &d, NSP_ABI_V1_0_DESCRIPTOR_SIZE);

	nsp_plugin_descriptor out;
	char err[256] = "";
	assert_int_equal(nsp_abi_negotiate_as((const nsp_plugin_descriptor *)(void *)buf,
					      NSP_ABI_MAJOR, NSP_ABI_MINOR + 3, &out, err,
					      sizeof(err)),
			 0);
	assert_int_equal(out.abi_minor, 0);
	assert_ptr_equal(out.describe, f_hook);
	const unsigned char *o = (const unsigned char *)&out;
	for (size_t i = NSP_ABI_V1_0_DESCRIPTOR_SIZE; i < sizeof(out); i++)
		assert_int_equal(o[i], 0);

	/* The same with this host's own version. */
	assert_int_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
}

/* A plugin of a newer minor: a bigger descriptor with members this host does not know. */
typedef struct future_descriptor {
	nsp_plugin_descriptor base;
	void *new_member_a;
	uint64_t new_member_b;
} future_descriptor;

static void test_newer_minor(void **state)
{
	(void)state;
	future_descriptor f;
	memset(&f, 0, sizeof(f));
	f.base = full(NSP_ABI_MAJOR, NSP_ABI_MINOR + 1);
	f.base.struct_size = sizeof(f);
	f.new_member_a = &f;
	f.new_member_b = UINT64_MAX;

	unsigned char guard_before[16], guard_after[16];
	struct {
		unsigned char before[16];
		nsp_plugin_descriptor out;
		unsigned char after[16];
	} s;
	memset(&s, 0x5A, sizeof(s));
	memcpy(guard_before, s.before, sizeof(guard_before));
	memcpy(guard_after, s.after, sizeof(guard_after));

	char err[256] = "";
	assert_int_equal(nsp_abi_negotiate(&f.base, &s.out, err, sizeof(err)), 0);
	assert_int_equal(s.out.abi_minor, NSP_ABI_MINOR + 1);
	assert_ptr_equal(s.out.post_sync, f_hook3);
	assert_string_equal(s.out.version, "1.2.3");
	/* Only sizeof(nsp_plugin_descriptor) bytes were written. */
	assert_memory_equal(s.before, guard_before, sizeof(guard_before));
	assert_memory_equal(s.after, guard_after, sizeof(guard_after));
}

static void test_major_mismatch_plugin_newer(void **state)
{
	(void)state;
	nsp_plugin_descriptor d = full(NSP_ABI_MAJOR + 1, 0), out;
	char err[256] = "";
	char want_plugin[32], want_host[32];
	snprintf(want_plugin, sizeof(want_plugin), "plugin ABI %d.0", NSP_ABI_MAJOR + 1);
	snprintf(want_host, sizeof(want_host), "host ABI %d.%d", NSP_ABI_MAJOR, NSP_ABI_MINOR);
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, want_plugin));
	assert_non_null(strstr(err, want_host));
	assert_non_null(strstr(err, "not compatible"));
	assert_null(out.open); /* nothing usable is left behind */
}

static void test_major_mismatch_plugin_older(void **state)
{
	(void)state;
	/* A host of ABI 2.4 meets a 1.0 plugin. */
	nsp_plugin_descriptor d = full(1, 0), out;
	char err[256] = "";
	assert_int_not_equal(nsp_abi_negotiate_as(&d, 2, 4, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "plugin ABI 1.0 is not compatible with host ABI 2.4"));

	/* And a plugin claiming major 0 against this host. */
	d = full(0, 9);
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "plugin ABI 0.9"));
}

static void test_too_small(void **state)
{
	(void)state;
	nsp_plugin_descriptor d = full(NSP_ABI_MAJOR, NSP_ABI_MINOR), out;
	char err[256] = "";

	d.struct_size = NSP_ABI_V1_0_DESCRIPTOR_SIZE - sizeof(void *);
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "smaller than"));

	d.struct_size = 4; /* cannot even hold the version header */
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "too small"));

	d.struct_size = 0;
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);

	d.struct_size = (size_t)1 << 40; /* corrupt */
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "corrupt"));
}

static void test_missing_required(void **state)
{
	(void)state;
	static const char *const names[] = {"open",     "close",     "describe",
					    "pre_sync", "post_sync", "free_buffer"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		nsp_plugin_descriptor d = full(NSP_ABI_MAJOR, NSP_ABI_MINOR), out;
		char err[256] = "";
		switch (i) {
		case 0:
			d.open = NULL;
			break;
		case 1:
			d.close = NULL;
			break;
		case 2:
			d.describe = NULL;
			break;
		case 3:
			d.pre_sync = NULL;
			break;
		case 4:
			d.post_sync = NULL;
			break;
		default:
			d.free_buffer = NULL;
			break;
		}
		assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
		assert_non_null(strstr(err, "lacks required member"));
		assert_non_null(strstr(err, names[i]));
		assert_null(out.open);
	}

	/* Several at once are all named. */
	nsp_plugin_descriptor d = full(NSP_ABI_MAJOR, NSP_ABI_MINOR), out;
	char err[256] = "";
	d.pre_sync = NULL;
	d.post_sync = NULL;
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "pre_sync, post_sync"));
}

static void test_null_and_small_err(void **state)
{
	(void)state;
	nsp_plugin_descriptor out;
	char err[8];
	assert_int_not_equal(nsp_abi_negotiate(NULL, &out, err, sizeof(err)), 0);
	assert_int_equal(strlen(err), sizeof(err) - 1); /* truncated, terminated */
	nsp_plugin_descriptor d = full(NSP_ABI_MAJOR + 1, 0);
	assert_int_not_equal(nsp_abi_negotiate(&d, &out, NULL, 0), 0);
}

static void test_host_api_init(void **state)
{
	(void)state;
	nsp_host_api api;
	int ctx;
	memset(&api, 0xFF, sizeof(api));
	nsp_abi_host_api_init(&api, &ctx, NULL, NULL, NULL);
	assert_int_equal(api.struct_size, sizeof(nsp_host_api));
	assert_int_equal(api.abi_major, NSP_ABI_MAJOR);
	assert_int_equal(api.abi_minor, NSP_ABI_MINOR);
	assert_ptr_equal(api.host_ctx, &ctx);
	assert_null(api.log);
	assert_null(api.progress);
	assert_null(api.is_cancelled);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_older_minor),
		cmocka_unit_test(test_newer_minor),
		cmocka_unit_test(test_major_mismatch_plugin_newer),
		cmocka_unit_test(test_major_mismatch_plugin_older),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_null_and_small_err),
		cmocka_unit_test(test_host_api_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
