/* pb - building protobuf-c messages that are released with protobuf_c_message_free_unpacked():
 * every member is malloc'ed (strings left empty point at protobuf_c_empty_string, which
 * free_unpacked leaves alone). */
#ifndef NSP_PB_H
#define NSP_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* A malloc'ed copy of s, or the shared empty string for NULL/"" (and on allocation failure). */
char *nsp_pb_str(const char *s);
/* Grow a repeated field by one element slot: *arr has *n elements of elem_size; returns the new
 * zeroed slot or NULL. */
void *nsp_pb_push(void *arr_ptr, size_t *n, size_t elem_size);

#endif
