#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void nsp_error_clear(nsp_error *err)
{
	err->code = NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK;
	err->sqlstate[0] = '\0';
	err->message[0] = '\0';
}

int nsp_error_set(nsp_error *err, Neosync__Plugin__V1__ErrorCode code, const char *fmt, ...)
{
	va_list ap;
	err->code = code;
	err->sqlstate[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* One line: no trailing newline, interior newlines (libpq's multi-line messages) as spaces. */
static void trim_newline(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

int nsp_error_set_pg(nsp_error *err, Neosync__Plugin__V1__ErrorCode code, const char *context,
		     const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	char connmsg[512] = "";
	if (primary == NULL && conn != NULL) {
		snprintf(connmsg, sizeof(connmsg), "%s", PQerrorMessage(conn));
		trim_newline(connmsg);
		primary = connmsg;
	}
	err->code = code;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
	snprintf(err->message, sizeof(err->message), "%s: %s%s%s%s", context,
		 primary && primary[0] ? primary : "unknown error", detail ? " (" : "",
		 detail ? detail : "", detail ? ")" : "");
	trim_newline(err->message);
	return -1;
}
