/* geo_series.h: which origin ASes get a darknet_asn_packets_total series of their own. */
#ifndef DN_GEO_SERIES_H
#define DN_GEO_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "darknet_geo.h"

/*
 * About 84,000 ASes originate prefixes, so one series per AS would swamp
 * Prometheus. The rule is the port series' (port_series.h), per interface:
 *
 * - Watched ASes (--watch-asns) get a series as soon as the AS database
 *   gives them an index, whatever their traffic.
 * - Others are promoted when heavy: at least min_delta packets and
 *   min_share_pct percent of the interface's packets with an AS between
 *   two updates, heaviest first, while fewer than max_series were
 *   promoted so (watched ASes do not count against it).
 * - Nothing is ever demoted. The datapath counts an AS in its series' slot
 *   from the promotion on (geo_asn_slot); what it counted before stays in
 *   asn="other", so other never drops and the series plus other sum to
 *   the packets, exactly. The slots live in the pinned geo_asn_slot map,
 *   keyed by the AS index that the pinned geo_asn_ids keeps stable, so a
 *   restarted daemon has the same series (sticky across restarts).
 */
#define GEO_SERIES_DEFAULT_MAX 100
#define GEO_SERIES_MIN_DELTA 10
#define GEO_SERIES_MIN_SHARE_PCT 1
#define GEO_SERIES_MAX_WATCH 64

struct geo_series {
	unsigned int max_series;         /* promotions by traffic */
	unsigned int promoted;           /* slots taken by traffic so far */
	unsigned int used;               /* highest slot in use */
	__u32 watch[GEO_SERIES_MAX_WATCH];   /* AS numbers */
	unsigned int nr_watch;
	__u32 index_of_slot[DN_GEO_ASN_SLOTS];   /* AS index; 0 = free (and slot 0) */
	__u16 slot_of[DN_GEO_MAX_ASNS];          /* by AS index; 0 = "other" */
	__u64 last[DN_GEO_MAX_ASNS];             /* totals at the previous update */
	bool have_last;
};

/* One new slot, for the caller to write to geo_asn_slot. */
struct geo_promotion {
	__u32 index;
	__u16 slot;
};

/* max_series + watched ASes must fit DN_GEO_ASN_SLOTS - 1: -EINVAL with a
 * reason in err otherwise. watch: "13335,15169" or NULL / "none". */
int geo_series_init(struct geo_series *gs, unsigned int max_series, const char *watch,
		    char *err, size_t errlen);
/* The slots of a previous run (geo_asn_slot's values by AS index) and the
 * AS numbers by index; before the first update. -EINVAL when they do not
 * make a set of distinct slots (a corrupt map). */
int geo_series_restore(struct geo_series *gs, const __u16 *slots, const __u32 *asn_of_index);
/* One update with the per-AS totals now and the AS numbers by index: the
 * new promotions into out (at most DN_GEO_ASN_SLOTS), their number returned. */
size_t geo_series_update(struct geo_series *gs, const __u64 *totals, const __u32 *asn_of_index,
			 struct geo_promotion *out);

#endif
