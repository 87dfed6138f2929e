/* plan_verify - see plan_verify.h for the rules and the reasons. */
#include "plan_verify.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connection.h"

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x
#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define PRE NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC
#define POST NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC

/* ============================================================================================
 * SHA-256 (FIPS 180-4) and HMAC (RFC 2104)
 * ========================================================================================== */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(nsp_sha256 *c, const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5],
		 g = c->h[6], h = c->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = cc;
		cc = b;
		b = a;
		a = t1 + t2;
	}
	c->h[0] += a;
	c->h[1] += b;
	c->h[2] += cc;
	c->h[3] += d;
	c->h[4] += e;
	c->h[5] += f;
	c->h[6] += g;
	c->h[7] += h;
}

void nsp_sha256_init(nsp_sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, iv, sizeof(iv));
	c->bytes = 0;
	c->nbuf = 0;
}

void nsp_sha256_update(nsp_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->bytes += len;
	while (len > 0) {
		if (c->nbuf == 0 && len >= 64) {
			sha_block(c, p);
			p += 64;
			len -= 64;
			continue;
		}
		size_t take = 64 - c->nbuf < len ? 64 - c->nbuf : len;
		memcpy(c->buf + c->nbuf, p, take);
		c->nbuf += take;
		p += take;
		len -= take;
		if (c->nbuf == 64) {
			sha_block(c, c->buf);
			c->nbuf = 0;
		}
	}
}

void nsp_sha256_final(nsp_sha256 *c, uint8_t out[32])
{
	uint64_t bits = c->bytes * 8;
	uint8_t pad = 0x80;
	nsp_sha256_update(c, &pad, 1);
	uint8_t zero = 0;
	while (c->nbuf != 56)
		nsp_sha256_update(c, &zero, 1);
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	nsp_sha256_update(c, len, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

typedef struct hmac_ctx {
	nsp_sha256 inner;
	uint8_t okey[64];
} hmac_ctx;

static void hmac_init(hmac_ctx *h, const uint8_t *key, size_t keylen)
{
	uint8_t k[64] = {0};
	if (keylen > 64) {
		nsp_sha256 c;
		nsp_sha256_init(&c);
		nsp_sha256_update(&c, key, keylen);
		nsp_sha256_final(&c, k);
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	uint8_t ikey[64];
	for (int i = 0; i < 64; i++) {
		ikey[i] = k[i] ^ 0x36;
		h->okey[i] = k[i] ^ 0x5c;
	}
	nsp_sha256_init(&h->inner);
	nsp_sha256_update(&h->inner, ikey, 64);
}

static void hmac_final(hmac_ctx *h, uint8_t out[32])
{
	uint8_t ih[32];
	nsp_sha256_final(&h->inner, ih);
	nsp_sha256 o;
	nsp_sha256_init(&o);
	nsp_sha256_update(&o, h->okey, 64);
	nsp_sha256_update(&o, ih, 32);
	nsp_sha256_final(&o, out);
}

void nsp_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[32])
{
	hmac_ctx h;
	hmac_init(&h, key, keylen);
	nsp_sha256_update(&h.inner, msg, len);
	hmac_final(&h, out);
}

/* ============================================================================================
 * Plan signatures
 * ========================================================================================== */

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

static void mac_u64(hmac_ctx *h, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	nsp_sha256_update(&h->inner, b, 8);
}

static void mac_str(hmac_ctx *h, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	mac_u64(h, n);
	if (n)
		nsp_sha256_update(&h->inner, s, n);
}

void nsp_plan_mac(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
		  uint8_t out[32])
{
	hmac_ctx h;
	hmac_init(&h, key, keylen);
	nsp_sha256_update(&h.inner, "neosync-schema-plan-v1", 23);
	mac_u64(&h, plan->format_version);
	mac_str(&h, plan->job_id);
	mac_str(&h, plan->created_at);
	mac_u64(&h, plan->source_server_version);
	mac_u64(&h, plan->n_steps);
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		mac_u64(&h, s->id);
		mac_u64(&h, (uint64_t)(int64_t)s->phase);
		mac_u64(&h, (uint64_t)(int64_t)s->kind);
		mac_str(&h, s->identity);
		mac_str(&h, s->schema);
		mac_str(&h, s->name);
		mac_str(&h, s->table);
		mac_str(&h, s->sql);
		mac_u64(&h, s->n_depends_on);
		for (size_t d = 0; d < s->n_depends_on; d++)
			mac_u64(&h, s->depends_on[d]);
		mac_u64(&h, s->n_locks);
		for (size_t l = 0; l < s->n_locks; l++) {
			mac_str(&h, s->locks[l]->relation);
			mac_u64(&h, (uint64_t)(int64_t)s->locks[l]->mode);
		}
		mac_u64(&h, s->cost);
		mac_str(&h, s->skip_reason);
		const Neosync__Plugin__V1__ObjectAddress *a = s->address;
		mac_str(&h, a ? a->type : "");
		mac_u64(&h, a ? a->n_names : 0);
		for (size_t k = 0; a && k < a->n_names; k++)
			mac_str(&h, a->names[k]);
		mac_u64(&h, a ? a->n_args : 0);
		for (size_t k = 0; a && k < a->n_args; k++)
			mac_str(&h, a->args[k]);
	}
	hmac_final(&h, out);
}

int nsp_plan_sign_with_key(Neosync__Plugin__V1__Plan *plan, const uint8_t *key, size_t keylen,
			   nsp_error *err)
{
	uint8_t *buf = malloc(NSP_PLAN_INTEGRITY_LEN);
	if (buf == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory signing the plan");
	buf[0] = NSP_PLAN_INTEGRITY_VERSION;
	nsp_plan_mac(plan, key, keylen, buf + 1);
	if (plan->integrity.data != NULL)
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
	memset(key, 0, NSP_PLAN_KEY_MAX);
	free(key);
	return rc;
}

/* ============================================================================================
 * The graph
 * ========================================================================================== */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_id(const uint32_t *sorted, size_t n, uint32_t id)
{
	return bsearch(&id, sorted, n, sizeof(*sorted), cmp_u32) != NULL;
}

int nsp_plan_verify_graph(const Neosync__Plugin__V1__Plan *plan, nsp_error *err)
{
	if (plan->format_version != 1)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "PostSyncRequest.plan: format_version %u is not one this plugin reads "
				     "(1); pass the plan from this plugin's PreSyncResponse, or set replan",
				     plan->format_version);
	uint32_t *ids = malloc((plan->n_steps ? plan->n_steps : 1) * sizeof(*ids));
	if (ids == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory verifying the plan");
	int rc = 0;
	for (size_t i = 0; i < plan->n_steps && rc == 0; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		ids[i] = s->id;
		if (s->id == 0)
			rc = nsp_error_set(err, EC(INVALID_ARGUMENT), "PostSyncRequest.plan.steps[%zu]: id 0", i);
		else if (s->phase != PRE && s->phase != POST)
			rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
					   "PostSyncRequest.plan.steps[%zu] (step %u): unknown phase %d", i,
					   s->id, (int)s->phase);
		else if (protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor,
							      s->kind) == NULL ||
			 s->kind == K(UNSPECIFIED))
			rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
					   "PostSyncRequest.plan.steps[%zu] (step %u): unknown kind %d", i,
					   s->id, (int)s->kind);
		for (size_t l = 0; rc == 0 && l < s->n_locks; l++)
			if (s->locks[l]->mode < 0 || s->locks[l]->mode > 8)
				rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
						   "PostSyncRequest.plan.steps[%zu] (step %u): unknown lock mode %d",
						   i, s->id, (int)s->locks[l]->mode);
	}
	if (rc == 0 && plan->n_steps > 1) {
		qsort(ids, plan->n_steps, sizeof(*ids), cmp_u32);
		for (size_t i = 1; i < plan->n_steps && rc == 0; i++)
			if (ids[i] == ids[i - 1])
				rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
						   "PostSyncRequest.plan: step id %u appears twice", ids[i]);
	}
	for (size_t i = 0; i < plan->n_steps && rc == 0; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		for (size_t d = 0; d < s->n_depends_on && rc == 0; d++)
			if (!has_id(ids, plan->n_steps, s->depends_on[d]))
				rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
						   "PostSyncRequest.plan: step %u (%s) depends on step %u, "
						   "which the plan does not have",
						   s->id, s->identity, s->depends_on[d]);
	}
	free(ids);
	return rc;
}

/* ============================================================================================
 * SQL: a lexer that splits statements where PostgreSQL's does
 * ========================================================================================== */

typedef enum { T_WORD, T_QIDENT, T_STRING, T_NUMBER, T_PARAM, T_OP, T_SEMI, T_OPEN, T_CLOSE,
	       T_COMMA, T_DOT, T_EOF, T_UNTERMINATED } tok_kind;

typedef struct token {
	tok_kind kind;
	const char *p;
	size_t len;
	int depth; /* parenthesis depth before the token */
} token;

typedef struct lexer {
	const char *s;
	size_t n, i;
	bool backslash; /* standard_conforming_strings off: '...' takes backslash escapes */
} lexer;

static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_cont(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skip whitespace and comments; false when a block comment does not end. */
static bool skip_space(lexer *l)
{
	for (;;) {
		while (l->i < l->n && strchr(" \t\n\r\f\v", l->s[l->i]) != NULL)
			l->i++;
		if (l->i + 1 < l->n && l->s[l->i] == '-' && l->s[l->i + 1] == '-') {
			while (l->i < l->n && l->s[l->i] != '\n' && l->s[l->i] != '\r')
				l->i++;
			continue;
		}
		if (l->i + 1 < l->n && l->s[l->i] == '/' && l->s[l->i + 1] == '*') {
			int depth = 0;
			while (l->i < l->n) {
				if (l->i + 1 < l->n && l->s[l->i] == '/' && l->s[l->i + 1] == '*') {
					depth++;
					l->i += 2;
				} else if (l->i + 1 < l->n && l->s[l->i] == '*' && l->s[l->i + 1] == '/') {
					l->i += 2;
					if (--depth == 0)
						break;
				} else {
					l->i++;
				}
			}
			if (depth != 0)
				return false;
			continue;
		}
		return true;
	}
}

/* A quoted run starting at the opening quote q; escapes: backslash escapes (E'' strings). */
static bool quoted(lexer *l, char q, bool escapes)
{
	l->i++;
	while (l->i < l->n) {
		char c = l->s[l->i];
		if (escapes && c == '\\') {
			l->i += 2;
			continue;
		}
		l->i++;
		if (c == q) {
			if (l->i < l->n && l->s[l->i] == q) {
				l->i++;
				continue;
			}
			return true;
		}
	}
	l->i = l->n;
	return false;
}

/* $tag$ at l->i: the length of the delimiter, or 0 when this is not one. */
static size_t dollar_tag(const lexer *l)
{
	size_t j = l->i + 1;
	if (j < l->n && l->s[j] == '$')
		return 2;
	if (j >= l->n || !ident_start((unsigned char)l->s[j]))
		return 0;
	while (j < l->n && (isalnum((unsigned char)l->s[j]) || l->s[j] == '_' ||
			    (unsigned char)l->s[j] >= 0x80))
		j++;
	return j < l->n && l->s[j] == '$' ? j + 1 - l->i : 0;
}

static void next_token(lexer *l, token *t)
{
	if (!skip_space(l)) {
		t->kind = T_UNTERMINATED;
		return;
	}
	t->p = l->s + l->i;
	t->len = 0;
	if (l->i >= l->n) {
		t->kind = T_EOF;
		return;
	}
	size_t start = l->i;
	unsigned char c = (unsigned char)l->s[l->i];
	unsigned char c1 = l->i + 1 < l->n ? (unsigned char)l->s[l->i + 1] : 0;
	unsigned char c2 = l->i + 2 < l->n ? (unsigned char)l->s[l->i + 2] : 0;
	bool ok = true;
	if ((c == 'e' || c == 'E') && c1 == '\'') {
		l->i++;
		t->kind = T_STRING;
		ok = quoted(l, '\'', true);
	} else if ((c == 'u' || c == 'U') && c1 == '&' && (c2 == '\'' || c2 == '"')) {
		l->i += 2;
		t->kind = c2 == '"' ? T_QIDENT : T_STRING;
		ok = quoted(l, (char)c2, false);
	} else if (strchr("bBxXnN", c) != NULL && c1 == '\'') {
		l->i++;
		t->kind = T_STRING;
		ok = quoted(l, '\'', l->backslash);
	} else if (c == '\'') {
		t->kind = T_STRING;
		ok = quoted(l, '\'', l->backslash);
	} else if (c == '"') {
		t->kind = T_QIDENT;
		ok = quoted(l, '"', false);
	} else if (c == '$' && isdigit(c1)) {
		t->kind = T_PARAM;
		l->i++;
		while (l->i < l->n && isdigit((unsigned char)l->s[l->i]))
			l->i++;
	} else if (c == '$' && dollar_tag(l) > 0) {
		size_t tag = dollar_tag(l);
		const char *delim = l->s + l->i;
		t->kind = T_STRING;
		l->i += tag;
		ok = false;
		while (l->i + tag <= l->n) {
			if (l->s[l->i] == '$' && memcmp(l->s + l->i, delim, tag) == 0) {
				l->i += tag;
				ok = true;
				break;
			}
			l->i++;
		}
		if (!ok)
			l->i = l->n;
	} else if (ident_start(c)) {
		t->kind = T_WORD;
		while (l->i < l->n && ident_cont((unsigned char)l->s[l->i]))
			l->i++;
	} else if (isdigit(c) || (c == '.' && isdigit(c1))) {
		t->kind = T_NUMBER;
		while (l->i < l->n) {
			unsigned char d = (unsigned char)l->s[l->i];
			if ((d == 'e' || d == 'E') && l->i + 1 < l->n && strchr("+-", l->s[l->i + 1]) &&
			    l->i + 2 < l->n && isdigit((unsigned char)l->s[l->i + 2]))
				l->i += 2;
			else if (isalnum(d) || d == '_' || d == '.')
				l->i++;
			else
				break;
		}
	} else {
		l->i++;
		t->kind = c == ';' ? T_SEMI : c == '(' ? T_OPEN : c == ')' ? T_CLOSE : c == ',' ? T_COMMA
			  : c == '.' ? T_DOT : T_OP;
	}
	if (!ok)
		t->kind = T_UNTERMINATED;
	t->len = l->i - start;
}

static bool word_is(const token *t, const char *w)
{
	return t->kind == T_WORD && strlen(w) == t->len && strncasecmp(t->p, w, t->len) == 0;
}

/* One statement: tokens [first, first + n) of the step's token array. */
typedef struct stmt {
	const token *t;
	size_t n;
} stmt;

typedef struct tokens {
	token *t;
	size_t n, cap;
	stmt *st;
	size_t nst, stcap;
} tokens;

static void tokens_free(tokens *tk)
{
	free(tk->t);
	free(tk->st);
	memset(tk, 0, sizeof(*tk));
}

static bool push_token(tokens *tk, const token *t)
{
	if (tk->n == tk->cap) {
		size_t cap = tk->cap ? tk->cap * 2 : 64;
		token *p = realloc(tk->t, cap * sizeof(*p));
		if (p == NULL)
			return false;
		tk->t = p;
		tk->cap = cap;
	}
	tk->t[tk->n++] = *t;
	return true;
}

static bool push_stmt(tokens *tk, size_t first, size_t end)
{
	if (end == first)
		return true; /* empty statement (";;"): nothing runs */
	if (tk->nst == tk->stcap) {
		size_t cap = tk->stcap ? tk->stcap * 2 : 8;
		stmt *p = realloc(tk->st, cap * sizeof(*p));
		if (p == NULL)
			return false;
		tk->st = p;
		tk->stcap = cap;
	}
	/* pointers are fixed up once every token is in */
	tk->st[tk->nst].t = (const token *)(uintptr_t)first;
	tk->st[tk->nst++].n = end - first;
	return true;
}

typedef enum { SPLIT_OK, SPLIT_REJECT, SPLIT_NOMEM, SPLIT_SERVER_REJECTS } split_result;

/* Is tokens [first, i) the head of CREATE [OR REPLACE] FUNCTION|PROCEDURE? */
static bool in_routine(const tokens *tk, size_t first)
{
	size_t i = first;
	if (i >= tk->n || !word_is(&tk->t[i], "CREATE"))
		return false;
	i++;
	if (i + 1 < tk->n && word_is(&tk->t[i], "OR") && word_is(&tk->t[i + 1], "REPLACE"))
		i += 2;
	return i < tk->n && (word_is(&tk->t[i], "FUNCTION") || word_is(&tk->t[i], "PROCEDURE"));
}

/* Lex sql and split it into statements at top-level semicolons; a BEGIN ATOMIC body of a
 * CREATE FUNCTION/PROCEDURE keeps its semicolons (it ends at END right after one of them, or
 * right after ATOMIC, as in PostgreSQL's grammar). Unbalanced parentheses, a semicolon inside
 * parentheses, and unterminated quotes or comments make the server reject the whole string:
 * reported as SPLIT_SERVER_REJECTS. */
static split_result split(const char *sql, bool backslash, tokens *tk)
{
	lexer l = {.s = sql, .n = strlen(sql), .i = 0, .backslash = backslash};
	int depth = 0;
	size_t first = 0;
	bool body = false, body_stmt_start = false;
	for (;;) {
		token t;
		next_token(&l, &t);
		if (t.kind == T_UNTERMINATED)
			return SPLIT_SERVER_REJECTS;
		t.depth = depth;
		if (t.kind == T_EOF)
			break;
		if (t.kind == T_OPEN)
			depth++;
		if (t.kind == T_CLOSE && --depth < 0)
			return SPLIT_SERVER_REJECTS;
		if (t.kind == T_SEMI && depth != 0)
			return SPLIT_SERVER_REJECTS;
		if (body && body_stmt_start && word_is(&t, "END"))
			body = false;
		body_stmt_start = false;
		if (t.kind == T_SEMI && !body) {
			if (!push_stmt(tk, first, tk->n))
				return SPLIT_NOMEM;
			first = tk->n;
			continue;
		}
		if (t.kind == T_SEMI)
			body_stmt_start = true;
		if (!push_token(tk, &t))
			return SPLIT_NOMEM;
		if (!body && depth == 0 && word_is(&t, "ATOMIC") && tk->n >= 2 + first &&
		    word_is(&tk->t[tk->n - 2], "BEGIN") && in_routine(tk, first)) {
			body = true;
			body_stmt_start = true;
		}
	}
	if (depth != 0 || body)
		return SPLIT_SERVER_REJECTS;
	if (!push_stmt(tk, first, tk->n))
		return SPLIT_NOMEM;
	for (size_t i = 0; i < tk->nst; i++)
		tk->st[i].t = tk->t + (size_t)(uintptr_t)tk->st[i].t;
	return SPLIT_OK;
}

/* ============================================================================================
 * SQL: the shapes of each kind
 * ========================================================================================== */

/* Leading words of a statement match `pattern` (space-separated words). */
static bool head_is(const stmt *s, const char *pattern)
{
	size_t i = 0;
	const char *p = pattern;
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (i >= s->n || s->t[i].kind != T_WORD || s->t[i].len != len ||
		    strncasecmp(s->t[i].p, p, len) != 0)
			return false;
		i++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return true;
}

/* Index of the first depth-0 word w at or after `from`, or n. */
static size_t find_word0(const stmt *s, size_t from, const char *w)
{
	for (size_t i = from; i < s->n; i++)
		if (s->t[i].depth == 0 && word_is(&s->t[i], w))
			return i;
	return s->n;
}

static bool has_word0(const stmt *s, const char *w)
{
	return find_word0(s, 0, w) < s->n;
}

/* Functions a plan never needs and that reach outside the database, end sessions, change
 * settings, sleep, or run a query given as a string. */
static const char *const denied_functions[] = {
	"pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_ls_logdir",
	"pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_ls_logicalsnapdir",
	"pg_ls_logicalmapdir", "pg_ls_replslotdir", "lo_import", "lo_export", "lo_unlink",
	"lo_from_bytea", "lo_put", "lo_create", "lo_creat", "lo_open", "lowrite", "pg_file_write",
	"pg_file_rename", "pg_file_unlink", "pg_file_sync", "pg_logdir_ls", "pg_terminate_backend",
	"pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote", "pg_switch_wal",
	"pg_create_restore_point", "pg_backup_start", "pg_backup_stop", "pg_start_backup",
	"pg_stop_backup", "set_config", "pg_sleep", "pg_sleep_for", "pg_sleep_until", "pg_notify",
	"pg_logical_emit_message", "pg_create_logical_replication_slot",
	"pg_create_physical_replication_slot", "pg_drop_replication_slot", "pg_replication_origin_create",
	"pg_advisory_lock", "pg_advisory_xact_lock", "pg_advisory_lock_shared",
	"pg_advisory_xact_lock_shared", "query_to_xml", "query_to_xmlschema",
	"query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "table_to_xml",
	"table_to_xmlschema", "table_to_xml_and_xmlschema", "schema_to_xml", "schema_to_xmlschema",
	"schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema",
	"database_to_xml_and_xmlschema", "dblink", "dblink_exec", "dblink_connect",
	"dblink_connect_u", "dblink_open", "dblink_fetch", "dblink_send_query", "dblink_get_result",
	"pg_import_system_collations", "pg_stat_reset", "pg_stat_statements_reset",
	NULL};

static const char *denied_name(const stmt *s)
{
	char name[64];
	for (size_t i = 0; i < s->n; i++) {
		const token *t = &s->t[i];
		size_t len = t->len;
		const char *p = t->p;
		if (t->kind == T_QIDENT && len >= 2 && p[0] == '"') {
			p++;
			len -= 2;
		} else if (t->kind != T_WORD) {
			continue;
		}
		if (len == 0 || len >= sizeof(name))
			continue;
		for (size_t k = 0; k < len; k++)
			name[k] = (char)tolower((unsigned char)p[k]);
		name[len] = '\0';
		for (size_t d = 0; denied_functions[d] != NULL; d++)
			if (strcmp(name, denied_functions[d]) == 0)
				return denied_functions[d];
	}
	return NULL;
}

/* ALTER <object> name <action>[, <action> ...]: each top-level action must be an allowed one. */
static const char *check_alter_actions(const stmt *s, size_t name_at, bool owner_ok)
{
	/* Skip the (qualified) name: words, quoted identifiers and dots. */
	size_t i = name_at;
	while (i < s->n && (s->t[i].kind == T_WORD || s->t[i].kind == T_QIDENT)) {
		i++;
		if (i < s->n && s->t[i].kind == T_DOT)
			i++;
		else
			break;
	}
	static const char *const denied[] = {"DROP", "RENAME", "DETACH", "TYPE", "SCHEMA",
					     "TABLESPACE", "DEPENDS", "TRUNCATE", NULL};
	bool action_start = true;
	for (; i < s->n; i++) {
		const token *t = &s->t[i];
		if (t->depth != 0)
			continue;
		/* a word next to a dot is part of a qualified name (pg_get_*def() leaves unreserved
		 * keywords unquoted: REFERENCES public.drop(id)) */
		if (t->kind == T_WORD && ((i > 0 && s->t[i - 1].kind == T_DOT) ||
					  (i + 1 < s->n && s->t[i + 1].kind == T_DOT)))
			continue;
		if (t->kind == T_COMMA) {
			action_start = true;
			continue;
		}
		for (size_t d = 0; denied[d] != NULL; d++)
			if (word_is(t, denied[d]))
				return "a destructive or unexpected ALTER action";
		if (word_is(t, "OWNER") && !owner_ok)
			return "OWNER TO outside an owner step";
		if (action_start) {
			static const char *const allowed[] = {"ADD", "VALIDATE", "ALTER", "ATTACH",
							      "CLUSTER", "REPLICA", "ENABLE", "DISABLE",
							      "FORCE", "OWNER", "SET", "INHERIT", "OF",
							      "OWNED", "USING", "RESET", NULL};
			bool ok = false;
			for (size_t a = 0; allowed[a] != NULL && !ok; a++)
				ok = word_is(t, allowed[a]);
			if (!ok)
				return "an ALTER action the planner does not emit";
			action_start = false;
		}
	}
	return NULL;
}

/* The statement shapes per kind. Returns NULL when the statement is allowed, else why not. */
static const char *check_statement(const Neosync__Plugin__V1__Step *step, const stmt *s)
{
	int k = step->kind;
	const char *denied = denied_name(s);
	if (denied != NULL)
		return "a call of a function that plans never need";
	bool owner = k == K(OWNER);

	/* Owner steps: ALTER <object> ... OWNER TO role, nothing else. */
	if (owner) {
		if (!head_is(s, "ALTER"))
			return "an owner step that is not ALTER ... OWNER TO";
		size_t o = find_word0(s, 0, "OWNER");
		if (o + 1 >= s->n || !word_is(&s->t[o + 1], "TO"))
			return "an owner step that is not ALTER ... OWNER TO";
		if (find_word0(s, 2, "DROP") < s->n || find_word0(s, 2, "RENAME") < s->n ||
		    find_word0(s, 2, "SCHEMA") < s->n ||
		    head_is(s, "ALTER ROLE") || head_is(s, "ALTER USER") || head_is(s, "ALTER GROUP") ||
		    head_is(s, "ALTER SYSTEM") || head_is(s, "ALTER DATABASE"))
			return "an owner step that changes more than an owner";
		return NULL;
	}
	/* Privilege steps: GRANT/REVOKE on objects (never roles). */
	if (k == K(ACL)) {
		if ((head_is(s, "GRANT") || head_is(s, "REVOKE")) && has_word0(s, "ON") &&
		    !has_word0(s, "ROLE"))
			return NULL;
		/* ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] GRANT|REVOKE ... ON TABLES ... */
		if (head_is(s, "ALTER DEFAULT PRIVILEGES FOR ROLE") && s->n > 6 &&
		    (s->t[5].kind == T_WORD || s->t[5].kind == T_QIDENT) &&
		    (find_word0(s, 6, "GRANT") < s->n || find_word0(s, 6, "REVOKE") < s->n) &&
		    has_word0(s, "ON") && find_word0(s, 6, "ROLE") == s->n)
			return NULL;
		return "a privilege step that is not GRANT/REVOKE ... ON an object";
	}
	if (k == K(COMMENT))
		return head_is(s, "COMMENT ON") ? NULL : "a comment step that is not COMMENT ON";
	if (k == K(MATVIEW_REFRESH))
		return head_is(s, "REFRESH MATERIALIZED VIEW") && !has_word0(s, "WITH") && s->n <= 8
			       ? NULL
			       : "a refresh step that is not REFRESH MATERIALIZED VIEW name";
	if (k == K(SEQUENCE_VALUE)) {
		/* SELECT pg_catalog.setval('name', number, true|false) */
		const token *t = s->t;
		size_t n = s->n, i = 0;
		bool ok = n >= 11 && word_is(&t[0], "SELECT") && word_is(&t[1], "pg_catalog") &&
			  t[2].kind == T_DOT && word_is(&t[3], "setval") && t[4].kind == T_OPEN &&
			  t[5].kind == T_STRING && t[6].kind == T_COMMA;
		i = 7;
		if (ok && i < n && t[i].kind == T_OP && t[i].len == 1 && t[i].p[0] == '-')
			i++;
		ok = ok && i + 4 == n && t[i].kind == T_NUMBER && t[i + 1].kind == T_COMMA &&
		     (word_is(&t[i + 2], "true") || word_is(&t[i + 2], "false")) && t[i + 3].kind == T_CLOSE;
		return ok ? NULL : "a sequence value step that is not SELECT pg_catalog.setval(name, value, is_called)";
	}

	/* Object creation and the ALTERs that go with it. */
	static const struct {
		const char *head;
		int kinds[8];
	} shapes[] = {
		{"CREATE SCHEMA", {K(SCHEMA)}},
		{"CREATE EXTENSION", {K(EXTENSION)}},
		{"CREATE COLLATION", {K(COLLATION)}},
		{"CREATE TYPE", {K(TYPE)}},
		{"CREATE DOMAIN", {K(DOMAIN)}},
		{"ALTER DOMAIN", {K(DOMAIN), K(DOMAIN_CONSTRAINT)}},
		{"CREATE FUNCTION", {K(FUNCTION)}},
		{"CREATE OR REPLACE FUNCTION", {K(FUNCTION)}},
		{"CREATE PROCEDURE", {K(FUNCTION)}},
		{"CREATE OR REPLACE PROCEDURE", {K(FUNCTION)}},
		{"CREATE AGGREGATE", {K(AGGREGATE)}},
		{"CREATE OR REPLACE AGGREGATE", {K(AGGREGATE)}},
		{"CREATE OPERATOR", {K(OPERATOR)}},
		{"ALTER OPERATOR FAMILY", {K(OPERATOR)}},
		{"CREATE CAST", {K(CAST)}},
		{"CREATE TEXT SEARCH", {K(TEXT_SEARCH)}},
		{"ALTER TEXT SEARCH", {K(TEXT_SEARCH)}},
		{"CREATE SEQUENCE", {K(SEQUENCE)}},
		{"CREATE UNLOGGED SEQUENCE", {K(SEQUENCE)}},
		{"ALTER SEQUENCE", {K(SEQUENCE), K(IDENTITY), K(TABLE)}},
		{"CREATE TABLE", {K(TABLE)}},
		{"CREATE UNLOGGED TABLE", {K(TABLE)}},
		{"ALTER TABLE", {K(TABLE), K(PARTITION_ATTACH), K(PRIMARY_KEY), K(UNIQUE_CONSTRAINT),
				 K(EXCLUSION_CONSTRAINT), K(CHECK_CONSTRAINT), K(FOREIGN_KEY), K(INDEX)}},
		{"ALTER TABLE", {K(TRIGGER), K(RULE), K(ROW_SECURITY), K(IDENTITY), K(TABLE_PROPERTY),
				 K(VIEW), K(MATERIALIZED_VIEW)}},
		{"CREATE INDEX", {K(INDEX), K(PRIMARY_KEY), K(UNIQUE_CONSTRAINT), K(EXCLUSION_CONSTRAINT),
				  K(MATERIALIZED_VIEW)}},
		{"CREATE UNIQUE INDEX", {K(INDEX), K(PRIMARY_KEY), K(UNIQUE_CONSTRAINT),
					 K(EXCLUSION_CONSTRAINT), K(MATERIALIZED_VIEW)}},
		{"ALTER INDEX", {K(INDEX), K(INDEX_ATTACH), K(PRIMARY_KEY), K(UNIQUE_CONSTRAINT),
				 K(EXCLUSION_CONSTRAINT), K(TABLE_PROPERTY)}},
		{"CREATE TRIGGER", {K(TRIGGER)}},
		{"CREATE OR REPLACE TRIGGER", {K(TRIGGER)}},
		{"CREATE CONSTRAINT TRIGGER", {K(TRIGGER)}},
		{"CREATE RULE", {K(RULE)}},
		{"CREATE OR REPLACE RULE", {K(RULE)}},
		{"CREATE VIEW", {K(VIEW)}},
		{"CREATE OR REPLACE VIEW", {K(VIEW)}},
		{"CREATE RECURSIVE VIEW", {K(VIEW)}},
		{"CREATE OR REPLACE RECURSIVE VIEW", {K(VIEW)}},
		{"ALTER VIEW", {K(VIEW)}},
		{"CREATE MATERIALIZED VIEW", {K(MATERIALIZED_VIEW)}},
		{"ALTER MATERIALIZED VIEW", {K(MATERIALIZED_VIEW), K(TABLE_PROPERTY)}},
		{"CREATE POLICY", {K(POLICY)}},
		{"CREATE STATISTICS", {K(STATISTICS)}},
		{"ALTER STATISTICS", {K(STATISTICS)}},
	};
	const char *matched = NULL;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]) && matched == NULL; i++) {
		if (!head_is(s, shapes[i].head))
			continue;
		for (size_t j = 0; j < 8; j++)
			if (shapes[i].kinds[j] == k && k != 0)
				matched = shapes[i].head;
	}
	if (matched == NULL)
		return "a statement this kind of step never has";

	if (strncmp(matched, "ALTER ", 6) == 0) {
		/* the name follows the object words (and ONLY / IF EXISTS) */
		size_t at = 1;
		while (at < s->n && s->t[at].kind == T_WORD &&
		       (word_is(&s->t[at], "TABLE") || word_is(&s->t[at], "INDEX") ||
			word_is(&s->t[at], "VIEW") || word_is(&s->t[at], "MATERIALIZED") ||
			word_is(&s->t[at], "SEQUENCE") || word_is(&s->t[at], "DOMAIN") ||
			word_is(&s->t[at], "STATISTICS") || word_is(&s->t[at], "ONLY") ||
			word_is(&s->t[at], "IF") || word_is(&s->t[at], "EXISTS")))
			at++;
		if (head_is(s, "ALTER TEXT SEARCH") || head_is(s, "ALTER OPERATOR FAMILY")) {
			if (has_word0(s, "DROP") || has_word0(s, "RENAME") || has_word0(s, "OWNER") ||
			    has_word0(s, "SCHEMA"))
				return "a destructive or unexpected ALTER action";
			return NULL;
		}
		return check_alter_actions(s, at, false);
	}
	if (strstr(matched, "FUNCTION") || strstr(matched, "PROCEDURE")) {
		size_t lang = find_word0(s, 0, "LANGUAGE");
		if (lang + 1 < s->n && (word_is(&s->t[lang + 1], "c") ||
					(s->t[lang + 1].kind == T_QIDENT && s->t[lang + 1].len == 3 &&
					 (s->t[lang + 1].p[1] == 'c' || s->t[lang + 1].p[1] == 'C'))))
			return "a function in C (creating it loads a shared library)";
		if (lang + 1 < s->n && s->t[lang + 1].kind == T_STRING)
			return "a function language given as a string";
		return NULL;
	}
	if (strstr(matched, "TABLE") && has_word0(s, "AS"))
		return "CREATE TABLE ... AS (it would run a query)";
	if (strcmp(matched, "CREATE MATERIALIZED VIEW") == 0) {
		size_t n = s->n;
		if (n < 3 || !word_is(&s->t[n - 3], "WITH") || !word_is(&s->t[n - 2], "NO") ||
		    !word_is(&s->t[n - 1], "DATA"))
			return "a materialized view not created WITH NO DATA (it would run its query)";
	}
	if (strcmp(matched, "CREATE TYPE") == 0 && !has_word0(s, "AS"))
		return "a base type (CREATE TYPE name (INPUT = ...))";
	return NULL;
}

static int describe_refusal(const Neosync__Plugin__V1__Step *step, size_t stmt_no, const stmt *s,
			    const char *why, nsp_error *err)
{
	char head[64] = "";
	size_t len = 0;
	for (size_t i = 0; i < s->n && i < 4 && s->t[i].kind == T_WORD; i++) {
		int w = snprintf(head + len, sizeof(head) - len, "%s%.*s", i ? " " : "",
				 (int)(s->t[i].len > 20 ? 20 : s->t[i].len), s->t[i].p);
		if (w < 0 || (size_t)w >= sizeof(head) - len)
			break;
		len += (size_t)w;
	}
	const ProtobufCEnumValue *kv =
		protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor, step->kind);
	return nsp_error_set(err, EC(INVALID_ARGUMENT),
			     "PostSyncRequest.plan: step %u (%s, %s) was refused: statement %zu (%s%s) is "
			     "%s; the plan was changed after pre-sync made it. Nothing was run. Pass the "
			     "plan exactly as the PreSyncResponse returned it, or set replan to plan again "
			     "from the source (see README, Hardening: plan integrity)",
			     step->id, step->identity, kv ? kv->name : "?", stmt_no + 1,
			     head[0] ? head : "no keyword", len > 0 ? " ..." : "", why);
}

int nsp_plan_verify_step_sql(const Neosync__Plugin__V1__Step *step, nsp_error *err)
{
	for (int mode = 0; mode < 2; mode++) {
		tokens tk = {0};
		split_result r = split(step->sql ? step->sql : "", mode == 1, &tk);
		if (r == SPLIT_NOMEM) {
			tokens_free(&tk);
			return nsp_error_set(err, EC(INTERNAL), "out of memory verifying the plan");
		}
		if (r == SPLIT_SERVER_REJECTS) {
			tokens_free(&tk);
			/* With standard_conforming_strings on (mode 0, what the plugin's sessions use) the
			 * server would refuse the whole string; so would we. In the other mode a lexing
			 * that the server refuses runs nothing: fine. */
			if (mode == 1)
				continue;
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: step %u (%s) was refused: its SQL has an "
					     "unterminated quote or comment or unbalanced parentheses; the plan "
					     "was changed after pre-sync made it. Nothing was run. Pass the plan "
					     "exactly as the PreSyncResponse returned it, or set replan",
					     step->id, step->identity);
		}
		if (tk.nst > 64) {
			tokens_free(&tk);
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: step %u (%s) was refused: %zu statements "
					     "in one step; the planner emits at most 64",
					     step->id, step->identity, tk.nst);
		}
		for (size_t i = 0; i < tk.nst; i++) {
			const char *why = check_statement(step, &tk.st[i]);
			if (why != NULL) {
				describe_refusal(step, i, &tk.st[i], why, err);
				tokens_free(&tk);
				return -1;
			}
		}
		tokens_free(&tk);
	}
	return 0;
}

/* ============================================================================================
 * Verification entry points
 * ========================================================================================== */

static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

int nsp_plan_verify_with_key(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key,
			     size_t keylen, nsp_error *err)
{
	if (plan == NULL)
		return nsp_error_set(err, EC(INVALID_ARGUMENT), "PostSyncRequest.plan: missing");
	if (keylen > 0) {
		if (plan->integrity.len == 0)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: the plan is not signed, and this plugin "
					     "has a plan key (%s): only plans it signed are run. Nothing was "
					     "run. Run pre-sync with the same key, or set replan",
					     NSP_PLAN_KEY_ENV);
		uint8_t mac[32];
		nsp_plan_mac(plan, key, keylen, mac);
		if (plan->integrity.len != NSP_PLAN_INTEGRITY_LEN ||
		    plan->integrity.data[0] != NSP_PLAN_INTEGRITY_VERSION ||
		    !ct_equal(mac, plan->integrity.data + 1, 32))
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: the plan's signature does not match: it "
					     "was changed after pre-sync made it, or signed with another key. "
					     "Nothing was run. Pass the plan exactly as the PreSyncResponse "
					     "returned it with the same %s, or set replan",
					     NSP_PLAN_KEY_ENV);
		return nsp_plan_verify_graph(plan, err);
	}
	if (plan->integrity.len != 0)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "PostSyncRequest.plan: the plan is signed but this plugin has no plan "
				     "key to check it with. Nothing was run. Set %s (or %s) to the key "
				     "pre-sync used, or set replan",
				     NSP_PLAN_KEY_ENV, NSP_PLAN_KEY_FILE_ENV);
	if (nsp_plan_verify_graph(plan, err) != 0)
		return -1;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->phase == POST && nsp_plan_verify_step_sql(s, err) != 0)
			return -1;
	}
	return 0;
}

int nsp_plan_verify(const Neosync__Plugin__V1__Plan *plan, nsp_error *err)
{
	uint8_t *key = malloc(NSP_PLAN_KEY_MAX);
	if (key == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory");
	size_t keylen = 0;
	int rc = nsp_plan_key_load(key, &keylen, err) < 0 ? -1
							  : nsp_plan_verify_with_key(plan, key, keylen, err);
	memset(key, 0, NSP_PLAN_KEY_MAX);
	free(key);
	return rc;
}

/* ============================================================================================
 * Servers
 * ========================================================================================== */

int nsp_verify_source_version(int v, nsp_error *err)
{
	if (v >= NSP_SOURCE_VERSION_MIN && v <= NSP_SOURCE_VERSION_MAX)
		return 0;
	if (v <= 0)
		return nsp_error_set(err, EC(CONNECTION),
				     "source: the server did not report its version; nothing was read");
	return nsp_error_set(err, EC(INVALID_ARGUMENT),
			     "source: PostgreSQL %d.%d is %s than this plugin's catalog queries know "
			     "(PostgreSQL 12 to 18); nothing was read or changed. %s",
			     v >= 100000 ? v / 10000 : v / 10000, v >= 100000 ? v % 10000 : (v / 100) % 100,
			     v > NSP_SOURCE_VERSION_MAX ? "newer" : "older",
			     v > NSP_SOURCE_VERSION_MAX
				     ? "Use a plugin version that supports it"
				     : "Upgrade the source, or copy the schema with pg_dump");
}

/* One row: system identifier ('' when the role may not read it), database, postmaster start
 * time, port. */
static const char identity_sql[] =
	"SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', "
	"'EXECUTE') THEN (SELECT s.system_identifier::pg_catalog.text FROM "
	"pg_catalog.pg_control_system() s) ELSE '' END, pg_catalog.current_database(), "
	"pg_catalog.pg_postmaster_start_time()::pg_catalog.text, "
	"pg_catalog.current_setting('port')";

static int read_identity(PGconn *conn, const char *what, char out[4][128], nsp_error *err)
{
	PGresult *res = PQexec(conn, identity_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char context[96];
		snprintf(context, sizeof(context), "reading which database the %s is", what);
		nsp_error_set_pg(err, EC(CONNECTION), context, res, conn);
		PQclear(res);
		return -1;
	}
	for (int c = 0; c < 4; c++)
		snprintf(out[c], 128, "%s", PQgetvalue(res, 0, c));
	PQclear(res);
	return 0;
}

int nsp_verify_distinct_databases(PGconn *dst, const char *source_url, unsigned connect_timeout_s,
				  nsp_error *err)
{
	PGconn *src = NULL;
	if (nsp_conn_open(source_url, "source", connect_timeout_s, &src, err) != 0)
		return -1;
	char a[4][128], b[4][128];
	int rc = read_identity(src, "source", a, err);
	PQfinish(src);
	if (rc == 0)
		rc = read_identity(dst, "destination", b, err);
	if (rc != 0)
		return -1;
	bool same_cluster = a[0][0] != '\0' && b[0][0] != '\0'
				    ? strcmp(a[0], b[0]) == 0
				    : strcmp(a[2], b[2]) == 0 && strcmp(a[3], b[3]) == 0;
	if (same_cluster && strcmp(a[1], b[1]) == 0)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "the source and the destination are the same database (\"%s\" on the "
				     "same PostgreSQL cluster): refused, nothing was changed. Point "
				     "destination.postgres.url at another database",
				     a[1]);
	return 0;
}
