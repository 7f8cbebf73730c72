/* distinct_window.h: sliding windows of 5 minutes, 1 hour and 24 hours as unions of interval sketches, with coarser roll-ups. */
#ifndef DN_DISTINCT_WINDOW_H
#define DN_DISTINCT_WINDOW_H

#include <stdbool.h>
#include <stdint.h>
#include "sketch.h"

/* Interval k is [k * interval, (k + 1) * interval) seconds of CLOCK_REALTIME,
 * so a restarted daemon numbers intervals as its predecessor did. One
 * history holds (docs/distinct-sources.md, "Windows"):
 * - the sketches of the last 5 minutes' intervals (300 / interval of them),
 * - twelve 5-minute blocks and the block in progress,
 * - twenty-four hours and the hour in progress.
 * 5m is exact; 1h is the current block and the 12 before it (60 to 65
 * minutes); 24h the current hour and the 24 before it (24 to 25 hours).
 * At the 60-second default that is 43 sketches, 172 KiB. */
enum dwin_window {
	DWIN_5M,
	DWIN_1H,
	DWIN_24H,
	DWIN_MAX,
};

#define DWIN_BLOCK_S 300
#define DWIN_BLOCKS 12
#define DWIN_HOURS 24

struct dwin_slot {
	int64_t tag;          /* interval, block or hour number; -1 = empty */
	struct dn_sketch s;
};

struct dwin {
	unsigned int per_block;           /* intervals in 5 minutes */
	bool bits;                        /* pieces are exact bitmaps: union by OR */
	struct dwin_slot *recent;         /* per_block intervals, by k % per_block */
	struct dwin_slot blocks[DWIN_BLOCKS], block;  /* ring, and the one in progress */
	struct dwin_slot hours[DWIN_HOURS], hour;
};

/* Whether an interval length (seconds) is allowed: it divides 300. */
int dwin_interval_ok(unsigned int interval_s);
const char *dwin_name(enum dwin_window w);     /* "5m", "1h", "24h" */
/* 0, -EINVAL (interval not allowed) or -ENOMEM. */
int dwin_init(struct dwin *w, unsigned int interval_s);
void dwin_free(struct dwin *w);
/* Interval k ended with sketch s. Intervals come in increasing order; gaps
 * (a daemon that was down) are fine. */
void dwin_push(struct dwin *w, int64_t k, const struct dn_sketch *s);
/* The pieces of a history by number, n < dwin_nr_slots(): the intervals
 * (0 .. per_block - 1), the 12 blocks, the block in progress, the 24
 * hours, the hour in progress; for saving and restoring a history. */
unsigned int dwin_nr_slots(const struct dwin *w);
struct dwin_slot *dwin_slot_at(struct dwin *w, unsigned int n);
/* Slot number of (level, idx) (enum dn_hist_level), or -1 if out of range. */
int dwin_slot_number(const struct dwin *w, unsigned int level, unsigned int idx);
/* Forget pieces that start after interval k (the clock went back) and
 * pieces too old for any window as seen once interval k has ended. */
void dwin_trim(struct dwin *w, int64_t k);
/* Whether piece n holds a tag it may hold: its index matches its ring
 * position, and it is neither after interval k nor too old for it. */
bool dwin_slot_valid(const struct dwin *w, unsigned int n, int64_t k);
/* The number of items of a window: the estimate of a sketch, the ones of
 * an exact bitmap (bits). */
double dwin_count(const struct dwin *w, const struct dn_sketch *s);
/* out = the union of window win as seen once intervals up to next - 1
 * have ended. */
void dwin_query(const struct dwin *w, int64_t next, enum dwin_window win, struct dn_sketch *out);

#endif
