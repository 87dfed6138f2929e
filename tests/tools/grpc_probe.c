/* grpc_probe - a small gRPC client for the tests of `neosync-host-sim serve`.
 *
 *   grpc_probe [OPTIONS] call METHOD [BODY]
 *       One call of METHOD ("Describe", "PreSync", "PostSync", "Health" or a full path such as
 *       "/x.Y/Z"). BODY (default: an empty message):
 *         --json FILE      proto3 JSON of the method's request (Describe/PreSync/PostSync)
 *         --garbage N      N pseudo-random bytes
 *         --truncate N     the --json request cut to its first N bytes (N < its size)
 *         --hex HEX        these bytes
 *         --size N         N bytes of a valid request padded by an unknown field (oversized tests)
 *       Prints one line:
 *         status=NAME hook_status=N messages=N progress=N final=yes|no details=TEXT
 *   grpc_probe [OPTIONS] load --clients N --calls N --json FILE [--warmup N] [--pid PID]
 *       N client threads (one channel each) share `--calls` calls, alternately Describe and
 *       PreSync with the request in FILE (make it dry_run). A warm-up batch of --warmup calls runs
 *       first. With --pid, the server's VmRSS (kB, /proc/PID/status) is printed after the warm-up
 *       and after the calls. Prints "ok=N failed=N rss_warm_kb=N rss_end_kb=N"; exit 0 when all
 *       calls succeeded.
 *
 * Options: --addr ADDR (required), --deadline-ms N, --cancel-after-ms N (cancel the call after N ms),
 * --max-message-bytes N (the client's limits; default 64 MiB).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi.h"
#include "grpc_client.h"
#include "grpc_common.h"
#include "json_proto.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

static const char *addr;
static long deadline_ms;
static long cancel_after_ms;
static long max_msg;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

typedef struct probe_ctx {
	bool unary; /* Describe, Health, ...: the one message is the final one */
	double t0;
	unsigned progress;
	unsigned messages;
	bool final;
} probe_ctx;

static int probe_cancelled(void *host_ctx)
{
	probe_ctx *p = host_ctx;
	return cancel_after_ms > 0 && now_ms() - p->t0 >= (double)cancel_after_ms;
}

static int on_message(void *ctx, const uint8_t *msg, size_t len)
{
	probe_ctx *p = ctx;
	const uint8_t *v;
	size_t n;
	p->messages++;
	if (p->unary)
		p->final = true;
	else if (nsp_grpc_find_field(msg, len, 2, &v, &n) == 1)
		p->final = true;
	else if (nsp_grpc_find_field(msg, len, 1, &v, &n) == 1)
		p->progress++;
	return 0;
}

static const char *full_method(const char *m)
{
	if (strcmp(m, "Describe") == 0)
		return NSP_GRPC_METHOD_DESCRIBE;
	if (strcmp(m, "PreSync") == 0)
		return NSP_GRPC_METHOD_PRE_SYNC;
	if (strcmp(m, "PostSync") == 0)
		return NSP_GRPC_METHOD_POST_SYNC;
	if (strcmp(m, "Health") == 0)
		return NSP_GRPC_METHOD_HEALTH_CHECK;
	return m;
}

static const ProtobufCMessageDescriptor *request_type(const char *method)
{
	if (strcmp(method, NSP_GRPC_METHOD_DESCRIBE) == 0)
		return &neosync__plugin__v1__describe_request__descriptor;
	if (strcmp(method, NSP_GRPC_METHOD_PRE_SYNC) == 0)
		return &neosync__plugin__v1__pre_sync_request__descriptor;
	if (strcmp(method, NSP_GRPC_METHOD_POST_SYNC) == 0)
		return &neosync__plugin__v1__post_sync_request__descriptor;
	return NULL;
}

/* The request in the JSON file, packed. */
static uint8_t *json_request(const char *path, const char *method, size_t *len)
{
	const ProtobufCMessageDescriptor *type = request_type(method);
	if (type == NULL) {
		fprintf(stderr, "grpc_probe: no request type known for %s\n", method);
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return NULL;
	}
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	ProtobufCMessage *m = NULL;
	char err[512];
	if (nsp_json_to_proto(text, n, path, type, &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "grpc_probe: %s\n", err);
		return NULL;
	}
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len + 1);
	if (buf != NULL)
		protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	return buf;
}

static int usage(void)
{
	fprintf(stderr, "usage: grpc_probe --addr ADDR [--deadline-ms N] [--cancel-after-ms N] "
			"[--max-message-bytes N] call METHOD [--json F | --garbage N | --truncate N "
			"| --size N]\n"
			"       grpc_probe --addr ADDR load --clients N --calls N --json F "
			"[--warmup N] [--pid PID]\n");
	return 2;
}

static int cmd_call(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	const char *method = full_method(argv[0]);
	const char *json = NULL, *hex = NULL;
	long garbage = -1, truncate = -1, size = -1;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--json") == 0)
			json = argv[++i];
		else if (strcmp(argv[i], "--garbage") == 0)
			garbage = atol(argv[++i]);
		else if (strcmp(argv[i], "--hex") == 0)
			hex = argv[++i];
		else if (strcmp(argv[i], "--truncate") == 0)
			truncate = atol(argv[++i]);
		else if (strcmp(argv[i], "--size") == 0)
			size = atol(argv[++i]);
		else
			return usage();
	}
	uint8_t *req = NULL;
	size_t len = 0;
	if (garbage >= 0) {
		len = (size_t)garbage;
		req = malloc(len + 1);
		uint32_t x = 2463534242u;
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			req[i] = (uint8_t)x;
		}
	} else if (hex != NULL) {
		len = strlen(hex) / 2;
		req = malloc(len + 1);
		for (size_t i = 0; i < len; i++) {
			unsigned b = 0;
			if (sscanf(hex + 2 * i, "%2x", &b) != 1)
				return usage();
			req[i] = (uint8_t)b;
		}
	} else if (json != NULL) {
		req = json_request(json, method, &len);
		if (req == NULL)
			return 1;
		if (truncate >= 0 && (size_t)truncate < len)
			len = (size_t)truncate;
	} else {
		req = malloc(1);
	}
	if (size >= 0) {
		/* Append unknown field 1000 (bytes) so the message is `size` bytes in all. */
		size_t want = (size_t)size;
		uint8_t *big = calloc(want + 16, 1);
		memcpy(big, req, len);
		size_t pos = len;
		/* tag (1000 << 3 | 2) = 8002 -> varint c2 3e */
		big[pos++] = 0xc2;
		big[pos++] = 0x3e;
		size_t body = want > pos + 5 ? want - pos - 5 : 0;
		size_t v = body;
		for (int k = 0; k < 5; k++) {
			big[pos++] = (uint8_t)((v & 0x7f) | (k < 4 ? 0x80 : 0));
			v >>= 7;
		}
		memset(big + pos, 'x', body);
		free(req);
		req = big;
		len = pos + body;
	}

	probe_ctx p;
	memset(&p, 0, sizeof(p));
	p.t0 = now_ms();
	p.unary = strcmp(method, NSP_GRPC_METHOD_PRE_SYNC) != 0 &&
		  strcmp(method, NSP_GRPC_METHOD_POST_SYNC) != 0;
	nsp_host_api api;
	nsp_abi_host_api_init(&api, &p, NULL, NULL, probe_cancelled);
	nsp_grpc_client *c = NULL;
	char err[512];
	if (nsp_grpc_client_open(addr, &api, max_msg, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "grpc_probe: %s\n", err);
		free(req);
		return 1;
	}
	nsp_grpc_call_result res;
	int rc = nsp_grpc_client_call(c, method, req, len, deadline_ms, on_message, &p, &res, err,
				      sizeof(err));
	free(req);
	nsp_grpc_client_close(c);
	if (rc != 0) {
		fprintf(stderr, "grpc_probe: %s\n", err);
		return 1;
	}
	printf("status=%s hook_status=%d messages=%u progress=%u final=%s details=%s\n",
	       nsp_grpc_status_name(res.status), res.hook_status, p.messages, p.progress,
	       p.final ? "yes" : "no", res.details);
	return 0;
}

/* --- load ---------------------------------------------------------------------------------- */

typedef struct load_state {
	uint8_t *pre;
	size_t pre_len;
	atomic_long next;
	long limit;
	atomic_long ok, failed;
} load_state;

static void *load_client(void *arg)
{
	load_state *st = arg;
	nsp_grpc_client *c = NULL;
	char err[512];
	if (nsp_grpc_client_open(addr, NULL, max_msg, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "grpc_probe: %s\n", err);
		return NULL;
	}
	for (;;) {
		long i = atomic_fetch_add(&st->next, 1);
		if (i >= st->limit)
			break;
		bool describe = i % 2 == 0;
		probe_ctx p;
		memset(&p, 0, sizeof(p));
		nsp_grpc_call_result res;
		static const uint8_t empty[1];
		int rc = nsp_grpc_client_call(c, describe ? NSP_GRPC_METHOD_DESCRIBE
							  : NSP_GRPC_METHOD_PRE_SYNC,
					      describe ? empty : st->pre, describe ? 0 : st->pre_len,
					      deadline_ms > 0 ? deadline_ms : 60000, on_message, &p,
					      &res, err, sizeof(err));
		bool good = rc == 0 && res.status == GRPC_STATUS_OK && res.hook_status == NSP_OK &&
			    p.messages >= 1 && (describe || p.final);
		if (good) {
			atomic_fetch_add(&st->ok, 1);
		} else {
			atomic_fetch_add(&st->failed, 1);
			fprintf(stderr, "grpc_probe: call %ld (%s) failed: %s %s hook_status=%d %s\n",
				i, describe ? "Describe" : "PreSync",
				rc == 0 ? nsp_grpc_status_name(res.status) : "", res.details,
				res.hook_status, rc != 0 ? err : "");
		}
	}
	nsp_grpc_client_close(c);
	return NULL;
}

static void run_batch(load_state *st, int clients, long calls)
{
	pthread_t *t = calloc((size_t)clients, sizeof(*t));
	atomic_store(&st->next, 0);
	st->limit = calls;
	for (int i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, load_client, st);
	for (int i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	free(t);
}

static long rss_kb(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

static int cmd_load(int argc, char **argv)
{
	int clients = 16;
	long calls = 500, warmup = 64, pid = 0;
	const char *json = NULL;
	for (int i = 0; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--clients") == 0)
			clients = atoi(argv[++i]);
		else if (strcmp(argv[i], "--calls") == 0)
			calls = atol(argv[++i]);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = atol(argv[++i]);
		else if (strcmp(argv[i], "--pid") == 0)
			pid = atol(argv[++i]);
		else if (strcmp(argv[i], "--json") == 0)
			json = argv[++i];
		else
			return usage();
	}
	if (json == NULL || clients < 1)
		return usage();
	load_state st;
	memset(&st, 0, sizeof(st));
	st.pre = json_request(json, NSP_GRPC_METHOD_PRE_SYNC, &st.pre_len);
	if (st.pre == NULL)
		return 1;
	run_batch(&st, clients, warmup);
	long warm_failed = atomic_load(&st.failed);
	long rss_warm = pid > 0 ? rss_kb(pid) : -1;
	atomic_store(&st.ok, 0);
	atomic_store(&st.failed, 0);
	double t0 = now_ms();
	run_batch(&st, clients, calls);
	double ms = now_ms() - t0;
	long rss_end = pid > 0 ? rss_kb(pid) : -1;
	printf("ok=%ld failed=%ld warmup_failed=%ld rss_warm_kb=%ld rss_end_kb=%ld seconds=%.2f\n",
	       atomic_load(&st.ok), atomic_load(&st.failed), warm_failed, rss_warm, rss_end,
	       ms / 1000.0);
	free(st.pre);
	return atomic_load(&st.failed) == 0 && warm_failed == 0 && atomic_load(&st.ok) == calls ? 0
												 : 1;
}

int main(int argc, char **argv)
{
	int i = 1;
	max_msg = 0;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--addr") == 0)
			addr = argv[i + 1];
		else if (strcmp(argv[i], "--deadline-ms") == 0)
			deadline_ms = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--cancel-after-ms") == 0)
			cancel_after_ms = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--max-message-bytes") == 0)
			max_msg = atol(argv[i + 1]);
		else
			return usage();
	}
	if (addr == NULL || i >= argc)
		return usage();
	if (strcmp(argv[i], "call") == 0)
		return cmd_call(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "load") == 0)
		return cmd_load(argc - i - 1, argv + i + 1);
	return usage();
}
