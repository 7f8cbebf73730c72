/* test_datapath.c: BPF_PROG_TEST_RUN table: frame -> verdict and exact counter deltas, per row. */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "darknet_counter.h"
#include "frame.h"
#include "harness.h"
#include "array_size.h"

/* Rows start from a canonical frame and override a field or two. */
#pragma GCC diagnostic ignored "-Woverride-init"


/* The lab: routable darknets (a bogon darknet would hide src == dst behind
 * the bogon rule), a /25 inside a /24 and a /64 inside a /48 for LPM. */
#define DST4 "44.44.44.5"             /* 0x2c2c2c05, in NET4 */
#define NET4 "44.44.44.0/24"
#define DST6 "2a0d:3dc1:1::5"
#define NET6 "2a0d:3dc1:1::/48"
#define SRC4 "45.33.32.156"           /* routable, in no scanner list */
#define SRC6 "2a01:4f8::1"
#define CENSYS4 "162.142.125.7"       /* scanner /24: the direct table alone */
#define CENSYS6 "2602:80d:1000::99"

static const char *const darknets[] = {
	NET4, "44.44.44.128/25", "44.44.45.0/24", NET6, "2a0d:3dc1:1:2::/64", NULL,
};

/* A /24, a /23, a /16 holding a /28 of another org (its /24 goes to the
 * trie), a lone /32, and IPv6. */
static const char *const scanners[] = {
	"162.142.125.0/24 censys", "199.45.154.0/23 censys", "80.82.0.0/16 wide",
	"80.82.77.32/28 narrow", "45.79.190.10/32 rapid7", "2602:80d:1000::/48 censys", NULL,
};

/* Canonical frames. */
#define SYN4 .src = SRC4, .dst = DST4, .proto = IPPROTO_TCP, .sport = 40000, .dport = 445, \
	     .tcp_flags = TH_SYN, .seq = 1, .ip_id = 1
#define UDP4 .src = SRC4, .dst = DST4, .proto = IPPROTO_UDP, .sport = 40000, .dport = 5060, \
	     .ip_id = 1, .payload = 16
#define ICMP4 .src = SRC4, .dst = DST4, .proto = IPPROTO_ICMP, .icmp_type = 8, .ip_id = 1, \
	      .payload = 32
#define SYN6 .src = SRC6, .dst = DST6, .proto = IPPROTO_TCP, .sport = 40000, .dport = 445, \
	     .tcp_flags = TH_SYN, .seq = 1
#define UDP6 .src = SRC6, .dst = DST6, .proto = IPPROTO_UDP, .sport = 40000, .dport = 5060, \
	     .payload = 16
#define ICMP6 .src = SRC6, .dst = DST6, .proto = IPPROTO_ICMPV6, .icmp_type = 128, .payload = 32
#define HOP FRAME_EXT_HOPOPTS
#define RT IPPROTO_ROUTING
#define DOPT IPPROTO_DSTOPTS

/* Byte offsets in an untagged frame. */
#define OFF_ETHERTYPE 12
#define OFF_L3 14
#define OFF_V4_TOTLEN (OFF_L3 + 2)
#define OFF_V6_PAYLEN (OFF_L3 + 4)
#define OFF_V6_EXT (OFF_L3 + 40)

struct poke {
	uint16_t off;          /* 0 = unused (nothing here needs the MACs) */
	uint8_t val;
};

enum expect { EXPECT_CLASS = 1, EXPECT_REASON };

struct row {
	const char *name;
	struct frame_spec f;
	struct poke poke[3];   /* bytes overwritten after frame_build */
	int keep;              /* > 0: truncate the frame to this many bytes */
	int cut;               /* bytes removed from the end */
	int third_tag;         /* insert an 802.1Q tag in front of the others */
	enum expect expect;
	int cls;               /* EXPECT_CLASS: enum dn_class */
	int reason;            /* EXPECT_REASON: enum dn_reason */
	const char *prefix;    /* counted darknet prefix; NULL: NET4 or NET6 */
	const char *org;       /* research org, exactly for DN_CLASS_RESEARCH */
};

#define CLASS(c) .expect = EXPECT_CLASS, .cls = DN_CLASS_##c
#define REASON(r) .expect = EXPECT_REASON, .reason = DN_REASON_##r
#define SPOOF4(s) { "v4 spoofed source " s, { SYN4, .src = s }, CLASS(SPOOFED) }
#define ROUTABLE4(s) { "v4 routable source " s, { SYN4, .src = s }, CLASS(SCAN) }
#define SPOOF6(s) { "v6 spoofed source " s, { SYN6, .src = s }, CLASS(SPOOFED) }
#define ROUTABLE6(s) { "v6 routable source " s, { SYN6, .src = s }, CLASS(SCAN) }
#define ICMP4_TYPE(t, c) { "v4 icmp type " #t, { ICMP4, .icmp_type = t }, CLASS(c) }
#define ICMP6_TYPE(t, c) { "v6 icmpv6 type " #t, { ICMP6, .icmp_type = t }, CLASS(c) }

static const struct row rows[] = {
	/* IPv4 TCP classes and fingerprints */
	{ "v4 tcp syn scan", { SYN4 }, CLASS(SCAN) },
	{ "v4 tcp syn mirai (seq == daddr)", { SYN4, .dport = 23, .seq = 0x2c2c2c05 }, CLASS(MIRAI) },
	{ "v4 mirai beats masscan", { SYN4, .dport = 23, .seq = 0x2c2c2c05, .ip_id = 23 },
	  CLASS(MIRAI) },
	/* (0x2c2c2c05 ^ 80 ^ 0x12345678) & 0xffff = 0x7a2d */
	{ "v4 tcp syn masscan", { SYN4, .dport = 80, .seq = 0x12345678, .ip_id = 0x7a2d },
	  CLASS(MASSCAN) },
	/* (0x2c05 ^ 8080 ^ 0xe7a4) = 54321 */
	{ "v4 masscan beats zmap", { SYN4, .dport = 8080, .seq = 0xe7a4, .ip_id = 54321 },
	  CLASS(MASSCAN) },
	{ "v4 tcp syn zmap", { SYN4, .dport = 8080, .ip_id = 54321 }, CLASS(ZMAP) },
	{ "v4 tcp ack zmap", { SYN4, .tcp_flags = TH_ACK, .ip_id = 54321 }, CLASS(ZMAP) },
	{ "v4 syn+psh with mirai seq is tcp_other",
	  { SYN4, .tcp_flags = TH_SYN | TH_PUSH, .seq = 0x2c2c2c05 }, CLASS(TCP_OTHER) },
	{ "v4 ecn syn (syn+ece+cwr) is tcp_other", { SYN4, .tcp_flags = TH_SYN | 0xc0 },
	  CLASS(TCP_OTHER) },
	{ "v4 tcp ack", { SYN4, .tcp_flags = TH_ACK }, CLASS(TCP_OTHER) },
	{ "v4 tcp null", { SYN4, .tcp_flags = 0 }, CLASS(TCP_OTHER) },
	{ "v4 tcp xmas", { SYN4, .tcp_flags = TH_FIN | TH_PUSH | TH_URG }, CLASS(TCP_OTHER) },
	{ "v4 tcp fin", { SYN4, .tcp_flags = TH_FIN }, CLASS(TCP_OTHER) },
	{ "v4 tcp syn-ack backscatter", { SYN4, .tcp_flags = TH_SYN | TH_ACK }, CLASS(BACKSCATTER) },
	{ "v4 tcp rst backscatter", { SYN4, .tcp_flags = TH_RST }, CLASS(BACKSCATTER) },
	{ "v4 tcp rst-ack backscatter", { SYN4, .tcp_flags = TH_RST | TH_ACK }, CLASS(BACKSCATTER) },
	{ "v4 tcp syn with payload", { SYN4, .payload = 100 }, CLASS(SCAN) },
	/* IPv4 UDP, ICMP, other */
	{ "v4 udp probe", { UDP4 }, CLASS(UDP_PROBE) },
	{ "v4 udp to port 53 is a probe", { UDP4, .dport = 53 }, CLASS(UDP_PROBE) },
	{ "v4 udp from port 53 backscatter", { UDP4, .sport = 53 }, CLASS(BACKSCATTER) },
	{ "v4 udp zmap", { UDP4, .ip_id = 54321 }, CLASS(ZMAP) },
	{ "v4 icmp echo zmap", { ICMP4, .ip_id = 54321 }, CLASS(ZMAP) },
	ICMP4_TYPE(0, BACKSCATTER), ICMP4_TYPE(3, BACKSCATTER), ICMP4_TYPE(4, BACKSCATTER),
	ICMP4_TYPE(5, BACKSCATTER), ICMP4_TYPE(11, BACKSCATTER), ICMP4_TYPE(12, BACKSCATTER),
	ICMP4_TYPE(14, BACKSCATTER), ICMP4_TYPE(16, BACKSCATTER), ICMP4_TYPE(18, BACKSCATTER),
	ICMP4_TYPE(8, ICMP_REQUEST), ICMP4_TYPE(13, ICMP_REQUEST), ICMP4_TYPE(17, ICMP_REQUEST),
	ICMP4_TYPE(1, ICMP_REQUEST), ICMP4_TYPE(32, ICMP_REQUEST), ICMP4_TYPE(255, ICMP_REQUEST),
	{ "v4 gre other", { SYN4, .proto = 47, .payload = 8 }, CLASS(OTHER) },
	{ "v4 gre zmap", { SYN4, .proto = 47, .ip_id = 54321 }, CLASS(ZMAP) },
	{ "v4 esp with no payload", { SYN4, .proto = 50 }, CLASS(OTHER) },
	{ "v4 protocol 255", { SYN4, .proto = 255, .payload = 4 }, CLASS(OTHER) },
	{ "v4 icmpv6 protocol is other in ipv4", { ICMP4, .proto = IPPROTO_ICMPV6 }, CLASS(OTHER) },
	/* IPv4 spoofed: every bogon block, its edges, and src == dst */
	SPOOF4("0.1.2.3"), SPOOF4("10.1.2.3"), SPOOF4("100.64.0.1"), SPOOF4("100.127.255.254"),
	SPOOF4("127.0.0.1"), SPOOF4("169.254.1.1"), SPOOF4("172.16.0.1"), SPOOF4("172.31.255.254"),
	SPOOF4("192.0.0.8"), SPOOF4("192.0.2.1"), SPOOF4("192.88.99.1"), SPOOF4("192.168.1.1"),
	SPOOF4("198.18.0.1"), SPOOF4("198.19.255.254"), SPOOF4("198.51.100.1"),
	SPOOF4("203.0.113.9"), SPOOF4("224.0.0.1"), SPOOF4("239.255.255.255"), SPOOF4("240.0.0.1"),
	SPOOF4("255.255.255.255"), SPOOF4(DST4),
	ROUTABLE4("1.0.0.1"), ROUTABLE4("9.255.255.255"), ROUTABLE4("11.0.0.1"),
	ROUTABLE4("100.63.255.255"), ROUTABLE4("100.128.0.1"), ROUTABLE4("126.255.255.255"),
	ROUTABLE4("128.0.0.1"), ROUTABLE4("169.253.255.255"), ROUTABLE4("169.255.0.1"),
	ROUTABLE4("172.15.255.255"), ROUTABLE4("172.32.0.1"), ROUTABLE4("192.0.1.1"),
	ROUTABLE4("192.0.3.1"), ROUTABLE4("192.88.98.1"), ROUTABLE4("192.167.255.255"),
	ROUTABLE4("192.169.0.1"), ROUTABLE4("198.17.255.255"), ROUTABLE4("198.20.0.1"),
	ROUTABLE4("198.51.99.1"), ROUTABLE4("198.51.101.1"), ROUTABLE4("203.0.112.1"),
	ROUTABLE4("203.0.114.1"), ROUTABLE4("223.255.255.255"), ROUTABLE4("44.44.44.6"),
	{ "v4 spoofed udp", { UDP4, .src = "10.0.0.1" }, CLASS(SPOOFED) },
	{ "v4 spoofed icmp", { ICMP4, .src = "10.0.0.1" }, CLASS(SPOOFED) },
	{ "v4 spoofed beats backscatter", { SYN4, .src = "10.0.0.1", .tcp_flags = TH_SYN | TH_ACK },
	  CLASS(SPOOFED) },
	{ "v4 spoofed beats fragment", { SYN4, .src = "10.0.0.1", .frag_offset = 100 },
	  CLASS(SPOOFED) },
	/* IPv4 fragments */
	{ "v4 non-first tcp fragment", { SYN4, .frag_offset = 185, .payload = 64 }, CLASS(FRAGMENT) },
	{ "v4 non-first udp fragment, more follow", { UDP4, .frag_offset = 100, .more_fragments = 1 },
	  CLASS(FRAGMENT) },
	{ "v4 non-first fragment, empty", { SYN4, .frag_offset = 1 }, CLASS(FRAGMENT) },
	{ "v4 first fragment is classified", { SYN4, .more_fragments = 1, .payload = 64 },
	  CLASS(SCAN) },
	{ "v4 fragment of a scanner source", { SYN4, .src = CENSYS4, .frag_offset = 10 },
	  CLASS(FRAGMENT) },
	{ "v4 fragment with zmap id", { UDP4, .ip_id = 54321, .frag_offset = 10 }, CLASS(FRAGMENT) },
	/* IPv4 research scanners: direct table, trie, org counters */
	{ "v4 research via /24 table", { SYN4, .src = CENSYS4, .dport = 22 }, CLASS(RESEARCH),
	  .org = "censys" },
	{ "v4 research via /23 table", { SYN4, .src = "199.45.155.200" }, CLASS(RESEARCH),
	  .org = "censys" },
	{ "v4 research via /16 table", { SYN4, .src = "80.82.1.1" }, CLASS(RESEARCH), .org = "wide" },
	{ "v4 research via /28 in the trie", { SYN4, .src = "80.82.77.40" }, CLASS(RESEARCH),
	  .org = "narrow" },
	{ "v4 research /16 where the trie decides", { SYN4, .src = "80.82.77.5" }, CLASS(RESEARCH),
	  .org = "wide" },
	{ "v4 research via /32", { SYN4, .src = "45.79.190.10" }, CLASS(RESEARCH), .org = "rapid7" },
	{ "v4 neighbour of a /32 scanner", { SYN4, .src = "45.79.190.11" }, CLASS(SCAN) },
	{ "v4 research beats mirai", { SYN4, .src = CENSYS4, .dport = 23, .seq = 0x2c2c2c05 },
	  CLASS(RESEARCH), .org = "censys" },
	{ "v4 research beats zmap", { SYN4, .src = CENSYS4, .ip_id = 54321 }, CLASS(RESEARCH),
	  .org = "censys" },
	{ "v4 backscatter beats research", { SYN4, .src = CENSYS4, .tcp_flags = TH_SYN | TH_ACK },
	  CLASS(BACKSCATTER) },
	{ "v4 research udp", { UDP4, .src = CENSYS4 }, CLASS(RESEARCH), .org = "censys" },
	{ "v4 research icmp", { ICMP4, .src = CENSYS4 }, CLASS(RESEARCH), .org = "censys" },
	{ "v4 research gre", { SYN4, .src = CENSYS4, .proto = 47 }, CLASS(RESEARCH),
	  .org = "censys" },
	/* darknet membership */
	{ "v4 second darknet prefix", { SYN4, .dst = "44.44.45.77" }, CLASS(SCAN),
	  .prefix = "44.44.45.0/24" },
	{ "v4 longest darknet prefix wins", { SYN4, .dst = "44.44.44.200" }, CLASS(SCAN),
	  .prefix = "44.44.44.128/25" },
	{ "v4 not darknet", { SYN4, .dst = "8.8.8.8" }, REASON(NOT_DARKNET) },
	{ "v4 next to the darknet", { SYN4, .dst = "44.44.46.1" }, REASON(NOT_DARKNET) },
	{ "v4 truncated tcp to a non-darknet", { SYN4, .dst = "8.8.8.8" }, .cut = 1,
	  REASON(NOT_DARKNET) },
	{ "v4 bad ihl to a non-darknet", { SYN4, .dst = "8.8.8.8" }, { { OFF_L3, 0x44 } },
	  REASON(BAD_IHL) },
	/* L2 parse paths */
	{ "v4 802.1q", { SYN4, .vlan = { 100 } }, CLASS(SCAN) },
	{ "v4 802.1ad", { SYN4, .vlan = { 100 }, .qinq = 1 }, CLASS(SCAN) },
	{ "v4 qinq", { SYN4, .vlan = { 100, 200 }, .qinq = 1 }, CLASS(SCAN) },
	{ "v4 two 802.1q tags", { SYN4, .vlan = { 100, 200 } }, CLASS(SCAN) },
	{ "v4 three tags", { SYN4, .vlan = { 100, 200 }, .qinq = 1 }, .third_tag = 1,
	  REASON(VLAN_TOO_DEEP) },
	{ "v4 vlan tag cut short", { SYN4, .vlan = { 100 } }, .keep = 16, REASON(TRUNCATED_L2) },
	{ "v4 second vlan tag cut short", { SYN4, .vlan = { 100, 200 } }, .keep = 20,
	  REASON(TRUNCATED_L2) },
	{ "arp", { SYN4 }, { { OFF_ETHERTYPE, 0x08 }, { OFF_ETHERTYPE + 1, 0x06 } },
	  REASON(NOT_IP) },
	{ "arp in a vlan", { SYN4, .vlan = { 100 } }, { { 16, 0x08 }, { 17, 0x06 } },
	  REASON(NOT_IP) },
	{ "lldp", { SYN4 }, { { OFF_ETHERTYPE, 0x88 }, { OFF_ETHERTYPE + 1, 0xcc } },
	  REASON(NOT_IP) },
	/* IPv4 header paths and malformations */
	{ "v4 one option word", { SYN4, .ipv4_opt_words = 1 }, CLASS(SCAN) },
	{ "v4 ihl 15", { SYN4, .ipv4_opt_words = 10 }, CLASS(SCAN) },
	{ "v4 ihl 15 mirai", { SYN4, .ipv4_opt_words = 10, .dport = 23, .seq = 0x2c2c2c05 },
	  CLASS(MIRAI) },
	{ "v4 ihl 15 in a qinq frame", { SYN4, .ipv4_opt_words = 10, .vlan = { 1, 2 }, .qinq = 1 },
	  CLASS(SCAN) },
	{ "v4 ihl 4", { SYN4 }, { { OFF_L3, 0x44 } }, REASON(BAD_IHL) },
	{ "v4 ihl 0", { SYN4 }, { { OFF_L3, 0x40 } }, REASON(BAD_IHL) },
	{ "v4 version 6 under the ipv4 ethertype", { SYN4 }, { { OFF_L3, 0x65 } },
	  REASON(BAD_VERSION) },
	{ "ipv4 packet under the ipv6 ethertype", { SYN4, .payload = 20 },
	  { { OFF_ETHERTYPE, 0x86 }, { OFF_ETHERTYPE + 1, 0xdd } }, REASON(BAD_VERSION) },
	{ "v4 total length below 20", { SYN4 }, { { OFF_V4_TOTLEN, 0 }, { OFF_V4_TOTLEN + 1, 19 } },
	  REASON(BAD_LENGTH) },
	{ "v4 total length below ihl 6", { SYN4, .ipv4_opt_words = 1 },
	  { { OFF_V4_TOTLEN, 0 }, { OFF_V4_TOTLEN + 1, 20 } }, REASON(BAD_LENGTH) },
	{ "ethernet header alone", { SYN4 }, .keep = 14, REASON(TRUNCATED_L3) },
	{ "v4 header cut at 19 bytes", { SYN4 }, .keep = 14 + 19, REASON(TRUNCATED_L3) },
	{ "v4 options cut", { SYN4, .ipv4_opt_words = 10 }, .keep = 14 + 56, REASON(TRUNCATED_L3) },
	{ "v4 ihl 6 with a 20-byte frame", { SYN4 }, { { OFF_L3, 0x46 } }, .keep = 14 + 20,
	  REASON(TRUNCATED_L3) },
	{ "v4 tcp header cut", { SYN4 }, .cut = 1, REASON(TRUNCATED_L4) },
	{ "v4 tcp header cut to 8 bytes", { SYN4 }, .cut = 12, REASON(TRUNCATED_L4) },
	{ "v4 udp header cut", { UDP4, .payload = 0 }, .cut = 1, REASON(TRUNCATED_L4) },
	{ "v4 icmp header cut", { ICMP4, .payload = 0 }, .cut = 1, REASON(TRUNCATED_L4) },
	{ "v4 tcp header missing", { SYN4 }, .cut = 20, REASON(TRUNCATED_L4) },
	{ "v4 spoofed but tcp cut", { SYN4, .src = "10.0.0.1" }, .cut = 1, REASON(TRUNCATED_L4) },

	/* IPv6 classes */
	{ "v6 tcp syn scan", { SYN6 }, CLASS(SCAN) },
	{ "v6 syn with daddr-like seq is a scan", { SYN6, .dport = 23, .seq = 0x2a0d3dc1 },
	  CLASS(SCAN) },
	{ "v6 tcp ack", { SYN6, .tcp_flags = TH_ACK }, CLASS(TCP_OTHER) },
	{ "v6 tcp null", { SYN6, .tcp_flags = 0 }, CLASS(TCP_OTHER) },
	{ "v6 tcp syn-ack backscatter", { SYN6, .tcp_flags = TH_SYN | TH_ACK }, CLASS(BACKSCATTER) },
	{ "v6 tcp rst backscatter", { SYN6, .tcp_flags = TH_RST }, CLASS(BACKSCATTER) },
	{ "v6 udp probe", { UDP6 }, CLASS(UDP_PROBE) },
	{ "v6 udp from port 53 backscatter", { UDP6, .sport = 53 }, CLASS(BACKSCATTER) },
	ICMP6_TYPE(1, BACKSCATTER), ICMP6_TYPE(2, BACKSCATTER), ICMP6_TYPE(3, BACKSCATTER),
	ICMP6_TYPE(4, BACKSCATTER), ICMP6_TYPE(129, BACKSCATTER), ICMP6_TYPE(128, ICMP_REQUEST),
	ICMP6_TYPE(0, ICMP_REQUEST), ICMP6_TYPE(5, ICMP_REQUEST), ICMP6_TYPE(135, ICMP_REQUEST),
	ICMP6_TYPE(255, ICMP_REQUEST),
	{ "v6 icmpv4 protocol is other in ipv6", { ICMP6, .proto = IPPROTO_ICMP }, CLASS(OTHER) },
	{ "v6 gre other", { SYN6, .proto = 47, .payload = 8 }, CLASS(OTHER) },
	{ "v6 no next header (59)", { SYN6, .proto = 59 }, CLASS(OTHER) },
	/* IPv6 spoofed */
	SPOOF6("::"), SPOOF6("::1"), SPOOF6("::ffff:8.8.8.8"), SPOOF6("2001:db8::1"),
	SPOOF6("2001:db8:ffff:ffff::1"), SPOOF6("fc00::1"), SPOOF6("fdff:ffff::1"),
	SPOOF6("fe80::1"), SPOOF6("febf:ffff::1"), SPOOF6("ff02::1"), SPOOF6("ff00::"),
	SPOOF6(DST6),
	ROUTABLE6("::2"), ROUTABLE6("::fffe:0:1"), ROUTABLE6("::1:0:0:1"), ROUTABLE6("1::1"),
	ROUTABLE6("2001:db7:ffff::1"), ROUTABLE6("2001:db9::1"), ROUTABLE6("fbff::1"),
	ROUTABLE6("fe7f::1"), ROUTABLE6("fec0::1"), ROUTABLE6("2a0d:3dc1:1::6"),
	{ "v6 spoofed udp", { UDP6, .src = "fe80::1" }, CLASS(SPOOFED) },
	{ "v6 spoofed icmpv6", { ICMP6, .src = "fe80::1" }, CLASS(SPOOFED) },
	{ "v6 spoofed beats backscatter", { ICMP6, .src = "::1", .icmp_type = 1 }, CLASS(SPOOFED) },
	/* IPv6 research */
	{ "v6 research", { SYN6, .src = CENSYS6 }, CLASS(RESEARCH), .org = "censys" },
	{ "v6 research udp", { UDP6, .src = CENSYS6 }, CLASS(RESEARCH), .org = "censys" },
	{ "v6 research icmpv6", { ICMP6, .src = CENSYS6 }, CLASS(RESEARCH), .org = "censys" },
	{ "v6 next to a scanner prefix", { SYN6, .src = "2602:80d:1001::1" }, CLASS(SCAN) },
	{ "v6 backscatter beats research", { SYN6, .src = CENSYS6, .tcp_flags = TH_RST },
	  CLASS(BACKSCATTER) },
	/* IPv6 extension headers and fragments */
	{ "v6 hop-by-hop", { SYN6, .ipv6_ext = { HOP } }, CLASS(SCAN) },
	{ "v6 hop-by-hop, routing, dest opts", { SYN6, .ipv6_ext = { HOP, RT, DOPT } }, CLASS(SCAN) },
	{ "v6 six extension headers", { UDP6, .ipv6_ext = { HOP, DOPT, RT, DOPT, RT, DOPT } },
	  CLASS(UDP_PROBE) },
	{ "v6 seven extension headers", { UDP6, .ipv6_ext = { HOP, DOPT, RT, DOPT, RT, DOPT, RT } },
	  REASON(EXT_TOO_LONG) },
	{ "v6 atomic fragment header", { SYN6, .ipv6_ext = { IPPROTO_FRAGMENT } }, CLASS(SCAN) },
	{ "v6 first fragment is classified", { UDP6, .more_fragments = 1 }, CLASS(UDP_PROBE) },
	{ "v6 non-first fragment", { UDP6, .frag_offset = 100 }, CLASS(FRAGMENT) },
	{ "v6 non-first tcp fragment, more follow", { SYN6, .frag_offset = 7, .more_fragments = 1 },
	  CLASS(FRAGMENT) },
	{ "v6 non-first fragment after hop-by-hop", { UDP6, .ipv6_ext = { HOP }, .frag_offset = 3 },
	  CLASS(FRAGMENT) },
	{ "v6 non-first fragment as sixth header",
	  { UDP6, .ipv6_ext = { HOP, DOPT, RT, DOPT, RT }, .frag_offset = 3 }, CLASS(FRAGMENT) },
	{ "v6 non-first fragment as seventh header",
	  { UDP6, .ipv6_ext = { HOP, DOPT, RT, DOPT, RT, DOPT }, .frag_offset = 3 },
	  REASON(EXT_TOO_LONG) },
	{ "v6 fragment of a scanner source", { UDP6, .src = CENSYS6, .frag_offset = 3 },
	  CLASS(FRAGMENT) },
	{ "v6 extension header cut", { SYN6, .ipv6_ext = { HOP } }, .keep = OFF_V6_EXT + 4,
	  REASON(EXT_TRUNCATED) },
	{ "v6 extension header longer than the frame", { SYN6, .ipv6_ext = { HOP, DOPT } },
	  { { OFF_V6_EXT + 9, 10 } }, REASON(EXT_TRUNCATED) },
	{ "v6 payload length below extension headers", { SYN6, .ipv6_ext = { HOP } },
	  { { OFF_V6_PAYLEN, 0 }, { OFF_V6_PAYLEN + 1, 4 } }, REASON(BAD_LENGTH) },
	{ "v6 header cut at 39 bytes", { SYN6 }, .keep = OFF_L3 + 39, REASON(TRUNCATED_L3) },
	{ "v6 version 4 under the ipv6 ethertype", { SYN6 }, { { OFF_L3, 0x45 } },
	  REASON(BAD_VERSION) },
	{ "v6 tcp header cut", { SYN6 }, .cut = 1, REASON(TRUNCATED_L4) },
	{ "v6 tcp cut after extension headers", { SYN6, .ipv6_ext = { HOP, RT } }, .cut = 4,
	  REASON(TRUNCATED_L4) },
	{ "v6 icmpv6 header cut", { ICMP6, .payload = 0 }, .cut = 1, REASON(TRUNCATED_L4) },
	{ "v6 udp header cut", { UDP6, .payload = 0 }, .cut = 1, REASON(TRUNCATED_L4) },
	{ "v6 qinq", { SYN6, .vlan = { 7, 8 }, .qinq = 1 }, CLASS(SCAN) },
	{ "v6 three tags", { SYN6, .vlan = { 7, 8 }, .qinq = 1 }, .third_tag = 1,
	  REASON(VLAN_TOO_DEEP) },
	{ "v6 longest darknet prefix wins", { SYN6, .dst = "2a0d:3dc1:1:2::1" }, CLASS(SCAN),
	  .prefix = "2a0d:3dc1:1:2::/64" },
	{ "v6 not darknet", { SYN6, .dst = "2001:4860::8888" }, REASON(NOT_DARKNET) },
	/* Edge rules (docs/datapath-rules.md). 1: the darknet question is asked
	 * once the IP header is valid; what follows it (IPv6 extension headers,
	 * L4) is read only for darknet packets, so not_darknet wins over it. */
	{ "v6 seven extension headers to a non-darknet",
	  { UDP6, .dst = "2001:4860::8888", .ipv6_ext = { HOP, DOPT, RT, DOPT, RT, DOPT, RT } },
	  REASON(NOT_DARKNET) },
	{ "v6 extension header cut, to a non-darknet",
	  { SYN6, .dst = "2001:4860::8888", .ipv6_ext = { HOP } }, .keep = OFF_V6_EXT + 4,
	  REASON(NOT_DARKNET) },
	/* 2: L4 ends where the IP packet ends, not the frame: Ethernet padding
	 * after a short packet is never read as a header. */
	{ "v4 ip length ends inside the tcp header (padded frame)", { SYN4, .dport = 23 },
	  { { OFF_V4_TOTLEN, 0 }, { OFF_V4_TOTLEN + 1, 28 } }, REASON(TRUNCATED_L4) },
	{ "v4 first fragment with 8 bytes of tcp (padded frame)",
	  { SYN4, .dport = 23, .more_fragments = 1 },
	  { { OFF_V4_TOTLEN, 0 }, { OFF_V4_TOTLEN + 1, 28 } }, REASON(TRUNCATED_L4) },
	{ "v4 ip length ends inside the udp header", { UDP4, .payload = 0 },
	  { { OFF_V4_TOTLEN, 0 }, { OFF_V4_TOTLEN + 1, 24 } }, REASON(TRUNCATED_L4) },
	{ "v4 ip length covers exactly the tcp header", { SYN4 },
	  { { OFF_V4_TOTLEN, 0 }, { OFF_V4_TOTLEN + 1, 40 } }, CLASS(SCAN) },
	{ "v6 payload length ends inside the tcp header", { SYN6 },
	  { { OFF_V6_PAYLEN, 0 }, { OFF_V6_PAYLEN + 1, 8 } }, REASON(TRUNCATED_L4) },
	{ "v6 payload length ends inside the tcp header after hop-by-hop",
	  { SYN6, .ipv6_ext = { HOP } },
	  { { OFF_V6_PAYLEN, 0 }, { OFF_V6_PAYLEN + 1, 8 + 19 } }, REASON(TRUNCATED_L4) },
	/* 3: ICMP is protocol 1 in IPv4 and 58 in IPv6 only; the other
	 * family's number is an unknown protocol (class other, label by
	 * number). */
	{ "v4 protocol 58 is not icmp", { ICMP4, .proto = 58 }, CLASS(OTHER) },
	{ "v6 next header 1 is not icmpv6", { ICMP6, .proto = 1 }, CLASS(OTHER) },
};

/* Build a row's frame; returns its length. */
static int row_frame(const struct row *r, uint8_t *buf)
{
	int len = frame_build(&r->f, buf);

	cr_assert_gt(len, 0, "%s: frame_build failed", r->name);
	for (size_t i = 0; i < ARRAY_SIZE(r->poke) && r->poke[i].off; i++) {
		cr_assert_lt(r->poke[i].off, len, "%s: poke past the frame", r->name);
		buf[r->poke[i].off] = r->poke[i].val;
	}
	if (r->third_tag) {
		/* TPID 0x8100, TCI 300, then the old outer TPID follows. */
		static const uint8_t tag[4] = { 0x81, 0x00, 0x01, 0x2c };

		cr_assert_lt(len + 4, FRAME_MAX, "%s: frame too long", r->name);
		memmove(buf + 16, buf + 12, len - 12);
		memcpy(buf + 12, tag, sizeof(tag));
		len += 4;
	}
	if (r->keep)
		len = r->keep;
	return len - r->cut;
}

static int family_of(const struct row *r)
{
	return strchr(r->f.dst, ':') ? DN_FAMILY_IPV6 : DN_FAMILY_IPV4;
}

static void add(struct dn_count *c, uint32_t len)
{
	c->packets++;
	c->bytes += len;
}

/* Apply the row's deltas to exp; ids is a snapshot taken after the lists
 * were installed (prefix_info, org_names). */
/* The port-table key a row's packet counts under. */
static uint32_t row_port(const struct row *r)
{
	return r->f.frag_offset ? DN_PORT_NONE : r->f.dport;
}

static void expect_row(const struct row *r, uint32_t len, const struct dn_iface_snapshot *ids,
		       struct dn_iface_snapshot *exp)
{
	int fam = family_of(r), icmp = fam == DN_FAMILY_IPV4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int prefix, org;

	if (r->expect == EXPECT_REASON) {
		add(&exp->reasons[r->reason], len);
		return;
	}
	add(&exp->classes[dn_class_key(fam, r->f.proto, r->cls)], len);
	prefix = dp_prefix_id(ids, r->prefix ? r->prefix : fam == DN_FAMILY_IPV4 ? NET4 : NET6);
	cr_assert_geq(prefix, 0, "%s: darknet prefix not in prefix_info", r->name);
	add(&exp->prefixes[prefix], len);
	if (r->org) {
		org = dp_org_id(ids, r->org);
		cr_assert_gt(org, 0, "%s: org %s not in org_names", r->name, r->org);
		add(&exp->orgs[org], len);
	}
	/* No transport header: no port or type; a spoofed one counts under
	 * DN_PORT_NONE so that the port tables sum to the class counters. */
	if (r->f.frag_offset && r->cls != DN_CLASS_SPOOFED)
		return;
	if (r->f.frag_offset && r->f.proto != IPPROTO_TCP && r->f.proto != IPPROTO_UDP)
		return;
	if (r->f.proto == IPPROTO_TCP)
		exp->tcp_ports[row_port(r)].packets[r->cls]++;
	else if (r->f.proto == IPPROTO_UDP)
		exp->udp_ports[row_port(r)].packets[r->cls == DN_CLASS_UDP_PROBE ?
						   DN_UDP_SLOT_UDP_PROBE : r->cls]++;
	else if (r->f.proto == icmp)
		exp->icmp[fam * DN_NR_ICMP_TYPES + r->f.icmp_type].packets[r->cls]++;
}

/* "key 1234 (ipv4/6/scan)" for class keys, "key 264 (ipv6 type 8)" for ICMP. */
static void key_name(const char *map, size_t key, char *buf, size_t len)
{
	if (!strcmp(map, "class_counters"))
		snprintf(buf, len, "key %zu (family %zu proto %zu class %zu)", key,
			 key / DN_CLASS_MAX / DN_NR_IPPROTO, key / DN_CLASS_MAX % DN_NR_IPPROTO,
			 key % DN_CLASS_MAX);
	else if (!strcmp(map, "icmp_counters"))
		snprintf(buf, len, "key %zu (family %zu type %zu)", key, key / DN_NR_ICMP_TYPES,
			 key % DN_NR_ICMP_TYPES);
	else
		snprintf(buf, len, "key %zu", key);
}

/* Compare nkeys x words u64 counters (keys first_key...), report each
 * difference by row, map and key, then adopt the actual values so that
 * the next row starts clean. */
static void compare(const char *row, const char *map, size_t first_key, void *exp,
		    const void *act, size_t nkeys, size_t words)
{
	uint64_t *e = exp;
	const uint64_t *a = act;
	char key[96];

	if (!memcmp(e, a, nkeys * words * sizeof(*e)))
		return;
	for (size_t i = 0; i < nkeys * words; i++) {
		if (a[i] == e[i])
			continue;
		key_name(map, first_key + i / words, key, sizeof(key));
		cr_expect_fail("%s: %s %s word %zu: got %lu, want %lu", row, map, key, i % words,
			       (unsigned long)a[i], (unsigned long)e[i]);
	}
	memcpy(e, a, nkeys * words * sizeof(*e));
}

static uint64_t total_packets(const struct dp_counts *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < DN_CLASS_KEYS; i++)
		n += c->classes[i].packets;
	for (size_t i = 0; i < DN_REASON_MAX; i++)
		n += c->reasons[i].packets;
	return n;
}

static void check_row(const struct row *r, uint32_t action, uint32_t verdict, uint64_t total,
		      const struct dp_counts *c, struct dn_iface_snapshot *exp)
{
	uint32_t port = row_port(r);

	cr_expect_eq(verdict, r->expect == EXPECT_CLASS ? action : XDP_PASS,
		     "%s: verdict %u with action %u", r->name, verdict, action);
	cr_expect_eq(total_packets(c) - total, 1,
		     "%s: class + reason packets must grow by exactly 1", r->name);
	compare(r->name, "class_counters", 0, exp->classes, c->classes, DN_CLASS_KEYS, 2);
	compare(r->name, "reason_counters", 0, exp->reasons, c->reasons, DN_REASON_MAX, 2);
	compare(r->name, "prefix_counters", 0, exp->prefixes, c->prefixes, DN_MAX_PREFIX_IDS, 2);
	compare(r->name, "org_counters", 0, exp->orgs, c->orgs, DN_MAX_SCANNER_ORGS + 1, 2);
	compare(r->name, "icmp_counters", 0, exp->icmp, c->icmp, DN_FAMILY_MAX * DN_NR_ICMP_TYPES,
		DN_CLASS_MAX);
	compare(r->name, "tcp_port_high", port, &exp->tcp_ports[port], &c->tcp, 1,
		DN_TCP_PORT_SLOTS);
	compare(r->name, "udp_port_high", port, &exp->udp_ports[port], &c->udp, 1,
		DN_UDP_PORT_SLOTS);
}

/* The whole table against one loaded program: each row's frame once,
 * every counter it must move (and none other) checked after it. */
static void run_table(uint32_t action)
{
	struct dn_iface_snapshot *ids = dp_snapshot_new(), *exp = dp_snapshot_new();
	struct dp_counts *c = calloc(1, sizeof(*c));
	uint8_t frame[FRAME_MAX];
	uint32_t len, verdict;
	uint64_t total = 0;
	char err[256];
	struct dp d;

	cr_assert_not_null(c, "counts");
	dp_open(&d, action);
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "darknets: %s", err);
	cr_assert_eq(dp_install_scanners(&d, scanners, err, sizeof(err)), 0, "scanners: %s", err);
	dp_snapshot(&d, ids);
	dp_snapshot_copy(exp, ids);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];

		cr_assert(r->expect == EXPECT_CLASS || r->expect == EXPECT_REASON,
			  "%s: no expectation", r->name);
		cr_assert_eq(r->expect == EXPECT_CLASS && r->cls == DN_CLASS_RESEARCH, r->org != NULL,
			     "%s: an org goes with class research", r->name);
		len = row_frame(r, frame);
		verdict = dp_run(&d, frame, len);
		dp_counts_read(&d, c, row_port(r));
		expect_row(r, len, ids, exp);
		check_row(r, action, verdict, total, c, exp);
		total = total_packets(c);
	}
	/* Stray increments at ports no row looked at. */
	dp_snapshot(&d, ids);
	compare("whole table", "tcp_port_high", 0, exp->tcp_ports, ids->tcp_ports, DN_PORT_KEYS,
		DN_TCP_PORT_SLOTS);
	compare("whole table", "udp_port_high", 0, exp->udp_ports, ids->udp_ports, DN_PORT_KEYS,
		DN_UDP_PORT_SLOTS);
	dp_close(&d);
	dp_snapshot_free(ids);
	dp_snapshot_free(exp);
	free(c);
}

Test(datapath, table_with_action_drop)
{
	run_table(XDP_DROP);
}

Test(datapath, table_with_action_pass)
{
	run_table(XDP_PASS);
}

/* The kernel took the program's BTF: a section clang's BTF describes wrongly
 * makes libbpf load it without, after an error in the daemon's log. */
Test(datapath, program_loads_with_its_btf)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct dp d;

	dp_open(&d, XDP_DROP);
	cr_assert_eq(bpf_obj_get_info_by_fd(d.prog_fd, &info, &len), 0, "prog info");
	cr_expect_neq(info.btf_id, 0, "the program was loaded without BTF");
	dp_close(&d);
}
