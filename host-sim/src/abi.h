/* abi - the host's side of ABI negotiation with a plugin descriptor (the rules below; for plugin authors:
 * docs/plugin-authors.md).
 *
 * Pure logic, no dlopen: given the descriptor a plugin's entry function returned, decide
 * whether the host can use it and make the host's own copy of it.
 *
 * Rules:
 *  - every descriptor starts with {struct_size, abi_major, abi_minor}; that header is the same
 *    in every ABI major, so it is read first and a descriptor whose struct_size cannot even hold
 *    it is refused;
 *  - a different major is refused with a message naming both versions;
 *  - a struct_size smaller than the descriptor of ABI 1.0 is refused (no plugin of this major
 *    can legitimately be that small);
 *  - min(struct_size, sizeof(nsp_plugin_descriptor)) bytes are copied into a zeroed host-side
 *    descriptor, so members that an older-minor plugin does not have are NULL, and members
 *    that a newer-minor plugin appended are ignored;
 *  - the members every 1.x plugin must provide (open, close, describe, pre_sync, post_sync,
 *    free_buffer) must be non-NULL.
 */
#ifndef NSP_HOST_ABI_H
#define NSP_HOST_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin.h"

/* Bytes of the version header every descriptor starts with. */
#define NSP_ABI_HEADER_SIZE (offsetof(nsp_plugin_descriptor, abi_minor) + sizeof(uint32_t))

/* sizeof(nsp_plugin_descriptor) as ABI 1.0 defined it: up to and including free_buffer.
 * Members appended by later minors come after it; this value never changes within major 1. */
#define NSP_ABI_V1_0_DESCRIPTOR_SIZE \
	(offsetof(nsp_plugin_descriptor, free_buffer) + sizeof(void (*)(uint8_t *)))

/* Upper bound on a credible struct_size (a corrupt or foreign descriptor is refused rather
 * than trusted): far more than any number of appended members. */
#define NSP_ABI_MAX_DESCRIPTOR_SIZE ((size_t)64 * 1024)

/* Check `theirs` (as returned by a plugin's entry function) against a host of ABI
 * host_major.host_minor and copy it into *out. Returns 0 on success; otherwise non-zero with
 * a message in err and *out zeroed. The host normally passes NSP_ABI_MAJOR/NSP_ABI_MINOR;
 * the parameters let tests play hosts of other versions. */
int nsp_abi_negotiate_as(const nsp_plugin_descriptor *theirs, uint32_t host_major,
			 uint32_t host_minor, nsp_plugin_descriptor *out, char *err, size_t errlen);

/* nsp_abi_negotiate_as() for this host (NSP_ABI_MAJOR.NSP_ABI_MINOR). */
int nsp_abi_negotiate(const nsp_plugin_descriptor *theirs, nsp_plugin_descriptor *out, char *err,
		      size_t errlen);

/* The host API this host passes to plugins' open(): struct_size and version filled in,
 * callbacks and context from the arguments (any may be NULL). */
void nsp_abi_host_api_init(nsp_host_api *api, void *host_ctx,
			   void (*log)(void *, nsp_log_level, const char *),
			   void (*progress)(void *, const uint8_t *, size_t),
			   int (*is_cancelled)(void *));

#endif
