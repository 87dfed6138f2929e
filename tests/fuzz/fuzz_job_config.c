/* fuzz_job_config - job config text (JSON) to nsp_job_config_parse: it must accept or refuse
 * with a one-line message, never crash, leak or read out of bounds; an accepted config must have
 * what the runner relies on (a source and a destination URL) and pack; a refusal must say why.
 * (That errors never quote a URL is tested by tests/integration/test_secrets.sh.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Neosync__Plugin__V1__JobConfig *cfg = NULL;
	char err[512];
	err[0] = '\0';
	int rc = nsp_job_config_parse((const char *)data, size, "fuzz.json", &cfg, err, sizeof(err));
	if (rc == 0) {
		if (cfg == NULL || cfg->source == NULL || cfg->source->postgres == NULL ||
		    cfg->source->postgres->url == NULL || cfg->source->postgres->url[0] == '\0' ||
		    cfg->destination == NULL || cfg->destination->postgres == NULL ||
		    cfg->destination->postgres->url == NULL || cfg->destination->postgres->url[0] == '\0')
			abort();
		/* the parsed config packs (what the runner sends to a plugin) */
		size_t len = protobuf_c_message_get_packed_size(&cfg->base);
		uint8_t *buf = malloc(len ? len : 1);
		if (buf != NULL) {
			protobuf_c_message_pack(&cfg->base, buf);
			free(buf);
		}
		nsp_job_config_free(cfg);
	} else {
		if (cfg != NULL || err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	return 0;
}
