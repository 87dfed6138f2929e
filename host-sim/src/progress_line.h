/* progress_line - the live line `neosync-host-sim run` shows on a terminal, one per phase:
 *
 *   data step  12/69 tables  10234 rows  1.2 MiB  850.3 KiB/s  ~2 s left
 *   post-sync  120/337 steps  longest running: public.payment.payment_pkey (1.4 s)  ~1 s left
 *
 * The time left is the rate so far applied to what remains (tables for the data step: they are
 * copied largest first, so it errs on the long side; steps for the hooks), shown once something
 * finished. The render functions are pure (unit-tested); the trackers keep the state of the phase
 * running now and draw through nsp_host_status(), which is a no-op when stderr is not a terminal
 * or progress is off (--json): then only the plain log lines are written, as before.
 * Thread-safe: the trackers take their own lock.
 */
#ifndef NSP_PROGRESS_LINE_H
#define NSP_PROGRESS_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin/v1/plan.pb-c.h"

/* "12.3 KiB": bytes in B, KiB, MiB, GiB, TiB. */
void nsp_progress_human_bytes(double bytes, char *out, size_t outlen);

/* The data step's line; elapsed in seconds. */
void nsp_progress_render_copy(char *out, size_t outlen, size_t done, size_t total, int64_t rows,
			      uint64_t bytes, double elapsed);

/* A hook phase's line ("pre-sync", "post-sync"); longest may be NULL (nothing running). */
void nsp_progress_render_steps(char *out, size_t outlen, const char *phase, unsigned done,
			       unsigned total, const char *longest, double longest_s, double elapsed);

/* Data step: begin with the number of tables, then one call per finished table. */
void nsp_progress_copy_begin(size_t total);
void nsp_progress_copy_table(int64_t rows, uint64_t bytes, size_t done, size_t total);

/* Hook phases: one call per progress event (a new phase or hook starts a new tracker). */
void nsp_progress_step_event(const char *hook, const Neosync__Plugin__V1__ProgressEvent *ev);

#endif
