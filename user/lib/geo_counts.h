/* geo_counts.h: reads the per-country and per-AS-series counters and the per-AS totals, summed over CPUs. */
#ifndef DN_GEO_COUNTS_H
#define DN_GEO_COUNTS_H

#include <linux/types.h>
#include "darknet_geo.h"
#include "maps.h"

/* geo_cc_counts and geo_asn_counts summed over CPUs, keyed as in the maps:
 * dn_geo_key(country index or AS series slot, class). */
struct geo_counts {
	struct dn_count country[DN_GEO_COUNTRY_CPU_KEYS];
	struct dn_count asn[DN_GEO_ASN_CPU_KEYS];
};

/* 0 or -errno naming nothing: the caller says which interface failed. */
int geo_counts_read(const struct dn_maps *m, struct geo_counts *c);

/* Packets of every AS index so far (all classes), into totals
 * [DN_GEO_MAX_ASNS]: the shared high part plus every CPU's low byte. A
 * byte that is carrying reads as 0 (its AS reads up to DN_GEO_ASN_CARRY
 * low, once): the totals only rank ASes for promotion, no series is made
 * of them. 0 or -errno. */
int geo_asn_totals_read(const struct dn_maps *m, __u64 *totals);

/* Sum over classes of country index (or AS series slot) idx. */
__u64 geo_counts_packets(const struct dn_count *v, __u32 idx);

#endif
