/* The model's enums against the wire's (model_enums.h): every model value has a wire value of
 * the same name and back, and every value the wire defines has a model value, so a kind added
 * to the .proto without its model counterpart fails here rather than as UNSPECIFIED in a plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "model_enums.h"

/* "NSP_KIND_FOREIGN_KEY" and the wire's "OBJECT_KIND_FOREIGN_KEY": the same suffix after their
 * prefixes (the phases differ: PRE / PRE_SYNC). */
static void assert_same_suffix(const char *model, const char *model_prefix, const char *wire,
			       const char *wire_prefix, const char *wire_suffix)
{
	char expected[128];
	snprintf(expected, sizeof(expected), "%s%s%s", wire_prefix, model + strlen(model_prefix),
		 wire_suffix);
	assert_string_equal(wire, expected);
}

static void test_kinds_round_trip(void **state)
{
	(void)state;
	const ProtobufCEnumDescriptor *d = &neosync__plugin__v1__object_kind__descriptor;
#define CHECK(M, W)                                                                          \
	do {                                                                                       \
		assert_int_equal(nsp_kind_wire(M), W);                                       \
		assert_int_equal(nsp_kind_of(W), M);                                         \
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, W);       \
		assert_non_null(v);                                                                \
		assert_same_suffix(#M, "NSP_KIND_", v->name, "OBJECT_KIND_", "");               \
		n++;                                                                               \
	} while (0);
	unsigned n = 0;
	NSP_KINDS(CHECK)
#undef CHECK
	assert_int_equal(n, d->n_values);
	for (unsigned i = 0; i < d->n_values; i++) /* every wire value has a model one */
		assert_int_equal(nsp_kind_wire(nsp_kind_of(d->values[i].value)), d->values[i].value);
}

static void test_phases_round_trip(void **state)
{
	(void)state;
	const ProtobufCEnumDescriptor *d = &neosync__plugin__v1__phase__descriptor;
#define CHECK(M, W)                                                                          \
	do {                                                                                       \
		assert_int_equal(nsp_phase_wire(M), W);                                      \
		assert_int_equal(nsp_phase_of(W), M);                                        \
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, W);       \
		assert_non_null(v);                                                                \
		assert_same_suffix(#M, "NSP_PHASE_", v->name, "PHASE_",                         \
				   W == NEOSYNC__PLUGIN__V1__PHASE__PHASE_UNSPECIFIED ? "" : "_SYNC"); \
		n++;                                                                               \
	} while (0);
	unsigned n = 0;
	NSP_PHASES(CHECK)
#undef CHECK
	assert_int_equal(n, d->n_values);
}

static void test_locks_round_trip(void **state)
{
	(void)state;
	const ProtobufCEnumDescriptor *d = &neosync__plugin__v1__lock_mode__descriptor;
#define CHECK(M, W)                                                                          \
	do {                                                                                       \
		assert_int_equal(nsp_lock_wire(M), W);                                       \
		assert_int_equal(nsp_lock_of(W), M);                                         \
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, W);       \
		assert_non_null(v);                                                                \
		assert_same_suffix(#M, "NSP_LOCK_", v->name, "LOCK_MODE_", "");                 \
		n++;                                                                               \
	} while (0);
	unsigned n = 0;
	NSP_LOCKS(CHECK)
#undef CHECK
	assert_int_equal(n, d->n_values);
}

/* A value a newer peer may send that this build does not know reads as UNSPECIFIED. */
static void test_unknown_wire_values(void **state)
{
	(void)state;
	assert_int_equal(nsp_kind_of((Neosync__Plugin__V1__ObjectKind)1000), NSP_KIND_UNSPECIFIED);
	assert_int_equal(nsp_phase_of((Neosync__Plugin__V1__Phase)-1), NSP_PHASE_UNSPECIFIED);
	assert_int_equal(nsp_lock_of((Neosync__Plugin__V1__LockMode)9), NSP_LOCK_UNSPECIFIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_round_trip),
		cmocka_unit_test(test_phases_round_trip),
		cmocka_unit_test(test_locks_round_trip),
		cmocka_unit_test(test_unknown_wire_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
