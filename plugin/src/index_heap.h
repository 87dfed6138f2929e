/* index_heap - a binary min-heap of indices ordered by the caller's `before` (plan ordering and
 * the post-sync scheduler both pick "the best ready item" many times: O(log n) each). The
 * storage is the caller's: an array with room for every index that may be pushed. */
#ifndef NSP_INDEX_HEAP_H
#define NSP_INDEX_HEAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct nsp_index_heap {
	size_t *items;
	size_t n;
	bool (*before)(const void *ctx, size_t a, size_t b); /* a comes out before b */
	const void *ctx;
} nsp_index_heap;

void nsp_index_heap_push(nsp_index_heap *h, size_t v);
/* The first item (h->n > 0), removed. */
size_t nsp_index_heap_pop(nsp_index_heap *h);

#endif
