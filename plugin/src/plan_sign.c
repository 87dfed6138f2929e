/* plan_sign - see plan_sign.h. */
#include "plan_sign.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x

/* An HMAC-SHA256 in progress; NULL ctx after a failure (later updates do nothing). */
typedef struct mac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	int failed;
} mac;

static void mac_begin(mac *m, const uint8_t *key, size_t keylen)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			       OSSL_PARAM_construct_end()};
	/* HMAC refuses a NULL key; an empty one is a valid key. */
	static const uint8_t empty = 0;
	m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	m->ctx = m->mac ? EVP_MAC_CTX_new(m->mac) : NULL;
	m->failed = m->ctx == NULL || !EVP_MAC_init(m->ctx, keylen ? key : &empty, keylen, params);
}

static void mac_bytes(mac *m, const void *data, size_t len)
{
	if (!m->failed && len > 0 && !EVP_MAC_update(m->ctx, data, len))
		m->failed = 1;
}

static int mac_end(mac *m, uint8_t out[32])
{
	size_t outlen = 0;
	if (!m->failed && (!EVP_MAC_final(m->ctx, out, &outlen, 32) || outlen != 32))
		m->failed = 1;
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	return m->failed ? -1 : 0;
}

int nsp_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len,
		    uint8_t out[32])
{
	mac m;
	mac_begin(&m, key, keylen);
	mac_bytes(&m, msg, len);
	return mac_end(&m, out);
}

int nsp_plan_key_load(uint8_t *key, size_t *keylen, nsp_error *err)
{
	*keylen = 0;
	const char *env = getenv(NSP_PLAN_KEY_ENV);
	const char *file = getenv(NSP_PLAN_KEY_FILE_ENV);
	size_t n = 0;
	if (env != NULL && env[0] != '\0') {
		n = strlen(env);
		if (n > NSP_PLAN_KEY_MAX)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "%s is longer than %d bytes; use a shorter plan key",
					     NSP_PLAN_KEY_ENV, NSP_PLAN_KEY_MAX);
		memcpy(key, env, n);
	} else if (file != NULL && file[0] != '\0') {
		FILE *f = fopen(file, "rb");
		if (f == NULL)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "%s: cannot read the plan key file: %s; fix the path or unset it",
					     NSP_PLAN_KEY_FILE_ENV, strerror(errno));
		n = fread(key, 1, NSP_PLAN_KEY_MAX, f);
		int more = fgetc(f);
		fclose(f);
		if (more != EOF)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "%s: the plan key file is longer than %d bytes", NSP_PLAN_KEY_FILE_ENV,
					     NSP_PLAN_KEY_MAX);
		while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r'))
			n--;
	} else {
		return 0;
	}
	if (n < NSP_PLAN_KEY_MIN)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "the plan key (%s or %s) is shorter than %d bytes; use a random key of "
				     "at least 32 bytes",
				     NSP_PLAN_KEY_ENV, NSP_PLAN_KEY_FILE_ENV, NSP_PLAN_KEY_MIN);
	*keylen = n;
	return 1;
}

/* The canonical encoding: numbers as 8 bytes big-endian, strings as their length then bytes. */
static void mac_u64(mac *m, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	mac_bytes(m, b, 8);
}

static void mac_str(mac *m, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	mac_u64(m, n);
	mac_bytes(m, s, n);
}

static void mac_step(mac *m, const Neosync__Plugin__V1__Step *s)
{
	mac_u64(m, s->id);
	mac_u64(m, (uint64_t)(int64_t)s->phase);
	mac_u64(m, (uint64_t)(int64_t)s->kind);
	mac_str(m, s->identity);
	mac_str(m, s->schema);
	mac_str(m, s->name);
	mac_str(m, s->table);
	mac_str(m, s->sql);
	mac_u64(m, s->n_depends_on);
	for (size_t d = 0; d < s->n_depends_on; d++)
		mac_u64(m, s->depends_on[d]);
	mac_u64(m, s->n_locks);
	for (size_t l = 0; l < s->n_locks; l++) {
		mac_str(m, s->locks[l]->relation);
		mac_u64(m, (uint64_t)(int64_t)s->locks[l]->mode);
	}
	mac_u64(m, s->cost);
	mac_str(m, s->skip_reason);
	const Neosync__Plugin__V1__ObjectAddress *a = s->address;
	mac_str(m, a ? a->type : "");
	mac_u64(m, a ? a->n_names : 0);
	for (size_t k = 0; a && k < a->n_names; k++)
		mac_str(m, a->names[k]);
	mac_u64(m, a ? a->n_args : 0);
	for (size_t k = 0; a && k < a->n_args; k++)
		mac_str(m, a->args[k]);
}

int nsp_plan_mac(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
		 uint8_t out[32])
{
	mac m;
	mac_begin(&m, key, keylen);
	mac_bytes(&m, "neosync-schema-plan-v1", 23); /* the terminating NUL too, as signed since v1 */
	mac_u64(&m, plan->format_version);
	mac_str(&m, plan->job_id);
	mac_str(&m, plan->created_at);
	mac_u64(&m, plan->source_server_version);
	mac_u64(&m, plan->n_steps);
	for (size_t i = 0; i < plan->n_steps; i++)
		mac_step(&m, plan->steps[i]);
	/* Fields added since: after the self-delimiting encoding above, and only when set, so that
	 * plans signed before them still verify (dest_compat.h). */
	bool any = plan->destination_server_version != 0;
	for (size_t i = 0; i < plan->n_steps && !any; i++)
		any = plan->steps[i]->unsupported;
	if (any) {
		mac_str(&m, "destination");
		mac_u64(&m, plan->destination_server_version);
		for (size_t i = 0; i < plan->n_steps; i++)
			mac_u64(&m, plan->steps[i]->unsupported);
	}
	return mac_end(&m, out);
}

int nsp_plan_signature_matches(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key,
			       size_t keylen)
{
	uint8_t expected[32];
	if (nsp_plan_mac(plan, key, keylen, expected) != 0)
		return -1;
	return plan->integrity.len == NSP_PLAN_INTEGRITY_LEN &&
	       plan->integrity.data[0] == NSP_PLAN_INTEGRITY_VERSION &&
	       CRYPTO_memcmp(expected, plan->integrity.data + 1, sizeof(expected)) == 0;
}

int nsp_plan_sign_with_key(Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
			   nsp_error *err)
{
	uint8_t *buf = malloc(NSP_PLAN_INTEGRITY_LEN);
	if (buf == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory signing the plan");
	buf[0] = NSP_PLAN_INTEGRITY_VERSION;
	if (nsp_plan_mac(plan, key, keylen, buf + 1) != 0) {
		free(buf);
		return nsp_error_set(err, EC(INTERNAL), "libcrypto could not compute the plan's HMAC");
	}
	free(plan->integrity.data);
	plan->integrity.data = buf;
	plan->integrity.len = NSP_PLAN_INTEGRITY_LEN;
	return 0;
}

int nsp_plan_sign(Neosync__Plugin__V1__Plan *plan, nsp_error *err)
{
	uint8_t *key = malloc(NSP_PLAN_KEY_MAX);
	if (key == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory");
	size_t keylen = 0;
	int found = nsp_plan_key_load(key, &keylen, err);
	int rc = found < 0 ? -1 : 0;
	if (found > 0 && plan != NULL)
		rc = nsp_plan_sign_with_key(plan, key, keylen, err);
	OPENSSL_cleanse(key, NSP_PLAN_KEY_MAX);
	free(key);
	return rc;
}
