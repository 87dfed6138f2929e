/* Plan signing (plan_sign.c): HMAC-SHA256 against RFC 4231's vectors, and a plan signed by an
 * earlier build (tests/fixtures/plans/signed-v1.plan.bin, made by `neosync-host-sim plan` with
 * the key below on the demo fixture) still verifies: a worker's stored plans survive an upgrade
 * of the plugin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neosync/plugin/v1/plan.pb-c.h"
#include "plan_verify.h"

#define STORED_PLAN NSP_SOURCE_DIR "/tests/fixtures/plans/signed-v1.plan.bin"
#define STORED_KEY "fixture-key-for-the-stored-signed-plan-test-0123456789"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void assert_hmac(const uint8_t *key, size_t keylen, const char *msg, const char *expected)
{
	uint8_t d[32];
	char h[65];
	assert_int_equal(nsp_hmac_sha256(key, keylen, (const uint8_t *)msg, strlen(msg), d), 0);
	hex(d, 32, h);
	assert_string_equal(h, expected);
}

static void test_hmac_rfc4231_vectors(void **state)
{
	(void)state;
	uint8_t k1[20];
	memset(k1, 0x0b, sizeof(k1));
	assert_hmac(k1, sizeof(k1), "Hi There",
		    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
		    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	uint8_t k6[131]; /* a key longer than the block: hashed first */
	memset(k6, 0xaa, sizeof(k6));
	assert_hmac(k6, sizeof(k6), "Test Using Larger Than Block-Size Key - Hash Key First",
		    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static Neosync__Plugin__V1__Plan *load_stored_plan(void)
{
	FILE *f = fopen(STORED_PLAN, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(buf));
	Neosync__Plugin__V1__Plan *plan = neosync__plugin__v1__plan__unpack(NULL, n, buf);
	assert_non_null(plan);
	return plan;
}

static void test_stored_signed_plan_verifies(void **state)
{
	(void)state;
	Neosync__Plugin__V1__Plan *plan = load_stored_plan();
	assert_int_equal(plan->integrity.len, NSP_PLAN_INTEGRITY_LEN);
	const uint8_t *key = (const uint8_t *)STORED_KEY;
	size_t keylen = strlen(STORED_KEY);
	nsp_error err;
	nsp_error_clear(&err);
	assert_int_equal(nsp_plan_verify_with_key(plan, key, keylen, &err), 0);
	/* the same plan signed again gives the stored signature, byte for byte */
	uint8_t stored[NSP_PLAN_INTEGRITY_LEN];
	memcpy(stored, plan->integrity.data, sizeof(stored));
	assert_int_equal(nsp_plan_sign_with_key(plan, key, keylen, &err), 0);
	assert_memory_equal(plan->integrity.data, stored, sizeof(stored));
	/* another key, or one changed character of SQL, is refused */
	const uint8_t other[] = "fixture-key-for-the-stored-signed-plan-test-0123456788";
	assert_int_equal(nsp_plan_verify_with_key(plan, other, sizeof(other) - 1, &err), -1);
	assert_non_null(strstr(err.message, "signature does not match"));
	char *sql = plan->steps[plan->n_steps - 1]->sql;
	assert_true(strlen(sql) > 0);
	sql[0] = sql[0] == 'C' ? 'c' : 'C';
	assert_int_equal(nsp_plan_verify_with_key(plan, key, keylen, &err), -1);
	neosync__plugin__v1__plan__free_unpacked(plan, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231_vectors),
		cmocka_unit_test(test_stored_signed_plan_verifies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
