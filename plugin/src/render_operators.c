/* render_operators - operators, casts, operator families and classes and text search objects
 * as pg_dump writes them (render_operators.h). */
#include "render_operators.h"

void nsp_render_operator(const nsp_operator_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE OPERATOR %s (\n    FUNCTION = %s", r->qualified, r->function);
	if (r->left != NULL)
		nsp_strbuf_appendf(sql, ",\n    LEFTARG = %s", r->left);
	if (r->right != NULL)
		nsp_strbuf_appendf(sql, ",\n    RIGHTARG = %s", r->right);
	if (r->commutator != NULL)
		nsp_strbuf_appendf(sql, ",\n    COMMUTATOR = %s", r->commutator);
	if (r->negator != NULL)
		nsp_strbuf_appendf(sql, ",\n    NEGATOR = %s", r->negator);
	if (r->merges)
		nsp_strbuf_append(sql, ",\n    MERGES");
	if (r->hashes)
		nsp_strbuf_append(sql, ",\n    HASHES");
	if (r->restrict_fn != NULL)
		nsp_strbuf_appendf(sql, ",\n    RESTRICT = %s", r->restrict_fn);
	if (r->join_fn != NULL)
		nsp_strbuf_appendf(sql, ",\n    JOIN = %s", r->join_fn);
	nsp_strbuf_append(sql, "\n);");
}

void nsp_render_cast(const nsp_cast_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE CAST (%s AS %s) ", r->source, r->target);
	if (r->method == 'b')
		nsp_strbuf_append(sql, "WITHOUT FUNCTION");
	else if (r->method == 'i')
		nsp_strbuf_append(sql, "WITH INOUT");
	else
		nsp_strbuf_appendf(sql, "WITH FUNCTION %s", r->function);
	if (r->context == 'a')
		nsp_strbuf_append(sql, " AS ASSIGNMENT");
	else if (r->context == 'i')
		nsp_strbuf_append(sql, " AS IMPLICIT");
	nsp_strbuf_append(sql, ";");
}

/* The members, ",\n    " between them: the operators, then the functions. `first`: nothing
 * was listed before them. */
static void append_members(nsp_strbuf *sql, const nsp_opclass_members *m, bool first)
{
	for (size_t i = 0; i < m->noperators; i++, first = false) {
		nsp_strbuf_appendf(sql, "%sOPERATOR %s %s", first ? "" : ",\n    ", m->strategies[i],
				   m->operators[i]);
		if (m->sort_families[i] != NULL)
			nsp_strbuf_appendf(sql, " FOR ORDER BY %s", m->sort_families[i]);
	}
	for (size_t i = 0; i < m->nfunctions; i++, first = false)
		nsp_strbuf_appendf(sql, "%sFUNCTION %s (%s, %s) %s", first ? "" : ",\n    ", m->numbers[i],
				   m->lefttypes[i], m->righttypes[i], m->functions[i]);
}

void nsp_render_opfamily(const nsp_opfamily_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE OPERATOR FAMILY %s USING %s;", r->qualified, r->method);
	if (r->members.noperators == 0 && r->members.nfunctions == 0)
		return;
	nsp_strbuf_appendf(sql, "\nALTER OPERATOR FAMILY %s USING %s ADD\n    ", r->qualified, r->method);
	append_members(sql, &r->members, true);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_opclass(const nsp_opclass_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE OPERATOR CLASS %s\n    %sFOR TYPE %s USING %s FAMILY %s AS\n    ",
			   r->qualified, r->is_default ? "DEFAULT " : "", r->type, r->method, r->family);
	if (r->storage != NULL)
		nsp_strbuf_appendf(sql, "STORAGE %s", r->storage);
	else if (r->members.noperators == 0 && r->members.nfunctions == 0)
		nsp_strbuf_appendf(sql, "STORAGE %s", r->type); /* AS needs one item */
	append_members(sql, &r->members, r->storage == NULL);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_ts_dictionary(const nsp_ts_dictionary_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE TEXT SEARCH DICTIONARY %s (\n    TEMPLATE = %s", r->qualified,
			   r->template_name);
	if (r->options != NULL)
		nsp_strbuf_appendf(sql, ",\n    %s", r->options);
	nsp_strbuf_append(sql, " );");
}

void nsp_render_ts_config(const nsp_ts_config_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE TEXT SEARCH CONFIGURATION %s (\n    PARSER = %s );", r->qualified,
			   r->parser);
	for (size_t i = 0; i < r->nmappings; i++)
		if (r->tokens[i] != NULL && r->dictionaries[i] != NULL)
			nsp_strbuf_appendf(sql, "\nALTER TEXT SEARCH CONFIGURATION %s\n    ADD MAPPING FOR %s WITH %s;",
					   r->qualified, r->tokens[i], r->dictionaries[i]);
}
