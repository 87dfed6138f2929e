/* render_functions - function, procedure and aggregate rows, and the SQL they render
 * (render.h). */
#ifndef NSP_RENDER_FUNCTIONS_H
#define NSP_RENDER_FUNCTIONS_H

#include "render.h"

/* A function or procedure (pg_proc prokind 'f', 'p' or 'w'): the server writes it whole. */
typedef struct nsp_function_row {
	const char *definition; /* pg_get_functiondef(): CREATE OR REPLACE ..., SQL-standard bodies
				 * included, ending with a newline and no ';' */
} nsp_function_row;

/* An aggregate (pg_proc prokind 'a' and its pg_aggregate row). regproc and regtype cells come
 * qualified and quoted as needed (the catalog reads with an empty search_path). */
typedef struct nsp_aggregate_row {
	const char *schema, *name;   /* pg_namespace.nspname, pg_proc.proname */
	const char *arguments;       /* pg_get_function_arguments() */
	int nargs;                   /* pronargs: 0 is written (*) */
	char kind;                   /* aggkind: 'n' normal, 'o' ordered-set, 'h' hypothetical */
	const char *transfn;         /* aggtransfn::regproc */
	const char *transtype;       /* aggtranstype::regtype */
	int transspace;              /* aggtransspace; 0: the default */
	const char *initval;         /* agginitval; NULL: none */
	const char *finalfn;         /* aggfinalfn::regproc; NULL: none */
	bool finalextra;             /* aggfinalextra */
	char finalmodify;            /* aggfinalmodify: 'r', 's' or 'w' */
	const char *combinefn;       /* aggcombinefn::regproc; NULL: none */
	const char *serialfn;        /* aggserialfn::regproc; NULL: none */
	const char *deserialfn;      /* aggdeserialfn::regproc; NULL: none */
	const char *mtransfn;        /* aggmtransfn::regproc; NULL: no moving-aggregate mode */
	const char *minvtransfn;     /* aggminvtransfn::regproc (with mtransfn) */
	const char *mtranstype;      /* aggmtranstype::regtype (with mtransfn) */
	int mtransspace;             /* aggmtransspace; 0: the default */
	const char *minitval;        /* aggminitval; NULL: none */
	const char *mfinalfn;        /* aggmfinalfn::regproc; NULL: none */
	bool mfinalextra;            /* aggmfinalextra */
	char mfinalmodify;           /* aggmfinalmodify: 'r', 's' or 'w' */
	const char *sortop;          /* OPERATOR(schema.op) of aggsortop; NULL: none */
	char parallel;               /* proparallel: 's' safe, 'r' restricted, 'u' unsafe */
} nsp_aggregate_row;

/* pg_get_functiondef()'s statement without its trailing newlines and spaces, then ';'. */
void nsp_render_function(const nsp_function_row *r, nsp_strbuf *sql);
/* CREATE AGGREGATE s.n(args | *) (SFUNC, STYPE, then only the clauses that differ from the
 * defaults, one a line, as pg_dump's dumpAgg: SSPACE, INITCOND, FINALFUNC[_EXTRA, _MODIFY],
 * COMBINEFUNC, SERIALFUNC, DESERIALFUNC, MSFUNC/MINVFUNC/MSTYPE, MSSPACE, MINITCOND,
 * MFINALFUNC[_EXTRA, _MODIFY], SORTOP, HYPOTHETICAL, PARALLEL). _MODIFY is written when it is
 * not the kind's default (READ_ONLY for a normal aggregate, READ_WRITE otherwise). */
void nsp_render_aggregate(const nsp_aggregate_row *r, nsp_strbuf *sql);

#endif
