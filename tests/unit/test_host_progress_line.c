/* The live progress line of `neosync-host-sim run` (host-sim/src/progress_line.c): what it says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_api.h"
#include "progress_line.h"

static void human_bytes(void **state)
{
	(void)state;
	char b[32];
	nsp_progress_human_bytes(604, b, sizeof(b));
	assert_string_equal(b, "604 B");
	nsp_progress_human_bytes(2.5 * 1024 * 1024, b, sizeof(b));
	assert_string_equal(b, "2.5 MiB");
}

static void copy_line(void **state)
{
	(void)state;
	char line[256];
	nsp_progress_render_copy(line, sizeof(line), 12, 69, 10234, 3u << 20, 2.0);
	/* 2 s for 12 tables: 57 left at that rate, ~9.5 s. */
	assert_string_equal(line, "data step  12/69 tables  10234 rows  3.0 MiB  1.5 MiB/s  ~10 s left");
	nsp_progress_render_copy(line, sizeof(line), 0, 69, 0, 0, 0);
	assert_string_equal(line, "data step  0/69 tables  0 rows  0 B");
	nsp_progress_render_copy(line, sizeof(line), 69, 69, 44547, 1024, 1.0);
	assert_string_equal(line, "data step  69/69 tables  44547 rows  1.0 KiB  1.0 KiB/s");
	/* Under a second left: no estimate ("~0 s left" says nothing). */
	nsp_progress_render_copy(line, sizeof(line), 68, 69, 1, 1024, 1.0);
	assert_null(strstr(line, "left"));
}

static void steps_line(void **state)
{
	(void)state;
	char line[512];
	nsp_progress_render_steps(line, sizeof(line), "[schema] post-sync", 100, 400,
				  "public.payment.payment_pkey", 1.46, 10.0);
	assert_string_equal(line, "[schema] post-sync  100/400 steps  longest running: "
				  "public.payment.payment_pkey (1.5 s)  ~30 s left");
	nsp_progress_render_steps(line, sizeof(line), "[schema] pre-sync", 0, 0, NULL, 0, 1.0);
	assert_string_equal(line, "[schema] pre-sync  0/0 steps");
	nsp_progress_render_steps(line, sizeof(line), "p", 1, 200, NULL, 0, 130.0);
	assert_string_equal(line, "p  1/200 steps  ~431 min 10 s left");
}

/* Progress off (not a terminal, or --json): the trackers write nothing and keep working. */
static void trackers_quiet_when_off(void **state)
{
	(void)state;
	FILE *capture = tmpfile();
	assert_non_null(capture);
	int saved = dup(STDERR_FILENO);
	fflush(stderr);
	assert_int_not_equal(dup2(fileno(capture), STDERR_FILENO), -1);
	nsp_host_set_progress(false);
	Neosync__Plugin__V1__ProgressEvent ev = NEOSYNC__PLUGIN__V1__PROGRESS_EVENT__INIT;
	ev.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC;
	ev.step_id = 1;
	ev.identity = "public.t.t_pkey";
	ev.total = 2;
	nsp_progress_step_event("schema", &ev);
	ev.status = NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED;
	ev.done = 2;
	nsp_progress_step_event("schema", &ev);
	nsp_progress_copy_begin(3);
	nsp_progress_copy_table(10, 100, 1, 3);
	fflush(stderr);
	long written = ftell(capture);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(capture);
	assert_int_equal(written, 0);

	/* Progress on: the same calls draw the line (\r, erase, text). */
	capture = tmpfile();
	assert_non_null(capture);
	saved = dup(STDERR_FILENO);
	assert_int_not_equal(dup2(fileno(capture), STDERR_FILENO), -1);
	nsp_host_set_progress(true);
	nsp_progress_copy_begin(3);
	nsp_progress_copy_table(10, 100, 1, 3);
	nsp_host_status_clear();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char text[512] = "";
	rewind(capture);
	size_t n = fread(text, 1, sizeof(text) - 1, capture);
	text[n] = '\0';
	fclose(capture);
	nsp_host_set_progress(false);
	assert_non_null(strstr(text, "\r\033[Kdata step  1/3 tables  10 rows  100 B"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(human_bytes),
		cmocka_unit_test(copy_line),
		cmocka_unit_test(steps_line),
		cmocka_unit_test(trackers_quiet_when_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
