/* handle - the plugin's per-use state (nsp_plugin) and the host services it reaches through:
 * logging, progress events and the cancellation probe. Nothing here is global: two handles
 * share nothing. */
#ifndef NSP_HANDLE_H
#define NSP_HANDLE_H

#include <stdbool.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/plan.pb-c.h"
#include "model_enums.h"

struct nsp_plugin {
	nsp_host_api host; /* the host's API, as much of it as both sides know */
	char run_id[64];   /* of the hook being run, for progress events */
	char job_id[128];
};

int nsp_handle_open(const nsp_host_api *host, nsp_plugin **out, char *err, size_t errlen);
void nsp_handle_close(nsp_plugin *h);

void nsp_log(nsp_plugin *h, nsp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool nsp_cancelled(nsp_plugin *h);
void nsp_progress(nsp_plugin *h, nsp_phase phase, uint32_t step_id,
		  const char *identity, Neosync__Plugin__V1__StepStatus status, uint32_t done,
		  uint32_t total, const char *message);

#endif
