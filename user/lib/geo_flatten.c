/* geo_flatten.c: one file's overlapping ranges resolved: where ranges nest or cross, the narrowest wins. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "geo.h"

typedef unsigned __int128 u128;

/* The published databases nest more specific ranges inside wider ones
 * (docs/geo.md, Overlaps): like a longest-prefix match, the narrower range
 * wins on the addresses they share; between equally wide ones, the later
 * line. The result is disjoint and in address order. */
static int wins(const struct geo_range *a, const struct geo_range *b)
{
	u128 wa = a->last - a->first, wb = b->last - b->first;

	return wa != wb ? wa < wb : a->line > b->line;
}

struct heap {
	const struct geo_range **h;
	size_t n;
};

static void heap_push(struct heap *q, const struct geo_range *r)
{
	size_t i = q->n++;

	for (; i && wins(r, q->h[(i - 1) / 2]); i = (i - 1) / 2)
		q->h[i] = q->h[(i - 1) / 2];
	q->h[i] = r;
}

static void heap_pop(struct heap *q)
{
	const struct geo_range *last = q->h[--q->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && wins(q->h[c + 1], q->h[c]))
			c++;
		if (!wins(q->h[c], last))
			break;
		q->h[i] = q->h[c];
		i = c;
	}
	if (q->n)
		q->h[i] = last;
}

static int by_first(const void *a, const void *b)
{
	const struct geo_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first ? 1 :
	       x->line < y->line ? -1 : x->line > y->line;
}

int geo_flatten(struct geo_range *in, size_t len, struct geo_range **res, size_t *n,
		size_t *overlapping)
{
	/* Each piece ends where its range ends or another starts. */
	struct geo_range *r = malloc(2 * len * sizeof(*r) + 1);
	struct heap q = { .h = malloc(len * sizeof(*q.h) + 1) };
	size_t i = 0, out = 0;
	u128 pos = 0, reach = 0;
	int ret = 0;

	*overlapping = 0;
	*res = NULL;
	if (!r || !q.h) {
		ret = -ENOMEM;
		goto out;
	}
	qsort(in, len, sizeof(*in), by_first);
	for (size_t k = 0; k < len; k++) {   /* cheap answer for the usual disjoint file */
		if (k && in[k].first <= reach)
			(*overlapping)++;
		if (!k || in[k].last > reach)
			reach = in[k].last;
	}
	if (!*overlapping)
		goto out;
	while (i < len || q.n) {
		if (!q.n)
			pos = in[i].first;
		while (i < len && in[i].first <= pos)
			heap_push(&q, &in[i++]);
		while (q.n && q.h[0]->last < pos)
			heap_pop(&q);
		if (!q.n)
			continue;
		/* The winner holds until it ends or a new range starts. */
		const struct geo_range *top = q.h[0];
		u128 end = top->last;

		if (i < len && in[i].first - 1 < end)
			end = in[i].first - 1;
		if (out && r[out - 1].value == top->value && r[out - 1].last + 1 == pos) {
			r[out - 1].last = end;
		} else {
			r[out] = *top;
			r[out].first = pos;
			r[out++].last = end;
		}
		if (end == top->last)
			heap_pop(&q);
		if (end == ~(u128)0)
			break;
		pos = end + 1;
	}
	*n = out;
	*res = r;
	r = NULL;
out:
	free(r);
	free(q.h);
	return ret;
}
