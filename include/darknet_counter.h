/* darknet_counter.h: map layouts and names shared by the XDP program and user space. */
#ifndef DARKNET_COUNTER_H
#define DARKNET_COUNTER_H

/* Kernel and user side both include this file: fixed-width UAPI types and
 * #defines only. Every struct here is a map key or value, i.e. a wire format
 * between the two sides: fields are host byte order unless a comment says
 * otherwise, and padding is explicit. */
#include <linux/types.h>

/* Bump whenever a map, struct or enum below changes meaning or size: pinned
 * state lives under a path that carries this number, so an incompatible
 * binary never reads another layout's counters. */
#define DN_LAYOUT_VERSION 5

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
 * When a low byte would reach DN_PORT_CARRY the program adds DN_PORT_CARRY
 * to the high part (tcp_port_high / udp_port_high, u64, touched once
 * per DN_PORT_CARRY packets) and clears the byte. The count is high + low.
 * While it carries, the byte holds DN_PORT_LOW_BUSY, so a reader that finds
 * the byte busy, or the high part changed between two reads around the
 * byte, reads again (user/port_read.c). Both tables are mmap-able arrays
 * with one block of DN_PORT_KEYS values per possible CPU, at
 * cpu * DN_PORT_KEYS + destination port (host order) or DN_PORT_NONE. */
#define DN_PORT_CARRY 255
#define DN_PORT_LOW_BUSY 255

struct dn_port_low {
	__u8 packets[DN_TCP_PORT_SLOTS];   /* by TCP class or enum dn_udp_slot */
};

/* tcp_port_high value: the high parts of a TCP port's counters. */
struct dn_tcp_port {
	__u64 packets[DN_TCP_PORT_SLOTS];
};

/* udp_port_high value: the high parts of a UDP port's counters. */
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

/* IPv4 research-scanner table in the spirit of DIR-24-8: one byte per /24,
 * 16 MiB, counted below in u64 entries (2^21 of them) to place the filters.
 * Byte value 0 = no scanner, 1..254 = org id, DN_SCANNER_LONGER = this /24
 * holds a prefix longer than /24: its chunk (below) has the answer.
 * Three filters follow the bytes, since darknet sources are scattered over
 * all of IPv4 and a random byte of 16 MiB costs a cache and a TLB miss: one
 * bit per /24 (2 MiB) saying whether its byte is nonzero, one bit per /20
 * (128 KiB, stays in L2) and one per /16 (8 KiB, stays in L1) saying whether
 * any /24 bit under them is set. A source that no scanner prefix touches
 * stops at the first filter that says so (the /20 level keeps that true for
 * lists of 100,000 scattered prefixes, which set most /16 bits); only scanner
 * sources, which are few and hot, read their byte. */
#define DN_SCANNER_DIR_SLOTS (1u << 21)
#define DN_SCANNER_DIR_BITMAP DN_SCANNER_DIR_SLOTS                   /* /24 bits */
#define DN_SCANNER_DIR_BITMAP20 (DN_SCANNER_DIR_BITMAP + (1u << 18))  /* /20 bits */
#define DN_SCANNER_DIR_SUMMARY (DN_SCANNER_DIR_BITMAP20 + (1u << 14)) /* /16 bits */
#define DN_SCANNER_DIR_ENTRIES (DN_SCANNER_DIR_SUMMARY + (1u << 16) / 64)
/* The map holds those u64 entries in blocks of 4 MiB, the largest value an
 * array takes: one lookup gives the datapath a block it then indexes
 * itself, instead of one bounds-checked lookup per level. Blocks 0-3 are
 * the bytes (a /24's byte at offset /24 % 2^22 of block /24 >> 22), block 4
 * starts with the /24 bitmap and holds the three filters, then the chunk
 * slots (DN_SCANNER_SLOT_KEYS_OFF). */
#define DN_SCANNER_DIR_BLOCK_WORDS (1u << 19)
#define DN_SCANNER_DIR_BLOCK_BYTES (DN_SCANNER_DIR_BLOCK_WORDS * 8u)
#define DN_SCANNER_DIR_BLOCKS \
	((DN_SCANNER_DIR_ENTRIES + DN_SCANNER_DIR_BLOCK_WORDS - 1) / DN_SCANNER_DIR_BLOCK_WORDS)
#define DN_SCANNER_DIR_FILTER_BLOCK (DN_SCANNER_DIR_BITMAP / DN_SCANNER_DIR_BLOCK_WORDS)
#define DN_SCANNER_LONGER 255

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

/* scanner_chunks value: the org byte of each address of one /24 marked
 * DN_SCANNER_LONGER, keyed by the /24 (address >> 8, host order); the
 * second level of DIR-24-8, so that such sources need no trie walk. */
struct dn_scanner_chunk {
	__u8 org[256];
};

/* The filter block's free space holds up to DN_SCANNER_SLOTS of those
 * chunks directly: the chunk of /24 s sits in slot dn_scanner_slot(s) if
 * that slot's key is s + 1 (0: empty), so a curated list's few chunks cost
 * two loads, not a hash lookup; a /24 that finds its slot taken is only in
 * scanner_chunks. Keys (u32) then chunks, after the filters. */
#define DN_SCANNER_SLOT_BITS 12
#define DN_SCANNER_SLOTS (1u << DN_SCANNER_SLOT_BITS)
#define DN_SCANNER_FILTER_WORDS (DN_SCANNER_DIR_ENTRIES - DN_SCANNER_DIR_BITMAP)
#define DN_SCANNER_SLOT_KEYS_OFF (DN_SCANNER_FILTER_WORDS * 8u)   /* bytes into the block */
#define DN_SCANNER_SLOT_CHUNKS_OFF (DN_SCANNER_SLOT_KEYS_OFF + DN_SCANNER_SLOTS * 4u)
static inline __u32 dn_scanner_slot(__u32 slash24)
{
	return (slash24 * 2654435761u) >> (32 - DN_SCANNER_SLOT_BITS);
}

/* scanner_v6_bits: one bit per hash of an IPv6 source's first 32 bits,
 * set for every /32 a scanner prefix touches. A clear bit means no scanner
 * prefix holds the source and the lookup ends there. A set one may be a
 * hash collision: scanner_buckets, keyed by the /32 itself, holds every
 * prefix touching that /32 (longest first), at most DN_V6_BUCKET_MAX; a
 * missing bucket means no scanner, a full one (count DN_V6_BUCKET_FULL)
 * sends the lookup to the trie. Lists with IPv6 prefixes shorter than
 * DN_V6_FILTER_MIN_LEN get neither (empty slots: always the trie). */
#define DN_V6_FILTER_BITS 20
#define DN_V6_FILTER_ENTRIES ((1u << DN_V6_FILTER_BITS) / 64)
#define DN_V6_FILTER_MIN_LEN 20
#define DN_V6_BUCKET_MAX 8
#define DN_V6_BUCKET_FULL 0xffffffffu
static inline __u32 dn_v6_filter_hash(__u32 top32_host_order)
{
	/* Fibonacci hashing: the top bits of a multiplicative hash */
	return (top32_host_order * 2654435761u) >> (32 - DN_V6_FILTER_BITS);
}

struct dn_scanner_v6_bucket {
	__u32 count;               /* entries used, or DN_V6_BUCKET_FULL */
	__u32 pad;
	struct {
		__u32 net[4];      /* network byte order, host bits zero */
		__u32 mask[4];     /* network byte order */
		__u32 org;
		__u32 len;
	} e[DN_V6_BUCKET_MAX];
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

_Static_assert(DN_SCANNER_SLOT_CHUNKS_OFF + DN_SCANNER_SLOTS * 256u <= DN_SCANNER_DIR_BLOCK_BYTES,
	       "the chunk slots fit the filter block");
_Static_assert(DN_SCANNER_DIR_BITMAP % DN_SCANNER_DIR_BLOCK_WORDS == 0 &&
	       DN_SCANNER_DIR_BLOCKS == DN_SCANNER_DIR_FILTER_BLOCK + 1,
	       "the filters start and fit the last block");

#ifndef __bpf__
_Static_assert(sizeof(struct dn_port_series_entry) == 16, "port series entry");
_Static_assert(sizeof(struct dn_count) == 16, "dn_count is a map value");
_Static_assert(sizeof(struct dn_tcp_port) == 64, "one cache line per TCP port");
_Static_assert(sizeof(struct dn_port_low) == 8, "eight low bytes per port");
_Static_assert(sizeof(struct dn_udp_port) == 40, "dn_udp_port is a map value");
_Static_assert(sizeof(struct dn_icmp_type) == 96, "dn_icmp_type is a map value");
_Static_assert(sizeof(struct dn_lpm_v4) == 8, "dn_lpm_v4 is a map key");
_Static_assert(sizeof(struct dn_lpm_v6) == 20, "dn_lpm_v6 is a map key");
_Static_assert(sizeof(struct dn_org_name) == DN_ORG_NAME_LEN, "org name");
_Static_assert(sizeof(struct dn_prefix_info) == 20, "dn_prefix_info");
_Static_assert(sizeof(struct dn_scanner_chunk) == 256, "dn_scanner_chunk");
_Static_assert(sizeof(struct dn_scanner_v6_bucket) == 8 + 40 * DN_V6_BUCKET_MAX,
	       "dn_scanner_v6_bucket");
_Static_assert(sizeof(struct dn_darknet_small) == 8 + (16 + 40) * DN_DARKNET_SMALL_MAX,
	       "dn_darknet_small");
#endif

#endif /* DARKNET_COUNTER_H */
