/* render - what the renderers of several kinds write alike (render.h). */
#include "render.h"

void nsp_render_role(const char *role, nsp_strbuf *sql)
{
	if (role == NULL || role[0] == '\0')
		nsp_strbuf_append(sql, "PUBLIC");
	else
		nsp_strbuf_append_ident(sql, role);
}
