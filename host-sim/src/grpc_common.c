#include "grpc_common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_api.h"

static bool is_loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static int parse_port(const char *s, unsigned *port)
{
	if (*s == '\0' || strlen(s) > 5)
		return -1;
	unsigned v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

int nsp_grpc_addr_parse(const char *text, nsp_grpc_addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0') {
		snprintf(err, errlen, "empty address (use unix:/path/to.sock or host:port)");
		return -1;
	}
	if (strncmp(text, "unix:", 5) == 0) {
		const char *path = text + 5;
		if (strncmp(path, "//", 2) == 0)
			path += 2; /* unix:///abs/path */
		if (path[0] == '\0') {
			snprintf(err, errlen, "address %s: no socket path after unix:", text);
			return -1;
		}
		if (strlen(path) >= sizeof(out->path)) {
			snprintf(err, errlen, "address %s: socket path longer than %zu bytes", text,
				 sizeof(out->path) - 1);
			return -1;
		}
		out->kind = NSP_GRPC_ADDR_UNIX;
		out->loopback = true;
		snprintf(out->path, sizeof(out->path), "%s", path);
		snprintf(out->target, sizeof(out->target), "unix:%s", path);
		return 0;
	}
	if (strstr(text, "://") != NULL) {
		snprintf(err, errlen, "address %s: unsupported scheme (use unix:/path or host:port)",
			 text);
		return -1;
	}
	const char *port_s;
	char host[256];
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host)) {
			snprintf(err, errlen, "address %s: expected [IPv6]:PORT", text);
			return -1;
		}
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_s = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (colon == NULL) {
			/* A bare port. */
			snprintf(host, sizeof(host), "127.0.0.1");
			port_s = text;
		} else {
			if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
				snprintf(err, errlen, "address %s: write an IPv6 address as [ADDR]:PORT",
					 text);
				return -1;
			}
			if ((size_t)(colon - text) >= sizeof(host)) {
				snprintf(err, errlen, "address %s: host name too long", text);
				return -1;
			}
			memcpy(host, text, (size_t)(colon - text));
			host[colon - text] = '\0';
			if (host[0] == '\0')
				snprintf(host, sizeof(host), "127.0.0.1");
			port_s = colon + 1;
		}
	}
	if (parse_port(port_s, &out->port) != 0) {
		snprintf(err, errlen, "address %s: bad port \"%s\" (0-65535)", text, port_s);
		return -1;
	}
	for (const char *p = host; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != ':' && *p != '_' &&
		    *p != '%') {
			snprintf(err, errlen, "address %s: bad character in host name", text);
			return -1;
		}
	}
	out->kind = NSP_GRPC_ADDR_TCP;
	snprintf(out->host, sizeof(out->host), "%s", host);
	out->loopback = is_loopback_host(host);
	if (strchr(host, ':') != NULL)
		snprintf(out->target, sizeof(out->target), "[%s]:%u", host, out->port);
	else
		snprintf(out->target, sizeof(out->target), "%s:%u", host, out->port);
	return 0;
}

grpc_status_code nsp_grpc_status_for_hook(int hook_status, bool deadline_passed)
{
	switch (hook_status) {
	case NSP_OK:
	case NSP_ERR_PARTIAL:
	case NSP_ERR_FAILED:
		return GRPC_STATUS_OK;
	case NSP_ERR_INVALID_ARGUMENT:
		return GRPC_STATUS_INVALID_ARGUMENT;
	case NSP_ERR_CANCELLED:
		return deadline_passed ? GRPC_STATUS_DEADLINE_EXCEEDED : GRPC_STATUS_CANCELLED;
	case NSP_ERR_NOMEM:
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case NSP_ERR_ABI:
		return GRPC_STATUS_FAILED_PRECONDITION;
	default:
		return GRPC_STATUS_INTERNAL;
	}
}

const char *nsp_grpc_status_name(grpc_status_code code)
{
	static const char *const names[] = {
		"OK",		     "CANCELLED",	  "UNKNOWN",	    "INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED", "NOT_FOUND",	  "ALREADY_EXISTS", "PERMISSION_DENIED",
		"RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",	    "OUT_OF_RANGE",
		"UNIMPLEMENTED",     "INTERNAL",	  "UNAVAILABLE",    "DATA_LOSS",
		"UNAUTHENTICATED"};
	if ((int)code >= 0 && (size_t)code < sizeof(names) / sizeof(names[0]))
		return names[code];
	return "UNKNOWN";
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		p[n++] = b | (v != 0 ? 0x80 : 0);
	} while (v != 0);
	return n;
}

uint8_t *nsp_grpc_frame_field(uint32_t field, const uint8_t *bytes, size_t len, size_t *out_len)
{
	uint8_t head[20];
	size_t h = put_varint(head, ((uint64_t)field << 3) | 2);
	h += put_varint(head + h, len);
	uint8_t *buf = malloc(h + len);
	if (buf == NULL)
		return NULL;
	memcpy(buf, head, h);
	if (len > 0)
		memcpy(buf + h, bytes, len);
	*out_len = h + len;
	return buf;
}

static int get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = p[(*pos)++];
		r |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

int nsp_grpc_find_field(const uint8_t *msg, size_t len, uint32_t field, const uint8_t **val,
			size_t *val_len)
{
	size_t pos = 0;
	while (pos < len) {
		uint64_t key, n;
		if (get_varint(msg, len, &pos, &key) != 0)
			return -1;
		switch (key & 7) {
		case 0:
			if (get_varint(msg, len, &pos, &n) != 0)
				return -1;
			break;
		case 1:
			if (len - pos < 8)
				return -1;
			pos += 8;
			break;
		case 5:
			if (len - pos < 4)
				return -1;
			pos += 4;
			break;
		case 2:
			if (get_varint(msg, len, &pos, &n) != 0 || n > len - pos)
				return -1;
			if ((key >> 3) == field) {
				*val = msg + pos;
				*val_len = (size_t)n;
				return 1;
			}
			pos += (size_t)n;
			break;
		default:
			return -1; /* groups are not used by proto3 */
		}
	}
	return 0;
}

void nsp_grpc_string_field(const uint8_t *msg, size_t len, uint32_t field, char *out,
			   size_t outlen)
{
	const uint8_t *v;
	size_t n;
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (msg == NULL || nsp_grpc_find_field(msg, len, field, &v, &n) != 1)
		return;
	if (n >= outlen)
		n = outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	out[n] = '\0';
}

uint8_t *nsp_grpc_buffer_flatten(grpc_byte_buffer *bb, size_t *len)
{
	grpc_byte_buffer_reader reader;
	*len = 0;
	if (!grpc_byte_buffer_reader_init(&reader, bb))
		return NULL;
	grpc_slice s = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	size_t n = GRPC_SLICE_LENGTH(s);
	uint8_t *out = malloc(n > 0 ? n : 1);
	if (out != NULL) {
		if (n > 0)
			memcpy(out, GRPC_SLICE_START_PTR(s), n);
		*len = n;
	}
	grpc_slice_unref(s);
	return out;
}

grpc_byte_buffer *nsp_grpc_buffer_from(const uint8_t *bytes, size_t len)
{
	grpc_slice s = grpc_slice_from_copied_buffer((const char *)bytes, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

void nsp_grpc_log(nsp_log_level level, const char *hook, const char *job_id, const char *run_id,
		  const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	nsp_host_log_json_line(level, hook, job_id, run_id, msg, &ap);
	va_end(ap);
}

void nsp_grpc_logf(nsp_log_level level, const char *hook, const char *job_id, const char *run_id,
		   const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	if (level < nsp_host_log_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nsp_host_log_json_line(level, hook, job_id, run_id, msg, NULL);
}
