/* mix_tables.c: the built-in traffic mixes (nicter, sweep, single, exact) as template tables. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "mix.h"
#include "array_size.h"


/* Port lists. A list named after a role keeps the top-10 ports of the nicter
 * table out of the long tail, so that the table below is exactly what a
 * "top ports without research" query shows. */
static const uint16_t research_tcp_ports[] = {
	80, 443, 22, 23, 21, 25, 8080, 3389, 445, 5900, 8443, 53, 110, 143, 993,
	995, 3306, 5432, 6379, 9200, 27017, 11211, 1433, 7547, 8000, 8888,
};
static const uint16_t research_udp_ports[] = {
	53, 123, 161, 1900, 5060, 11211, 137, 500, 389, 5353,
};
/* IoT ports from darknet studies (docs/classification.md) and common services, minus the
 * top ten, which have templates of their own. */
static const uint16_t tail_ports[] = {
	7547, 8081, 8181, 8443, 9000, 82, 83, 84, 85, 5500, 60001, 32, 3232,
	8291, 8088, 88, 8888, 9527, 49152, 2222, 3389, 1433, 3306, 6379, 21, 25,
	443, 5900, 8000, 10000,
};
static const uint16_t masscan_ports[] = {
	3389, 1433, 3306, 5900, 6379, 8443, 9200, 27017, 11211, 2375, 5432, 8000,
};
static const uint16_t zmap_tcp_ports[] = { 443, 8443, 7547, 21, 25, 8081, 9000, 3389 };
static const uint16_t zmap_udp_ports[] = { 53, 123, 1900, 161 };
static const uint16_t probe_udp_ports[] = {
	5060, 123, 1900, 161, 53, 137, 11211, 389, 19, 5353, 3702, 6881,
};
static const uint16_t service_ports[] = { 80, 443, 53, 25, 22, 8080, 3389 };
static const uint16_t v6_tcp_ports[] = { 22, 80, 443, 23, 8080 };
static const uint16_t spoof_ports[] = { 23, 80, 22, 445 };

/* Field groups shared by many templates. A template never sets a field
 * twice (-Woverride-init), so these only cover what all their users share. */
#define V4_RANDOM .family = DN_FAMILY_IPV4, .src = MIX_SRC_PUBLIC, .dst = MIX_DST_RANDOM
#define V6_RANDOM .family = DN_FAMILY_IPV6, .src = MIX_SRC_PUBLIC, .dst = MIX_DST_RANDOM
#define SYN .spec.proto = IPPROTO_TCP, .spec.tcp_flags = TH_SYN, \
	    .sport_mode = MIX_PORT_EPHEMERAL
#define PORTS(arr) .dport_mode = MIX_PORT_LIST, .dports = (arr), .nr_dports = ARRAY_SIZE(arr)
#define SPORTS(arr) .sport_mode = MIX_PORT_LIST, .sports = (arr), .nr_sports = ARRAY_SIZE(arr)
#define PORT(p) .dport_mode = MIX_PORT_FIXED, .spec.dport = (p)
#define UDP .spec.proto = IPPROTO_UDP
#define ICMP(t) .spec.proto = IPPROTO_ICMP, .spec.icmp_type = (t)
#define ICMP6(t) .spec.proto = IPPROTO_ICMPV6, .spec.icmp_type = (t)

/*
 * nicter: modelled on NICTER 2018 (docs/classification.md). Weights in 0.01 % of frames.
 *
 *   class          share  how NICTER 2018 reads
 *   research       35.00  75.3 of 212.1 billion packets were research scans;
 *                         sources from the scanner list: SYNs to common
 *                         service ports (16.0) and to any port (12.0), UDP
 *                         (4.0), ICMP echo (1.5), IPv6 SYNs (1.5)
 *   mirai          11.70  23/TCP (10.5) and 2323/TCP (1.2) with seq == daddr
 *   scan           30.70  generic SYNs: 23 (3.0), 445 (3.0), 22 (2.2),
 *                         80 (2.0), 8080 (1.7), 5555 (1.4), 52869 (1.15),
 *                         37215 (1.1), 81 (0.8), IoT/service tail (4.5),
 *                         any port (8.65), IPv6 SYNs (1.2)
 *   masscan         3.00  SYNs to database/remote-desktop ports
 *   zmap            2.30  SYN (1.5), ICMP echo (0.5), UDP (0.3), id 54321
 *   backscatter     8.00  SYN-ACK (3.8), RST (1.8), ICMP unreachable (1.0),
 *                         time exceeded (0.3), DNS replies (0.7), ICMPv6 (0.4)
 *   udp_probe       3.20  SIP, NTP, SSDP, SNMP, DNS... (0.2 of it IPv6)
 *   tcp_other       1.50  ACK (1.0) and Xmas (0.5) scans
 *   icmp_request    1.60  echo requests (0.4 of it ICMPv6)
 *   spoofed         1.90  bogon sources (1.5), source == destination (0.2),
 *                         IPv6 ULA sources (0.2)
 *   fragment        0.80  non-first fragments, IPv4 (0.7) and IPv6 (0.1)
 *   other           0.30  GRE
 *
 * Counting every template that hits a port (spoofed and IPv6 SYNs too), and
 * leaving research out: 23/TCP is 14.2 % of all frames, 21.8 % of the rest
 * (NICTER 2018: 29.4 of 136.8 billion, 21.5 %), and the top ten TCP ports
 * (23, 445, 22, 80, 8080, 5555, 2323, 52869, 37215, 81) are 47 % of the rest
 * (NICTER: 46 %). tests/unit/test_mix.c checks these figures.
 * IPv6 is 4 % of frames (NICTER's darknet is IPv4 only; the lab shows both).
 */
static const struct mix_template nicter[] = {
	/* research scans */
	{ .name = "research-tcp-top", .weight = 1600, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_SCANNER, .dst = MIX_DST_RANDOM,
	  SYN, PORTS(research_tcp_ports) },
	{ .name = "research-tcp-any", .weight = 1200, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_SCANNER, .dst = MIX_DST_RANDOM,
	  SYN, .dport_mode = MIX_PORT_UNIFORM },
	{ .name = "research-udp", .weight = 400, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_SCANNER, .dst = MIX_DST_RANDOM,
	  UDP, .spec.payload = 32, .sport_mode = MIX_PORT_EPHEMERAL,
	  PORTS(research_udp_ports) },
	{ .name = "research-icmp", .weight = 150, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_SCANNER, .dst = MIX_DST_RANDOM,
	  ICMP(8), .spec.payload = 8 },
	{ .name = "research-v6-tcp", .weight = 150, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV6, .src = MIX_SRC_SCANNER, .dst = MIX_DST_RANDOM,
	  SYN, PORTS(v6_tcp_ports) },
	/* Mirai and the top ports */
	{ .name = "mirai-23", .weight = 1050, .cls = DN_CLASS_MIRAI, V4_RANDOM,
	  SYN, PORT(23), .fp = MIX_FP_MIRAI },
	{ .name = "mirai-2323", .weight = 120, .cls = DN_CLASS_MIRAI, V4_RANDOM,
	  SYN, PORT(2323), .fp = MIX_FP_MIRAI },
	{ .name = "scan-23", .weight = 300, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(23) },
	{ .name = "scan-445", .weight = 300, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(445) },
	{ .name = "scan-22", .weight = 220, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(22) },
	{ .name = "scan-80", .weight = 200, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(80) },
	{ .name = "scan-8080", .weight = 170, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(8080) },
	{ .name = "scan-5555", .weight = 140, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(5555) },
	{ .name = "scan-52869", .weight = 115, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(52869) },
	{ .name = "scan-37215", .weight = 110, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(37215) },
	{ .name = "scan-81", .weight = 80, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN, PORT(81) },
	/* the long tail */
	{ .name = "scan-tail", .weight = 450, .cls = DN_CLASS_SCAN, V4_RANDOM,
	  SYN, PORTS(tail_ports) },
	{ .name = "scan-any", .weight = 865, .cls = DN_CLASS_SCAN, V4_RANDOM,
	  SYN, .dport_mode = MIX_PORT_UNIFORM },
	{ .name = "scan-v6", .weight = 120, .cls = DN_CLASS_SCAN, V6_RANDOM,
	  SYN, PORTS(v6_tcp_ports) },
	{ .name = "masscan", .weight = 300, .cls = DN_CLASS_MASSCAN, V4_RANDOM,
	  SYN, PORTS(masscan_ports), .fp = MIX_FP_MASSCAN },
	{ .name = "zmap-tcp", .weight = 150, .cls = DN_CLASS_ZMAP, V4_RANDOM,
	  SYN, PORTS(zmap_tcp_ports), .fp = MIX_FP_ZMAP },
	{ .name = "zmap-icmp", .weight = 50, .cls = DN_CLASS_ZMAP, V4_RANDOM,
	  ICMP(8), .fp = MIX_FP_ZMAP },
	{ .name = "zmap-udp", .weight = 30, .cls = DN_CLASS_ZMAP, V4_RANDOM,
	  UDP, .spec.payload = 16, .sport_mode = MIX_PORT_EPHEMERAL,
	  PORTS(zmap_udp_ports), .fp = MIX_FP_ZMAP },
	/* backscatter: replies of DoS victims to spoofed darknet sources */
	{ .name = "bs-synack", .weight = 380, .cls = DN_CLASS_BACKSCATTER, V4_RANDOM,
	  .spec.proto = IPPROTO_TCP, .spec.tcp_flags = TH_SYN | TH_ACK,
	  SPORTS(service_ports), .dport_mode = MIX_PORT_EPHEMERAL },
	{ .name = "bs-rst", .weight = 180, .cls = DN_CLASS_BACKSCATTER, V4_RANDOM,
	  .spec.proto = IPPROTO_TCP, .spec.tcp_flags = TH_RST | TH_ACK,
	  SPORTS(service_ports), .dport_mode = MIX_PORT_EPHEMERAL },
	{ .name = "bs-unreach", .weight = 100, .cls = DN_CLASS_BACKSCATTER, V4_RANDOM,
	  ICMP(3), .spec.icmp_code = 3, .spec.payload = 28 },
	{ .name = "bs-ttl", .weight = 30, .cls = DN_CLASS_BACKSCATTER, V4_RANDOM,
	  ICMP(11), .spec.payload = 28 },
	{ .name = "bs-dns", .weight = 70, .cls = DN_CLASS_BACKSCATTER, V4_RANDOM,
	  UDP, .spec.payload = 80, .sport_mode = MIX_PORT_FIXED, .spec.sport = 53,
	  .dport_mode = MIX_PORT_EPHEMERAL },
	{ .name = "bs-v6-unreach", .weight = 20, .cls = DN_CLASS_BACKSCATTER, V6_RANDOM,
	  ICMP6(1), .spec.icmp_code = 4, .spec.payload = 48 },
	{ .name = "bs-v6-echoreply", .weight = 20, .cls = DN_CLASS_BACKSCATTER, V6_RANDOM,
	  ICMP6(129), .spec.payload = 8 },
	/* other probes */
	{ .name = "tcp-ack", .weight = 100, .cls = DN_CLASS_TCP_OTHER, V4_RANDOM,
	  .spec.proto = IPPROTO_TCP, .spec.tcp_flags = TH_ACK,
	  .sport_mode = MIX_PORT_EPHEMERAL, .dport_mode = MIX_PORT_UNIFORM },
	{ .name = "tcp-xmas", .weight = 50, .cls = DN_CLASS_TCP_OTHER, V4_RANDOM,
	  .spec.proto = IPPROTO_TCP, .spec.tcp_flags = TH_FIN | TH_PUSH | TH_URG,
	  .sport_mode = MIX_PORT_EPHEMERAL, PORTS(tail_ports) },
	{ .name = "udp-probe", .weight = 300, .cls = DN_CLASS_UDP_PROBE, V4_RANDOM,
	  UDP, .spec.payload = 48, .sport_mode = MIX_PORT_EPHEMERAL,
	  PORTS(probe_udp_ports) },
	{ .name = "udp-v6", .weight = 20, .cls = DN_CLASS_UDP_PROBE, V6_RANDOM,
	  UDP, .spec.payload = 48, .sport_mode = MIX_PORT_EPHEMERAL,
	  PORTS(probe_udp_ports) },
	{ .name = "icmp-echo", .weight = 120, .cls = DN_CLASS_ICMP_REQUEST, V4_RANDOM,
	  ICMP(8), .spec.payload = 56 },
	{ .name = "icmp-v6-echo", .weight = 40, .cls = DN_CLASS_ICMP_REQUEST, V6_RANDOM,
	  ICMP6(128), .spec.payload = 56 },
	{ .name = "spoof-bogon", .weight = 150, .cls = DN_CLASS_SPOOFED,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_BOGON, .dst = MIX_DST_RANDOM,
	  SYN, PORTS(spoof_ports) },
	{ .name = "spoof-land", .weight = 20, .cls = DN_CLASS_SPOOFED,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_SAME, .dst = MIX_DST_RANDOM,
	  SYN, PORT(139) },
	{ .name = "spoof-v6-ula", .weight = 20, .cls = DN_CLASS_SPOOFED,
	  .family = DN_FAMILY_IPV6, .src = MIX_SRC_BOGON, .dst = MIX_DST_RANDOM,
	  SYN, PORTS(v6_tcp_ports) },
	/* tails of large UDP datagrams (DNS/NTP amplification spill-over) */
	{ .name = "frag-v4", .weight = 70, .cls = DN_CLASS_FRAGMENT, V4_RANDOM,
	  UDP, .spec.frag_offset = 185, .spec.payload = 512 },
	{ .name = "frag-v6", .weight = 10, .cls = DN_CLASS_FRAGMENT, V6_RANDOM,
	  UDP, .spec.frag_offset = 181, .spec.payload = 512 },
	{ .name = "gre", .weight = 30, .cls = DN_CLASS_OTHER, V4_RANDOM,
	  .spec.proto = IPPROTO_GRE, .spec.payload = 24 },
};

/* sweep: the datapath's cache-miss worst case, one port counter line per
 * packet scattered over all 65,536. */
static const struct mix_template sweep[] = {
	{ .name = "sweep", .weight = 1, .cls = DN_CLASS_SCAN, V4_RANDOM, SYN,
	  .dport_mode = MIX_PORT_UNIFORM },
};

/* single: the best case, one frame over and over (every field fixed). */
static const struct mix_template single[] = {
	{ .name = "single", .weight = 1, .cls = DN_CLASS_SCAN, .family = DN_FAMILY_IPV4,
	  .spec = { .src = "100.1.2.3", .dst = "198.51.100.1", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40000, .dport = 23, .seq = 0x01020304,
		    .ip_id = 4242 },
	  .fp = MIX_FP_FIXED },
};

#define FIXED_V4 .family = DN_FAMILY_IPV4, .fp = MIX_FP_FIXED
#define FIXED_V6 .family = DN_FAMILY_IPV6, .fp = MIX_FP_FIXED

/* exact: every class and family once, every field fixed (research takes its
 * source from the scanner list), emitted in this order over and over, so a
 * test can write down every expected counter by hand. */
static const struct mix_template exact[] = {
	{ .name = "x-spoofed", .weight = 1, .cls = DN_CLASS_SPOOFED, FIXED_V4,
	  .spec = { .src = "10.1.2.3", .dst = "198.51.100.1", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40001, .dport = 23, .seq = 1, .ip_id = 1 } },
	{ .name = "x-fragment", .weight = 1, .cls = DN_CLASS_FRAGMENT, FIXED_V4,
	  .spec = { .src = "45.1.1.1", .dst = "198.51.100.2", .proto = IPPROTO_UDP,
		    .frag_offset = 100, .ip_id = 2, .payload = 64 } },
	{ .name = "x-synack", .weight = 1, .cls = DN_CLASS_BACKSCATTER, FIXED_V4,
	  .spec = { .src = "45.1.1.2", .dst = "198.51.100.3", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN | TH_ACK, .sport = 80, .dport = 40000,
		    .seq = 3, .ack = 4, .ip_id = 3 } },
	{ .name = "x-unreach", .weight = 1, .cls = DN_CLASS_BACKSCATTER, FIXED_V4,
	  .spec = { .src = "45.1.1.3", .dst = "198.51.100.4", .proto = IPPROTO_ICMP,
		    .icmp_type = 3, .icmp_code = 3, .ip_id = 4, .payload = 28 } },
	{ .name = "x-dns-reply", .weight = 1, .cls = DN_CLASS_BACKSCATTER, FIXED_V4,
	  .spec = { .src = "45.1.1.12", .dst = "198.51.100.14", .proto = IPPROTO_UDP,
		    .sport = 53, .dport = 33333, .ip_id = 5, .payload = 40 } },
	{ .name = "x-research", .weight = 1, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV4, .src = MIX_SRC_SCANNER, .fp = MIX_FP_FIXED,
	  .spec = { .dst = "198.51.100.5", .proto = IPPROTO_TCP, .tcp_flags = TH_SYN,
		    .sport = 40002, .dport = 443, .seq = 5, .ip_id = 6 } },
	{ .name = "x-mirai", .weight = 1, .cls = DN_CLASS_MIRAI, FIXED_V4,
	  .spec = { .src = "45.1.1.4", .dst = "203.0.113.6", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40003, .dport = 23,
		    .seq = 0xcb007106, .ip_id = 7 } },
	/* ip_id = (0xcb007107 ^ 8080 ^ 0x12345678) & 0xffff */
	{ .name = "x-masscan", .weight = 1, .cls = DN_CLASS_MASSCAN, FIXED_V4,
	  .spec = { .src = "45.1.1.5", .dst = "203.0.113.7", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 61000, .dport = 8080,
		    .seq = 0x12345678, .ip_id = 0x38ef } },
	{ .name = "x-zmap", .weight = 1, .cls = DN_CLASS_ZMAP, FIXED_V4,
	  .spec = { .src = "45.1.1.6", .dst = "203.0.113.8", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40004, .dport = 443, .seq = 8,
		    .ip_id = 54321 } },
	{ .name = "x-scan", .weight = 1, .cls = DN_CLASS_SCAN, FIXED_V4,
	  .spec = { .src = "45.1.1.7", .dst = "203.0.113.9", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40005, .dport = 22, .seq = 9, .ip_id = 9 } },
	{ .name = "x-tcp-other", .weight = 1, .cls = DN_CLASS_TCP_OTHER, FIXED_V4,
	  .spec = { .src = "45.1.1.8", .dst = "203.0.113.10", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_ACK, .sport = 40006, .dport = 80, .seq = 10,
		    .ack = 11, .ip_id = 10 } },
	{ .name = "x-udp", .weight = 1, .cls = DN_CLASS_UDP_PROBE, FIXED_V4,
	  .spec = { .src = "45.1.1.9", .dst = "203.0.113.11", .proto = IPPROTO_UDP,
		    .sport = 5000, .dport = 5060, .ip_id = 11, .payload = 16 } },
	{ .name = "x-echo", .weight = 1, .cls = DN_CLASS_ICMP_REQUEST, FIXED_V4,
	  .spec = { .src = "45.1.1.10", .dst = "203.0.113.12", .proto = IPPROTO_ICMP,
		    .icmp_type = 8, .ip_id = 12, .payload = 8 } },
	{ .name = "x-gre", .weight = 1, .cls = DN_CLASS_OTHER, FIXED_V4,
	  .spec = { .src = "45.1.1.11", .dst = "203.0.113.13", .proto = IPPROTO_GRE,
		    .ip_id = 13, .payload = 8 } },
	{ .name = "x-v6-scan", .weight = 1, .cls = DN_CLASS_SCAN, FIXED_V6,
	  .spec = { .src = "2a00:1::1", .dst = "2001:db8::1", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40007, .dport = 80, .seq = 14 } },
	{ .name = "x-v6-echoreply", .weight = 1, .cls = DN_CLASS_BACKSCATTER, FIXED_V6,
	  .spec = { .src = "2a00:1::2", .dst = "2001:db8::2", .proto = IPPROTO_ICMPV6,
		    .icmp_type = 129, .payload = 8 } },
	{ .name = "x-v6-echo", .weight = 1, .cls = DN_CLASS_ICMP_REQUEST, FIXED_V6,
	  .spec = { .src = "2a00:1::3", .dst = "2001:db8::3", .proto = IPPROTO_ICMPV6,
		    .icmp_type = 128, .payload = 8 } },
	{ .name = "x-v6-udp", .weight = 1, .cls = DN_CLASS_UDP_PROBE, FIXED_V6,
	  .spec = { .src = "2a00:1::4", .dst = "2001:db8::4", .proto = IPPROTO_UDP,
		    .sport = 5001, .dport = 53, .payload = 16 } },
	{ .name = "x-v6-spoofed", .weight = 1, .cls = DN_CLASS_SPOOFED, FIXED_V6,
	  .spec = { .src = "fd00::1", .dst = "2001:db8::5", .proto = IPPROTO_TCP,
		    .tcp_flags = TH_SYN, .sport = 40008, .dport = 22, .seq = 15 } },
	{ .name = "x-v6-fragment", .weight = 1, .cls = DN_CLASS_FRAGMENT, FIXED_V6,
	  .spec = { .src = "2a00:1::5", .dst = "2001:db8::6", .proto = IPPROTO_UDP,
		    .frag_offset = 10, .payload = 64 } },
	{ .name = "x-v6-research", .weight = 1, .cls = DN_CLASS_RESEARCH,
	  .family = DN_FAMILY_IPV6, .src = MIX_SRC_SCANNER, .fp = MIX_FP_FIXED,
	  .spec = { .dst = "2001:db8::7", .proto = IPPROTO_TCP, .tcp_flags = TH_SYN,
		    .sport = 40009, .dport = 443, .seq = 16 } },
};

const struct mix_def mix_defs[] = {
	{ "nicter", "NICTER 2018 proportions: a third research scans, Mirai on 23/TCP, "
	  "backscatter, IPv6, fragments", nicter, ARRAY_SIZE(nicter), 0 },
	{ "sweep", "TCP SYNs to destination ports uniform over 0..65535",
	  sweep, ARRAY_SIZE(sweep), 0 },
	{ "single", "one TCP SYN, repeated", single, ARRAY_SIZE(single), 0 },
	{ "exact", "one fixed frame per class and family, in a fixed cycle",
	  exact, ARRAY_SIZE(exact), 1 },
	{ NULL, NULL, NULL, 0, 0 },
};
