/* snapshot.h: one read of every counter of every interface, summed over CPUs. */
#ifndef DN_SNAPSHOT_H
#define DN_SNAPSHOT_H

#include <net/if.h>
#include <stdbool.h>
#include "darknet_counter.h"
#include "prefix.h"

struct port_reader;
struct counter_blocks;

/* What one interface's maps held at one instant, already summed over CPUs,
 * plus the names the ids in it stand for. The port tables are heap arrays of
 * DN_PORT_KEYS entries indexed by destination port, then DN_PORT_NONE. */
struct dn_iface_snapshot {
	char ifname[IF_NAMESIZE];
	bool attached;
	const char *mode;                 /* "native" or "skb" */
	struct dn_count classes[DN_CLASS_KEYS];        /* by dn_class_key() */
	struct dn_tcp_port *tcp_ports;
	struct dn_udp_port *udp_ports;
	struct dn_icmp_type icmp[DN_FAMILY_MAX * DN_NR_ICMP_TYPES];
	struct dn_count prefixes[DN_MAX_PREFIX_IDS];   /* by darknet prefix id */
	struct dn_count orgs[DN_MAX_SCANNER_ORGS + 1]; /* by org id, 0 unused */
	struct dn_count reasons[DN_REASON_MAX];
	/* id -> name; unused ids have an empty org name / in_use == 0 */
	struct dn_prefix_info prefix_info[DN_MAX_PREFIX_IDS];
	struct dn_org_name org_names[DN_MAX_SCANNER_ORGS + 1];
	/* counters.c: what the reader of these port tables keeps between
	 * reads (mappings, groups to read again); NULL until the first read */
	struct port_reader *port_reader;
	/* counters.c: the small counter maps, mapped; NULL until the first read */
	struct counter_blocks *blocks;
};

struct dn_snapshot {
	struct dn_iface_snapshot *ifaces;
	int nr_ifaces;
	double scrape_duration_seconds;   /* of the previous scrape */
};

#endif
