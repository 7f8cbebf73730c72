/* geo_series.c: which origin ASes get a darknet_asn_packets_total series of their own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "geo_series.h"

static int parse_watch(struct geo_series *gs, const char *list, char *err, size_t errlen)
{
	const char *p = list;

	if (!list || !strcmp(list, "none") || !*list)
		return 0;
	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || (*end && *end != ',') || !v || v > 0xffffffffUL || *p == '-' ||
		    *p == '+') {
			snprintf(err, errlen, "--watch-asns %s: not a list of AS numbers", list);
			return -EINVAL;
		}
		if (gs->nr_watch >= GEO_SERIES_MAX_WATCH) {
			snprintf(err, errlen, "--watch-asns %s: more than %d ASes", list,
				 GEO_SERIES_MAX_WATCH);
			return -EINVAL;
		}
		gs->watch[gs->nr_watch++] = v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

int geo_series_init(struct geo_series *gs, unsigned int max_series, const char *watch,
		    char *err, size_t errlen)
{
	int ret;

	memset(gs, 0, sizeof(*gs));
	gs->max_series = max_series;
	ret = parse_watch(gs, watch, err, errlen);
	if (ret)
		return ret;
	if (max_series + gs->nr_watch > DN_GEO_ASN_SLOTS - 1) {
		snprintf(err, errlen, "--max-asn-series %u and %u watched ASes: more than %u AS "
			 "series", max_series, gs->nr_watch, DN_GEO_ASN_SLOTS - 1);
		return -EINVAL;
	}
	return 0;
}

static bool watched(const struct geo_series *gs, __u32 asn)
{
	for (unsigned int w = 0; w < gs->nr_watch; w++)
		if (gs->watch[w] == asn)
			return true;
	return false;
}

int geo_series_restore(struct geo_series *gs, const __u16 *slots, const __u32 *asn_of_index)
{
	for (__u32 a = 1; a < DN_GEO_MAX_ASNS; a++) {
		__u16 s = slots[a];

		if (!s)
			continue;
		if (s >= DN_GEO_ASN_SLOTS || gs->index_of_slot[s] || !asn_of_index[a])
			return -EINVAL;
		gs->index_of_slot[s] = a;
		gs->slot_of[a] = s;
		if (s > gs->used)
			gs->used = s;
		if (!watched(gs, asn_of_index[a]))
			gs->promoted++;
	}
	return 0;
}

static bool take(struct geo_series *gs, __u32 index, struct geo_promotion *out, size_t *n)
{
	if (gs->slot_of[index] || gs->used >= DN_GEO_ASN_SLOTS - 1)
		return false;
	gs->used++;
	gs->slot_of[index] = gs->used;
	gs->index_of_slot[gs->used] = index;
	out[(*n)++] = (struct geo_promotion){ .index = index, .slot = gs->used };
	return true;
}

struct heavy {
	__u64 delta;
	__u32 index;
};

static int heavy_cmp(const void *a, const void *b)
{
	const struct heavy *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

size_t geo_series_update(struct geo_series *gs, const __u64 *totals, const __u32 *asn_of_index,
			 struct geo_promotion *out)
{
	struct heavy top[DN_GEO_ASN_SLOTS];
	size_t n = 0, nr_top = 0;
	__u64 all = 0;

	for (__u32 a = 1; a < DN_GEO_MAX_ASNS; a++)
		if (asn_of_index[a] && watched(gs, asn_of_index[a]))
			take(gs, a, out, &n);
	for (__u32 a = 1; gs->have_last && a < DN_GEO_MAX_ASNS; a++)
		all += totals[a] - gs->last[a];
	/* keep the heaviest DN_GEO_ASN_SLOTS candidates: at most that many fit */
	for (__u32 a = 1; gs->have_last && a < DN_GEO_MAX_ASNS; a++) {
		__u64 d = totals[a] - gs->last[a];

		if (gs->slot_of[a] || !asn_of_index[a] || d < GEO_SERIES_MIN_DELTA ||
		    d * 100 < all * GEO_SERIES_MIN_SHARE_PCT)
			continue;
		if (nr_top < DN_GEO_ASN_SLOTS) {
			top[nr_top++] = (struct heavy){ d, a };
		} else if (d > top[DN_GEO_ASN_SLOTS - 1].delta) {
			top[DN_GEO_ASN_SLOTS - 1] = (struct heavy){ d, a };
		} else {
			continue;
		}
		qsort(top, nr_top, sizeof(*top), heavy_cmp);
	}
	for (size_t i = 0; i < nr_top && gs->promoted < gs->max_series; i++)
		if (take(gs, top[i].index, out, &n))
			gs->promoted++;
	memcpy(gs->last, totals, sizeof(gs->last));
	gs->have_last = true;
	return n;
}
