/* render_comments - comment rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_COMMENTS_H
#define NSP_RENDER_COMMENTS_H

#include "render.h"

/* A comment (pg_description) on an object of the model. */
typedef struct nsp_comment_row {
	const char *type;          /* pg_identify_object()'s type: "table", "table column", ... */
	const char *identity;      /* pg_identify_object()'s identity, quoted by the server in the form
				    * COMMENT ON takes: "s.f(integer)", "t on s.tbl" */
	const char *domain_target; /* "CONSTRAINT c ON DOMAIN s.d", built by the query, for a domain
				    * constraint, whose identity COMMENT ON does not take; else NULL */
	const char *description;
} nsp_comment_row;

/* COMMENT ON designator identity IS 'text'; (or COMMENT ON CONSTRAINT c ON DOMAIN d IS ..). false,
 * and nothing written, for a type of object we do not comment. */
bool nsp_render_comment(const nsp_comment_row *r, nsp_strbuf *sql);

#endif
