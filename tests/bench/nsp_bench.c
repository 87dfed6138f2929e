/* nsp_bench - the benchmark's helper (tests/bench/run.sh): one hook of the plugin at a time, and
 * the peak memory of a command.
 *
 *   nsp_bench pre  --plugin SO --source URL --dest URL [--options JSON] [--plan-out FILE] [--json FILE]
 *       load the plugin (the host simulator's loader), call pre-sync only, write the plan
 *       (serialized neosync.plugin.v1.Plan) to --plan-out and the response as JSON to --json
 *   nsp_bench post --plugin SO --source URL --dest URL [--options JSON] [--plan FILE] [--json FILE]
 *       call post-sync only, with the plan from FILE (without --plan: replan from the source)
 *   nsp_bench rss OUT -- CMD [ARGS...]
 *       run CMD, wait for it, write its peak resident set (ru_maxrss of wait4, in KiB) to OUT;
 *       exit with CMD's status
 *
 * pre/post print one line on stdout: "status=NSP_OK seconds=1.234 applied=.. failed=.. skipped=..
 * error=..." (seconds: the hook call alone, measured around it). They exit 0 when the hook
 * answered (whatever its outcome: the response says it), 1 when there is no response.
 *
 * Why a separate program: neosync-host-sim always runs the whole job (pre-sync, data, post-sync),
 * while the benchmark compares each phase with its own anchor, on identical copies of one
 * database, and must be able to run post-sync on a database that pg_restore loaded. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host_api.h"
#include "json_proto.h"
#include "loader.h"

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: nsp_bench pre|post --plugin SO --source URL --dest URL [--options JSON]\n"
		"                 [--plan FILE] [--plan-out FILE] [--json FILE]\n"
		"       nsp_bench rss OUT -- CMD [ARGS...]\n");
	return 2;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		uint8_t *b = realloc(buf, cap * 2);
		if (b == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = b;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (buf == NULL || bad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	int rc = (w == len && fclose(f) == 0) ? 0 : -1;
	if (w != len)
		fclose(f);
	return rc;
}

static int write_json(const char *path, const ProtobufCMessage *msg)
{
	char *text = nsp_proto_to_json(msg, true);
	if (text == NULL)
		return -1;
	size_t len = strlen(text);
	text[len] = '\n';
	int rc = write_file(path, text, len + 1);
	text[len] = '\0';
	free(text);
	return rc;
}

/* seconds: the hook call (request packed, hook, response unpacked); elapsed: since the process
 * started (the plugin loaded, options parsed): what the benchmark times, since writing the
 * reports afterwards (the plan, the response as JSON) is the benchmark's work, not the hook's. */
static void print_outcome(int status, double seconds, double elapsed,
			  const Neosync__Plugin__V1__Summary *s, const Neosync__Plugin__V1__Error *e)
{
	/* Peak memory so far: the plugin's and the host's, before the reports are written. */
	struct rusage ru;
	long rss_mb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024 : -1;
	printf("status=%s seconds=%.3f elapsed=%.3f rss_mb=%ld", nsp_loader_status_name(status), seconds,
	       elapsed, rss_mb);
	if (s != NULL)
		printf(" applied=%u failed=%u skipped=%u unchanged=%u conflicts=%u", s->applied,
		       s->failed, s->skipped, s->unchanged, s->conflicts);
	if (e != NULL && e->code != NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK) {
		/* One line, whatever the message holds. */
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message : "");
		for (char *c = msg; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		printf(" error=%s", msg);
	}
	printf("\n");
}

static int run_rss(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[1], "--") != 0)
		return usage();
	const char *out = argv[0];
	pid_t pid = fork();
	if (pid < 0) {
		perror("nsp_bench rss: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], &argv[2]);
		fprintf(stderr, "nsp_bench rss: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	int wstatus = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	while (wait4(pid, &wstatus, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("nsp_bench rss: wait4");
			return 1;
		}
	}
	char line[64];
	int n = snprintf(line, sizeof(line), "%ld\n", ru.ru_maxrss);
	if (write_file(out, line, (size_t)n) != 0)
		fprintf(stderr, "nsp_bench rss: cannot write %s\n", out);
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
}

int main(int argc, char **argv)
{
	double started = now_seconds();
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "rss") == 0)
		return run_rss(argc - 2, argv + 2);
	bool pre = strcmp(cmd, "pre") == 0;
	if (!pre && strcmp(cmd, "post") != 0)
		return usage();

	const char *plugin = NULL, *src = NULL, *dst = NULL, *options = "{}", *plan_in = NULL,
		   *plan_out = NULL, *json = NULL;
	for (int i = 2; i < argc; i++) {
		const char **target = NULL;
		if (strcmp(argv[i], "--plugin") == 0)
			target = &plugin;
		else if (strcmp(argv[i], "--source") == 0)
			target = &src;
		else if (strcmp(argv[i], "--dest") == 0)
			target = &dst;
		else if (strcmp(argv[i], "--options") == 0)
			target = &options;
		else if (strcmp(argv[i], "--plan") == 0)
			target = &plan_in;
		else if (strcmp(argv[i], "--plan-out") == 0)
			target = &plan_out;
		else if (strcmp(argv[i], "--json") == 0)
			target = &json;
		if (target == NULL || i + 1 >= argc)
			return usage();
		*target = argv[++i];
	}
	if (plugin == NULL || src == NULL || dst == NULL)
		return usage();

	char err[1024] = "";
	ProtobufCMessage *opts_msg = NULL;
	if (nsp_json_to_proto(options, strlen(options), "--options",
			      &neosync__plugin__v1__schema_plugin_options__descriptor, &opts_msg, err,
			      sizeof(err)) != 0) {
		fprintf(stderr, "nsp_bench: %s\n", err);
		return 2;
	}
	Neosync__Plugin__V1__SchemaPluginOptions *opts = (Neosync__Plugin__V1__SchemaPluginOptions *)opts_msg;

	Neosync__Plugin__V1__PostgresConnection spg = NEOSYNC__PLUGIN__V1__POSTGRES_CONNECTION__INIT;
	Neosync__Plugin__V1__PostgresConnection dpg = NEOSYNC__PLUGIN__V1__POSTGRES_CONNECTION__INIT;
	Neosync__Plugin__V1__Connection sconn = NEOSYNC__PLUGIN__V1__CONNECTION__INIT;
	Neosync__Plugin__V1__Connection dconn = NEOSYNC__PLUGIN__V1__CONNECTION__INIT;
	spg.url = (char *)src;
	dpg.url = (char *)dst;
	sconn.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	sconn.postgres = &spg;
	dconn.kind_case = NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES;
	dconn.postgres = &dpg;

	nsp_host_ctx ctx;
	nsp_host_api api;
	nsp_loaded_plugin *p = NULL;
	int rc = 1;
	nsp_host_api_make(&api, &ctx, "schema", nsp_host_log_level());
	if (nsp_loader_open(plugin, &api, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "nsp_bench: %s\n", err);
		goto done;
	}
	char job_id[] = "bench", run_id[] = "bench";
	int status = 0;
	if (pre) {
		Neosync__Plugin__V1__PreSyncRequest req = NEOSYNC__PLUGIN__V1__PRE_SYNC_REQUEST__INIT;
		Neosync__Plugin__V1__PreSyncResponse *res = NULL;
		req.job_id = job_id;
		req.run_id = run_id;
		req.source = &sconn;
		req.destination = &dconn;
		req.options = opts;
		double t0 = now_seconds();
		int lrc = nsp_loader_pre_sync(p, &req, &res, &status, err, sizeof(err));
		double secs = now_seconds() - t0;
		if (lrc != 0) {
			fprintf(stderr, "nsp_bench pre: %s\n", err);
			goto done;
		}
		print_outcome(status, secs, now_seconds() - started, res->summary, res->error);
		rc = 0;
		if (plan_out != NULL && res->plan != NULL) {
			size_t len = neosync__plugin__v1__plan__get_packed_size(res->plan);
			uint8_t *buf = malloc(len ? len : 1);
			if (buf == NULL || neosync__plugin__v1__plan__pack(res->plan, buf) != len ||
			    write_file(plan_out, buf, len) != 0) {
				fprintf(stderr, "nsp_bench pre: cannot write the plan to %s\n", plan_out);
				rc = 1;
			}
			free(buf);
		}
		if (json != NULL && write_json(json, &res->base) != 0) {
			fprintf(stderr, "nsp_bench pre: cannot write %s\n", json);
			rc = 1;
		}
		neosync__plugin__v1__pre_sync_response__free_unpacked(res, NULL);
	} else {
		Neosync__Plugin__V1__PostSyncRequest req = NEOSYNC__PLUGIN__V1__POST_SYNC_REQUEST__INIT;
		Neosync__Plugin__V1__PostSyncResponse *res = NULL;
		Neosync__Plugin__V1__Plan *plan = NULL;
		req.job_id = job_id;
		req.run_id = run_id;
		req.source = &sconn;
		req.destination = &dconn;
		req.options = opts;
		if (plan_in != NULL) {
			uint8_t *buf = NULL;
			size_t len = 0;
			if (read_file(plan_in, &buf, &len) != 0 ||
			    (plan = neosync__plugin__v1__plan__unpack(NULL, len, buf)) == NULL) {
				fprintf(stderr, "nsp_bench post: cannot read a plan from %s\n", plan_in);
				free(buf);
				goto done;
			}
			free(buf);
		}
		req.plan = plan;
		req.replan = plan == NULL;
		double t0 = now_seconds();
		int lrc = nsp_loader_post_sync(p, &req, &res, &status, err, sizeof(err));
		double secs = now_seconds() - t0;
		if (plan != NULL)
			neosync__plugin__v1__plan__free_unpacked(plan, NULL);
		if (lrc != 0) {
			fprintf(stderr, "nsp_bench post: %s\n", err);
			goto done;
		}
		print_outcome(status, secs, now_seconds() - started, res->summary, res->error);
		rc = 0;
		if (json != NULL && write_json(json, &res->base) != 0) {
			fprintf(stderr, "nsp_bench post: cannot write %s\n", json);
			rc = 1;
		}
		neosync__plugin__v1__post_sync_response__free_unpacked(res, NULL);
	}
done:
	nsp_loader_close(p);
	protobuf_c_message_free_unpacked(opts_msg, NULL);
	fflush(stdout);
	return rc;
}
