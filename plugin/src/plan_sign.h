/* plan_sign - the signature a plan carries when the plugin's process has a key (see
 * plan_verify.h for why): Plan.integrity = 0x01 || HMAC-SHA256(key, canonical encoding of every
 * field of the plan but integrity). HMAC and SHA-256 are OpenSSL's (libcrypto, which libpq
 * already loads into the process); signatures are compared in constant time (CRYPTO_memcmp). */
#ifndef NSP_PLAN_SIGN_H
#define NSP_PLAN_SIGN_H

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

/* HMAC-SHA256 of msg. 0, or -1 when libcrypto fails (out of memory). */
int nsp_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len,
		    uint8_t out[32]);

/* The key from the environment: 1 found (key, *keylen set), 0 none configured, -1 a configured
 * key that cannot be used (err says why, never with the key). key holds NSP_PLAN_KEY_MAX bytes. */
int nsp_plan_key_load(uint8_t *key, size_t *keylen, nsp_error *err);

/* The MAC of a plan (every field but integrity, in a canonical encoding). 0, or -1. */
int nsp_plan_mac(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
		 uint8_t out[32]);

/* Whether plan->integrity is this plan's signature with this key: 1 yes, 0 no, -1 libcrypto
 * failed. */
int nsp_plan_signature_matches(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key,
			       size_t keylen);

/* Sign the plan when a key is configured (nothing when none is; -1 on a bad key). */
int nsp_plan_sign(Neosync__Plugin__V1__Plan *plan, nsp_error *err);
int nsp_plan_sign_with_key(Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
			   nsp_error *err);

#endif
