/* landing_stats.h: the NICTER figures of a counter snapshot that the landing page shows. */
#ifndef DN_LANDING_STATS_H
#define DN_LANDING_STATS_H

#include <stdint.h>
#include <net/if.h>
#include "darknet_counter.h"
#include "distinct.h"
#include "snapshot.h"

#define LANDING_TOP_PORTS 10
#define LANDING_MAX_IFACES 16

/* Distinct sources and darknet coverage over 24 hours
 * (docs/distinct-sources.md). Distinct counts do not add up over
 * interfaces: with several, the page shows the largest, a lower bound. */
struct landing_distinct {
	bool on;                          /* false: --no-distinct, nothing shown */
	int nr_ifaces;
	double sources[DN_CLASS_MAX];     /* IPv4 + IPv6 (disjoint), largest interface */
	double all;                       /* every class, largest interface */
	struct {
		char name[IF_NAMESIZE];
		double hit, addresses;    /* IPv4 darknet addresses */
	} cov[LANDING_MAX_IFACES];
};

/* The 24h figures of d's interfaces. */
void landing_distinct_fill(struct landing_distinct *ld, const struct distinct *d);

/* What the page shows of one interface or of several. */
struct landing_sums {
	uint64_t packets, bytes, passed, malformed;
	uint64_t family[DN_FAMILY_MAX];          /* packets by enum dn_family */
	uint64_t classes[DN_CLASS_MAX];          /* packets by enum dn_class */
	uint64_t prefix_packets[DN_FAMILY_MAX];  /* prefix_counters of in-use ids */
	double addresses[DN_FAMILY_MAX];         /* of the distinct in-use prefixes */
};

/* A destination port and its packets (proto: enum port_proto). */
struct landing_port {
	uint64_t packets;
	unsigned int proto, port;
};

/* Sums n interfaces into t. A prefix named by two ids (after a reload) or
 * watched on two interfaces counts its addresses once. 0 or -ENOMEM. */
int landing_sum(struct landing_sums *t, const struct dn_iface_snapshot *s, int n);

/* The busiest TCP/UDP destination ports over every interface, research
 * scans excluded as in NICTER's report; ties go to TCP, then the lower port.
 * Returns how many of top[] are filled (ports with packets only); *total is
 * every such TCP/UDP packet, the top ones included. */
int landing_top_ports(const struct dn_snapshot *snap,
		      struct landing_port top[LANDING_TOP_PORTS], uint64_t *total);

#endif
