/* sketch.h: HyperLogLog registers in user space: read, raise, merge, estimate (include/darknet_sketch.h has the layout). */
#ifndef DN_USER_SKETCH_H
#define DN_USER_SKETCH_H

#include <stdbool.h>
#include <stdint.h>
#include "darknet_sketch.h"

/* Relative standard error of one estimate: 1.04 / sqrt(m). */
#define SKETCH_STD_ERROR (1.04 / 64.0)
_Static_assert(DN_SKETCH_REGS == 4096, "SKETCH_STD_ERROR assumes m = 4096");

static inline unsigned int sketch_get(const struct dn_sketch *s, unsigned int reg)
{
	return (s->w[reg / 4] >> (8 * (reg % 4))) & 0xff;
}

void sketch_clear(struct dn_sketch *s);
bool sketch_empty(const struct dn_sketch *s);
/* Raise register reg to rank if it is lower (what the datapath does). */
void sketch_raise(struct dn_sketch *s, unsigned int reg, unsigned int rank);
/* Add one item by its 64-bit hash (dn_sketch_hash4/6). */
void sketch_add_hash(struct dn_sketch *s, uint64_t h);
/* dst = the union of dst and src: register by register, the larger. */
void sketch_merge(struct dn_sketch *dst, const struct dn_sketch *src);
/* The number of distinct items: Ertl's improved estimator (arXiv
 * 1702.01284, section 4; docs/distinct-sources.md). 0 for an empty sketch. */
double sketch_estimate(const struct dn_sketch *s);

#endif
