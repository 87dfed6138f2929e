/* clock - the monotonic clock the plugin times its steps and its catalog read with. */
#ifndef NSP_CLOCK_H
#define NSP_CLOCK_H

#include <stdint.h>

/* Microseconds of CLOCK_MONOTONIC: differences only, never a date. */
uint64_t nsp_now_us(void);

#endif
