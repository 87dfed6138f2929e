/* render_assert - the one assertion of the render unit tests: render a row with a
 * nsp_render_<kind>() function into a fresh buffer and compare the whole SQL. */
#ifndef NSP_TEST_RENDER_ASSERT_H
#define NSP_TEST_RENDER_ASSERT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "strbuf.h"

/* fn(row, &buf) must write exactly `expected`. */
#define assert_rendered(fn, row, expected)                   \
	do {                                                 \
		nsp_strbuf sb_;                              \
		nsp_strbuf_init(&sb_);                       \
		fn((row), &sb_);                             \
		assert_false(nsp_strbuf_failed(&sb_));       \
		assert_string_equal(sb_.data, (expected));   \
		nsp_strbuf_free(&sb_);                       \
	} while (0)

#endif
