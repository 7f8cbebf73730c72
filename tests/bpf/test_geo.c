/* test_geo.c: the datapath attributes every source to exactly its country and AS series, and geo off touches nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include "darknet_counter.skel.h"
#include "darknet_geo.h"
#include "cpu_blocks.h"
#include "frame.h"
#include "geo_counts.h"
#include "geo_tables.h"
#include "harness.h"
#include "sketch.h"
#include "sketch_maps.h"

#define SEED 12
#define PACKETS 3000
#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const char *const darknets[] = { "44.44.0.0/16", "2001:db8:44::/48", NULL };

/* Aligned and unaligned ranges, two boundaries inside one /24, a range of
 * one address, one crossing a /24 boundary, a large one; AS index 0 is
 * "AS unknown" with a known country. */
static const struct geo_test_range ranges[] = {
	{ A(10, 0, 0, 0), A(10, 0, 3, 255), 0 },       /* aligned /22 */
	{ A(10, 1, 0, 77), A(10, 1, 2, 13), 0 },       /* unaligned both ends */
	{ A(10, 1, 2, 14), A(10, 1, 2, 200), 0 },      /* shares 10.1.2.0/24 */
	{ A(10, 1, 2, 201), A(10, 1, 2, 201), 0 },     /* one address, AS unknown */
	{ A(100, 64, 0, 128), A(100, 64, 1, 127), 0 }, /* a /24 boundary inside */
	{ A(172, 16, 0, 0), A(172, 31, 255, 255), 0 }, /* a /12 */
};
#define NR_RANGES (sizeof(ranges) / sizeof(ranges[0]))
static const uint32_t range_cc[NR_RANGES] = { 10, 20, 30, 40, 50, 60 };
static const uint32_t range_as[NR_RANGES] = { 1, 2, 3, 0, 4, 5 };

static const struct geo_test_prefix6 prefixes[] = {
	{ "2001:db8:100::", 48, 0 },
	{ "2400:cb00::", 32, 0 },
	{ "2a00:1450:4001:80a::", 64, 0 },
};
#define NR_PREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))
static const uint32_t prefix_cc[NR_PREFIXES] = { 70, 80, 90 };
static const uint32_t prefix_as[NR_PREFIXES] = { 6, 7, 8 };
/* IPv6 sources: inside each prefix (first, last of its /64, middle) and outside */
static const char *const src6[][2] = {
	{ "2001:db8:100::", "0" }, { "2001:db8:100:ffff:ffff:ffff:ffff:ffff", "0" },
	{ "2001:db8:100:42::7", "0" }, { "2400:cb00::1", "1" },
	{ "2400:cb00:ffff:ffff::9", "1" }, { "2a00:1450:4001:80a::200e", "2" },
	{ "2a00:1450:4001:80b::1", "-" }, { "2001:db8:101::1", "-" }, { "2400:cb01::1", "-" },
};
#define NR_SRC6 (sizeof(src6) / sizeof(src6[0]))

/* Promoted AS series: AS index -> slot; every other AS counts in "other" */
static const uint32_t promoted[][2] = { { 1, 1 }, { 2, 2 }, { 6, 3 } };

static struct dp d;
static struct geo_test_range table[NR_RANGES];
static struct geo_test_prefix6 table6[NR_PREFIXES];
static struct geo_counts got, want;
static __u64 want_total[DN_GEO_MAX_ASNS], got_total[DN_GEO_MAX_ASNS];
static char err[256];

static void open_geo(uint32_t geo, int install)
{
	size_t splits;

	dp_open_geo(&d, XDP_DROP, geo);
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "darknets: %s", err);
	for (size_t i = 0; i < NR_RANGES; i++) {
		table[i] = ranges[i];
		table[i].entry = dn_geo_entry(range_cc[i], range_as[i]);
	}
	for (size_t i = 0; i < NR_PREFIXES; i++) {
		table6[i] = prefixes[i];
		table6[i].entry = dn_geo_entry(prefix_cc[i], prefix_as[i]);
	}
	for (size_t i = 0; i < sizeof(promoted) / sizeof(promoted[0]); i++) {
		__u16 slot = promoted[i][1];

		cr_assert_eq(bpf_map_update_elem(d.maps.geo_asn_slot, &promoted[i][0], &slot, 0), 0);
	}
	if (!install)
		return;
	geo_test_install_v4(d.maps.geo_v4, table, NR_RANGES, &splits);
	/* 10.1.0.0/24, 10.1.2.0/24, 100.64.0.0/24 and 100.64.1.0/24 */
	cr_assert_eq(splits, 4, "split /24s: %zu", splits);
	geo_test_install_v6(d.maps.geo_v6, table6, NR_PREFIXES);
}

static void teardown(void)
{
	dp_close(&d);
}

TestSuite(geo, .fini = teardown, .timeout = 300);

static uint32_t slot_of(uint32_t asn)
{
	for (size_t i = 0; i < sizeof(promoted) / sizeof(promoted[0]); i++)
		if (promoted[i][0] == asn)
			return promoted[i][1];
	return DN_GEO_ASN_OTHER;
}

static struct dn_count before[DN_CLASS_KEYS], after[DN_CLASS_KEYS];

static void read_classes(struct dn_count *c)
{
	cr_assert_eq(cpu_blocks_read(d.maps.class_counters, DN_CLASS_CPU_KEYS, DN_CLASS_KEYS,
				     sizeof(*c), c), 0, "read class counters");
}

/* One SYN from src; repeat times. Counts what geo must count into want
 * (class from the class counters' change: the test does not restate the
 * classifier). */
static void send_one(const char *src, uint32_t entry, uint32_t repeat)
{
	struct frame_spec f = { .src = src, .dst = strchr(src, ':') ? "2001:db8:44::9" : "44.44.1.2",
				.proto = IPPROTO_TCP, .sport = 40000, .dport = 23,
				.tcp_flags = TH_SYN, .seq = 7, .ip_id = 3 };
	uint8_t buf[FRAME_MAX];
	int len = frame_build(&f, buf);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = len, .repeat = repeat);
	uint32_t cc = dn_geo_country(entry), as = dn_geo_asn(entry), cls;

	cr_assert_gt(len, 0, "frame from %s", src);
	read_classes(before);
	cr_assert_eq(bpf_prog_test_run_opts(d.prog_fd, &o), 0, "test run: %s", strerror(errno));
	cr_assert_eq(o.retval, XDP_DROP, "%s counted as darknet", src);
	read_classes(after);
	for (cls = 0; cls < DN_CLASS_MAX; cls++) {
		uint64_t n = 0;

		for (uint32_t k = cls; k < DN_CLASS_KEYS; k += DN_CLASS_MAX)
			n += after[k].packets - before[k].packets;
		if (n)
			break;
	}
	cr_assert_lt(cls, DN_CLASS_MAX, "%s: no class counted", src);
	want.country[dn_geo_key(cc, cls)].packets += repeat;
	want.country[dn_geo_key(cc, cls)].bytes += (uint64_t)repeat * len;
	want.asn[dn_geo_key(as ? slot_of(as) : 0, cls)].packets += repeat;
	want.asn[dn_geo_key(as ? slot_of(as) : 0, cls)].bytes += (uint64_t)repeat * len;
	if (as && !slot_of(as))
		want_total[as] += repeat;
}

static void send4(uint32_t a, uint32_t repeat)
{
	char s[INET_ADDRSTRLEN];
	uint32_t be = htonl(a);

	inet_ntop(AF_INET, &be, s, sizeof(s));
	send_one(s, geo_test_expect_v4(table, NR_RANGES, a), repeat);
}

static void send6(size_t i)
{
	char c = src6[i][1][0];

	send_one(src6[i][0], c == '-' ? 0 : table6[c - '0'].entry, 1);
}

/* Every range's first and last address and its neighbours outside, then a
 * seeded mix over those and random addresses of the ranges' /16s. */
static void send_mix(void)
{
	uint32_t probes[NR_RANGES * 5];
	size_t np = 0;

	for (size_t i = 0; i < NR_RANGES; i++) {
		probes[np++] = ranges[i].first;
		probes[np++] = ranges[i].last;
		probes[np++] = ranges[i].first - 1;
		probes[np++] = ranges[i].last + 1;
		probes[np++] = ranges[i].first + (ranges[i].last - ranges[i].first) / 2;
	}
	for (size_t i = 0; i < np; i++)
		send4(probes[i], 1);
	for (size_t i = 0; i < NR_SRC6; i++)
		send6(i);
	srandom(SEED);
	for (int i = 0; i < PACKETS; i++) {
		long r = random();

		if (r % 4 == 0)
			send4(probes[(r >> 2) % np], 1);
		else if (r % 4 == 1)
			send6((r >> 2) % NR_SRC6);
		else
			send4((ranges[(r >> 2) % NR_RANGES].first & 0xffff0000u) | (random() & 0xffff), 1);
	}
	/* past DN_GEO_ASN_CARRY on one AS: the per-AS total carries */
	send4(A(172, 16, 1, 1), 700);
}

static void check_equal(const char *what, const struct dn_count *g, const struct dn_count *w,
			size_t n)
{
	for (size_t k = 0; k < n; k++) {
		cr_expect_eq(g[k].packets, w[k].packets, "%s %zu/%zu packets: %llu, want %llu",
			     what, k / DN_CLASS_MAX, k % DN_CLASS_MAX,
			     (unsigned long long)g[k].packets, (unsigned long long)w[k].packets);
		cr_expect_eq(g[k].bytes, w[k].bytes, "%s %zu/%zu bytes", what, k / DN_CLASS_MAX,
			     k % DN_CLASS_MAX);
	}
}

/* The country series, and the AS series, sum to the class counters. */
static void check_sums(void)
{
	struct dn_iface_snapshot *s = dp_snapshot_new();

	dp_snapshot(&d, s);
	for (uint32_t cls = 0; cls < DN_CLASS_MAX; cls++) {
		uint64_t classes = 0, countries = 0, series = 0;

		for (uint32_t k = cls; k < DN_CLASS_KEYS; k += DN_CLASS_MAX)
			classes += s->classes[k].packets;
		for (uint32_t c = 0; c < DN_GEO_COUNTRIES; c++)
			countries += got.country[dn_geo_key(c, cls)].packets;
		for (uint32_t sl = 0; sl < DN_GEO_ASN_SLOTS; sl++)
			series += got.asn[dn_geo_key(sl, cls)].packets;
		cr_expect_eq(countries, classes, "class %u: countries %llu, classes %llu", cls,
			     (unsigned long long)countries, (unsigned long long)classes);
		cr_expect_eq(series, classes, "class %u: AS series %llu, classes %llu", cls,
			     (unsigned long long)series, (unsigned long long)classes);
	}
	dp_snapshot_free(s);
}

Test(geo, exact_attribution)
{
	open_geo(DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN, 1);
	send_mix();
	cr_assert_eq(geo_counts_read(&d.maps, &got), 0, "read geo counters");
	check_equal("country", got.country, want.country, DN_GEO_COUNTRY_CPU_KEYS);
	check_equal("AS series", got.asn, want.asn, DN_GEO_ASN_CPU_KEYS);
	check_sums();
	cr_assert_eq(geo_asn_totals_read(&d.maps, got_total), 0, "read AS totals");
	for (uint32_t a = 1; a < DN_GEO_MAX_ASNS; a++)
		cr_expect_eq(got_total[a], want_total[a], "AS index %u total %llu, want %llu", a,
			     (unsigned long long)got_total[a], (unsigned long long)want_total[a]);
	cr_assert_gt(want_total[5], DN_GEO_ASN_CARRY, "the mix carried");
	cr_assert_eq(want_total[1], 0, "an AS with a series keeps no total");
}

/* Distinct sources per country and per AS series: a handful of sources,
 * where HyperLogLog's small-range estimate is all but exact. */
Test(geo, distinct_sources)
{
	struct sketch_maps sm;
	double e;

	open_geo(DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN, 1);
	cr_assert_eq(sketch_maps_open(&sm, &d.maps, err, sizeof(err)), 0, "%s", err);
	for (uint32_t i = 0; i < 40; i++)
		send4(A(10, 1, 0, 77) + i * 3, 2);          /* country 20, AS 2 (slot 2) */
	for (uint32_t i = 0; i < 25; i++)
		send4(A(172, 16, 0, 0) + i * 1000, 1);      /* country 60, AS 5 (other) */
	e = sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_COUNTRY_BASE + 20));
	cr_expect(e > 39.5 && e < 40.5, "country 20: %.2f distinct, want 40", e);
	e = sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_COUNTRY_BASE + 60));
	cr_expect(e > 24.5 && e < 25.5, "country 60: %.2f distinct, want 25", e);
	e = sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_ASN_BASE + 2));
	cr_expect(e > 39.5 && e < 40.5, "AS slot 2: %.2f distinct, want 40", e);
	e = sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_ASN_BASE + DN_GEO_ASN_OTHER));
	cr_expect(e > 24.5 && e < 25.5, "AS other: %.2f distinct, want 25", e);
	e = sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_COUNTRY_BASE + 10));
	cr_expect(e == 0, "country 10: %.2f distinct, want 0", e);
	sketch_maps_close(&sm);
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* Geo off at load (no --geo-* file): tables installed or not, no geo
 * counter, total or sketch changes. */
Test(geo, off_touches_nothing)
{
	struct sketch_maps sm;

	open_geo(0, 1);
	cr_assert_eq(sketch_maps_open(&sm, &d.maps, err, sizeof(err)), 0, "%s", err);
	send_mix();
	cr_assert_eq(geo_counts_read(&d.maps, &got), 0, "read geo counters");
	cr_expect(all_zero(&got, sizeof(got)), "geo counters moved with geo off");
	cr_assert_eq(geo_asn_totals_read(&d.maps, got_total), 0, "read AS totals");
	cr_expect(all_zero(got_total, sizeof(got_total)), "AS totals moved with geo off");
	for (int g = 0; g < 2; g++)
		cr_expect(all_zero(sketch_maps_at(&sm, g, DN_SKETCH_COUNTRY_BASE),
				   (DN_SKETCH_COUNTRY_SLOTS + DN_SKETCH_ASN_SLOTS) *
				   sizeof(struct dn_sketch)), "geo sketches moved with geo off");
	sketch_maps_close(&sm);
}

/* Country only: AS series and totals stay untouched; countries still exact. */
Test(geo, country_only)
{
	open_geo(DN_GEO_ON_COUNTRY, 1);
	send_mix();
	cr_assert_eq(geo_counts_read(&d.maps, &got), 0, "read geo counters");
	check_equal("country", got.country, want.country, DN_GEO_COUNTRY_CPU_KEYS);
	cr_expect(all_zero(got.asn, sizeof(got.asn)), "AS series moved with country only");
	cr_assert_eq(geo_asn_totals_read(&d.maps, got_total), 0, "read AS totals");
	cr_expect(all_zero(got_total, sizeof(got_total)), "AS totals moved with country only");
}

/* On, but no table installed yet (or a slot emptied): every packet is
 * country and AS unknown, so the series still sum to the class counters. */
Test(geo, no_table_is_unknown)
{
	open_geo(DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN, 0);
	for (uint32_t i = 0; i < 50; i++)
		send4(A(10, 0, 0, i), 1);
	cr_assert_eq(geo_counts_read(&d.maps, &got), 0, "read geo counters");
	check_sums();
	cr_expect_eq(geo_counts_packets(got.country, DN_GEO_COUNTRY_UNKNOWN), 50);
	cr_expect_eq(geo_counts_packets(got.asn, DN_GEO_ASN_OTHER), 50);
}
