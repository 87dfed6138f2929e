#include "progress_line.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "host_api.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void nsp_progress_human_bytes(double bytes, char *out, size_t outlen)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t i = 0;
	while (bytes >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, outlen, "%.0f B", bytes);
	else
		snprintf(out, outlen, "%.1f %s", bytes, units[i]);
}

/* " ~12 s left" / " ~3 min 4 s left". */
static void append_left(char *out, size_t outlen, double left)
{
	size_t n = strlen(out);
	if (n >= outlen)
		return;
	long s = (long)(left + 0.5);
	if (s < 1)
		return; /* "~0 s left" says nothing */
	if (s < 60)
		snprintf(out + n, outlen - n, "  ~%ld s left", s);
	else
		snprintf(out + n, outlen - n, "  ~%ld min %ld s left", s / 60, s % 60);
}

void nsp_progress_render_copy(char *out, size_t outlen, size_t done, size_t total, int64_t rows,
			      uint64_t bytes, double elapsed)
{
	char b[32], rate[48] = "";
	nsp_progress_human_bytes((double)bytes, b, sizeof(b));
	if (elapsed > 0) {
		char r[32];
		nsp_progress_human_bytes((double)bytes / elapsed, r, sizeof(r));
		snprintf(rate, sizeof(rate), "  %s/s", r);
	}
	snprintf(out, outlen, "data step  %zu/%zu tables  %lld rows  %s%s", done, total,
		 (long long)rows, b, rate);
	if (done > 0 && total > done)
		append_left(out, outlen, elapsed / (double)done * (double)(total - done));
}

void nsp_progress_render_steps(char *out, size_t outlen, const char *phase, unsigned done,
			       unsigned total, const char *longest, double longest_s, double elapsed)
{
	if (longest != NULL)
		snprintf(out, outlen, "%s  %u/%u steps  longest running: %s (%.1f s)", phase, done,
			 total, longest, longest_s);
	else
		snprintf(out, outlen, "%s  %u/%u steps", phase, done, total);
	if (done > 0 && total > done)
		append_left(out, outlen, elapsed / (double)done * (double)(total - done));
}

/* Cut `line` to the terminal's width: a line that wraps cannot be rewritten in place. */
static void show(char *line)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 && strlen(line) >= ws.ws_col) {
		line[ws.ws_col - 4] = '\0';
		strcat(line, "...");
	}
	nsp_host_status(line);
}

/* --- trackers: the phase running now ------------------------------------------------------------ */

typedef struct running_step {
	uint32_t id;
	double since;
	char identity[160];
} running_step;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double copy_start;
static int64_t copy_rows;
static uint64_t copy_bytes;

static char step_key[160];      /* hook + phase of the tracker */
static double step_start;
static running_step *running;   /* steps started and not finished */
static size_t nrunning, caprunning;

void nsp_progress_copy_begin(size_t total)
{
	char line[256];
	pthread_mutex_lock(&mu);
	copy_start = now_s();
	copy_rows = 0;
	copy_bytes = 0;
	nsp_progress_render_copy(line, sizeof(line), 0, total, 0, 0, 0);
	pthread_mutex_unlock(&mu);
	show(line);
}

void nsp_progress_copy_table(int64_t rows, uint64_t bytes, size_t done, size_t total)
{
	char line[256];
	pthread_mutex_lock(&mu);
	if (rows > 0)
		copy_rows += rows;
	copy_bytes += bytes;
	nsp_progress_render_copy(line, sizeof(line), done, total, copy_rows, copy_bytes,
				 now_s() - copy_start);
	pthread_mutex_unlock(&mu);
	show(line);
}

static const char *phase_word(Neosync__Plugin__V1__Phase phase)
{
	return phase == NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC    ? "pre-sync"
	       : phase == NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC ? "post-sync"
								      : "plan";
}

void nsp_progress_step_event(const char *hook, const Neosync__Plugin__V1__ProgressEvent *ev)
{
	char key[160], label[200], line[512];
	double now = now_s();
	snprintf(key, sizeof(key), "%s/%s", hook != NULL ? hook : "", phase_word(ev->phase));
	snprintf(label, sizeof(label), "[%s] %s", hook != NULL ? hook : "plugin",
		 phase_word(ev->phase));

	pthread_mutex_lock(&mu);
	if (strcmp(key, step_key) != 0) { /* a new phase or hook: start over */
		snprintf(step_key, sizeof(step_key), "%s", key);
		step_start = now;
		nrunning = 0;
	}
	size_t i = 0;
	while (i < nrunning && running[i].id != ev->step_id)
		i++;
	if (ev->status == NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNSPECIFIED) {
		if (i == nrunning && (nrunning < caprunning || caprunning < 4096)) {
			if (nrunning == caprunning) {
				size_t cap = caprunning ? caprunning * 2 : 16;
				running_step *grown = realloc(running, cap * sizeof(*running));
				if (grown != NULL) {
					running = grown;
					caprunning = cap;
				}
			}
			if (nrunning < caprunning) {
				running[nrunning].id = ev->step_id;
				running[nrunning].since = now;
				snprintf(running[nrunning].identity, sizeof(running[nrunning].identity),
					 "%s", ev->identity != NULL ? ev->identity : "");
				nrunning++;
			}
		}
	} else if (i < nrunning) {
		running[i] = running[--nrunning];
	}
	const running_step *longest = NULL;
	for (size_t k = 0; k < nrunning; k++)
		if (longest == NULL || running[k].since < longest->since)
			longest = &running[k];
	nsp_progress_render_steps(line, sizeof(line), label, (unsigned)ev->done,
				  (unsigned)ev->total, longest != NULL ? longest->identity : NULL,
				  longest != NULL ? now - longest->since : 0, now - step_start);
	bool finished = ev->total > 0 && ev->done >= ev->total;
	if (finished) { /* the phase is over: release the tracker */
		free(running);
		running = NULL;
		nrunning = caprunning = 0;
		step_key[0] = '\0';
	}
	pthread_mutex_unlock(&mu);
	if (finished)
		nsp_host_status_clear();
	else
		show(line);
}
