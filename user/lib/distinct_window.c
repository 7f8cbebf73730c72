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
	sketch_merge(&w->block.s, s);
	sketch_merge(&w->hour.s, s);
	r->tag = k;
	r->s = *s;
}

static void take(const struct dwin_slot *s, int64_t lo, int64_t hi, struct dn_sketch *out)
{
	if (s->tag >= 0 && s->tag >= lo && s->tag <= hi)
		sketch_merge(out, &s->s);
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
			take(&w->recent[i], next - w->per_block, last, out);
		break;
	case DWIN_1H:
		take(&w->block, block - DWIN_BLOCKS, block, out);
		for (int i = 0; i < DWIN_BLOCKS; i++)
			take(&w->blocks[i], block - DWIN_BLOCKS, block, out);
		break;
	case DWIN_24H:
		take(&w->hour, hour - DWIN_HOURS, hour, out);
		for (int i = 0; i < DWIN_HOURS; i++)
			take(&w->hours[i], hour - DWIN_HOURS, hour, out);
		break;
	default:
		break;
	}
}
