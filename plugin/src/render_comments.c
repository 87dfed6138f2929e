/* render_comments - COMMENT ON for the objects of the model (render_comments.h). */
#include <string.h>

#include "render_comments.h"

/* COMMENT ON's designator for a pg_identify_object() type; NULL for kinds we do not comment. */
static const char *comment_designator(const char *type)
{
	static const char *const map[][2] = {
		{"table", "TABLE"},
		{"table column", "COLUMN"},
		{"view column", "COLUMN"},
		{"materialized view column", "COLUMN"},
		{"composite type column", "COLUMN"},
		{"foreign table column", "COLUMN"},
		{"index", "INDEX"},
		{"sequence", "SEQUENCE"},
		{"view", "VIEW"},
		{"materialized view", "MATERIALIZED VIEW"},
		{"composite type", "TYPE"},
		{"foreign table", "FOREIGN TABLE"},
		{"type", "TYPE"},
		{"domain", "DOMAIN"},
		{"function", "FUNCTION"},
		{"procedure", "PROCEDURE"},
		{"aggregate", "AGGREGATE"},
		{"schema", "SCHEMA"},
		{"extension", "EXTENSION"},
		{"collation", "COLLATION"},
		{"operator", "OPERATOR"},
		{"cast", "CAST"},
		{"trigger", "TRIGGER"},
		{"table constraint", "CONSTRAINT"},
		{"domain constraint", "CONSTRAINT"},
		{"policy", "POLICY"},
		{"rule", "RULE"},
		{"statistics object", "STATISTICS"},
		{"text search configuration", "TEXT SEARCH CONFIGURATION"},
		{"text search dictionary", "TEXT SEARCH DICTIONARY"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], type) == 0)
			return map[i][1];
	return NULL;
}

bool nsp_render_comment(const nsp_comment_row *r, nsp_strbuf *sql)
{
	const char *designator = r->type != NULL ? comment_designator(r->type) : NULL;
	if (designator == NULL)
		return false;
	nsp_strbuf_append(sql, "COMMENT ON ");
	if (r->domain_target != NULL) {
		nsp_strbuf_append(sql, r->domain_target);
	} else {
		nsp_strbuf_append(sql, designator);
		nsp_strbuf_append_char(sql, ' ');
		nsp_strbuf_append(sql, r->identity);
	}
	nsp_strbuf_append(sql, " IS ");
	nsp_strbuf_append_literal(sql, r->description);
	nsp_strbuf_append(sql, ";");
	return true;
}
