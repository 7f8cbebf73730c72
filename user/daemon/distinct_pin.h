/* distinct_pin.h: the daemon's window histories saved in and restored from the pinned sketch_hist and sketch_hdir maps. */
#ifndef DN_DISTINCT_PIN_H
#define DN_DISTINCT_PIN_H

#include <stddef.h>
#include <stdint.h>
#include "distinct_window.h"
#include "maps.h"

/* One interface's pool (include/darknet_sketch.h, DN_HIST_POOL), mapped
 * into the daemon, and where each history's pieces are in it. */
struct distinct_pin {
	struct dn_sketch *pool;           /* DN_HIST_POOL pieces */
	struct dn_hist_dir *dir;
	int32_t *where[DN_HIST_OWNERS];   /* by owner - 1: pool index per slot, -1 none */
	unsigned int per_block;
	bool full_logged;
};

/* Map the pool of interface maps m. 0 or -errno, err naming the map. */
int dpin_open(struct distinct_pin *p, const struct dn_maps *m, unsigned int interval_s,
	      char *err, size_t errlen);
void dpin_close(struct distinct_pin *p);
/* Give back history `owner` (0-based) as saved, its pieces trimmed for
 * interval k (the last ended): the pieces it may not hold are freed.
 * Returns whether anything valid was restored into w. */
bool dpin_restore(struct distinct_pin *p, unsigned int owner, struct dwin *w, int64_t k);
/* Owners that have pieces in the pool, for the caller to restore. */
bool dpin_has(const struct distinct_pin *p, unsigned int owner);
/* Save what changed of history `owner` after interval k was pushed. */
void dpin_save(struct distinct_pin *p, unsigned int owner, struct dwin *w, int64_t k);
/* Stamp the directory after a round of saves (now: CLOCK_REALTIME). */
void dpin_stamp(struct distinct_pin *p, double now);

#endif
