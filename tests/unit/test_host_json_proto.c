/* json_proto: the descriptor-driven proto3 JSON converter, on the contract's messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_proto.h"
#include "neosync/plugin/v1/job.pb-c.h"
#include "neosync/plugin/v1/options.pb-c.h"
#include "neosync/plugin/v1/plan.pb-c.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

#define EXAMPLES NSP_TEST_SOURCE_DIR "/deploy/examples/"

static ProtobufCMessage *parse_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
	char err[1024] = "";
	ProtobufCMessage *m = NULL;
	if (nsp_json_to_proto(json, strlen(json), "t.json", d, &m, err, sizeof err) != 0)
		fail_msg("unexpected error: %s", err);
	assert_non_null(m);
	return m;
}

/* Parse must fail with exactly this message. */
static void parse_err(const ProtobufCMessageDescriptor *d, const char *json, const char *expected)
{
	char err[1024] = "";
	ProtobufCMessage *m = (void *)1;
	assert_int_equal(nsp_json_to_proto(json, strlen(json), "t.json", d, &m, err, sizeof err), -1);
	assert_null(m);
	if (strcmp(err, expected) != 0)
		fail_msg("expected: %s\n     got: %s", expected, err);
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(m, buf), *len);
	return buf;
}

static void assert_same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la, lb;
	uint8_t *pa = pack(a, &la), *pb = pack(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

#define OPTS (&neosync__plugin__v1__schema_plugin_options__descriptor)
#define JOB (&neosync__plugin__v1__job_config__descriptor)

static void test_camel_name(void **state)
{
	(void)state;
	char buf[64];
	nsp_json_camel_name("job_id", buf, sizeof buf);
	assert_string_equal(buf, "jobId");
	nsp_json_camel_name("connect_timeout_s", buf, sizeof buf);
	assert_string_equal(buf, "connectTimeoutS");
	nsp_json_camel_name("url", buf, sizeof buf);
	assert_string_equal(buf, "url");
	nsp_json_camel_name("failures_by_sqlstate", buf, 8);
	assert_string_equal(buf, "failure");
}

static void test_snake_and_camel_equal(void **state)
{
	(void)state;
	ProtobufCMessage *a = parse_ok(OPTS, "{\"onExisting\": \"SKIP\", \"fkMode\": 2, \"lockTimeoutMs\": 7,"
	                                     " \"roleMap\": [{\"sourceRole\": \"a\", \"destinationRole\": \"b\"}],"
	                                     " \"sessionSettings\": {\"x\": \"1\"}, \"connectTimeoutS\": \"9\"}");
	ProtobufCMessage *b = parse_ok(OPTS, "{\"on_existing\": \"ON_EXISTING_SKIP\", \"fk_mode\": \"FK_MODE_SKIP\","
	                                     " \"lock_timeout_ms\": 7,"
	                                     " \"role_map\": [{\"source_role\": \"a\", \"destination_role\": \"b\"}],"
	                                     " \"session_settings\": {\"x\": \"1\"}, \"connect_timeout_s\": 9}");
	assert_same_message(a, b);
	protobuf_c_message_free_unpacked(a, NULL);
	protobuf_c_message_free_unpacked(b, NULL);
}

static void test_enums(void **state)
{
	(void)state;
	static const char *const forms[] = {
		"\"ON_EXISTING_STRIP\"", "\"on_existing_strip\"", "\"STRIP\"", "\"strip\"", "\"Strip\"", "3",
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"onExisting\": %s}", forms[i]);
		Neosync__Plugin__V1__SchemaPluginOptions *o = (void *)parse_ok(OPTS, json);
		assert_int_equal(o->on_existing, NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_STRIP);
		protobuf_c_message_free_unpacked(&o->base, NULL);
	}
	Neosync__Plugin__V1__SchemaPluginOptions *o =
		(void *)parse_ok(OPTS, "{\"defer\": [\"check_constraints\", 2, \"DEFERRABLE_KIND_UNSPECIFIED\"]}");
	assert_int_equal(o->n_defer, 3);
	assert_int_equal(o->defer[0], 1);
	assert_int_equal(o->defer[1], 2);
	assert_int_equal(o->defer[2], 0);
	protobuf_c_message_free_unpacked(&o->base, NULL);

	parse_err(OPTS, "{\"fkMode\": 7}",
	          "t.json:1:12: unknown value 7 for enum neosync.plugin.v1.FkMode of field \"fkMode\"; expected one of "
	          "VALIDATE, NOT_VALID_ON_VIOLATION, SKIP (at $.fkMode)");
	parse_err(OPTS, "{\"fkMode\": true}",
	          "t.json:1:12: field \"fkMode\" expects an enum name or number (neosync.plugin.v1.FkMode), got a boolean "
	          "(at $.fkMode)");
	/* the prefix alone, or a name of another enum, is not a value */
	parse_err(OPTS, "{\"fkMode\": \"ON_EXISTING_SKIP\"}",
	          "t.json:1:12: unknown value \"ON_EXISTING_SKIP\" for enum neosync.plugin.v1.FkMode of field \"fkMode\"; "
	          "expected one of VALIDATE, NOT_VALID_ON_VIOLATION, SKIP (at $.fkMode)");
}

static void test_integers(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &neosync__plugin__v1__step_result__descriptor;
	Neosync__Plugin__V1__StepResult *r =
		(void *)parse_ok(d, "{\"stepId\": 4294967295, \"durationUs\": \"18446744073709551615\","
		                    " \"violationCount\": \"-9223372036854775808\"}");
	assert_int_equal(r->step_id, UINT32_MAX);
	assert_true(r->duration_us == UINT64_MAX);
	assert_true(r->violation_count == INT64_MIN);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	r = (void *)parse_ok(d, "{\"stepId\": 1e3, \"durationUs\": 18446744073709551615, \"violationCount\": -9223372036854775808}");
	assert_int_equal(r->step_id, 1000);
	assert_true(r->duration_us == UINT64_MAX);
	assert_true(r->violation_count == INT64_MIN);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	r = (void *)parse_ok(d, "{\"stepId\": \"7\", \"violationCount\": 9223372036854775807, \"durationUs\": 2.0}");
	assert_int_equal(r->step_id, 7);
	assert_true(r->violation_count == INT64_MAX);
	assert_true(r->duration_us == 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	parse_err(d, "{\"stepId\": 4294967296}",
	          "t.json:1:12: integer 4294967296 out of range for field \"stepId\" (uint32) (at $.stepId)");
	parse_err(d, "{\"stepId\": -1}", "t.json:1:12: integer -1 out of range for field \"stepId\" (uint32) (at $.stepId)");
	parse_err(d, "{\"stepId\": 1.5}", "t.json:1:12: field \"stepId\" expects an integer (uint32), got 1.5 (at $.stepId)");
	/* json-c saturates these; the text says what was written */
	parse_err(d, "{\"durationUs\": 18446744073709551616}",
	          "t.json:1:16: integer out of range for field \"durationUs\" (uint64) (at $.durationUs)");
	parse_err(d, "{\"violationCount\": -9223372036854775809}",
	          "t.json:1:20: integer -9223372036854775809 out of range for field \"violationCount\" (int64) (at $.violationCount)");
	parse_err(d, "{\"violationCount\": \"12x\"}",
	          "t.json:1:20: field \"violationCount\" expects an integer (int64), got \"12x\" (at $.violationCount)");
	parse_err(d, "{\"durationUs\": [1]}",
	          "t.json:1:16: field \"durationUs\" expects an integer (uint64), got an array (at $.durationUs)");

	const ProtobufCMessageDescriptor *hook = &neosync__plugin__v1__job_hook__descriptor;
	Neosync__Plugin__V1__JobHook *h = (void *)parse_ok(hook, "{\"priority\": -2147483648}");
	assert_int_equal(h->priority, INT32_MIN);
	protobuf_c_message_free_unpacked(&h->base, NULL);
	parse_err(hook, "{\"priority\": 2147483648}",
	          "t.json:1:14: integer 2147483648 out of range for field \"priority\" (int32) (at $.priority)");
}

static void test_bool_string_bytes(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *plan = &neosync__plugin__v1__plan__descriptor;
	Neosync__Plugin__V1__Plan *p = (void *)parse_ok(plan, "{\"integrity\": \"aGVsbG8=\", \"jobId\": \"\\u00e9\\ud83d\\ude00\"}");
	assert_int_equal(p->integrity.len, 5);
	assert_memory_equal(p->integrity.data, "hello", 5);
	assert_string_equal(p->job_id, "\xc3\xa9\xf0\x9f\x98\x80");
	protobuf_c_message_free_unpacked(&p->base, NULL);
	/* URL-safe alphabet, no padding */
	p = (void *)parse_ok(plan, "{\"integrity\": \"-_8\"}");
	assert_int_equal(p->integrity.len, 2);
	assert_int_equal(p->integrity.data[0], 0xfb);
	assert_int_equal(p->integrity.data[1], 0xff);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	parse_err(plan, "{\"integrity\": \"a*b\"}",
	          "t.json:1:15: field \"integrity\" expects base64 (bytes), got \"a*b\" (at $.integrity)");
	parse_err(plan, "{\"jobId\": \"a\\u0000b\"}",
	          "t.json:1:11: field \"jobId\": strings may not contain \\u0000 (at $.jobId)");
	parse_err(plan, "{\"jobId\": 12}",
	          "t.json:1:11: field \"jobId\" expects a string (string), got a number (at $.jobId)");

	const ProtobufCMessageDescriptor *hook = &neosync__plugin__v1__job_hook__descriptor;
	parse_err(hook, "{\"enabled\": \"true\"}",
	          "t.json:1:13: field \"enabled\" expects true or false (bool), got a string (at $.enabled)");
	parse_err(hook, "{\"enabled\": 1}",
	          "t.json:1:13: field \"enabled\" expects true or false (bool), got a number (at $.enabled)");
}

static void test_maps(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *d = &neosync__plugin__v1__summary__descriptor;
	Neosync__Plugin__V1__Summary *s =
		(void *)parse_ok(d, "{\"failuresBySqlstate\": {\"23505\": 1, \"23503\": \"2\", \"a.b c\": 0}}");
	assert_int_equal(s->n_failures_by_sqlstate, 3);
	assert_string_equal(s->failures_by_sqlstate[0]->key, "23505");
	assert_int_equal(s->failures_by_sqlstate[0]->value, 1);
	assert_string_equal(s->failures_by_sqlstate[1]->key, "23503");
	assert_int_equal(s->failures_by_sqlstate[1]->value, 2);
	assert_string_equal(s->failures_by_sqlstate[2]->key, "a.b c");
	protobuf_c_message_free_unpacked(&s->base, NULL);

	/* a map value of the wrong type: the path quotes keys that are not identifiers */
	parse_err(d, "{\"failuresBySqlstate\": {\"23505\": 1,\n  \"a.b\": \"x\"}}",
	          "t.json:2:10: field \"value\" expects an integer (uint32), got \"x\" (at $.failuresBySqlstate[\"a.b\"])");
	parse_err(d, "{\"failuresBySqlstate\": [1]}",
	          "t.json:1:24: field \"failuresBySqlstate\" expects an object (map) (neosync.plugin.v1.Summary.FailuresBySqlstateEntry), "
	          "got an array (at $.failuresBySqlstate)");
	parse_err(OPTS, "{\"sessionSettings\": {\"work_mem\": null}}",
	          "t.json:1:34: null is not allowed as a value of map field \"sessionSettings\" (at $.sessionSettings.work_mem)");
}

static void test_oneof_and_null(void **state)
{
	(void)state;
	Neosync__Plugin__V1__SchemaPluginOptions *o = (void *)parse_ok(OPTS, "{\"comments\": true}");
	assert_int_equal(o->comments_opt_case, NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT_COMMENTS);
	assert_true(o->comments);
	protobuf_c_message_free_unpacked(&o->base, NULL);
	/* null means "not set": the oneof stays unset, scalars keep their default */
	o = (void *)parse_ok(OPTS, "{\"comments\": null, \"parallelism\": null, \"roleMap\": null, \"onExisting\": null}");
	assert_int_equal(o->comments_opt_case, NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT__NOT_SET);
	assert_int_equal(o->parallelism, 0);
	assert_int_equal(o->n_role_map, 0);
	protobuf_c_message_free_unpacked(&o->base, NULL);

	const ProtobufCMessageDescriptor *ph = &neosync__plugin__v1__plugin_hook__descriptor;
	Neosync__Plugin__V1__PluginHook *p = (void *)parse_ok(ph, "{\"address\": \"host:1\", \"path\": null}");
	assert_int_equal(p->target_case, NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS);
	assert_string_equal(p->address, "host:1");
	protobuf_c_message_free_unpacked(&p->base, NULL);
	parse_err(ph, "{\"address\": \"host:1\",\n \"path\": \"x.so\"}",
	          "t.json:2:2: \"address\" and \"path\" of neosync.plugin.v1.PluginHook are members of one oneof; "
	          "set only one of them (at $.path)");

	/* a message-typed oneof member */
	const ProtobufCMessageDescriptor *ev = &neosync__plugin__v1__pre_sync_event__descriptor;
	Neosync__Plugin__V1__PreSyncEvent *e = (void *)parse_ok(ev, "{\"progress\": {\"done\": 3, \"status\": \"APPLIED\"}}");
	assert_int_equal(e->event_case, NEOSYNC__PLUGIN__V1__PRE_SYNC_EVENT__EVENT_PROGRESS);
	assert_int_equal(e->progress->done, 3);
	assert_int_equal(e->progress->status, NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED);
	protobuf_c_message_free_unpacked(&e->base, NULL);
	/* failing inside a oneof message member frees what was built */
	parse_err(ev, "{\"response\": {\"results\": [{\"stepId\": 1}, {\"stepId\": \"x\"}]}}",
	          "t.json:1:53: field \"stepId\" expects an integer (uint32), got \"x\" (at $.response.results[1].stepId)");
	parse_err(ev, "{\"response\": {}, \"progress\": {}}",
	          "t.json:1:18: \"response\" and \"progress\" of neosync.plugin.v1.PreSyncEvent are members of one oneof; "
	          "set only one of them (at $.progress)");

	parse_err(JOB, "{\"tables\": [null]}",
	          "t.json:1:13: null is not allowed in repeated field \"tables\" (at $.tables[0])");
	parse_err(JOB, "{\"tables\": {}}",
	          "t.json:1:12: field \"tables\" expects an array (neosync.plugin.v1.TableRef), got an object (at $.tables)");
	parse_err(JOB, "{\"source\": \"postgresql:///x\"}",
	          "t.json:1:12: field \"source\" expects an object (neosync.plugin.v1.Connection), got a string (at $.source)");
}

static void test_unknown_and_nested_errors(void **state)
{
	(void)state;
	parse_err(JOB, "{\n  \"jobId\": \"a\",\n    \"tabels\": []\n}",
	          "t.json:3:5: unknown field \"tabels\" in neosync.plugin.v1.JobConfig (at $.tabels); did you mean \"tables\"?");
	parse_err(JOB, "{\"zzz\": 1}", "t.json:1:2: unknown field \"zzz\" in neosync.plugin.v1.JobConfig (at $.zzz)");
	parse_err(JOB,
	          "{\"hooks\": [\n"
	          "  {\"name\": \"a\"},\n"
	          "  {\"name\": \"b\", \"plugin\": {\"options\": {\"onExisting\": \"SKIP\",\n"
	          "      \"fk_modus\": 1}}}]}",
	          "t.json:4:7: unknown field \"fk_modus\" in neosync.plugin.v1.SchemaPluginOptions (at $.hooks[1].plugin.options.fk_modus); "
	          "did you mean \"fkMode\"?");
	/* columns count characters, not bytes */
	parse_err(JOB, "{\"jobId\": \"\xc3\xa9\xc3\xa9\", \"x\": 1}",
	          "t.json:1:17: unknown field \"x\" in neosync.plugin.v1.JobConfig (at $.x)");
	/* escaped keys are decoded before they are matched, and located all the same */
	ProtobufCMessage *m = parse_ok(JOB, "{\"\\u006aobId\": \"a\"}");
	assert_string_equal(((Neosync__Plugin__V1__JobConfig *)m)->job_id, "a");
	protobuf_c_message_free_unpacked(m, NULL);
	parse_err(JOB, "{\"jobId\": \"a\", \"t\\u0061bels\": 1}",
	          "t.json:1:16: unknown field \"tabels\" in neosync.plugin.v1.JobConfig (at $.tabels); did you mean \"tables\"?");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	parse_err(JOB, "{\"jobId\": \"a\",\n \"hooks\": [}", "t.json:2:12: JSON syntax error: unexpected character");
	/* json-c rejects a single-quoted value, accepts a single-quoted key: both end in an error */
	parse_err(JOB, "{\"jobId\": 'a'}", "t.json:1:11: JSON syntax error: unexpected character");
	parse_err(JOB, "{'jobId': \"a\"}", "t.json:1:2: keys must be strings in double quotes");
	parse_err(JOB, "{\"jobId\": \"a\nb\"}",
	          "t.json:1:13: control character in a string; write it as an escape such as \\n (at $.jobId)");
	parse_err(JOB, "{\"hydration\": {\"parallelism\": NaN}}",
	          "t.json:1:31: \"NaN\" is not a JSON value (NaN and Infinity must be strings) (at $.hydration.parallelism)");
	parse_err(JOB, "{} {}", "t.json:1:4: unexpected text after the JSON object");
	parse_err(JOB, "\n\n  [1]", "t.json:3:3: expected a JSON object ({...}) for neosync.plugin.v1.JobConfig");
	parse_err(JOB, "", "t.json: empty file: expected a JSON object");
	parse_err(JOB, "{\"a\":", "t.json:1:6: unexpected end of input: the JSON document is incomplete");
	parse_err(JOB, "{\"hooks\": [{\"name\": \"a\", \"name\": \"b\"}]}",
	          "t.json:1:26: key \"name\" given twice in one object (at $.hooks[0].name)");
}

static void test_locate(void **state)
{
	(void)state;
	static const char text[] = "{\n"
	                           "  \"job_id\": \"x\",\n"
	                           "  \"hooks\": [ {\"name\": \"a\"},\n"
	                           "             {\"name\": \"b\", \"plugin\": {\"path\": \"p\"}} ],\n"
	                           "  \"a b\": {\"c\": [1, [2, 3]]}\n"
	                           "}";
	unsigned line, col;
	assert_int_equal(nsp_json_locate(text, strlen(text), "$", false, &line, &col), 0);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.jobId", true, &line, &col), 0);
	assert_int_equal(line, 2);
	assert_int_equal(col, 3);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.jobId", false, &line, &col), 0);
	assert_int_equal(col, 13);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.hooks[1].plugin.path", false, &line, &col), 0);
	assert_int_equal(line, 4);
	assert_int_equal(col, 47);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.hooks[1]", false, &line, &col), 0);
	assert_int_equal(col, 14);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$[\"a b\"].c[1][1]", false, &line, &col), 0);
	assert_int_equal(line, 5);
	assert_int_equal(col, 24);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.hooks[2]", false, &line, &col), -1);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.nope", false, &line, &col), -1);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.jobId.x", false, &line, &col), -1);
	assert_int_equal(nsp_json_locate(text, strlen(text), "jobId", false, &line, &col), -1);
	assert_int_equal(nsp_json_locate(text, strlen(text), "$.", false, &line, &col), -1);
}

static void test_to_json(void **state)
{
	(void)state;
	Neosync__Plugin__V1__StepResult r = NEOSYNC__PLUGIN__V1__STEP_RESULT__INIT;
	r.step_id = 3;
	r.status = NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED;
	r.sqlstate = "23505";
	r.duration_us = 12345678901234ULL;
	r.violation_count = -1;
	char *s = nsp_proto_to_json(&r.base, false);
	assert_string_equal(s, "{\"stepId\":3,\"status\":\"STEP_STATUS_FAILED\",\"sqlstate\":\"23505\","
	                       "\"durationUs\":\"12345678901234\",\"violationCount\":\"-1\"}");
	free(s);

	/* defaults omitted; a set oneof member printed even at its zero value; no "\/" escapes */
	Neosync__Plugin__V1__SchemaPluginOptions o = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__INIT;
	o.comments_opt_case = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT_COMMENTS;
	o.comments = 0;
	Neosync__Plugin__V1__SchemaPluginOptions__SessionSettingsEntry e1 =
		NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__SESSION_SETTINGS_ENTRY__INIT;
	e1.key = "search_path";
	e1.value = "a/b";
	Neosync__Plugin__V1__SchemaPluginOptions__SessionSettingsEntry *entries[] = {&e1};
	o.n_session_settings = 1;
	o.session_settings = entries;
	s = nsp_proto_to_json(&o.base, false);
	assert_string_equal(s, "{\"comments\":false,\"sessionSettings\":{\"search_path\":\"a/b\"}}");
	free(s);

	Neosync__Plugin__V1__Plan p = NEOSYNC__PLUGIN__V1__PLAN__INIT;
	s = nsp_proto_to_json(&p.base, false);
	assert_string_equal(s, "{}");
	free(s);
	p.integrity.data = (uint8_t *)"hello";
	p.integrity.len = 5;
	s = nsp_proto_to_json(&p.base, true);
	assert_string_equal(s, "{\n  \"integrity\": \"aGVsbG8=\"\n}");
	free(s);
}

/* JSON -> proto -> JSON -> proto gives the same message. */
static void roundtrip(const ProtobufCMessageDescriptor *d, const char *json)
{
	char err[512];
	ProtobufCMessage *a = parse_ok(d, json);
	char *j1 = nsp_proto_to_json(a, true);
	assert_non_null(j1);
	ProtobufCMessage *b = NULL;
	if (nsp_json_to_proto(j1, strlen(j1), "printed.json", d, &b, err, sizeof err) != 0)
		fail_msg("%s\n%s", err, j1);
	assert_same_message(a, b);
	char *j2 = nsp_proto_to_json(b, true);
	assert_string_equal(j1, j2);
	free(j1);
	free(j2);
	protobuf_c_message_free_unpacked(a, NULL);
	protobuf_c_message_free_unpacked(b, NULL);
}

static void test_roundtrip_examples(void **state)
{
	(void)state;
	static const char *const names[] = {"job-all-tables.json", "job-subset-with-options.json", "job-remote-hook.json"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[512];
		size_t len;
		snprintf(path, sizeof path, "%s%s", EXAMPLES, names[i]);
		char *text = read_file(path, &len);
		roundtrip(JOB, text);
		free(text);
	}
}

static void test_roundtrip_plan(void **state)
{
	(void)state;
	roundtrip(&neosync__plugin__v1__post_sync_request__descriptor,
	          "{\"jobId\": \"j\", \"runId\": \"r\", \"replan\": true,"
	          " \"options\": {\"defer\": [\"CHECK_CONSTRAINTS\"], \"comments\": true, \"fkMode\": \"SKIP\"},"
	          " \"plan\": {\"formatVersion\": 1, \"jobId\": \"j\", \"createdAt\": \"2024-01-01T00:00:00Z\","
	          "   \"sourceServerVersion\": 150004, \"integrity\": \"AAECAwQ=\","
	          "   \"steps\": [{\"id\": 1, \"phase\": \"PRE_SYNC\", \"kind\": \"TABLE\", \"identity\": \"public.actor\","
	          "                \"sql\": \"CREATE TABLE \\\"public\\\".\\\"actor\\\" ()\", \"cost\": \"9007199254740993\"},"
	          "              {\"id\": 2, \"phase\": 2, \"kind\": \"PRIMARY_KEY\", \"dependsOn\": [1],"
	          "               \"locks\": [{\"relation\": \"\\\"public\\\".\\\"actor\\\"\", \"mode\": \"ACCESS_EXCLUSIVE\"}],"
	          "               \"skipReason\": \"\"}]},"
	          " \"tables\": [{\"schema\": \"public\", \"table\": \"*\"}]}");
	roundtrip(&neosync__plugin__v1__summary__descriptor,
	          "{\"applied\": 4, \"failed\": 1, \"durationUs\": 77, \"failuresBySqlstate\": {\"23505\": 1}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_camel_name),
		cmocka_unit_test(test_snake_and_camel_equal),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_bool_string_bytes),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_oneof_and_null),
		cmocka_unit_test(test_unknown_and_nested_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_roundtrip_examples),
		cmocka_unit_test(test_roundtrip_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
