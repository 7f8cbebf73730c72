/* darknet_counter.h: map layouts and names shared by the XDP program and user space. */
#ifndef DARKNET_COUNTER_H
#define DARKNET_COUNTER_H

/* Kernel and user side both include this file: fixed-width UAPI types and
 * #defines only. Every struct here is a map key or value, i.e. a wire format
 * between the two sides: fields are host byte order unless a comment says
 * otherwise, and padding is explicit. */
#include <linux/types.h>
#include "scanner_table.h"

/* Bump whenever a map, struct or enum below changes meaning or size: pinned
 * state lives under a path that carries this number, so an incompatible
 * binary never reads another layout's counters. */
#define DN_LAYOUT_VERSION 7

#define DN_MAX_VLAN_DEPTH 2      /* 802.1Q and 802.1ad (QinQ) */
#define DN_MAX_IPV6_EXT_HDRS 6   /* hop-by-hop, routing, fragment, dest opts... */

#define DN_MAX_DARKNET_PREFIXES 4096  /* per family, per interface */
#define DN_MAX_PREFIX_IDS (2 * DN_MAX_DARKNET_PREFIXES) /* v4 and v6 share ids */
#define DN_MAX_SCANNER_PREFIXES (1u << 20) /* per family */
#define DN_MAX_SCANNER_ORGS 254       /* org ids 1..254; 0 = no org */
#define DN_ORG_NAME_LEN 32
#define DN_NR_PORTS 65536
/* Port tables have one key past the last port: spoofed non-first fragments
 * of TCP/UDP, which carry no port, count there, so that every (proto,
 * class) of a port table sums to the class counters. */
#define DN_PORT_NONE DN_NR_PORTS
#define DN_PORT_KEYS (DN_NR_PORTS + 1)
#define DN_NR_IPPROTO 256
#define DN_NR_ICMP_TYPES 256

enum dn_family {
	DN_FAMILY_IPV4,
	DN_FAMILY_IPV6,
	DN_FAMILY_MAX,
};

/* Source classes. Precedence (first match wins) is decided in the datapath
 * and documented there; the numbering here is a layout choice: the eight
 * classes a TCP packet can have come first, so that a TCP port's counters
 * are one u64 word of low bytes (struct dn_port_low) and one 64-byte cache
 * line of high parts (struct dn_tcp_port). */
enum dn_class {
	DN_CLASS_SPOOFED,
	DN_CLASS_BACKSCATTER,
	DN_CLASS_RESEARCH,
	DN_CLASS_ZMAP,
	DN_CLASS_MIRAI,
	DN_CLASS_MASSCAN,
	DN_CLASS_SCAN,
	DN_CLASS_TCP_OTHER,
	DN_CLASS_UDP_PROBE,
	DN_CLASS_FRAGMENT,
	DN_CLASS_ICMP_REQUEST,
	DN_CLASS_OTHER,
	DN_CLASS_MAX,
};

#define DN_TCP_PORT_SLOTS 8 /* classes DN_CLASS_SPOOFED..DN_CLASS_TCP_OTHER */

/* A UDP packet can only be spoofed, backscatter, research, zmap or a probe. */
enum dn_udp_slot {
	DN_UDP_SLOT_SPOOFED,
	DN_UDP_SLOT_BACKSCATTER,
	DN_UDP_SLOT_RESEARCH,
	DN_UDP_SLOT_ZMAP,
	DN_UDP_SLOT_UDP_PROBE,
	DN_UDP_PORT_SLOTS,
};

/* Where a frame that is not counted as darknet traffic went. Every frame the
 * program sees lands in exactly one place: a class counter, or one of these. */
enum dn_reason {
	DN_REASON_NOT_IP,          /* passed: not IPv4/IPv6 */
	DN_REASON_NOT_DARKNET,     /* passed: destination outside the darknet */
	DN_REASON_TRUNCATED_L2,    /* malformed: Ethernet/VLAN header cut short */
	DN_REASON_VLAN_TOO_DEEP,   /* malformed: more than DN_MAX_VLAN_DEPTH tags */
	DN_REASON_TRUNCATED_L3,    /* malformed: IP header cut short */
	DN_REASON_BAD_VERSION,     /* malformed: IP version != ethertype's */
	DN_REASON_BAD_IHL,         /* malformed: IPv4 IHL < 5 */
	DN_REASON_BAD_LENGTH,      /* malformed: IP length field < header length */
	DN_REASON_EXT_TRUNCATED,   /* malformed: IPv6 extension header cut short */
	DN_REASON_EXT_TOO_LONG,    /* malformed: more than DN_MAX_IPV6_EXT_HDRS */
	DN_REASON_TRUNCATED_L4,    /* malformed: darknet packet, L4 header cut short */
	DN_REASON_MAX,
};
#define DN_REASON_FIRST_MALFORMED DN_REASON_TRUNCATED_L2

/* Packets and frame bytes (data_end - data, the size on the wire less FCS). */
struct dn_count {
	__u64 packets;
	__u64 bytes;
};

/* class_counters key: one slot per (family, IP protocol, class). The protocol
 * is the upper-layer one after IPv6 extension headers; for a fragment, the
 * one its IP or fragment header names. */
static inline __u32 dn_class_key(__u32 family, __u32 ipproto, __u32 cls)
{
	return (family * DN_NR_IPPROTO + ipproto) * DN_CLASS_MAX + cls;
}
#define DN_CLASS_KEYS (DN_FAMILY_MAX * DN_NR_IPPROTO * DN_CLASS_MAX)

/* A port counter is split in two. Its low part, one byte per slot in
 * tcp_port_low / udp_port_low, is what a packet increments: 8 bytes a port,
 * so a CPU's tables are 1 MiB and stay in cache while ports are scattered.
 * Each CPU has its own block of low bytes, at cpu * DN_PORT_LOW_CPU_KEYS +
 * destination port (host order) or DN_PORT_NONE, and only it writes there.
 * When a low byte would reach DN_PORT_CARRY the program adds DN_PORT_CARRY
 * to the high part (tcp_port_high / udp_port_high, u64, touched once per
 * DN_PORT_CARRY packets) and clears the byte. The high parts are ONE table
 * per protocol that every CPU carries into with a fetching atomic add, so
 * that they cost DN_PORT_KEYS values, not that many per CPU. A port's count
 * is high + the sum over CPUs of its low bytes. While it carries, the byte
 * holds DN_PORT_LOW_BUSY, so a reader that finds a byte busy, or the high
 * part changed between two reads around the bytes, reads again
 * (user/lib/port_read.c says why that is exact). All four tables are
 * mmap-able arrays; docs/memory.md gives their sizes. */
#define DN_PORT_CARRY 255
#define DN_PORT_LOW_BUSY 255

/* port_touched: per CPU, one bit per group of DN_PORT_GROUP_PORTS ports (a
 * cache line of low bytes) per protocol, set by the program after it counts
 * a port of the group and cleared by the reader before it reads the group,
 * so a scrape reads the groups that changed, not every port of every CPU.
 * Key cpu * DN_TOUCHED_CPU_WORDS + word: TCP's words first, UDP's at
 * DN_TOUCHED_UDP; each starts on a cache line, and so does each CPU. */
#define DN_PORT_GROUP_SHIFT 3
#define DN_PORT_GROUP_PORTS (1u << DN_PORT_GROUP_SHIFT)
#define DN_PORT_GROUPS ((DN_PORT_KEYS + DN_PORT_GROUP_PORTS - 1) / DN_PORT_GROUP_PORTS)
#define DN_TOUCHED_WORDS ((DN_PORT_GROUPS + 63) / 64)        /* per protocol: 129 */
#define DN_TOUCHED_TCP 0
#define DN_TOUCHED_UDP ((DN_TOUCHED_WORDS + 7) / 8 * 8)        /* 136: a line boundary */
#define DN_TOUCHED_CPU_WORDS (2 * DN_TOUCHED_UDP)
/* A CPU's block of a low table: DN_PORT_KEYS values padded to whole
 * groups, so that every CPU's group of 8 ports is one cache line (with
 * DN_PORT_KEYS, CPU c's groups would start c * 8 bytes into a line and
 * span two). */
#define DN_PORT_LOW_CPU_KEYS (DN_PORT_GROUPS * DN_PORT_GROUP_PORTS)

/* The small counters (class_counters, icmp_counters, prefix_counters,
 * org_counters, reason_counters) are plain arrays with one block per CPU as
 * well, at cpu * <map>_CPU_KEYS + key, sized by user space for the CPU count
 * and read through mmap: no syscall copies each CPU's values at a scrape.
 * Each block is a whole number of cache lines, so no two CPUs ever write
 * one line (docs/memory.md). */
#define DN_ICMP_KEYS (DN_FAMILY_MAX * DN_NR_ICMP_TYPES)
#define DN_ORG_KEYS (DN_MAX_SCANNER_ORGS + 1)
#define DN_CLASS_CPU_KEYS DN_CLASS_KEYS          /* 96 KiB per CPU */
#define DN_ICMP_CPU_KEYS DN_ICMP_KEYS            /* 48 KiB */
#define DN_PREFIX_CPU_KEYS DN_MAX_PREFIX_IDS     /* 128 KiB */
#define DN_ORG_CPU_KEYS 256                      /* 4 KiB: 255 keys and a pad */
#define DN_REASON_CPU_KEYS 12                    /* 3 lines: 11 keys and a pad */

struct dn_port_low {
	__u8 packets[DN_TCP_PORT_SLOTS];   /* by TCP class or enum dn_udp_slot */
};

/* tcp_port_high value: the high parts of a TCP port's counters, shared
 * by all CPUs. */
struct dn_tcp_port {
	__u64 packets[DN_TCP_PORT_SLOTS];
};

/* udp_port_high value: the high parts of a UDP port's counters, shared
 * by all CPUs. */
struct dn_udp_port {
	__u64 packets[DN_UDP_PORT_SLOTS];
};

/* icmp_counters key: family * 256 + ICMP(v6) type. */
struct dn_icmp_type {
	__u64 packets[DN_CLASS_MAX];
};

/* LPM trie keys. Addresses are in network byte order, as LPM tries compare
 * them bytewise from the most significant bit. */
struct dn_lpm_v4 {
	__u32 prefixlen;
	__u32 addr;
};

struct dn_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* The research-scanner tables (scanner_v4_dir, scanner_chunks, scanner_v6_bits,
 * scanner_buckets) are laid out in scanner_table.h. */

/* darknet_small value: a sensor's darknet is a few prefixes per family, and
 * comparing with each (longest first, so the first match is the longest)
 * beats a trie walk. A family with more than DN_DARKNET_SMALL_MAX prefixes
 * has count DN_DARKNET_SMALL_TRIE: its trie answers. */
#define DN_DARKNET_SMALL_MAX 16
#define DN_DARKNET_SMALL_TRIE 0xffffffffu
struct dn_darknet_small {
	__u32 count;               /* IPv4 entries in e */
	__u32 count6;              /* IPv6 entries in e6 */
	struct {
		__be32 net;        /* network byte order, host bits zero */
		__be32 mask;       /* network byte order */
		__u32 id;          /* darknet prefix id */
		__u32 len;
	} e[DN_DARKNET_SMALL_MAX];
	struct {
		__be32 net[4];     /* network byte order, host bits zero */
		__be32 mask[4];
		__u32 id;
		__u32 len;
	} e6[DN_DARKNET_SMALL_MAX];
};

/* Holds one name per org id so that a restarted daemon reads back the
 * org <-> id mapping the pinned counters were made with. */
struct dn_org_name {
	char name[DN_ORG_NAME_LEN];
};

/* Holds the prefix of each darknet prefix id, for the same reason. */
struct dn_prefix_info {
	__u8 in_use;       /* 1: this id names a prefix; 0 (a fresh map): unused */
	__u8 family;       /* enum dn_family */
	__u8 prefixlen;
	__u8 pad;
	__u8 addr[16];     /* network byte order; IPv4 in the first four */
};

/* series_state value: one promoted port series of darknet_port_packets_
 * total and the count it started from, so that a restarted daemon shows the
 * same series, still monotonic. series is the exporter's series number plus
 * one (0 = unused entry). User-side storage only. */
#define DN_MAX_PORT_SERIES_STATE 65536
struct dn_port_series_entry {
	__u32 series;
	__u32 pad;
	__u64 baseline;
};

#ifndef __bpf__
_Static_assert(sizeof(struct dn_port_series_entry) == 16, "port series entry");
_Static_assert(sizeof(struct dn_count) == 16, "dn_count is a map value");
_Static_assert(sizeof(struct dn_tcp_port) == 64, "one cache line per TCP port");
_Static_assert(sizeof(struct dn_port_low) == 8, "eight low bytes per port");
_Static_assert(DN_PORT_GROUP_PORTS * sizeof(struct dn_port_low) == 64,
	       "a port group is one cache line of low bytes");
_Static_assert(sizeof(struct dn_udp_port) == 40, "dn_udp_port is a map value");
_Static_assert(sizeof(struct dn_icmp_type) == 96, "dn_icmp_type is a map value");
_Static_assert(sizeof(struct dn_lpm_v4) == 8, "dn_lpm_v4 is a map key");
_Static_assert(sizeof(struct dn_lpm_v6) == 20, "dn_lpm_v6 is a map key");
_Static_assert(sizeof(struct dn_org_name) == DN_ORG_NAME_LEN, "org name");
_Static_assert(sizeof(struct dn_prefix_info) == 20, "dn_prefix_info");
_Static_assert(sizeof(struct dn_darknet_small) == 8 + (16 + 40) * DN_DARKNET_SMALL_MAX,
	       "dn_darknet_small");
#endif

#endif /* DARKNET_COUNTER_H */
