/* hooks - the ABI glue: decode a request, validate it, run the hook, encode the response.
 * A request that cannot be decoded still gets a response that says so. */
#ifndef NSP_HOOKS_H
#define NSP_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin.h"

#define NSP_PLUGIN_NAME "neosync-schema"

int nsp_hook_describe(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int nsp_hook_pre_sync(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
int nsp_hook_post_sync(nsp_plugin *h, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
void nsp_hook_free_buffer(uint8_t *buffer);

#endif
