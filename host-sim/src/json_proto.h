/* json_proto - JSON <-> protobuf-c messages, driven by protobuf-c's descriptors, following the
 * proto3 JSON mapping (https://protobuf.dev/programming-guides/json/).
 *
 * Parsing (JSON -> message):
 *   - field names: lowerCamelCase ("jobId") and the .proto name ("job_id") are both accepted;
 *     giving both for one field is an error;
 *   - unknown fields are an error (a typo must not silently fall back to a default);
 *   - null means "not set" (the field keeps its default);
 *   - integers: JSON numbers or decimal strings ("42"), for 32- and 64-bit types; an integral
 *     double such as 2.0 or 1e3 is accepted, a fraction or an out-of-range value is not;
 *   - enums: the value's name ("ON_EXISTING_SKIP"), the name without the enum's prefix
 *     ("SKIP"; the prefix is the enum type's name in UPPER_SNAKE_CASE plus "_"), both
 *     case-insensitively ("skip"), or the number of a defined value;
 *   - bytes: base64, standard or URL-safe alphabet, padding optional;
 *   - repeated fields: arrays; map<K,V> fields: objects (keys are strings, as JSON demands);
 *   - oneofs: setting a member sets the case; two members of one oneof is an error;
 *   - the input must be strict JSON (no comments, no trailing commas) with an object at the top;
 *     a key repeated within one object is an error.
 * Every error reads "FILE:LINE:COL: what (at $.json.path)", LINE and COL 1-based, COL counting
 * characters (UTF-8 code points; a tab is one). It points at the offending key (unknown or
 * duplicate field, oneof conflict) or value (wrong type or value).
 *
 * Printing (message -> JSON): lowerCamelCase names, enums by name, 64-bit integers as strings,
 * bytes as base64, fields at their default value omitted (set oneof members and present
 * sub-messages are always printed). */
#ifndef NSP_JSON_PROTO_H
#define NSP_JSON_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Parse len bytes of JSON text into a new message of type desc. filename is used only in error
 * messages (NULL: "<input>"). On success *out owns a message built with malloc, to be freed with
 * protobuf_c_message_free_unpacked(*out, NULL). On error returns -1, *out is NULL and err holds
 * one line. */
int nsp_json_to_proto(const char *text, size_t len, const char *filename,
                      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                      char *err, size_t errlen);

/* The message as proto3 JSON; pretty: indented over several lines, else compact.
 * Returns a malloc'ed string (free() it), NULL if memory ran out. */
char *nsp_proto_to_json(const ProtobufCMessage *msg, bool pretty);

/* Find where the JSON value (key = false) or the key of the member (key = true) at path lies in
 * text. path is "$" followed by ".name", "[index]" or "[\"any key\"]" segments, e.g.
 * "$.hooks[1].plugin.path". Object keys are compared after converting both sides to
 * lowerCamelCase, so "$.job_id" finds "jobId" and the reverse; where a key occurs twice the last
 * occurrence wins, as in the parser. For the root, key is ignored.
 * Returns 0 and sets *line and *col (1-based), or -1 when the path is not in the text or text
 * is not valid JSON. */
int nsp_json_locate(const char *text, size_t len, const char *path, bool key,
                    unsigned *line, unsigned *col);

/* proto field name -> lowerCamelCase, as protoc computes json_name ("job_id" -> "jobId").
 * Writes at most outlen bytes, always NUL-terminated. */
void nsp_json_camel_name(const char *proto_name, char *out, size_t outlen);

#endif
