/* render_functions - functions, procedures and aggregates as pg_dump writes them
 * (render_functions.h). */
#include <string.h>

#include "render_functions.h"

void nsp_render_function(const nsp_function_row *r, nsp_strbuf *sql)
{
	const char *def = r->definition ? r->definition : "";
	size_t len = strlen(def);
	while (len > 0 && (def[len - 1] == '\n' || def[len - 1] == ' '))
		len--;
	nsp_strbuf_append_len(sql, def, len);
	nsp_strbuf_append_char(sql, ';');
}

static const char *modify_word(char m)
{
	return m == 'r' ? "READ_ONLY" : m == 's' ? "SHAREABLE" : "READ_WRITE";
}

/* FINALFUNC (prefix "") or MFINALFUNC (prefix "M") with its _EXTRA and non-default _MODIFY. */
static void append_final_clauses(nsp_strbuf *sb, const char *prefix, const char *fn, bool extra,
				 char modify, char default_modify)
{
	if (fn == NULL)
		return;
	nsp_strbuf_appendf(sb, ",\n    %sFINALFUNC = %s", prefix, fn);
	if (extra)
		nsp_strbuf_appendf(sb, ",\n    %sFINALFUNC_EXTRA", prefix);
	if (modify != default_modify)
		nsp_strbuf_appendf(sb, ",\n    %sFINALFUNC_MODIFY = %s", prefix, modify_word(modify));
}

void nsp_render_aggregate(const nsp_aggregate_row *r, nsp_strbuf *sql)
{
	char default_modify = r->kind == 'n' ? 'r' : 'w';
	nsp_strbuf_append(sql, "CREATE AGGREGATE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	nsp_strbuf_append_char(sql, '(');
	nsp_strbuf_append(sql, r->nargs == 0 ? "*" : r->arguments);
	nsp_strbuf_appendf(sql, ") (\n    SFUNC = %s,\n    STYPE = %s", r->transfn, r->transtype);
	if (r->transspace != 0)
		nsp_strbuf_appendf(sql, ",\n    SSPACE = %d", r->transspace);
	if (r->initval != NULL) {
		nsp_strbuf_append(sql, ",\n    INITCOND = ");
		nsp_strbuf_append_literal(sql, r->initval);
	}
	append_final_clauses(sql, "", r->finalfn, r->finalextra, r->finalmodify, default_modify);
	if (r->combinefn != NULL)
		nsp_strbuf_appendf(sql, ",\n    COMBINEFUNC = %s", r->combinefn);
	if (r->serialfn != NULL)
		nsp_strbuf_appendf(sql, ",\n    SERIALFUNC = %s", r->serialfn);
	if (r->deserialfn != NULL)
		nsp_strbuf_appendf(sql, ",\n    DESERIALFUNC = %s", r->deserialfn);
	if (r->mtransfn != NULL)
		nsp_strbuf_appendf(sql, ",\n    MSFUNC = %s,\n    MINVFUNC = %s,\n    MSTYPE = %s", r->mtransfn,
				   r->minvtransfn, r->mtranstype);
	if (r->mtransspace != 0)
		nsp_strbuf_appendf(sql, ",\n    MSSPACE = %d", r->mtransspace);
	if (r->minitval != NULL) {
		nsp_strbuf_append(sql, ",\n    MINITCOND = ");
		nsp_strbuf_append_literal(sql, r->minitval);
	}
	append_final_clauses(sql, "M", r->mfinalfn, r->mfinalextra, r->mfinalmodify, default_modify);
	if (r->sortop != NULL)
		nsp_strbuf_appendf(sql, ",\n    SORTOP = %s", r->sortop);
	if (r->kind == 'h')
		nsp_strbuf_append(sql, ",\n    HYPOTHETICAL");
	if (r->parallel == 's')
		nsp_strbuf_append(sql, ",\n    PARALLEL = safe");
	else if (r->parallel == 'r')
		nsp_strbuf_append(sql, ",\n    PARALLEL = restricted");
	nsp_strbuf_append(sql, "\n);");
}
