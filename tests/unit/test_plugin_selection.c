/* Table selection on hand-built models: includes and excludes (the patterns themselves:
 * test_shared_table_pattern.c), pulled-in needs, skipped objects with the missing table named,
 * objects outside the job left out, partitions following their parent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "selection.h"
#include "model_enums.h"

static void test_include_exclude(void **state)
{
	(void)state;
	Neosync__Plugin__V1__TableRef inc = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
	Neosync__Plugin__V1__TableRef exc = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
	inc.schema = "public";
	inc.table = "*";
	exc.schema = "public";
	exc.table = "payment*";
	Neosync__Plugin__V1__TableRef *include[] = {&inc}, *exclude[] = {&exc};
	assert_true(nsp_selection_table_selected(include, 1, exclude, 1, "public", "actor"));
	assert_false(nsp_selection_table_selected(include, 1, exclude, 1, "public", "payment_p1"));
	assert_false(nsp_selection_table_selected(include, 1, exclude, 1, "sales", "actor"));
	assert_true(nsp_selection_table_selected(NULL, 0, NULL, 0, "sales", "actor"));
	assert_false(nsp_selection_table_selected(NULL, 0, exclude, 1, "public", "payment"));
}

static nsp_object *add(nsp_model *m, nsp_kind kind,
		       nsp_phase phase, uint32_t oid, const char *name)
{
	nsp_object *o = nsp_model_add(m, kind, phase, (nsp_catref){oid ? NSP_CLASS_PG_CLASS : 0, oid}, "public",
				      name, name, "SELECT 1;");
	assert_non_null(o);
	return o;
}

static nsp_object *find(nsp_model *m, const char *name)
{
	for (size_t i = 0; i < m->nobjects; i++)
		if (strcmp(m->objects[i]->name, name) == 0)
			return m->objects[i];
	return NULL;
}

static void test_apply(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *fn = add(&m, NSP_KIND_FUNCTION, NSP_PHASE_PRE, 1, "trigger_fn");
	nsp_object *unused_fn = add(&m, NSP_KIND_FUNCTION, NSP_PHASE_PRE, 2, "unused_fn");
	nsp_object *seq = add(&m, NSP_KIND_SEQUENCE, NSP_PHASE_PRE, 3, "a_id_seq");
	nsp_object *a = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 10, "a");
	nsp_object *b = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 11, "b");
	nsp_object *c = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 12, "c");
	nsp_object *fk_ab = add(&m, NSP_KIND_FOREIGN_KEY, NSP_PHASE_POST, 20, "a_b_fk");
	nsp_object *fk_ba = add(&m, NSP_KIND_FOREIGN_KEY, NSP_PHASE_POST, 21, "b_a_fk");
	nsp_object *trg = add(&m, NSP_KIND_TRIGGER, NSP_PHASE_POST, 22, "a_trg");
	nsp_object *view_ab = add(&m, NSP_KIND_VIEW, NSP_PHASE_POST, 23, "view_ab");
	nsp_object *view_a = add(&m, NSP_KIND_VIEW, NSP_PHASE_POST, 24, "view_a");
	nsp_object *view_c = add(&m, NSP_KIND_VIEW, NSP_PHASE_POST, 25, "view_c");
	nsp_object *cmt = add(&m, NSP_KIND_COMMENT, NSP_PHASE_PRE, 0, "comment_on_view_ab");
	nsp_object *setval = add(&m, NSP_KIND_SEQUENCE_VALUE, NSP_PHASE_POST, 0, "setval_a");
	assert_int_equal(nsp_object_needs(a, seq->index), 0);
	nsp_object_set_table(fk_ab, 10, "\"public\".\"a\"", 0);
	assert_int_equal(nsp_object_needs(fk_ab, a->index), 0);
	assert_int_equal(nsp_object_needs(fk_ab, b->index), 0);
	nsp_object_set_table(fk_ba, 11, "\"public\".\"b\"", 0);
	assert_int_equal(nsp_object_needs(fk_ba, b->index), 0);
	assert_int_equal(nsp_object_needs(fk_ba, a->index), 0);
	nsp_object_set_table(trg, 10, "\"public\".\"a\"", 0);
	assert_int_equal(nsp_object_needs(trg, a->index), 0);
	assert_int_equal(nsp_object_needs(trg, fn->index), 0);
	assert_int_equal(nsp_object_needs(view_ab, a->index), 0);
	assert_int_equal(nsp_object_needs(view_ab, b->index), 0);
	assert_int_equal(nsp_object_needs(view_a, a->index), 0);
	assert_int_equal(nsp_object_needs(view_c, c->index), 0);
	assert_int_equal(nsp_object_needs(cmt, view_ab->index), 0);
	assert_int_equal(nsp_object_needs(setval, seq->index), 0);
	(void)unused_fn;

	Neosync__Plugin__V1__TableRef inc = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
	inc.schema = "public";
	inc.table = "a";
	Neosync__Plugin__V1__TableRef *include[] = {&inc};
	nsp_error err;
	nsp_error_clear(&err);
	assert_int_equal(nsp_selection_apply(&m, include, 1, NULL, 0, &err), 0);

	/* Kept: the table, what it needs, its trigger and function, the view over it alone. */
	assert_non_null(find(&m, "a"));
	assert_null(find(&m, "a")->skip_reason);
	assert_non_null(find(&m, "a_id_seq"));
	assert_non_null(find(&m, "trigger_fn"));
	assert_null(find(&m, "a_trg")->skip_reason);
	assert_null(find(&m, "view_a")->skip_reason);
	assert_non_null(find(&m, "setval_a"));
	/* Skipped, naming the missing table: the FK of a to b and the view over a and b. */
	assert_non_null(find(&m, "a_b_fk"));
	assert_non_null(strstr(find(&m, "a_b_fk")->skip_reason, "public.b"));
	assert_non_null(strstr(find(&m, "view_ab")->skip_reason, "public.b"));
	assert_non_null(find(&m, "comment_on_view_ab")->skip_reason);
	/* Left out: unselected tables, objects only of them, unused functions. */
	assert_null(find(&m, "b"));
	assert_null(find(&m, "c"));
	assert_null(find(&m, "b_a_fk"));
	assert_null(find(&m, "view_c"));
	assert_null(find(&m, "unused_fn"));
	/* Indices and needs were renumbered consistently. */
	for (size_t i = 0; i < m.nobjects; i++) {
		assert_int_equal(m.objects[i]->index, i);
		for (size_t d = 0; d < m.objects[i]->nneeds; d++)
			assert_true(m.objects[i]->needs[d] < m.nobjects);
		if (m.objects[i]->ref.classid != 0)
			assert_ptr_equal(nsp_model_find(&m, m.objects[i]->ref), m.objects[i]);
	}
	nsp_model_free(&m);
}

static void test_partitions_follow_parent(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *parent = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 1, "payment");
	nsp_object *child = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 2, "payment_p1");
	nsp_object *grandchild = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 3, "payment_p1_a");
	nsp_object *att1 = add(&m, NSP_KIND_PARTITION_ATTACH, NSP_PHASE_PRE, 0, "attach_p1");
	nsp_object *att2 = add(&m, NSP_KIND_PARTITION_ATTACH, NSP_PHASE_PRE, 0, "attach_p1_a");
	assert_int_equal(nsp_object_needs(child, parent->index), 0);
	assert_int_equal(nsp_object_needs(grandchild, child->index), 0);
	/* Listed grandchild-first, so one pass would miss it. */
	assert_int_equal(nsp_object_needs(att2, child->index), 0);
	assert_int_equal(nsp_object_needs(att2, grandchild->index), 0);
	assert_int_equal(nsp_object_needs(att1, parent->index), 0);
	assert_int_equal(nsp_object_needs(att1, child->index), 0);
	Neosync__Plugin__V1__TableRef inc = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
	inc.table = "payment";
	Neosync__Plugin__V1__TableRef *include[] = {&inc};
	nsp_error err;
	nsp_error_clear(&err);
	assert_int_equal(nsp_selection_apply(&m, include, 1, NULL, 0, &err), 0);
	assert_int_equal(m.nobjects, 5);
	for (size_t i = 0; i < m.nobjects; i++)
		assert_null(m.objects[i]->skip_reason);
	nsp_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_exclude),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_partitions_follow_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
