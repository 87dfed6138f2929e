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
 *     that cross a trust boundary. (SHA-256 and HMAC are implemented here, tested against the
 *     FIPS 180-2 and RFC 4231 vectors, so the plugin needs no crypto library.)
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
 * Also here: the refusals that keep a job from running against the wrong server:
 * nsp_verify_source_version (a source newer than the catalog queries know) and
 * nsp_verify_distinct_databases (the source and the destination are the same database). */
#ifndef NSP_PLAN_VERIFY_H
#define NSP_PLAN_VERIFY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "neosync/plugin/v1/plan.pb-c.h"

#define NSP_PLAN_KEY_ENV "NEOSYNC_PLAN_KEY"
#define NSP_PLAN_KEY_FILE_ENV "NEOSYNC_PLAN_KEY_FILE"
#define NSP_PLAN_KEY_MIN 16
#define NSP_PLAN_KEY_MAX 4096
/* Plan.integrity: one version byte, then the 32-byte MAC. */
#define NSP_PLAN_INTEGRITY_VERSION 1
#define NSP_PLAN_INTEGRITY_LEN 33

/* Sources the catalog queries are written for: PostgreSQL 12 to 18 (19 is refused until its
 * catalog is checked against these queries: tests/integration/test_major_*.sh). */
#define NSP_SOURCE_VERSION_MIN 120000
#define NSP_SOURCE_VERSION_MAX 189999

/* --- SHA-256 and HMAC-SHA256 ------------------------------------------------------------- */

typedef struct nsp_sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t nbuf;
} nsp_sha256;

void nsp_sha256_init(nsp_sha256 *c);
void nsp_sha256_update(nsp_sha256 *c, const void *data, size_t len);
void nsp_sha256_final(nsp_sha256 *c, uint8_t out[32]);
void nsp_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len,
		     uint8_t out[32]);

/* --- plan integrity ------------------------------------------------------------------------ */

/* The key from the environment: 1 found (key, *keylen set), 0 none configured, -1 a configured
 * key that cannot be used (err says why, never with the key). key holds NSP_PLAN_KEY_MAX bytes. */
int nsp_plan_key_load(uint8_t *key, size_t *keylen, nsp_error *err);

/* The MAC of a plan (every field but integrity, in a canonical encoding). */
void nsp_plan_mac(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
		  uint8_t out[32]);

/* Sign the plan when a key is configured (nothing when none is; -1 on a bad key). */
int nsp_plan_sign(Neosync__Plugin__V1__Plan *plan, nsp_error *err);
int nsp_plan_sign_with_key(Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
			   nsp_error *err);

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

/* --- servers --------------------------------------------------------------------------------- */

/* Refuse a source server the catalog queries do not know (server_version_num). */
int nsp_verify_source_version(int server_version_num, nsp_error *err);

/* Refuse a job whose source and destination are the same database: same cluster (system
 * identifier from pg_control_system() where the role may read it, else the postmaster's start
 * time and port) and same database name. Opens a short connection to the source. A physical
 * standby of the destination counts as the same database (writes to one reach the other). */
int nsp_verify_distinct_databases(PGconn *dst, const char *source_url, unsigned connect_timeout_s,
				  nsp_error *err);

#endif
