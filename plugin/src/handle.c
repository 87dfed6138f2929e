#include "handle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nsp_handle_open(const nsp_host_api *host, nsp_plugin **out, char *err, size_t errlen)
{
	*out = NULL;
	if (host == NULL || host->struct_size < offsetof(nsp_host_api, is_cancelled)) {
		snprintf(err, errlen, "host API missing or too small (struct_size %zu)",
			 host ? host->struct_size : (size_t)0);
		return NSP_ERR_ABI;
	}
	if (host->abi_major != NSP_ABI_MAJOR) {
		snprintf(err, errlen,
			 "host ABI %u.%u is not compatible with plugin ABI %u.%u (major versions differ)",
			 host->abi_major, host->abi_minor, NSP_ABI_MAJOR, NSP_ABI_MINOR);
		return NSP_ERR_ABI;
	}
	nsp_plugin *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NSP_ERR_NOMEM;
	}
	/* Read only what both sides know; members a smaller (older) host lacks stay NULL. */
	size_t n = host->struct_size < sizeof(h->host) ? host->struct_size : sizeof(h->host);
	memcpy(&h->host, host, n);
	h->host.struct_size = sizeof(h->host);
	*out = h;
	return NSP_OK;
}

void nsp_handle_close(nsp_plugin *h)
{
	free(h);
}

void nsp_log(nsp_plugin *h, nsp_log_level level, const char *fmt, ...)
{
	if (h == NULL || h->host.log == NULL)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->host.log(h->host.host_ctx, level, line);
}

bool nsp_cancelled(nsp_plugin *h)
{
	return h != NULL && h->host.is_cancelled != NULL && h->host.is_cancelled(h->host.host_ctx) != 0;
}

void nsp_progress(nsp_plugin *h, nsp_phase phase, uint32_t step_id,
		  const char *identity, Neosync__Plugin__V1__StepStatus status, uint32_t done,
		  uint32_t total, const char *message)
{
	if (h == NULL || h->host.progress == NULL)
		return;
	Neosync__Plugin__V1__ProgressEvent ev = NEOSYNC__PLUGIN__V1__PROGRESS_EVENT__INIT;
	ev.job_id = h->job_id;
	ev.run_id = h->run_id;
	ev.phase = nsp_phase_wire(phase);
	ev.step_id = step_id;
	ev.identity = (char *)(identity ? identity : "");
	ev.status = status;
	ev.done = done;
	ev.total = total;
	ev.message = (char *)(message ? message : "");
	size_t len = neosync__plugin__v1__progress_event__get_packed_size(&ev);
	uint8_t stackbuf[1024];
	uint8_t *buf = len <= sizeof(stackbuf) ? stackbuf : malloc(len);
	if (buf == NULL)
		return;
	neosync__plugin__v1__progress_event__pack(&ev, buf);
	h->host.progress(h->host.host_ctx, buf, len);
	if (buf != stackbuf)
		free(buf);
}
