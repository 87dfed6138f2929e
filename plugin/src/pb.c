#include "pb.h"

#include <stdlib.h>
#include <string.h>

char *nsp_pb_str(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return (char *)protobuf_c_empty_string;
	char *d = strdup(s);
	return d ? d : (char *)protobuf_c_empty_string;
}

void *nsp_pb_push(void *arr_ptr, size_t *n, size_t elem_size)
{
	void **arr = arr_ptr;
	char *grown = realloc(*arr, (*n + 1) * elem_size);
	if (grown == NULL)
		return NULL;
	*arr = grown;
	memset(grown + *n * elem_size, 0, elem_size);
	return grown + (*n)++ * elem_size;
}
