/* counters.h: reads one interface's per-CPU maps into a snapshot, summed over CPUs. */
#ifndef DN_COUNTERS_H
#define DN_COUNTERS_H

#include <linux/types.h>
#include "maps.h"
#include "snapshot.h"

struct counters_reader {
	int ncpus;
	void *scratch;         /* one batch of per-CPU values */
	size_t scratch_size;
};

int counters_reader_init(struct counters_reader *r);
void counters_reader_free(struct counters_reader *r);

/* A snapshot whose reads read every port group and leave the maps'
 * touched bits alone (one-shot readers). 0 or -ENOMEM. */
int counters_snapshot_alloc(struct dn_iface_snapshot *s);
/* From now on s owns its maps' touched bits: each read reads only the port
 * groups that changed since the one before, into the sums s keeps (the
 * daemon, one snapshot per interface; one such reader per maps). */
int counters_snapshot_track_ports(struct dn_iface_snapshot *s);
void counters_snapshot_free(struct dn_iface_snapshot *s);

/* Fill s with everything m's maps hold now. Returns 0 or -errno; a failed
 * read leaves s partly updated and is counted by the caller. */
int counters_read(struct counters_reader *r, const struct dn_maps *m,
		  struct dn_iface_snapshot *s);
/* The part of counters_read() whose cost grows with the CPU count besides
 * the port tables: the per-CPU arrays (classes, ICMP, prefixes, orgs,
 * reasons). The bench scales it to CPUs this machine does not have. */
int counters_read_percpu(struct counters_reader *r, const struct dn_maps *m,
			 struct dn_iface_snapshot *s);

/* Sum per-CPU values as the kernel's batch lookup returns them, laid out
 * [key][cpu][word], into out[key][word]. */
void counters_sum_percpu(__u64 *out, const __u64 *vals, __u32 nr_keys,
			 __u32 words, int ncpus);

/* Total darknet packets in a snapshot (all classes, families, protocols). */
__u64 counters_total_packets(const struct dn_iface_snapshot *s);

#endif
