/* index_heap - see index_heap.h. */
#include "index_heap.h"

static void swap(size_t *items, size_t i, size_t j)
{
	size_t t = items[i];
	items[i] = items[j];
	items[j] = t;
}

void nsp_index_heap_push(nsp_index_heap *h, size_t v)
{
	size_t i = h->n++;
	h->items[i] = v;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!h->before(h->ctx, h->items[i], h->items[p]))
			break;
		swap(h->items, i, p);
		i = p;
	}
}

size_t nsp_index_heap_pop(nsp_index_heap *h)
{
	size_t top = h->items[0];
	h->items[0] = h->items[--h->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, best = i;
		if (l < h->n && h->before(h->ctx, h->items[l], h->items[best]))
			best = l;
		if (r < h->n && h->before(h->ctx, h->items[r], h->items[best]))
			best = r;
		if (best == i)
			break;
		swap(h->items, i, best);
		i = best;
	}
	return top;
}
