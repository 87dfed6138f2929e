/* grpc_common: address parsing and the loopback rule, the plugin-status -> gRPC-status mapping,
 * the framing of streamed events and the bounds-checked wire scanner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grpc_common.h"

static void test_addr_unix(void **state)
{
	(void)state;
	nsp_grpc_addr a;
	char err[256];
	assert_int_equal(nsp_grpc_addr_parse("unix:/tmp/x.sock", &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind, NSP_GRPC_ADDR_UNIX);
	assert_string_equal(a.path, "/tmp/x.sock");
	assert_string_equal(a.target, "unix:/tmp/x.sock");
	assert_true(a.loopback);
	assert_int_equal(nsp_grpc_addr_parse("unix:///run/p.sock", &a, err, sizeof(err)), 0);
	assert_string_equal(a.path, "/run/p.sock");
	assert_int_not_equal(nsp_grpc_addr_parse("unix:", &a, err, sizeof(err)), 0);
	char longp[300] = "unix:/";
	memset(longp + 6, 'a', 200);
	longp[206] = '\0';
	assert_int_not_equal(nsp_grpc_addr_parse(longp, &a, err, sizeof(err)), 0);
}

static void test_addr_tcp(void **state)
{
	(void)state;
	nsp_grpc_addr a;
	char err[256];
	assert_int_equal(nsp_grpc_addr_parse("127.0.0.1:50051", &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind, NSP_GRPC_ADDR_TCP);
	assert_int_equal(a.port, 50051);
	assert_true(a.loopback);
	assert_int_equal(nsp_grpc_addr_parse("localhost:1", &a, err, sizeof(err)), 0);
	assert_true(a.loopback);
	assert_int_equal(nsp_grpc_addr_parse("[::1]:9", &a, err, sizeof(err)), 0);
	assert_true(a.loopback);
	assert_string_equal(a.target, "[::1]:9");
	assert_int_equal(nsp_grpc_addr_parse(":7000", &a, err, sizeof(err)), 0);
	assert_string_equal(a.target, "127.0.0.1:7000");
	assert_true(a.loopback);
	assert_int_equal(nsp_grpc_addr_parse("7001", &a, err, sizeof(err)), 0);
	assert_string_equal(a.target, "127.0.0.1:7001");
	assert_int_equal(nsp_grpc_addr_parse("0.0.0.0:0", &a, err, sizeof(err)), 0);
	assert_false(a.loopback);
	assert_int_equal(nsp_grpc_addr_parse("example.com:443", &a, err, sizeof(err)), 0);
	assert_false(a.loopback);
	assert_int_equal(nsp_grpc_addr_parse("[::]:80", &a, err, sizeof(err)), 0);
	assert_false(a.loopback);
	assert_int_not_equal(nsp_grpc_addr_parse("host:70000", &a, err, sizeof(err)), 0);
	assert_int_not_equal(nsp_grpc_addr_parse("host:", &a, err, sizeof(err)), 0);
	assert_int_not_equal(nsp_grpc_addr_parse("::1:80", &a, err, sizeof(err)), 0);
	assert_int_not_equal(nsp_grpc_addr_parse("http://x:1", &a, err, sizeof(err)), 0);
	assert_int_not_equal(nsp_grpc_addr_parse("", &a, err, sizeof(err)), 0);
	assert_int_not_equal(nsp_grpc_addr_parse("a b:1", &a, err, sizeof(err)), 0);
}

static void test_status_mapping(void **state)
{
	(void)state;
	assert_int_equal(nsp_grpc_status_for_hook(NSP_OK, false), GRPC_STATUS_OK);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_PARTIAL, false), GRPC_STATUS_OK);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_FAILED, false), GRPC_STATUS_OK);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_INVALID_ARGUMENT, false),
			 GRPC_STATUS_INVALID_ARGUMENT);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_CANCELLED, false), GRPC_STATUS_CANCELLED);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_CANCELLED, true),
			 GRPC_STATUS_DEADLINE_EXCEEDED);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_NOMEM, false),
			 GRPC_STATUS_RESOURCE_EXHAUSTED);
	assert_int_equal(nsp_grpc_status_for_hook(NSP_ERR_ABI, false),
			 GRPC_STATUS_FAILED_PRECONDITION);
	assert_int_equal(nsp_grpc_status_for_hook(99, false), GRPC_STATUS_INTERNAL);
	assert_string_equal(nsp_grpc_status_name(GRPC_STATUS_UNIMPLEMENTED), "UNIMPLEMENTED");
	assert_string_equal(nsp_grpc_status_name((grpc_status_code)1234), "UNKNOWN");
}

static void test_frame_and_find(void **state)
{
	(void)state;
	uint8_t body[300];
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	size_t n = 0;
	uint8_t *f = nsp_grpc_frame_field(2, body, sizeof(body), &n);
	assert_non_null(f);
	assert_int_equal(n, sizeof(body) + 3); /* tag 0x12, length 300 = ac 02 */
	assert_int_equal(f[0], 0x12);
	assert_int_equal(f[1], 0xac);
	assert_int_equal(f[2], 0x02);
	const uint8_t *v;
	size_t vlen;
	assert_int_equal(nsp_grpc_find_field(f, n, 2, &v, &vlen), 1);
	assert_int_equal(vlen, sizeof(body));
	assert_memory_equal(v, body, sizeof(body));
	assert_int_equal(nsp_grpc_find_field(f, n, 1, &v, &vlen), 0);
	/* Every truncation is either "absent" or "malformed", never a read past the end. */
	for (size_t cut = 0; cut < n; cut++)
		assert_true(nsp_grpc_find_field(f, cut, 2, &v, &vlen) <= 0);
	free(f);
	/* Fields of other wire types are skipped; strings copied safely. */
	static const uint8_t msg[] = {0x08, 0x96, 0x01, 0x0a, 0x03, 'a', 0x01, 'c', 0x12, 0x02, 'r', '1'};
	char out[8];
	nsp_grpc_string_field(msg, sizeof(msg), 1, out, sizeof(out));
	assert_string_equal(out, "a?c");
	nsp_grpc_string_field(msg, sizeof(msg), 2, out, sizeof(out));
	assert_string_equal(out, "r1");
	nsp_grpc_string_field(msg, sizeof(msg), 3, out, sizeof(out));
	assert_string_equal(out, "");
	static const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(nsp_grpc_find_field(bad, sizeof(bad), 1, &v, &vlen), -1);
	static const uint8_t group[] = {0x0b};
	assert_int_equal(nsp_grpc_find_field(group, sizeof(group), 1, &v, &vlen), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_unix),
		cmocka_unit_test(test_addr_tcp),
		cmocka_unit_test(test_status_mapping),
		cmocka_unit_test(test_frame_and_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
