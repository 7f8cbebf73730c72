/* counters.h: reads one interface's counter maps into a snapshot, summed over CPUs. */
#ifndef DN_COUNTERS_H
#define DN_COUNTERS_H

#include <linux/types.h>
#include "maps.h"
#include "snapshot.h"

struct counters_reader {
	int ncpus;
	void *scratch;         /* one batch of id map values */
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
/* Total darknet packets in a snapshot (all classes, families, protocols). */
__u64 counters_total_packets(const struct dn_iface_snapshot *s);

#endif
