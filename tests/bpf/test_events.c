/* test_events.c: BPF_PROG_TEST_RUN checks of the scan-campaign and DoS-victim tables. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "darknet_counter.skel.h"
#include "darknet_events.h"
#include "cpu_blocks.h"
#include "frame.h"
#include "harness.h"

#define NET4 "44.44.44.0/24"
#define NET6 "2a0d:3dc1:1::/48"
#define SCANNER4 "45.33.32.156"
#define ZMAP4 "46.4.1.9"
#define SCANNER6 "2a01:4f8::1"
#define VICTIM4 "93.184.216.34"        /* sends SYN-ACKs and RSTs */
#define ROUTER4 "80.1.2.3"             /* sends an ICMP error quoting... */
#define QUOTED4 "151.101.1.1"          /* ...a packet to this victim */
#define ECHO4 "151.101.2.2"
#define ROUTER6 "2a01:4f8::99"
#define QUOTED6 "2a00:1450::5"
#define WINDOW_NS 100000000ULL         /* 100 ms: a test-sized DoS window */

static const char *const darknets[] = { NET4, NET6, NULL };

static void enabled_setup(struct darknet_counter_bpf *skel)
{
	skel->rodata->dn_event_window_ns = WINDOW_NS;
}

static void disabled_setup(struct darknet_counter_bpf *skel)
{
	skel->rodata->dn_events_enabled = 0;
	bpf_map__set_max_entries(skel->maps.scan_events, 1);
	bpf_map__set_max_entries(skel->maps.dos_victims, 1);
}

static void open_lab(struct dp *d, void (*setup)(struct darknet_counter_bpf *))
{
	char err[256];

	dp_open_with(d, XDP_DROP, setup);
	cr_assert_eq(dp_install_darknets(d, darknets, err, sizeof(err)), 0, "darknets: %s", err);
}

static uint32_t ev_send(struct dp *d, const struct frame_spec *f)
{
	uint8_t buf[FRAME_MAX];
	int len = frame_build(f, buf);

	cr_assert_gt(len, 0, "frame %s -> %s", f->src, f->dst);
	dp_run(d, buf, len);
	return len;
}

/* An ICMP error from src to dst whose quote is a packet from dst to
 * victim (proto, destination port): IPv4 type 3 or ICMPv6 type 1. */
static uint32_t send_icmp_error(struct dp *d, const char *src, const char *dst,
				const char *victim, uint8_t proto, uint16_t dport)
{
	int v6 = strchr(src, ':') != NULL;
	struct frame_spec f = { .src = src, .dst = dst, .proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
				.icmp_type = v6 ? 1 : 3, .ip_id = 7, .payload = v6 ? 48 : 28 };
	uint8_t buf[FRAME_MAX], *q;
	int len = frame_build(&f, buf);

	cr_assert_gt(len, 0, "icmp error frame");
	q = buf + 14 + (v6 ? 40 : 20) + 8;
	if (v6) {
		q[0] = 0x60;
		q[6] = proto;
		inet_pton(AF_INET6, dst, q + 8);
		inet_pton(AF_INET6, victim, q + 24);
		q += 40;
	} else {
		q[0] = 0x45;
		q[9] = proto;
		inet_pton(AF_INET, dst, q + 12);
		inet_pton(AF_INET, victim, q + 16);
		q += 20;
	}
	q[2] = dport >> 8;
	q[3] = dport & 0xff;
	dp_run(d, buf, len);
	return len;
}

static void scan_key(struct dn_scan_key *k, const char *src, uint8_t proto, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = strchr(src, ':') ? DN_FAMILY_IPV6 : DN_FAMILY_IPV4;
	inet_pton(k->family == DN_FAMILY_IPV6 ? AF_INET6 : AF_INET, src, k->addr);
	k->proto = proto;
	k->port = port;
}

static void victim_key(struct dn_victim_key *k, const char *addr, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->family = strchr(addr, ':') ? DN_FAMILY_IPV6 : DN_FAMILY_IPV4;
	inet_pton(k->family == DN_FAMILY_IPV6 ? AF_INET6 : AF_INET, addr, k->addr);
	k->proto = proto;
}

static int entries(int fd, size_t key_size)
{
	uint8_t key[64], next[64];
	int n = 0;

	cr_assert_leq(key_size, sizeof(key));
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, next); prev = key, n++)
		memcpy(key, next, key_size);
	return n;
}

static uint64_t stat_sum(struct dp *d, uint32_t key)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t sum = 0, v;

	for (int c = 0; c < ncpus; c++) {
		uint32_t k = c * DN_EVENT_STAT_CPU_KEYS + key;

		cr_assert_eq(bpf_map_lookup_elem(d->maps.event_stats, &k, &v), 0, "event_stats");
		sum += v;
	}
	return sum;
}

static int bits(const __u64 *dst)
{
	int n = 0;

	for (int i = 0; i < DN_EVENT_DST_WORDS; i++)
		n += __builtin_popcountll(dst[i]);
	return n;
}

/* A scan of n destinations 44.44.44.0..n-1 on port 445 from SCANNER4. */
static uint32_t scan_sweep(struct dp *d, int n, int *want_bits)
{
	__u64 map[DN_EVENT_DST_WORDS] = { 0 };
	struct frame_spec f = { .src = SCANNER4, .proto = IPPROTO_TCP, .sport = 40000,
				.dport = 445, .tcp_flags = TH_SYN, .seq = 1, .ip_id = 1 };
	char dst[32];
	uint32_t len = 0, a;

	for (int i = 0; i < n; i++) {
		snprintf(dst, sizeof(dst), "44.44.44.%d", i);
		f.dst = dst;
		len = ev_send(d, &f);
		inet_pton(AF_INET, dst, &a);
		uint32_t bit = dn_event_dst_bit(dn_event_dst_hash4(a));

		map[bit / 64] |= 1ULL << (bit % 64);
	}
	*want_bits = bits(map);
	return len;
}

Test(events, scans_and_victims)
{
	struct frame_spec zmap = { .src = ZMAP4, .dst = "44.44.44.9", .proto = IPPROTO_TCP,
				   .sport = 1, .dport = 23, .tcp_flags = TH_SYN, .seq = 9,
				   .ip_id = 54321 };
	struct frame_spec udp = { .src = SCANNER4, .dst = "44.44.44.3", .proto = IPPROTO_UDP,
				  .sport = 1, .dport = 5060, .ip_id = 1, .payload = 16 };
	struct frame_spec ping = { .src = SCANNER4, .dst = "44.44.44.3", .proto = IPPROTO_ICMP,
				   .icmp_type = 8, .ip_id = 1 };
	struct frame_spec syn6 = { .src = SCANNER6, .dst = "2a0d:3dc1:1::5", .proto = IPPROTO_TCP,
				   .sport = 1, .dport = 22, .tcp_flags = TH_SYN, .seq = 1 };
	struct frame_spec synack = { .src = VICTIM4, .dst = "44.44.44.20", .proto = IPPROTO_TCP,
				     .sport = 80, .dport = 5000,
				     .tcp_flags = TH_SYN | TH_ACK, .seq = 1, .ack = 2, .ip_id = 3 };
	struct frame_spec echo = { .src = ECHO4, .dst = "44.44.44.21", .proto = IPPROTO_ICMP,
				   .icmp_type = 0, .ip_id = 4 };
	struct frame_spec spoofed = { .src = "10.1.2.3", .dst = "44.44.44.9", .proto = IPPROTO_TCP,
				      .sport = 1, .dport = 80, .tcp_flags = TH_SYN, .ip_id = 1 };
	struct frame_spec frag = { .src = SCANNER4, .dst = "44.44.44.9", .proto = IPPROTO_UDP,
				   .frag_offset = 100, .ip_id = 5, .payload = 8 };
	struct dn_scan_state s;
	struct dn_victim_state v;
	struct dn_scan_key sk;
	struct dn_victim_key vk;
	uint32_t len, zlen, synack_len;
	int want_bits, scans, victims;
	struct dp d;

	open_lab(&d, enabled_setup);
	cr_assert_eq(entries(d.maps.scan_events, sizeof(sk)), 0, "a fresh table");

	/* a sweep of 100 addresses on 445/tcp: one entry, every packet, 100
	 * destinations in the bitmap (its linear-counting estimate near 100) */
	len = scan_sweep(&d, 100, &want_bits);
	scan_key(&sk, SCANNER4, IPPROTO_TCP, 445);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.scan_events, &sk, &s), 0, "scan entry");
	cr_expect_eq(s.packets, 100);
	cr_expect_eq(s.bytes, 100ULL * len);
	cr_expect_eq(s.classes, 1u << DN_CLASS_SCAN, "classes %#x", s.classes);
	cr_expect_eq(bits(s.dst), want_bits, "bits %d, want %d", bits(s.dst), want_bits);
	cr_expect_gt(want_bits, 90, "100 destinations in 1024 bits collide little");
	cr_expect(s.first_ns && s.last_ns >= s.first_ns);
	cr_expect_eq(s.org, 0);

	/* ZMap-only packets: exactly the zmap bit */
	for (int i = 0; i < 5; i++)
		zlen = ev_send(&d, &zmap);
	scan_key(&sk, ZMAP4, IPPROTO_TCP, 23);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.scan_events, &sk, &s), 0, "zmap entry");
	cr_expect_eq(s.classes, 1u << DN_CLASS_ZMAP, "classes %#x", s.classes);
	cr_expect_eq(s.packets, 5);
	cr_expect_eq(s.bytes, 5ULL * zlen);
	cr_expect_eq(bits(s.dst), 1, "one destination");

	/* UDP: the destination port; ICMP: the type; IPv6: the whole source */
	ev_send(&d, &udp);
	ev_send(&d, &ping);
	ev_send(&d, &syn6);
	scan_key(&sk, SCANNER4, IPPROTO_UDP, 5060);
	cr_expect_eq(bpf_map_lookup_elem(d.maps.scan_events, &sk, &s), 0, "udp entry");
	cr_expect_eq(s.classes, 1u << DN_CLASS_UDP_PROBE);
	scan_key(&sk, SCANNER4, IPPROTO_ICMP, 8);
	cr_expect_eq(bpf_map_lookup_elem(d.maps.scan_events, &sk, &s), 0, "icmp entry");
	cr_expect_eq(s.classes, 1u << DN_CLASS_ICMP_REQUEST);
	scan_key(&sk, SCANNER6, IPPROTO_TCP, 22);
	cr_expect_eq(bpf_map_lookup_elem(d.maps.scan_events, &sk, &s), 0, "ipv6 entry");
	cr_expect_eq(s.packets, 1);
	scans = 5;

	/* backscatter: SYN-ACK then RST from one victim, in one entry */
	synack_len = ev_send(&d, &synack);
	synack.tcp_flags = TH_RST;
	ev_send(&d, &synack);
	victim_key(&vk, VICTIM4, IPPROTO_TCP);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.dos_victims, &vk, &v), 0, "syn-ack victim");
	cr_expect_eq(v.packets, 2);
	cr_expect_eq(v.bytes, 2ULL * synack_len);
	cr_expect_eq(v.kinds, 1u << DN_VICTIM_SYNACK | 1u << DN_VICTIM_RST, "kinds %#x", v.kinds);
	cr_expect_eq(v.port, 80);
	cr_expect_eq(v.win_packets, 2);

	/* an ICMP error: the victim is the quoted packet's destination, the
	 * protocol and port the quoted ones; not the router that sent it */
	send_icmp_error(&d, ROUTER4, "44.44.44.22", QUOTED4, IPPROTO_UDP, 53);
	victim_key(&vk, QUOTED4, IPPROTO_UDP);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.dos_victims, &vk, &v), 0, "quoted victim");
	cr_expect_eq(v.kinds, 1u << DN_VICTIM_ICMP_ERROR, "kinds %#x", v.kinds);
	cr_expect_eq(v.port, 53);
	victim_key(&vk, ROUTER4, IPPROTO_ICMP);
	cr_expect_neq(bpf_map_lookup_elem(d.maps.dos_victims, &vk, &v), 0, "not the router");
	send_icmp_error(&d, ROUTER6, "2a0d:3dc1:1::7", QUOTED6, IPPROTO_TCP, 443);
	victim_key(&vk, QUOTED6, IPPROTO_TCP);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.dos_victims, &vk, &v), 0, "quoted v6 victim");
	cr_expect_eq(v.kinds, 1u << DN_VICTIM_ICMP_ERROR);
	cr_expect_eq(v.port, 443);

	/* an echo reply: the attack was ICMP */
	ev_send(&d, &echo);
	victim_key(&vk, ECHO4, IPPROTO_ICMP);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.dos_victims, &vk, &v), 0, "echo victim");
	cr_expect_eq(v.kinds, 1u << DN_VICTIM_ECHO_REPLY);
	victims = 4;

	/* spoofed and fragments land in neither table */
	ev_send(&d, &spoofed);
	ev_send(&d, &frag);
	cr_expect_eq(entries(d.maps.scan_events, sizeof(sk)), scans, "scan entries");
	cr_expect_eq(entries(d.maps.dos_victims, sizeof(vk)), victims, "victim entries");

	/* every insert counted, nothing failed */
	cr_expect_eq(stat_sum(&d, DN_EVENT_STAT_SCAN_INSERTS), scans);
	cr_expect_eq(stat_sum(&d, DN_EVENT_STAT_VICTIM_INSERTS), victims);
	cr_expect_eq(stat_sum(&d, DN_EVENT_STAT_SCAN_FAILED), 0);
	cr_expect_eq(stat_sum(&d, DN_EVENT_STAT_VICTIM_FAILED), 0);

	/* the window: 2 packets so far; one more window's length later the
	 * next packet closes it (win_max 3) and opens a new one */
	synack.tcp_flags = TH_SYN | TH_ACK;
	ev_send(&d, &synack);
	nanosleep(&(struct timespec){ .tv_nsec = 2 * WINDOW_NS }, NULL);
	ev_send(&d, &synack);
	victim_key(&vk, VICTIM4, IPPROTO_TCP);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.dos_victims, &vk, &v), 0, "syn-ack victim");
	cr_expect_eq(v.win_max, 3, "win_max %u", v.win_max);
	cr_expect_eq(v.win_packets, 1, "win_packets %u", v.win_packets);
	cr_expect_eq(v.packets, 4);
	cr_expect_geq(v.win_start_ns - v.first_ns, WINDOW_NS);
	dp_close(&d);
}

/* The same traffic with events on and off: the counters are the same, and
 * off leaves the tables and event_stats untouched. */
static void mixed_traffic(struct dp *d, struct dp_counts *c)
{
	struct frame_spec synack = { .src = VICTIM4, .dst = "44.44.44.20", .proto = IPPROTO_TCP,
				     .sport = 80, .dport = 5000, .tcp_flags = TH_SYN | TH_ACK,
				     .seq = 1, .ip_id = 3 };
	int bits_unused;

	scan_sweep(d, 20, &bits_unused);
	ev_send(d, &synack);
	send_icmp_error(d, ROUTER4, "44.44.44.22", QUOTED4, IPPROTO_UDP, 53);
	dp_counts_read(d, c, 445);
}

Test(events, disabled_touches_nothing_and_counts_the_same)
{
	static struct dp_counts on, off;
	struct dn_scan_key sk;
	struct dn_victim_key vk;
	struct dp d;

	open_lab(&d, enabled_setup);
	mixed_traffic(&d, &on);
	cr_expect_eq(entries(d.maps.scan_events, sizeof(sk)), 1);
	cr_expect_eq(entries(d.maps.dos_victims, sizeof(vk)), 2);
	dp_close(&d);

	open_lab(&d, disabled_setup);
	mixed_traffic(&d, &off);
	cr_expect_eq(entries(d.maps.scan_events, sizeof(sk)), 0, "scan table untouched");
	cr_expect_eq(entries(d.maps.dos_victims, sizeof(vk)), 0, "victim table untouched");
	for (uint32_t k = 0; k < DN_EVENT_STAT_MAX; k++)
		cr_expect_eq(stat_sum(&d, k), 0, "event_stats key %u", k);
	cr_expect_eq(memcmp(on.classes, off.classes, sizeof(on.classes)), 0, "class counters");
	cr_expect_eq(memcmp(&on.tcp, &off.tcp, sizeof(on.tcp)), 0, "port 445");
	cr_expect_eq(memcmp(on.prefixes, off.prefixes, sizeof(on.prefixes)), 0, "prefixes");
	dp_close(&d);
}

#define SMALL_TABLE 128

static void small_setup(struct darknet_counter_bpf *skel)
{
	bpf_map__set_max_entries(skel->maps.scan_events, SMALL_TABLE);
}

/* A flood of new sources four times the table: memory stays at the
 * table's entries, every insert is counted (so inserts - live is what was
 * evicted), packets are all counted, and a campaign whose gap between
 * packets (8 flood inserts) is far under the table's entries keeps its
 * entry and every one of its packets (docs/events.md). */
Test(events, flood_evicts_counted_and_a_busy_campaign_survives)
{
	struct frame_spec flood = { .dst = "44.44.44.9", .proto = IPPROTO_TCP, .sport = 1,
				    .dport = 23, .tcp_flags = TH_SYN, .seq = 7, .ip_id = 1 };
	struct frame_spec campaign = { .src = SCANNER4, .dst = "44.44.44.10", .proto = IPPROTO_TCP,
				       .sport = 1, .dport = 6379, .tcp_flags = TH_SYN, .seq = 7,
				       .ip_id = 1 };
	const int sources = 4 * SMALL_TABLE;
	struct dp_counts c;
	struct dn_scan_state s;
	struct dn_scan_key sk;
	uint64_t packets = 0;
	char src[32];
	int live, sent = 0;
	struct dp d;

	open_lab(&d, small_setup);
	for (int i = 0; i < sources; i++) {
		snprintf(src, sizeof(src), "45.%d.%d.1", 40 + i / 250, i % 250);
		flood.src = src;
		ev_send(&d, &flood);
		if (i % 8 == 0) {
			ev_send(&d, &campaign);
			sent++;
		}
	}
	live = entries(d.maps.scan_events, sizeof(sk));
	cr_expect_leq(live, SMALL_TABLE, "the table never grows: %d entries", live);
	cr_expect_eq(stat_sum(&d, DN_EVENT_STAT_SCAN_INSERTS), sources + 1, "every insert counted");
	cr_expect_geq(stat_sum(&d, DN_EVENT_STAT_SCAN_INSERTS) - live, sources - SMALL_TABLE,
		      "evictions = inserts - live");
	scan_key(&sk, SCANNER4, IPPROTO_TCP, 6379);
	cr_assert_eq(bpf_map_lookup_elem(d.maps.scan_events, &sk, &s), 0, "the campaign survived");
	cr_expect_eq(s.packets, sent, "every campaign packet: %llu of %d",
		     (unsigned long long)s.packets, sent);
	dp_counts_read(&d, &c, 23);
	for (size_t k = 0; k < DN_CLASS_KEYS; k++)
		packets += c.classes[k].packets;
	cr_expect_eq(packets, sources + sent, "counting never stops");
	dp_close(&d);
}
