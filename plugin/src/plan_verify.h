/* plan_verify - what the plugin checks before it trusts a plan, a source or a destination.
 *
 * PLAN INTEGRITY (the plan travels with the job: pre-sync returns it, the host keeps it, possibly
 * in a workflow engine's history, and hands it back to post-sync). A plan that comes back changed
 * must not make post-sync run statements the planner never made. Two levels:
 *
 *  1. Signed plans (when the plugin's process has a key). With NEOSYNC_PLAN_KEY (the key itself,
 *     at least 16 bytes) or NEOSYNC_PLAN_KEY_FILE (a file holding it) in the environment of the
 *     process that runs the plugin, every plan the plugin makes carries Plan.integrity = 0x01 ||
 *     HMAC-SHA256(key, canonical encoding of every field of the plan but integrity). Post-sync
 *     refuses, before it connects anywhere, a plan without a signature or with one that does not
 *     match: only plans this plugin made with this key are run. This is the guarantee for plans
 *     that cross a trust boundary. Signing is plan_sign.c (OpenSSL's HMAC).
 *
 *  2. Structural verification (always, and the only check when no key is configured, the
 *     default: a plan that carries a signature is then refused, since it cannot be checked).
 *     Every post-sync step's SQL is lexed as PostgreSQL lexes it (quotes, "identifiers",
 *     E'' strings, $tag$ quoting, nested comments, BEGIN ATOMIC bodies), under both settings of
 *     standard_conforming_strings, and split into statements; each statement must have one of
 *     the shapes the planner emits for the step's kind (CREATE INDEX for an index, ALTER TABLE ...
 *     ADD/VALIDATE CONSTRAINT for a foreign key, SELECT pg_catalog.setval(literal, number,
 *     bool) for a sequence value, REFRESH MATERIALIZED VIEW for a refresh, ...). Refused: any
 *     other statement (DROP, DELETE, UPDATE, INSERT, TRUNCATE, COPY, DO, CALL, SET, transaction
 *     control, roles, ALTER SYSTEM, ...), destructive ALTER actions (DROP, RENAME, SET SCHEMA,
 *     ALTER COLUMN TYPE, DETACH, OWNER TO outside an owner step), CREATE TABLE ... AS, a
 *     materialized view created WITH DATA, GRANT of roles, functions in C (creating one loads a library), and
 *     calls of the server-side file, program, session and backend functions (pg_read_file,
 *     lo_import, query_to_xml, dblink, set_config, pg_terminate_backend, pg_sleep, ...). The
 *     graph is checked too: step ids unique and non-zero, known phases, kinds and lock modes,
 *     dependencies that name steps of the plan.
 *
 *     What it does not do: it does not re-derive expressions. A forged plan that passes it can
 *     only create objects of the kinds the plan names, but their expressions (index expressions,
 *     CHECK constraints validated over the rows, materialized view queries run by REFRESH) may
 *     call functions that exist on the destination or that a post-sync function step creates.
 *     Where the plan's channel is not trusted, configure a key.
 *
 * The code: plan_sign.c (signatures), plan_graph.c (the graph), plan_shapes.c (the statement
 * shapes, over sql_lexer.c), plan_verify.c (the entry points). The refusals that keep a job from
 * running against the wrong server are in connection.c. */
#ifndef NSP_PLAN_VERIFY_H
#define NSP_PLAN_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "plan_sign.h"
#include "neosync/plugin/v1/plan.pb-c.h"

/* Everything post-sync checks before it runs a plan it was given: with the key from the
 * environment, nsp_plan_verify_with_key. Returns 0, or -1 with err (INVALID_ARGUMENT) naming the
 * step, what is wrong and what to do. */
int nsp_plan_verify(const Neosync__Plugin__V1__Plan *plan, nsp_error *err);
/* keylen 0: no key (structural verification; a signed plan is refused). */
int nsp_plan_verify_with_key(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key,
			     size_t keylen, nsp_error *err);
/* The graph alone (ids, phases, kinds, lock modes, dependencies). */
int nsp_plan_verify_graph(const Neosync__Plugin__V1__Plan *plan, nsp_error *err);
/* One step's SQL against the shapes of its kind (both string-literal modes). */
int nsp_plan_verify_step_sql(const Neosync__Plugin__V1__Step *step, nsp_error *err);

#endif
