/* port_read.h: reads the split port counters (shared high part + per-CPU low bytes) exactly, group by touched group. */
#ifndef DN_PORT_READ_H
#define DN_PORT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "darknet_counter.h"

/* One port over every CPU: slots high parts (shared) and the low word of
 * each CPU, at low[cpu * low_stride], read as values the port had at one
 * instant. Adds high + the low bytes per slot to sum and returns 0, or
 * returns -EAGAIN (sum untouched) while a carry is under way: a busy byte,
 * or the high part moved during the read. */
int port_read_one(const __u64 *high, const __u64 *low, size_t low_stride,
		  unsigned int ncpus, unsigned int slots, __u64 *sum);

/* One protocol's tables as the program lays them out (darknet_counter.h),
 * wherever they are mapped: low holds ncpus blocks of DN_PORT_LOW_CPU_KEYS words,
 * high DN_PORT_KEYS values of words u64, touched ncpus blocks of
 * DN_TOUCHED_CPU_WORDS words whose word base is this protocol's first
 * (NULL: no bits, every group is read). */
struct port_table {
	const __u64 *low;
	const __u64 *high;
	__u64 *touched;
	unsigned int ncpus, words, slots, base;
};

/* What a reader that follows one table keeps between reads. */
struct port_groups {
	bool primed;      /* false: the next read reads every group */
	bool track;       /* clear the bits it reads (the one reader that owns them) */
	__u64 pending[DN_TOUCHED_WORDS];   /* groups cleared by the last read */
	__u32 groups_read;                 /* by the last read, for the bench */
};

/* Bring sums (DN_PORT_KEYS values of t->words u64, what the previous read
 * left there) up to date: clear and collect the touched bits of every CPU,
 * then read each touched group, each group cleared by the previous read,
 * or with g->primed false every group. Untracked (g->track false), it reads
 * every group and leaves the bits alone. 0, or -EBUSY if a carry stayed
 * under way for a whole second. */
int port_table_read(const struct port_table *t, struct port_groups *g, __u64 *sums);

#endif
