/* distinct_window.c: sliding windows of 5 minutes, 1 hour and 24 hours as unions of interval sketches, with coarser roll-ups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "distinct_window.h"

int dwin_interval_ok(unsigned int interval_s)
{
	return interval_s >= 1 && interval_s <= DWIN_BLOCK_S && DWIN_BLOCK_S % interval_s == 0;
}

const char *dwin_name(enum dwin_window w)
{
	static const char *const names[DWIN_MAX] = { "5m", "1h", "24h" };

	return w < DWIN_MAX ? names[w] : "?";
}

static void merge(const struct dwin *w, struct dn_sketch *dst, const struct dn_sketch *src)
{
	if (!w->bits) {
		sketch_merge(dst, src);
		return;
	}
	for (unsigned int i = 0; i < DN_SKETCH_WORDS; i++)
		dst->w[i] |= src->w[i];
}

double dwin_count(const struct dwin *w, const struct dn_sketch *s)
{
	uint64_t n = 0;

	if (!w->bits)
		return sketch_estimate(s);
	for (unsigned int i = 0; i < DN_SKETCH_WORDS; i++)
		n += __builtin_popcount(s->w[i]);
	return n;
}

static void slot_reset(struct dwin_slot *s, int64_t tag)
{
	s->tag = tag;
	sketch_clear(&s->s);
}

int dwin_init(struct dwin *w, unsigned int interval_s)
{
	memset(w, 0, sizeof(*w));
	if (!dwin_interval_ok(interval_s))
		return -EINVAL;
	w->per_block = DWIN_BLOCK_S / interval_s;
	w->recent = calloc(w->per_block, sizeof(*w->recent));
	if (!w->recent)
		return -ENOMEM;
	for (unsigned int i = 0; i < w->per_block; i++)
		w->recent[i].tag = -1;
	for (int i = 0; i < DWIN_BLOCKS; i++)
		w->blocks[i].tag = -1;
	for (int i = 0; i < DWIN_HOURS; i++)
		w->hours[i].tag = -1;
	w->block.tag = w->hour.tag = -1;
	return 0;
}

void dwin_free(struct dwin *w)
{
	free(w->recent);
	w->recent = NULL;
}

/* Move the slot in progress into its ring when a new one starts. */
static void roll(struct dwin_slot *cur, struct dwin_slot *ring, int n, int64_t tag)
{
	if (cur->tag == tag)
		return;
	if (cur->tag >= 0)
		ring[cur->tag % n] = *cur;
	slot_reset(cur, tag);
}

void dwin_push(struct dwin *w, int64_t k, const struct dn_sketch *s)
{
	int64_t block = k / w->per_block, hour = block / DWIN_BLOCKS;
	struct dwin_slot *r = &w->recent[k % w->per_block];

	if (k < 0)
		return;
	roll(&w->block, w->blocks, DWIN_BLOCKS, block);
	roll(&w->hour, w->hours, DWIN_HOURS, hour);
	merge(w, &w->block.s, s);
	merge(w, &w->hour.s, s);
	r->tag = k;
	r->s = *s;
}

static void take(const struct dwin *w, const struct dwin_slot *s, int64_t lo, int64_t hi,
		 struct dn_sketch *out)
{
	if (s->tag >= 0 && s->tag >= lo && s->tag <= hi)
		merge(w, out, &s->s);
}

void dwin_query(const struct dwin *w, int64_t next, enum dwin_window win, struct dn_sketch *out)
{
	int64_t last = next - 1, block = last / w->per_block, hour = block / DWIN_BLOCKS;

	sketch_clear(out);
	if (last < 0)
		return;
	switch (win) {
	case DWIN_5M:
		for (unsigned int i = 0; i < w->per_block; i++)
			take(w, &w->recent[i], next - w->per_block, last, out);
		break;
	case DWIN_1H:
		take(w, &w->block, block - DWIN_BLOCKS, block, out);
		for (int i = 0; i < DWIN_BLOCKS; i++)
			take(w, &w->blocks[i], block - DWIN_BLOCKS, block, out);
		break;
	case DWIN_24H:
		take(w, &w->hour, hour - DWIN_HOURS, hour, out);
		for (int i = 0; i < DWIN_HOURS; i++)
			take(w, &w->hours[i], hour - DWIN_HOURS, hour, out);
		break;
	default:
		break;
	}
}

unsigned int dwin_nr_slots(const struct dwin *w)
{
	return w->per_block + DWIN_BLOCKS + 1 + DWIN_HOURS + 1;
}

struct dwin_slot *dwin_slot_at(struct dwin *w, unsigned int n)
{
	if (n < w->per_block)
		return &w->recent[n];
	n -= w->per_block;
	if (n < DWIN_BLOCKS)
		return &w->blocks[n];
	if (n == DWIN_BLOCKS)
		return &w->block;
	n -= DWIN_BLOCKS + 1;
	if (n < DWIN_HOURS)
		return &w->hours[n];
	return n == DWIN_HOURS ? &w->hour : NULL;
}

int dwin_slot_number(const struct dwin *w, unsigned int level, unsigned int idx)
{
	switch (level) {
	case DN_HIST_RECENT:
		return idx < w->per_block ? (int)idx : -1;
	case DN_HIST_BLOCKS:
		return idx < DWIN_BLOCKS ? (int)(w->per_block + idx) : -1;
	case DN_HIST_BLOCK:
		return idx ? -1 : (int)(w->per_block + DWIN_BLOCKS);
	case DN_HIST_HOURS:
		return idx < DWIN_HOURS ? (int)(w->per_block + DWIN_BLOCKS + 1 + idx) : -1;
	case DN_HIST_HOUR:
		return idx ? -1 : (int)(w->per_block + DWIN_BLOCKS + 1 + DWIN_HOURS);
	default:
		return -1;
	}
}

bool dwin_slot_valid(const struct dwin *w, unsigned int n, int64_t k)
{
	int64_t block = k / w->per_block, hour = block / DWIN_BLOCKS;
	const struct dwin_slot *s = dwin_slot_at((struct dwin *)w, n);
	int64_t t = s ? s->tag : -1;

	if (t < 0)
		return false;
	if (n < w->per_block)
		return t % w->per_block == n && t <= k && t > k - w->per_block;
	n -= w->per_block;
	if (n <= DWIN_BLOCKS)
		return (n == DWIN_BLOCKS || t % DWIN_BLOCKS == n) && t <= block &&
		       t >= block - DWIN_BLOCKS;
	n -= DWIN_BLOCKS + 1;
	return (n == DWIN_HOURS || t % DWIN_HOURS == n) && t <= hour && t >= hour - DWIN_HOURS;
}

void dwin_trim(struct dwin *w, int64_t k)
{
	for (unsigned int n = 0; n < dwin_nr_slots(w); n++) {
		struct dwin_slot *s = dwin_slot_at(w, n);

		if (s->tag >= 0 && !dwin_slot_valid(w, n, k))
			slot_reset(s, -1);
	}
}
