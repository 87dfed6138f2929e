/* json_proto - see json_proto.h.
 *
 * Three passes over a document:
 *   1. json-c's tokener (strict mode) parses the text; its errors carry a character offset,
 *      turned into line:column here;
 *   2. a small scanner of our own re-reads the text for what json-c lets through but strict
 *      JSON forbids (single-quoted strings, NaN, raw control characters) and for keys repeated
 *      within one object (json-c silently keeps the last one);
 *   3. the json-c tree is converted into the message, field by field, from the descriptors.
 * json-c keeps no source positions, so when pass 3 fails it names the JSON path of the
 * offending key or value, and the locator (the same scanner) walks the source text along that
 * path to find its line and column. Errors are rare, so re-scanning then costs nothing. */
#include "json_proto.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "strbuf.h"

#define MAX_NAME 256

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                      */

void nsp_json_camel_name(const char *proto_name, char *out, size_t outlen)
{
	size_t o = 0;
	bool upper_next = false;
	if (outlen == 0)
		return;
	for (const char *p = proto_name; *p != '\0' && o + 1 < outlen; p++) {
		if (*p == '_') {
			upper_next = true;
			continue;
		}
		out[o++] = upper_next ? (char)toupper((unsigned char)*p) : *p;
		upper_next = false;
	}
	out[o] = '\0';
}

/* protoc names the entry message of map<K,V> foo_bar "FooBarEntry"; protobuf-c keeps no other
 * mark of a map field, so recognise it by that name and its key = 1, value = 2 fields. */
static bool is_map_field(const ProtobufCFieldDescriptor *f)
{
	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	const ProtobufCMessageDescriptor *d = f->descriptor;
	if (d->n_fields != 2 || strcmp(d->fields[0].name, "key") != 0 || d->fields[0].id != 1 ||
	    strcmp(d->fields[1].name, "value") != 0 || d->fields[1].id != 2)
		return false;
	char name[MAX_NAME];
	nsp_json_camel_name(f->name, name, sizeof name - 5);
	name[0] = (char)toupper((unsigned char)name[0]);
	strcat(name, "Entry");
	return strcmp(d->short_name, name) == 0;
}

/* Prefix of an enum's value names, by convention its type name in UPPER_SNAKE_CASE plus "_"
 * ("OnExisting" -> "ON_EXISTING_"). */
static void enum_prefix(const ProtobufCEnumDescriptor *d, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = d->short_name; *p != '\0' && o + 3 < outlen; p++) {
		if (isupper((unsigned char)*p) && p != d->short_name)
			out[o++] = '_';
		out[o++] = (char)toupper((unsigned char)*p);
	}
	out[o++] = '_';
	out[o] = '\0';
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[MAX_NAME + 1];
	if (la > MAX_NAME || lb > MAX_NAME)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* ------------------------------------------------------------------------------------------ */
/* Scanner: reads the source text again (the locator and the strictness pass).                */

typedef struct scan {
	const char *s;
	size_t len;
	size_t pos;
} scan;

static void skip_ws(scan *sc)
{
	while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
	                             sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
		sc->pos++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(nsp_strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		nsp_strbuf_append_char(sb, (char)cp);
	} else if (cp < 0x800) {
		nsp_strbuf_append_char(sb, (char)(0xC0 | (cp >> 6)));
		nsp_strbuf_append_char(sb, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		nsp_strbuf_append_char(sb, (char)(0xE0 | (cp >> 12)));
		nsp_strbuf_append_char(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
		nsp_strbuf_append_char(sb, (char)(0x80 | (cp & 0x3F)));
	} else {
		nsp_strbuf_append_char(sb, (char)(0xF0 | (cp >> 18)));
		nsp_strbuf_append_char(sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
		nsp_strbuf_append_char(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
		nsp_strbuf_append_char(sb, (char)(0x80 | (cp & 0x3F)));
	}
}

/* A double-quoted string at sc->pos, decoded into out (if not NULL). On a raw control character
 * *bad is set to its offset (strict JSON forbids them; json-c accepts them). */
static int scan_string(scan *sc, nsp_strbuf *out, size_t *bad)
{
	if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
		return -1;
	sc->pos++;
	while (sc->pos < sc->len) {
		unsigned char c = (unsigned char)sc->s[sc->pos];
		if (c == '"') {
			sc->pos++;
			return 0;
		}
		if (c < 0x20 && bad != NULL && *bad == SIZE_MAX)
			*bad = sc->pos;
		if (c != '\\') {
			if (out != NULL)
				nsp_strbuf_append_char(out, (char)c);
			sc->pos++;
			continue;
		}
		if (sc->pos + 1 >= sc->len)
			return -1;
		char e = sc->s[sc->pos + 1];
		sc->pos += 2;
		char lit = 0;
		switch (e) {
		case '"': lit = '"'; break;
		case '\\': lit = '\\'; break;
		case '/': lit = '/'; break;
		case 'b': lit = '\b'; break;
		case 'f': lit = '\f'; break;
		case 'n': lit = '\n'; break;
		case 'r': lit = '\r'; break;
		case 't': lit = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (sc->pos + 4 > sc->len || hex4(sc->s + sc->pos, &cp) != 0)
				return -1;
			sc->pos += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && sc->pos + 6 <= sc->len && sc->s[sc->pos] == '\\' &&
			    sc->s[sc->pos + 1] == 'u' && hex4(sc->s + sc->pos + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				sc->pos += 6;
			}
			if (out != NULL)
				put_utf8(out, cp);
			continue;
		}
		default:
			return -1;
		}
		if (out != NULL)
			nsp_strbuf_append_char(out, lit);
	}
	return -1;
}

/* Skip one value of any kind (text already accepted by json-c, so only bounds matter). */
/* Characters that end a bare token. NUL is not one: strchr() would match the string's own
 * terminator, and a NUL byte in the input would then never be consumed. */
static bool is_delimiter(char c)
{
	return c != '\0' && strchr(" \t\r\n,:{}[]\"", c) != NULL;
}

static int skip_value(scan *sc)
{
	int depth = 0;
	do {
		skip_ws(sc);
		if (sc->pos >= sc->len)
			return -1;
		char c = sc->s[sc->pos];
		if (c == '"') {
			if (scan_string(sc, NULL, NULL) != 0)
				return -1;
		} else if (c == '\'') {
			/* json-c accepts single-quoted strings; the strict pass rejects them later */
			sc->pos++;
			while (sc->pos < sc->len && sc->s[sc->pos] != '\'')
				sc->pos += sc->s[sc->pos] == '\\' ? 2 : 1;
			sc->pos++;
		} else if (c == '{' || c == '[') {
			depth++;
			sc->pos++;
		} else if (c == '}' || c == ']') {
			depth--;
			sc->pos++;
		} else if (c == ',' || c == ':') {
			sc->pos++;
		} else {
			while (sc->pos < sc->len && !is_delimiter(sc->s[sc->pos]))
				sc->pos++;
		}
	} while (depth > 0);
	return sc->pos <= sc->len ? 0 : -1;
}

/* Read one key of the object being scanned; sc->pos at its opening quote. */
static int scan_key(scan *sc, nsp_strbuf *key)
{
	nsp_strbuf_reset(key);
	if (sc->pos < sc->len && sc->s[sc->pos] == '\'') {
		/* single-quoted: only seen before the strict pass rejects the document */
		sc->pos++;
		while (sc->pos < sc->len && sc->s[sc->pos] != '\'')
			nsp_strbuf_append_char(key, sc->s[sc->pos++]);
		sc->pos++;
		return 0;
	}
	return scan_string(sc, key, NULL);
}

static void offset_to_line_col(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) { /* count code points, not UTF-8 continuation bytes */
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* One segment of a JSON path: a key or an array index. */
typedef struct path_seg {
	bool is_index;
	size_t index;
	nsp_strbuf key;
} path_seg;

/* Parse the next segment of a path ("." name | "[" digits "]" | "[" JSON string "]"). */
static int parse_path_seg(const char **pp, path_seg *seg)
{
	const char *p = *pp;
	nsp_strbuf_reset(&seg->key);
	if (*p == '.') {
		p++;
		const char *start = p;
		while (*p != '\0' && *p != '.' && *p != '[')
			p++;
		if (p == start)
			return -1;
		seg->is_index = false;
		nsp_strbuf_append_len(&seg->key, start, (size_t)(p - start));
	} else if (*p == '[' && p[1] == '"') {
		scan sc = {p + 1, strlen(p + 1), 0};
		if (scan_string(&sc, &seg->key, NULL) != 0 || p[1 + sc.pos] != ']')
			return -1;
		seg->is_index = false;
		p += 1 + sc.pos + 1;
	} else if (*p == '[') {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p + 1, &end, 10);
		if (errno != 0 || end == p + 1 || *end != ']')
			return -1;
		seg->is_index = true;
		seg->index = (size_t)v;
		p = end + 1;
	} else {
		return -1;
	}
	*pp = p;
	return 0;
}

static bool keys_match(const char *a, const char *b, bool exact)
{
	if (exact)
		return strcmp(a, b) == 0;
	char ca[MAX_NAME], cb[MAX_NAME];
	nsp_json_camel_name(a, ca, sizeof ca);
	nsp_json_camel_name(b, cb, sizeof cb);
	return strcmp(ca, cb) == 0;
}

/* Walk text along path; *off = offset of the value (or of the last key). */
static int locate_offset(const char *text, size_t len, const char *path, bool want_key, bool exact,
                         size_t *off)
{
	scan sc = {text, len, 0};
	path_seg seg;
	nsp_strbuf key;
	int rc = -1;
	nsp_strbuf_init(&seg.key);
	nsp_strbuf_init(&key);
	if (path[0] != '$')
		goto done;
	const char *p = path + 1;
	skip_ws(&sc);
	size_t key_off = sc.pos;
	while (*p != '\0') {
		if (parse_path_seg(&p, &seg) != 0 || sc.pos >= len)
			goto done;
		char open = sc.s[sc.pos];
		if (seg.is_index) {
			if (open != '[')
				goto done;
			sc.pos++;
			for (size_t i = 0;; i++) {
				skip_ws(&sc);
				if (sc.pos >= len || sc.s[sc.pos] == ']')
					goto done;
				if (i == seg.index)
					break;
				if (skip_value(&sc) != 0)
					goto done;
				skip_ws(&sc);
				if (sc.pos < len && sc.s[sc.pos] == ',')
					sc.pos++;
			}
			key_off = sc.pos;
			continue;
		}
		if (open != '{')
			goto done;
		sc.pos++;
		size_t found_key = SIZE_MAX, found_val = 0;
		for (;;) {
			skip_ws(&sc);
			if (sc.pos >= len)
				goto done;
			if (sc.s[sc.pos] == '}')
				break;
			size_t k = sc.pos;
			if (scan_key(&sc, &key) != 0)
				goto done;
			skip_ws(&sc);
			if (sc.pos >= len || sc.s[sc.pos] != ':')
				goto done;
			sc.pos++;
			skip_ws(&sc);
			if (keys_match(key.data, seg.key.data, exact)) { /* the last one wins, as in json-c */
				found_key = k;
				found_val = sc.pos;
			}
			if (skip_value(&sc) != 0)
				goto done;
			skip_ws(&sc);
			if (sc.pos < len && sc.s[sc.pos] == ',')
				sc.pos++;
		}
		if (found_key == SIZE_MAX)
			goto done;
		key_off = found_key;
		sc.pos = found_val;
	}
	*off = want_key ? key_off : sc.pos;
	rc = 0;
done:
	nsp_strbuf_free(&seg.key);
	nsp_strbuf_free(&key);
	return rc;
}

int nsp_json_locate(const char *text, size_t len, const char *path, bool key, unsigned *line,
                    unsigned *col)
{
	size_t off;
	if (text == NULL || path == NULL || locate_offset(text, len, path, key, false, &off) != 0)
		return -1;
	offset_to_line_col(text, len, off, line, col);
	return 0;
}

/* Append a key to a JSON path: ".name" when it reads as an identifier, else ["any key"]. */
static void path_push_key(nsp_strbuf *path, const char *key)
{
	bool ident = key[0] != '\0' && !isdigit((unsigned char)key[0]);
	for (const char *p = key; *p != '\0' && ident; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			ident = false;
	if (ident) {
		nsp_strbuf_append_char(path, '.');
		nsp_strbuf_append(path, key);
		return;
	}
	nsp_strbuf_append(path, "[\"");
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			nsp_strbuf_appendf(path, "\\%c", *p);
		else if (*p < 0x20)
			nsp_strbuf_appendf(path, "\\u%04x", *p);
		else
			nsp_strbuf_append_char(path, (char)*p);
	}
	nsp_strbuf_append(path, "\"]");
}

/* ------------------------------------------------------------------------------------------ */
/* Error reporting                                                                            */

typedef struct conv {
	const char *text;
	size_t len;
	const char *filename;
	nsp_strbuf path; /* JSON path of the value being converted, "$.hooks[0].name" */
	char *err;
	size_t errlen;
	char jname[MAX_NAME]; /* scratch for JNAME() */
} conv;

/* Report an error at an offset of the text. */
static int fail_at_offset(conv *c, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at_offset(conv *c, size_t off, const char *fmt, ...)
{
	unsigned line, col;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	offset_to_line_col(c->text, c->len, off, &line, &col);
	if (c->errlen > 0)
		snprintf(c->err, c->errlen, "%s:%u:%u: %s", c->filename, line, col, msg);
	return -1;
}

/* Report an error at the key (at_key) or value of the current path; suffix follows "(at ...)". */
static int fail_path(conv *c, bool at_key, const char *suffix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_path(conv *c, bool at_key, const char *suffix, const char *fmt, ...)
{
	char msg[512];
	size_t off;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *path = nsp_strbuf_failed(&c->path) ? "$" : c->path.data;
	if (c->errlen == 0)
		return -1;
	if (locate_offset(c->text, c->len, path, at_key, true, &off) == 0) {
		unsigned line, col;
		offset_to_line_col(c->text, c->len, off, &line, &col);
		snprintf(c->err, c->errlen, "%s:%u:%u: %s (at %s)%s", c->filename, line, col, msg, path,
		         suffix ? suffix : "");
	} else {
		snprintf(c->err, c->errlen, "%s: %s (at %s)%s", c->filename, msg, path, suffix ? suffix : "");
	}
	return -1;
}

static const char *json_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double:
	case json_type_int: return "a number";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "a value";
}

static const char *type_name(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: return "int32";
	case PROTOBUF_C_TYPE_SINT32: return "sint32";
	case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32";
	case PROTOBUF_C_TYPE_INT64: return "int64";
	case PROTOBUF_C_TYPE_SINT64: return "sint64";
	case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64";
	case PROTOBUF_C_TYPE_UINT32: return "uint32";
	case PROTOBUF_C_TYPE_FIXED32: return "fixed32";
	case PROTOBUF_C_TYPE_UINT64: return "uint64";
	case PROTOBUF_C_TYPE_FIXED64: return "fixed64";
	case PROTOBUF_C_TYPE_FLOAT: return "float";
	case PROTOBUF_C_TYPE_DOUBLE: return "double";
	case PROTOBUF_C_TYPE_BOOL: return "bool";
	case PROTOBUF_C_TYPE_ENUM: return ((const ProtobufCEnumDescriptor *)f->descriptor)->name;
	case PROTOBUF_C_TYPE_STRING: return "string";
	case PROTOBUF_C_TYPE_BYTES: return "bytes";
	case PROTOBUF_C_TYPE_MESSAGE: return ((const ProtobufCMessageDescriptor *)f->descriptor)->name;
	}
	return "?";
}

/* The field's JSON name, for messages: users write JSON, so they know "jobId" better than "job_id". */
#define JNAME(f) (nsp_json_camel_name((f)->name, c->jname, sizeof c->jname), c->jname)

static int fail_type(conv *c, const ProtobufCFieldDescriptor *f, const char *expected, json_object *v)
{
	return fail_path(c, false, NULL, "field \"%s\" expects %s (%s), got %s", JNAME(f), expected,
	                 type_name(f), json_kind(v));
}

/* ------------------------------------------------------------------------------------------ */
/* Strictness pass: what json-c accepts but JSON does not, and repeated keys.                  */

typedef struct key_pos {
	char *key;
	size_t off;
} key_pos;

static int cmp_key_pos(const void *a, const void *b)
{
	const key_pos *x = a, *y = b;
	int r = strcmp(x->key, y->key);
	if (r != 0)
		return r;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int lint_value(conv *c, scan *sc);

static int lint_object(conv *c, scan *sc)
{
	key_pos *keys = NULL;
	size_t n = 0, cap = 0;
	nsp_strbuf key;
	int rc = -1;
	nsp_strbuf_init(&key);
	sc->pos++; /* '{' */
	for (;;) {
		skip_ws(sc);
		if (sc->pos >= sc->len)
			goto out;
		if (sc->s[sc->pos] == '}') {
			sc->pos++;
			break;
		}
		size_t k = sc->pos;
		if (sc->s[k] != '"') {
			fail_at_offset(c, k, "keys must be strings in double quotes");
			goto out;
		}
		size_t bad = SIZE_MAX;
		nsp_strbuf_reset(&key);
		if (scan_string(sc, &key, &bad) != 0)
			goto out;
		if (bad != SIZE_MAX) {
			fail_at_offset(c, bad, "control character in a string; write it as an escape such as \\n");
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			key_pos *nk = realloc(keys, ncap * sizeof *nk);
			if (nk == NULL)
				goto out;
			keys = nk;
			cap = ncap;
		}
		keys[n].key = strdup(nsp_strbuf_failed(&key) ? "" : key.data);
		keys[n].off = k;
		if (keys[n].key == NULL)
			goto out;
		n++;
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			goto out;
		sc->pos++;
		size_t plen = c->path.len;
		path_push_key(&c->path, keys[n - 1].key);
		int r = lint_value(c, sc);
		c->path.len = plen;
		if (!nsp_strbuf_failed(&c->path))
			c->path.data[plen] = '\0';
		if (r != 0)
			goto out;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ',')
			sc->pos++;
	}
	/* a repeated key: report its first repetition in the text */
	if (n > 1) {
		qsort(keys, n, sizeof *keys, cmp_key_pos);
		size_t dup = SIZE_MAX;
		const char *dup_key = NULL;
		for (size_t i = 1; i < n; i++)
			if (strcmp(keys[i].key, keys[i - 1].key) == 0 && keys[i].off < dup &&
			    (i < 2 || strcmp(keys[i - 1].key, keys[i - 2].key) != 0)) {
				dup = keys[i].off;
				dup_key = keys[i].key;
			}
		if (dup_key != NULL) {
			unsigned line, col;
			nsp_strbuf msg;
			nsp_strbuf_init(&msg);
			offset_to_line_col(c->text, c->len, dup, &line, &col);
			path_push_key(&c->path, dup_key);
			nsp_strbuf_appendf(&msg, "%s:%u:%u: key \"%s\" given twice in one object (at %s)",
			                   c->filename, line, col, dup_key, c->path.data);
			if (c->errlen > 0)
				snprintf(c->err, c->errlen, "%s", nsp_strbuf_failed(&msg) ? "out of memory" : msg.data);
			nsp_strbuf_free(&msg);
			goto out;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(keys[i].key);
	free(keys);
	nsp_strbuf_free(&key);
	return rc;
}

static int lint_value(conv *c, scan *sc)
{
	skip_ws(sc);
	if (sc->pos >= sc->len)
		return -1;
	size_t start = sc->pos;
	char ch = sc->s[start];
	if (ch == '{')
		return lint_object(c, sc);
	if (ch == '[') {
		sc->pos++;
		for (size_t i = 0;; i++) {
			skip_ws(sc);
			if (sc->pos >= sc->len)
				return -1;
			if (sc->s[sc->pos] == ']') {
				sc->pos++;
				return 0;
			}
			size_t plen = c->path.len;
			nsp_strbuf_appendf(&c->path, "[%zu]", i);
			int r = lint_value(c, sc);
			c->path.len = plen;
			if (!nsp_strbuf_failed(&c->path))
				c->path.data[plen] = '\0';
			if (r != 0)
				return r;
			skip_ws(sc);
			if (sc->pos < sc->len && sc->s[sc->pos] == ',')
				sc->pos++;
		}
	}
	if (ch == '"') {
		size_t bad = SIZE_MAX;
		if (scan_string(sc, NULL, &bad) != 0)
			return -1;
		if (bad != SIZE_MAX)
			return fail_at_offset(c, bad, "control character in a string; write it as an escape such as \\n (at %s)",
			                      c->path.data);
		return 0;
	}
	if (ch == '\'')
		return fail_at_offset(c, start, "strings must be in double quotes (at %s)", c->path.data);
	size_t end = start;
	while (end < sc->len && !is_delimiter(sc->s[end]))
		end++;
	size_t n = end - start;
	sc->pos = end;
	if ((n == 4 && memcmp(sc->s + start, "true", 4) == 0) ||
	    (n == 5 && memcmp(sc->s + start, "false", 5) == 0) ||
	    (n == 4 && memcmp(sc->s + start, "null", 4) == 0))
		return 0;
	/* JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
	size_t i = start;
	if (i < end && sc->s[i] == '-')
		i++;
	size_t digits = i;
	while (i < end && isdigit((unsigned char)sc->s[i]))
		i++;
	bool ok = i > digits && !(sc->s[digits] == '0' && i - digits > 1);
	if (ok && i < end && sc->s[i] == '.') {
		size_t f = ++i;
		while (i < end && isdigit((unsigned char)sc->s[i]))
			i++;
		ok = i > f;
	}
	if (ok && i < end && (sc->s[i] == 'e' || sc->s[i] == 'E')) {
		i++;
		if (i < end && (sc->s[i] == '+' || sc->s[i] == '-'))
			i++;
		size_t e = i;
		while (i < end && isdigit((unsigned char)sc->s[i]))
			i++;
		ok = i > e;
	}
	if (ok && i == end)
		return 0;
	return fail_at_offset(c, start, "\"%.*s\" is not a JSON value (NaN and Infinity must be strings) (at %s)",
	                      (int)(n > 40 ? 40 : n), sc->s + start, c->path.data);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON -> message                                                                            */

static size_t sizeof_elem(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM: return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return 8;
	case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static bool is_signed_type(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_SINT32 || t == PROTOBUF_C_TYPE_SFIXED32 ||
	       t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_SINT64 || t == PROTOBUF_C_TYPE_SFIXED64;
}

static bool is_64_type(ProtobufCType t)
{
	return sizeof_elem(t) == 8 && t != PROTOBUF_C_TYPE_DOUBLE;
}

/* Decimal integer text "-?[0-9]+" -> sign and magnitude; -1 if malformed or beyond 64 bits. */
static int parse_decimal(const char *s, size_t n, bool *neg, uint64_t *mag)
{
	char buf[32];
	size_t i = 0;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*neg = buf[0] == '-';
	if (*neg)
		i++;
	if (buf[i] == '\0')
		return -1;
	for (size_t j = i; buf[j] != '\0'; j++)
		if (!isdigit((unsigned char)buf[j]))
			return -1;
	errno = 0;
	unsigned long long v = strtoull(buf + i, NULL, 10);
	if (errno != 0)
		return -1;
	*mag = v;
	return 0;
}

/* An integer-typed JSON value as sign and magnitude, range-checked for field f. */
static int get_integer(conv *c, const ProtobufCFieldDescriptor *f, json_object *v, bool *neg, uint64_t *mag)
{
	bool sgn = is_signed_type(f->type);
	bool wide = is_64_type(f->type);
	uint64_t max_pos = sgn ? (wide ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX) : (wide ? UINT64_MAX : UINT32_MAX);
	uint64_t max_neg = sgn ? (wide ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT32_MAX + 1) : 0;
	switch (json_object_get_type(v)) {
	case json_type_int: {
		int64_t i = json_object_get_int64(v);
		if (i < 0) {
			*neg = true;
			*mag = (uint64_t)(-(i + 1)) + 1;
		} else {
			*neg = false;
			*mag = json_object_get_uint64(v);
		}
		/* json-c saturates out-of-range numbers: read the number from the text itself */
		if (i == INT64_MIN || *mag == UINT64_MAX) {
			size_t off;
			scan sc = {c->text, c->len, 0};
			if (locate_offset(c->text, c->len, c->path.data, false, true, &off) != 0)
				return fail_path(c, false, NULL, "integer out of range for field \"%s\" (%s)", JNAME(f), type_name(f));
			sc.pos = off;
			if (skip_value(&sc) != 0 || parse_decimal(c->text + off, sc.pos - off, neg, mag) != 0)
				return fail_path(c, false, NULL, "integer out of range for field \"%s\" (%s)", JNAME(f), type_name(f));
		}
		break;
	}
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!(d > -18446744073709551616.0 && d < 18446744073709551616.0))
			return fail_path(c, false, NULL, "integer out of range for field \"%s\" (%s)", JNAME(f), type_name(f));
		*neg = d < 0;
		double a = *neg ? -d : d;
		*mag = (uint64_t)a;
		if ((double)*mag != a)
			return fail_path(c, false, NULL, "field \"%s\" expects an integer (%s), got %g", JNAME(f), type_name(f), d);
		break;
	}
	case json_type_string: {
		const char *s = json_object_get_string(v);
		if (parse_decimal(s, strlen(s), neg, mag) != 0)
			return fail_path(c, false, NULL, "field \"%s\" expects an integer (%s), got \"%s\"", JNAME(f),
			                 type_name(f), s);
		break;
	}
	default:
		return fail_type(c, f, "an integer", v);
	}
	if ((*neg && *mag > max_neg) || (!*neg && *mag > max_pos))
		return fail_path(c, false, NULL, "integer %s%llu out of range for field \"%s\" (%s)", *neg ? "-" : "",
		                 (unsigned long long)*mag, JNAME(f), type_name(f));
	return 0;
}

static int b64_value(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/* base64 (standard or URL-safe, padding optional) -> malloc'ed bytes. */
static int b64_decode(const char *s, uint8_t **out, size_t *outlen)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	uint8_t *buf = malloc(n * 3 / 4 + 1);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	if (buf == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);
		if (v < 0) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (o == 0) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	*outlen = o;
	return 0;
}

static int enum_from_json(conv *c, const ProtobufCFieldDescriptor *f, json_object *v, int *out)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	char prefix[MAX_NAME];
	enum_prefix(ed, prefix, sizeof prefix);
	size_t plen = strlen(prefix);
	if (json_object_get_type(v) == json_type_string) {
		const char *s = json_object_get_string(v);
		for (unsigned i = 0; i < ed->n_values; i++) {
			const char *name = ed->values[i].name;
			if (strcasecmp(s, name) == 0 ||
			    (strncmp(name, prefix, plen) == 0 && strcasecmp(s, name + plen) == 0)) {
				*out = ed->values[i].value;
				return 0;
			}
		}
	} else if (json_object_get_type(v) == json_type_int) {
		int64_t n = json_object_get_int64(v);
		if (n >= INT32_MIN && n <= INT32_MAX && protobuf_c_enum_descriptor_get_value(ed, (int)n) != NULL) {
			*out = (int)n;
			return 0;
		}
	} else {
		return fail_type(c, f, "an enum name or number", v);
	}
	/* name the accepted values, so the fix is in the message */
	nsp_strbuf names;
	nsp_strbuf_init(&names);
	for (unsigned i = 0; i < ed->n_values && i < 40; i++) {
		const char *name = ed->values[i].name;
		nsp_strbuf_append(&names, i ? ", " : "");
		nsp_strbuf_append(&names, strncmp(name, prefix, plen) == 0 ? name + plen : name);
	}
	fail_path(c, false, NULL, "unknown value %s%s%s for enum %s of field \"%s\"; expected one of %s",
	          json_object_get_type(v) == json_type_string ? "\"" : "", json_object_get_string(v),
	          json_object_get_type(v) == json_type_string ? "\"" : "", ed->name, JNAME(f),
	          nsp_strbuf_failed(&names) ? "?" : names.data);
	nsp_strbuf_free(&names);
	return -1;
}

static int conv_message(conv *c, json_object *obj, ProtobufCMessage *msg);

/* Convert one JSON value into the member of field f at dst (a singular field, or one element of
 * a repeated field). For messages *dst receives a malloc'ed, initialised message. */
static int conv_value(conv *c, const ProtobufCFieldDescriptor *f, json_object *v, void *dst)
{
	bool neg;
	uint64_t mag;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (get_integer(c, f, v, &neg, &mag) != 0)
			return -1;
		*(int32_t *)dst = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (get_integer(c, f, v, &neg, &mag) != 0)
			return -1;
		*(uint32_t *)dst = (uint32_t)mag;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (get_integer(c, f, v, &neg, &mag) != 0)
			return -1;
		*(int64_t *)dst = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (get_integer(c, f, v, &neg, &mag) != 0)
			return -1;
		*(uint64_t *)dst = mag;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		double d;
		json_type t = json_object_get_type(v);
		if (t == json_type_int || t == json_type_double) {
			d = json_object_get_double(v);
		} else if (t == json_type_string) {
			const char *s = json_object_get_string(v);
			char *end;
			if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
				d = strtod(s, NULL);
			} else {
				errno = 0;
				d = strtod(s, &end);
				if (*s == '\0' || *end != '\0' || errno != 0)
					return fail_path(c, false, NULL, "field \"%s\" expects a number (%s), got \"%s\"", JNAME(f),
					                 type_name(f), s);
			}
		} else {
			return fail_type(c, f, "a number", v);
		}
		if (f->type == PROTOBUF_C_TYPE_FLOAT)
			*(float *)dst = (float)d;
		else
			*(double *)dst = d;
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (json_object_get_type(v) != json_type_boolean)
			return fail_type(c, f, "true or false", v);
		*(protobuf_c_boolean *)dst = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		int e;
		if (enum_from_json(c, f, v, &e) != 0)
			return -1;
		*(int *)dst = e;
		return 0;
	}
	case PROTOBUF_C_TYPE_STRING: {
		if (json_object_get_type(v) != json_type_string)
			return fail_type(c, f, "a string", v);
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		if (strlen(s) != n)
			return fail_path(c, false, NULL, "field \"%s\": strings may not contain \\u0000", JNAME(f));
		char *copy = strdup(s);
		if (copy == NULL)
			return fail_path(c, false, NULL, "out of memory");
		*(char **)dst = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = dst;
		if (json_object_get_type(v) != json_type_string)
			return fail_type(c, f, "a base64 string", v);
		if (b64_decode(json_object_get_string(v), &b->data, &b->len) != 0)
			return fail_path(c, false, NULL, "field \"%s\" expects base64 (bytes), got \"%s\"", JNAME(f),
			                 json_object_get_string(v));
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *md = f->descriptor;
		if (json_object_get_type(v) != json_type_object)
			return fail_type(c, f, "an object", v);
		ProtobufCMessage *sub = malloc(md->sizeof_message);
		if (sub == NULL)
			return fail_path(c, false, NULL, "out of memory");
		md->message_init(sub);
		*(ProtobufCMessage **)dst = sub; /* owned by the parent from here on, freed with it */
		return conv_message(c, v, sub);
	}
	}
	return fail_path(c, false, NULL, "field \"%s\" has an unsupported type", JNAME(f));
}

static void path_pop(conv *c, size_t plen)
{
	c->path.len = plen;
	if (!nsp_strbuf_failed(&c->path))
		c->path.data[plen] = '\0';
}

/* A map key (always a string in JSON) into the entry's key field. */
static int conv_map_key(conv *c, const ProtobufCFieldDescriptor *kf, const char *key, void *dst)
{
	if (kf->type == PROTOBUF_C_TYPE_STRING) {
		char *copy = strdup(key);
		if (copy == NULL)
			return fail_path(c, true, NULL, "out of memory");
		*(char **)dst = copy;
		return 0;
	}
	if (kf->type == PROTOBUF_C_TYPE_BOOL) {
		if (strcmp(key, "true") != 0 && strcmp(key, "false") != 0)
			return fail_path(c, true, NULL, "map key \"%s\" is not a bool", key);
		*(protobuf_c_boolean *)dst = key[0] == 't';
		return 0;
	}
	/* integer keys: convert as the string form of an integer */
	json_object *ks = json_object_new_string(key);
	if (ks == NULL)
		return fail_path(c, true, NULL, "out of memory");
	int r = conv_value(c, kf, ks, dst);
	json_object_put(ks);
	return r;
}

static int conv_repeated(conv *c, const ProtobufCFieldDescriptor *f, json_object *v, ProtobufCMessage *msg)
{
	size_t *count = (size_t *)((char *)msg + f->quantifier_offset);
	void **arr = (void **)((char *)msg + f->offset);
	size_t esize = sizeof_elem(f->type);
	bool map = is_map_field(f);
	size_t n;
	if (map) {
		if (json_object_get_type(v) != json_type_object)
			return fail_type(c, f, "an object (map)", v);
		n = (size_t)json_object_object_length(v);
	} else {
		if (json_object_get_type(v) != json_type_array)
			return fail_type(c, f, "an array", v);
		n = json_object_array_length(v);
	}
	if (n == 0)
		return 0;
	*arr = calloc(n, esize);
	if (*arr == NULL)
		return fail_path(c, false, NULL, "out of memory");
	*count = 0; /* counts the elements built so far, so that a failure frees exactly those */
	if (!map) {
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);
			size_t plen = c->path.len;
			nsp_strbuf_appendf(&c->path, "[%zu]", i);
			if (e == NULL) {
				return fail_path(c, false, NULL, "null is not allowed in repeated field \"%s\"", JNAME(f));
			}
			void *dst = (char *)*arr + i * esize;
			/* strings, bytes and messages must be counted before they own memory */
			if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING ||
			    f->type == PROTOBUF_C_TYPE_BYTES)
				(*count)++;
			if (conv_value(c, f, e, dst) != 0)
				return -1;
			if (!(f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING ||
			      f->type == PROTOBUF_C_TYPE_BYTES))
				(*count)++;
			path_pop(c, plen);
		}
		return 0;
	}
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
	size_t i = 0;
	json_object_object_foreach(v, key, val)
	{
		size_t plen = c->path.len;
		path_push_key(&c->path, key);
		if (val == NULL)
			return fail_path(c, false, NULL, "null is not allowed as a value of map field \"%s\"", JNAME(f));
		ProtobufCMessage *entry = malloc(ed->sizeof_message);
		if (entry == NULL)
			return fail_path(c, false, NULL, "out of memory");
		ed->message_init(entry);
		((ProtobufCMessage **)*arr)[i++] = entry;
		(*count)++;
		if (conv_map_key(c, kf, key, (char *)entry + kf->offset) != 0 ||
		    conv_value(c, vf, val, (char *)entry + vf->offset) != 0)
			return -1;
		path_pop(c, plen);
	}
	return 0;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
	char camel[MAX_NAME];
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (strcmp(d->fields[i].name, key) == 0)
			return &d->fields[i];
		nsp_json_camel_name(d->fields[i].name, camel, sizeof camel);
		if (strcmp(camel, key) == 0)
			return &d->fields[i];
	}
	return NULL;
}

static int unknown_field(conv *c, const ProtobufCMessageDescriptor *d, const char *key)
{
	char camel[MAX_NAME], best[MAX_NAME] = "";
	size_t best_d = SIZE_MAX;
	for (unsigned i = 0; i < d->n_fields; i++) {
		nsp_json_camel_name(d->fields[i].name, camel, sizeof camel);
		size_t d1 = edit_distance(key, camel), d2 = edit_distance(key, d->fields[i].name);
		size_t dist = d1 < d2 ? d1 : d2;
		if (dist < best_d) {
			best_d = dist;
			snprintf(best, sizeof best, "%s", camel);
		}
	}
	char suffix[MAX_NAME + 32] = "";
	size_t klen = strlen(key);
	if (best_d <= 2 || (best_d != SIZE_MAX && best_d * 3 <= klen))
		snprintf(suffix, sizeof suffix, "; did you mean \"%s\"?", best);
	return fail_path(c, true, suffix, "unknown field \"%s\" in %s", key, d->name);
}

static int conv_message(conv *c, json_object *obj, ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char **seen = calloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
	int rc = -1;
	if (seen == NULL)
		return fail_path(c, false, NULL, "out of memory");
	json_object_object_foreach(obj, key, val)
	{
		size_t plen = c->path.len;
		path_push_key(&c->path, key);
		const ProtobufCFieldDescriptor *f = find_field(d, key);
		if (f == NULL) {
			unknown_field(c, d, key);
			goto out;
		}
		size_t idx = (size_t)(f - d->fields);
		if (seen[idx] != NULL) {
			fail_path(c, true, NULL, "field \"%s\" of %s given twice (as \"%s\" and \"%s\")", JNAME(f), d->name,
			          seen[idx], key);
			goto out;
		}
		seen[idx] = key;
		if (val == NULL) { /* null: the field keeps its default */
			path_pop(c, plen);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t *oneof_case = (uint32_t *)((char *)msg + f->quantifier_offset);
			if (*oneof_case != 0 && *oneof_case != f->id) {
				const ProtobufCFieldDescriptor *other = protobuf_c_message_descriptor_get_field(d, *oneof_case);
				char other_camel[MAX_NAME];
				nsp_json_camel_name(other ? other->name : "?", other_camel, sizeof other_camel);
				fail_path(c, true, NULL, "\"%s\" and \"%s\" of %s are members of one oneof; set only one of them",
				          other_camel, key, d->name);
				goto out;
			}
			/* the case first: a message member then belongs to msg even if filling it fails */
			*oneof_case = f->id;
		}
		void *dst = (char *)msg + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (conv_repeated(c, f, val, msg) != 0)
				goto out;
		} else {
			if (conv_value(c, f, val, dst) != 0)
				goto out;
			if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
				*(protobuf_c_boolean *)((char *)msg + f->quantifier_offset) = 1;
		}
		path_pop(c, plen);
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

int nsp_json_to_proto(const char *text, size_t len, const char *filename,
                      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                      char *err, size_t errlen)
{
	conv c = {.text = text, .len = len, .filename = filename ? filename : "<input>", .err = err, .errlen = errlen};
	json_tokener *tok = NULL;
	json_object *root = NULL;
	ProtobufCMessage *msg = NULL;
	int rc = -1;
	nsp_strbuf_init(&c.path);
	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL || len > INT_MAX) {
		snprintf(err, errlen, "%s: no input or input too large", c.filename);
		goto done;
	}
	scan sc = {text, len, 0};
	skip_ws(&sc);
	if (sc.pos == len) {
		snprintf(err, errlen, "%s: empty file: expected a JSON object", c.filename);
		goto done;
	}
	if (text[sc.pos] != '{') {
		fail_at_offset(&c, sc.pos, "expected a JSON object ({...}) for %s", desc->name);
		goto done;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		snprintf(err, errlen, "%s: out of memory", c.filename);
		goto done;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (root == NULL || jerr != json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);
		scan whole = {text, len, sc.pos};
		if (jerr == json_tokener_continue) {
			fail_at_offset(&c, len, "unexpected end of input: the JSON document is incomplete");
		} else if (skip_value(&whole) == 0 && (skip_ws(&whole), whole.pos == off)) {
			/* strict json-c fails on text after a complete object; say so plainly */
			fail_at_offset(&c, off, "unexpected text after the JSON object");
		} else {
			fail_at_offset(&c, off, "JSON syntax error: %s", json_tokener_error_desc(jerr));
		}
		goto done;
	}
	size_t end = json_tokener_get_parse_end(tok);
	sc.pos = end;
	skip_ws(&sc);
	if (sc.pos < len) {
		fail_at_offset(&c, sc.pos, "unexpected text after the JSON object");
		goto done;
	}
	nsp_strbuf_append(&c.path, "$");
	sc.pos = 0;
	if (lint_value(&c, &sc) != 0) {
		if (errlen > 0 && err[0] == '\0')
			snprintf(err, errlen, "%s: JSON syntax error", c.filename);
		goto done;
	}
	msg = malloc(desc->sizeof_message);
	if (msg == NULL) {
		snprintf(err, errlen, "%s: out of memory", c.filename);
		goto done;
	}
	desc->message_init(msg);
	if (conv_message(&c, root, msg) != 0)
		goto done;
	if (nsp_strbuf_failed(&c.path)) {
		snprintf(err, errlen, "%s: out of memory", c.filename);
		goto done;
	}
	*out = msg;
	msg = NULL;
	rc = 0;
done:
	if (msg != NULL)
		protobuf_c_message_free_unpacked(msg, NULL);
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	nsp_strbuf_free(&c.path);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Message -> JSON                                                                            */

static json_object *b64_encode(const uint8_t *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		nsp_strbuf_append_char(&sb, tab[(v >> 18) & 63]);
		nsp_strbuf_append_char(&sb, tab[(v >> 12) & 63]);
		nsp_strbuf_append_char(&sb, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		nsp_strbuf_append_char(&sb, i + 2 < len ? tab[v & 63] : '=');
	}
	json_object *o = nsp_strbuf_failed(&sb) ? NULL : json_object_new_string(sb.data);
	nsp_strbuf_free(&sb);
	return o;
}

static json_object *double_to_json(double d)
{
	if (d != d)
		return json_object_new_string("NaN");
	if (d > 1.7976931348623157e308)
		return json_object_new_string("Infinity");
	if (d < -1.7976931348623157e308)
		return json_object_new_string("-Infinity");
	return json_object_new_double(d);
}

static json_object *msg_to_json(const ProtobufCMessage *m);

static json_object *value_to_json(const ProtobufCFieldDescriptor *f, const void *p)
{
	char buf[32];
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: return json_object_new_int64(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: return json_object_new_int64(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof buf, "%lld", (long long)*(const int64_t *)p);
		return json_object_new_string(buf);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(const uint64_t *)p);
		return json_object_new_string(buf);
	case PROTOBUF_C_TYPE_FLOAT: return double_to_json(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE: return double_to_json(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL: return json_object_new_boolean(*(const protobuf_c_boolean *)p ? 1 : 0);
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		return ev ? json_object_new_string(ev->name) : json_object_new_int(v);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return json_object_new_string(s ? s : "");
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		return b64_encode(b->data, b->len);
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		return sub ? msg_to_json(sub) : json_object_new_object();
	}
	}
	return NULL;
}

/* proto3: a field without presence is printed only when it differs from its zero value. */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return s == NULL || s[0] == '\0';
	}
	case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE: return *(ProtobufCMessage *const *)p == NULL;
	case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p == 0;
	case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p == 0;
	default: {
		size_t n = sizeof_elem(f->type);
		static const unsigned char zero[8];
		return memcmp(p, zero, n) == 0;
	}
	}
}

static json_object *map_key_string(const ProtobufCFieldDescriptor *kf, const void *p)
{
	if (kf->type == PROTOBUF_C_TYPE_STRING || kf->type == PROTOBUF_C_TYPE_INT64 ||
	    kf->type == PROTOBUF_C_TYPE_UINT64 || kf->type == PROTOBUF_C_TYPE_SINT64 ||
	    kf->type == PROTOBUF_C_TYPE_FIXED64 || kf->type == PROTOBUF_C_TYPE_SFIXED64)
		return value_to_json(kf, p);
	if (kf->type == PROTOBUF_C_TYPE_BOOL)
		return json_object_new_string(*(const protobuf_c_boolean *)p ? "true" : "false");
	json_object *n = value_to_json(kf, p);
	json_object *s = json_object_new_string(json_object_to_json_string(n));
	json_object_put(n);
	return s;
}

static json_object *msg_to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_object *obj = json_object_new_object();
	char camel[MAX_NAME];
	if (obj == NULL)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *mp = (const char *)m;
		const void *p = mp + f->offset;
		json_object *v = NULL;
		nsp_json_camel_name(f->name, camel, sizeof camel);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(mp + f->quantifier_offset);
			const char *arr = *(char *const *)p;
			if (n == 0 || arr == NULL)
				continue;
			if (is_map_field(f)) {
				const ProtobufCMessageDescriptor *ed = f->descriptor;
				v = json_object_new_object();
				for (size_t j = 0; v != NULL && j < n; j++) {
					const char *entry = ((char *const *)arr)[j];
					json_object *k = map_key_string(&ed->fields[0], entry + ed->fields[0].offset);
					if (k != NULL)
						json_object_object_add(v, json_object_get_string(k),
						                       value_to_json(&ed->fields[1], entry + ed->fields[1].offset));
					json_object_put(k);
				}
			} else {
				size_t esize = sizeof_elem(f->type);
				v = json_object_new_array();
				for (size_t j = 0; v != NULL && j < n; j++)
					json_object_array_add(v, value_to_json(f, arr + j * esize));
			}
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(mp + f->quantifier_offset) != f->id)
				continue;
			v = value_to_json(f, p);
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
		           f->type != PROTOBUF_C_TYPE_MESSAGE) {
			if (!*(const protobuf_c_boolean *)(mp + f->quantifier_offset))
				continue;
			v = value_to_json(f, p);
		} else {
			if (f->label != PROTOBUF_C_LABEL_REQUIRED && is_default(f, p))
				continue;
			v = value_to_json(f, p);
		}
		json_object_object_add(obj, camel, v);
	}
	return obj;
}

char *nsp_proto_to_json(const ProtobufCMessage *msg, bool pretty)
{
	if (msg == NULL)
		return NULL;
	json_object *obj = msg_to_json(msg);
	if (obj == NULL)
		return NULL;
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
	            (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	const char *s = json_object_to_json_string_ext(obj, flags);
	char *copy = s ? strdup(s) : NULL;
	json_object_put(obj);
	return copy;
}
