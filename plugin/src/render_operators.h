/* render_operators - rows of operators, casts, operator families and classes and text search
 * dictionaries and configurations, and the SQL they render (render.h). Names come qualified
 * from the query, each part quoted only where needed (quote_ident(), as pg_dump's fmtId);
 * regproc, regprocedure, regoperator and regdictionary cells are qualified by the server (the
 * catalog reads with an empty search_path) and format_type() writes the types. */
#ifndef NSP_RENDER_OPERATORS_H
#define NSP_RENDER_OPERATORS_H

#include "render.h"

/* An operator with a function (pg_operator oprcode <> 0). */
typedef struct nsp_operator_row {
	const char *qualified;      /* quote_ident(nspname).oprname */
	const char *function;       /* oprcode::regproc */
	const char *left, *right;   /* format_type(oprleft), format_type(oprright); NULL: none (a
				     * prefix operator has no left one) */
	const char *commutator;     /* OPERATOR(schema.op) of oprcom; NULL: none */
	const char *negator;        /* OPERATOR(schema.op) of oprnegate; NULL: none */
	bool merges, hashes;        /* oprcanmerge, oprcanhash */
	const char *restrict_fn;    /* oprrest::regproc; NULL: none */
	const char *join_fn;        /* oprjoin::regproc; NULL: none */
} nsp_operator_row;

/* A cast (pg_cast). */
typedef struct nsp_cast_row {
	const char *source, *target; /* format_type(castsource), format_type(casttarget) */
	char method;                /* castmethod: 'f' function, 'b' binary, 'i' inout */
	const char *function;       /* castfunc::regprocedure, for method 'f' */
	char context;               /* castcontext: 'e' explicit, 'a' assignment, 'i' implicit */
} nsp_cast_row;

/* The operators and support functions (pg_amop, pg_amproc) of a family or class, in
 * strategy and support number order: parallel arrays of noperators and nfunctions. */
typedef struct nsp_opclass_members {
	size_t noperators;
	char *const *strategies;    /* amopstrategy */
	char *const *operators;     /* amopopr::regoperator */
	char *const *sort_families; /* the qualified amopsortfamily of an ordering operator
				     * (amoppurpose 'o'); NULL elements: search operators */
	size_t nfunctions;
	char *const *numbers;       /* amprocnum */
	char *const *lefttypes;     /* format_type(amproclefttype) */
	char *const *righttypes;    /* format_type(amprocrighttype) */
	char *const *functions;     /* amproc::regprocedure */
} nsp_opclass_members;

/* An operator family (pg_opfamily) and its loose members (those ALTER OPERATOR FAMILY added,
 * bound to no class). */
typedef struct nsp_opfamily_row {
	const char *qualified;      /* quote_ident(nspname).quote_ident(opfname) */
	const char *method;         /* quote_ident(pg_am.amname) */
	nsp_opclass_members members;
} nsp_opfamily_row;

/* An operator class (pg_opclass) and its own members. */
typedef struct nsp_opclass_row {
	const char *qualified;      /* quote_ident(nspname).quote_ident(opcname) */
	bool is_default;            /* opcdefault */
	const char *type;           /* format_type(opcintype) */
	const char *method;         /* quote_ident(pg_am.amname) */
	const char *family;         /* the qualified opcfamily */
	const char *storage;        /* format_type(opckeytype) where it is set and not opcintype;
				     * NULL: none */
	nsp_opclass_members members;
} nsp_opclass_row;

/* A text search dictionary (pg_ts_dict). */
typedef struct nsp_ts_dictionary_row {
	const char *qualified;      /* quote_ident(nspname).quote_ident(dictname) */
	const char *template_name;  /* the qualified dicttemplate */
	const char *options;        /* dictinitoption, already "name = value, ..."; NULL: none */
} nsp_ts_dictionary_row;

/* A text search configuration (pg_ts_config) and its mappings (pg_ts_config_map), one per
 * token type in maptokentype order: parallel arrays of nmappings. */
typedef struct nsp_ts_config_row {
	const char *qualified;      /* quote_ident(nspname).quote_ident(cfgname) */
	const char *parser;         /* the qualified cfgparser */
	char *const *tokens;        /* quote_ident() of the token type's alias (ts_token_type);
				     * NULL elements: a token type the parser does not name, left out */
	char *const *dictionaries;  /* the token's mapdict::regdictionary in mapseqno order, joined
				     * by ", " */
	size_t nmappings;
} nsp_ts_config_row;

/* CREATE OPERATOR s.op (\n    FUNCTION = f[,\n    LEFTARG = t][,\n    RIGHTARG = t]
 * [,\n    COMMUTATOR = OPERATOR(..)][,\n    NEGATOR = OPERATOR(..)][,\n    MERGES][,\n    HASHES]
 * [,\n    RESTRICT = f][,\n    JOIN = f]\n); as pg_dump's dumpOpr. */
void nsp_render_operator(const nsp_operator_row *r, nsp_strbuf *sql);
/* CREATE CAST (s AS t) WITHOUT FUNCTION | WITH INOUT | WITH FUNCTION f(args)
 * [ AS ASSIGNMENT | AS IMPLICIT]; as pg_dump's dumpCast. */
void nsp_render_cast(const nsp_cast_row *r, nsp_strbuf *sql);
/* CREATE OPERATOR FAMILY f USING am; then, when it has loose members,
 * \nALTER OPERATOR FAMILY f USING am ADD\n    <member>,\n    ...; (operators first) as
 * pg_dump's dumpOpfamily. A member: OPERATOR n op(l,r)[ FOR ORDER BY family] or
 * FUNCTION n (l, r) f(args). */
void nsp_render_opfamily(const nsp_opfamily_row *r, nsp_strbuf *sql);
/* CREATE OPERATOR CLASS c\n    [DEFAULT ]FOR TYPE t USING am FAMILY f AS\n    [STORAGE k,\n
 * ]<member>,\n    ...; as pg_dump's dumpOpclass: FAMILY always, and STORAGE t when there is
 * nothing else to list. */
void nsp_render_opclass(const nsp_opclass_row *r, nsp_strbuf *sql);
/* CREATE TEXT SEARCH DICTIONARY d (\n    TEMPLATE = t[,\n    options] ); */
void nsp_render_ts_dictionary(const nsp_ts_dictionary_row *r, nsp_strbuf *sql);
/* CREATE TEXT SEARCH CONFIGURATION c (\n    PARSER = p ); then for each mapping
 * \nALTER TEXT SEARCH CONFIGURATION c\n    ADD MAPPING FOR token WITH dictionaries; */
void nsp_render_ts_config(const nsp_ts_config_row *r, nsp_strbuf *sql);

#endif
