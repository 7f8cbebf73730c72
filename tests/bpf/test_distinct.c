/* test_distinct.c: the datapath's distinct-source sketches estimate within their error, and its destination bitmap is exact. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "darknet_counter.skel.h"
#include "distinct_feed.skel.h"
#include "frame.h"
#include "harness.h"
#include "sketch.h"
#include "sketch_maps.h"

#define NET4 "44.44.0.0/16"
#define NET6 "2001:db8:44::/48"
#define OFF_SRC4 (14 + 12)
#define OFF_DST4 (14 + 16)
#define OFF_SRC6_LOW (14 + 8 + 12)     /* last 4 bytes of the IPv6 source */
#define OFF_DST6_LOW (14 + 24 + 12)
#define SEEDS 10
#define PORT 2323

static struct dp d;
static struct distinct_feed_bpf *feed;
static struct sketch_maps sm;
static char err[256];
static const char *const darknets[] = { NET4, NET6, NULL };

static void setup(void)
{
	uint32_t zero = 0;
	int fd;

	dp_open(&d, XDP_DROP);
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "darknets: %s", err);
	cr_assert_eq(sketch_maps_open(&sm, &d.maps, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sketch_maps_assign_dst(&sm, NULL, err, sizeof(err)), 0, "%s", err);
	feed = distinct_feed_bpf__open_and_load();
	cr_assert_not_null(feed, "load distinct_feed: %s", strerror(errno));
	fd = d.prog_fd;
	cr_assert_eq(bpf_map_update_elem(bpf_map__fd(feed->maps.target), &zero, &fd, 0), 0,
		     "tail-call target: %s", strerror(errno));
}

static void teardown(void)
{
	distinct_feed_bpf__destroy(feed);
	sketch_maps_close(&sm);
	dp_close(&d);
}

TestSuite(distinct, .init = setup, .fini = teardown, .timeout = 600);

static int syn(uint8_t *buf, const char *src, const char *dst, uint16_t dport)
{
	struct frame_spec f = { .src = src, .dst = dst, .proto = IPPROTO_TCP, .sport = 40000,
				.dport = dport, .tcp_flags = TH_SYN, .seq = 1, .ip_id = 1 };
	int len = frame_build(&f, buf);

	cr_assert_gt(len, 0, "frame %s -> %s", src, dst);
	return len;
}

/* n runs of frame, the 32-bit word at off taking n distinct values
 * base + ((i * mult) & mask). One BPF_PROG_TEST_RUN call. */
static void feed_run(const uint8_t *frame, int len, uint32_t off, uint32_t base, uint32_t mult,
		     uint32_t mask, uint32_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = n);

	feed->bss->feed_i = 0;
	feed->bss->feed_off = off;
	feed->bss->feed_base = base;
	feed->bss->feed_mult = mult | 1;
	feed->bss->feed_mask = mask;
	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(feed->progs.distinct_feed), &o), 0,
		     "test run: %s", strerror(errno));
	cr_assert_eq(o.retval, XDP_DROP, "verdict %u: not counted as darknet", o.retval);
	cr_assert_eq(feed->bss->feed_i, n, "ran %llu of %u", (unsigned long long)feed->bss->feed_i, n);
}

/* The union of one family's class sketches in generation 0, and a check
 * that only the scan class (every feed frame is a plain SYN) has any. */
static double family_estimate(int family)
{
	struct dn_sketch u;

	sketch_clear(&u);
	for (int cls = 0; cls < DN_CLASS_MAX; cls++) {
		const struct dn_sketch *s = sketch_maps_at(&sm, 0, family * DN_CLASS_MAX + cls);

		cr_assert(cls == DN_CLASS_SCAN || sketch_empty(s), "class %d has registers", cls);
		sketch_merge(&u, s);
	}
	return sketch_estimate(&u);
}

static void check_family(int family, uint32_t n)
{
	double se = SKETCH_STD_ERROR, sum_abs = 0;
	uint8_t frame[FRAME_MAX];
	struct timespec t0, t1;
	int len;

	len = family == DN_FAMILY_IPV4 ? syn(frame, "11.0.0.1", "44.44.1.1", 80)
				       : syn(frame, "2a01:4f8:77::1", "2001:db8:44::1", 80);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t seed = 0; seed < SEEDS; seed++) {
		/* IPv4: a /8 per seed (11/8 to 20/8, no bogons), a seed's own
		 * permutation of its low 24 bits; IPv6: the low 32 bits */
		uint32_t base = family == DN_FAMILY_IPV4 ? (11 + seed) << 24 : seed << 24;
		uint32_t off = family == DN_FAMILY_IPV4 ? OFF_SRC4 : OFF_SRC6_LOW;
		double est, rel;

		sketch_maps_clear(&sm, 0);
		feed_run(frame, len, off, base, 0x9e3779b1u + 2 * seed, 0xffffff, n);
		est = family_estimate(family);
		rel = (est - n) / n;
		cr_log_info("family %d n %u seed %u: estimate %.0f (%+.2f%%)", family, n, seed, est,
			    100 * rel);
		cr_expect_leq(fabs(rel), 3 * se, "n %u seed %u: estimate %.0f is off by %.2f%% > 3 SE",
			      n, seed, est, 100 * rel);
		sum_abs += fabs(rel);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_log_info("family %d n %u: mean |error| %.2f%% (SE %.2f%%), %.1f s", family, n,
		    100 * sum_abs / SEEDS, 100 * se,
		    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	cr_expect_leq(sum_abs / SEEDS, se, "n %u: mean relative error %.2f%% over the SE %.2f%%", n,
		      100 * sum_abs / SEEDS, 100 * se);
}

Test(distinct, ipv4_1k) { check_family(DN_FAMILY_IPV4, 1000); }
Test(distinct, ipv4_100k) { check_family(DN_FAMILY_IPV4, 100000); }
Test(distinct, ipv4_1m) { check_family(DN_FAMILY_IPV4, 1000000); }
Test(distinct, ipv6_1k) { check_family(DN_FAMILY_IPV6, 1000); }
Test(distinct, ipv6_100k) { check_family(DN_FAMILY_IPV6, 100000); }
Test(distinct, ipv6_1m) { check_family(DN_FAMILY_IPV6, 1000000); }

/* Repeating the same sources adds nothing: the registers are a set's. */
Test(distinct, repeats_add_nothing)
{
	uint8_t frame[FRAME_MAX];
	int len = syn(frame, "11.0.0.1", "44.44.1.1", 80);
	struct dn_sketch once;

	feed_run(frame, len, OFF_SRC4, 11u << 24, 12345, 0xffff, 50000);
	memcpy(&once, sketch_maps_at(&sm, 0, DN_CLASS_SCAN), sizeof(once));
	feed_run(frame, len, OFF_SRC4, 11u << 24, 12345, 0xffff, 50000);
	cr_assert_eq(memcmp(&once, sketch_maps_at(&sm, 0, DN_CLASS_SCAN), sizeof(once)), 0,
		     "the same 50,000 sources again changed the registers");
	cr_assert_eq(memcmp(&once, sketch_maps_at(&sm, 1, DN_CLASS_SCAN), sizeof(once)) == 0,
		     0, "generation 1 was written while generation 0 is current");
}

/* Flipping the generation sends packets to the other sketches at once. */
Test(distinct, generation_flip)
{
	struct dn_sketch_gen g = { .gen = 1 };
	uint8_t frame[FRAME_MAX];
	int len = syn(frame, "11.0.0.1", "44.44.1.1", 80);

	cr_assert_eq(sketch_maps_set_gen(&sm, &g), 0, "flip");
	feed_run(frame, len, OFF_SRC4, 11u << 24, 7, 0xffff, 3000);
	cr_assert(sketch_empty(sketch_maps_at(&sm, 0, DN_CLASS_SCAN)), "old generation written");
	cr_assert_leq(fabs(sketch_estimate(sketch_maps_at(&sm, 1, DN_CLASS_SCAN)) - 3000),
		      3 * SKETCH_STD_ERROR * 3000, "new generation estimate");
}

/* A port with a sketch slot counts its sources there; others nowhere. */
Test(distinct, port_sketch)
{
	uint8_t frame[FRAME_MAX];
	int len = syn(frame, "11.0.0.1", "44.44.1.1", PORT);
	double est;

	cr_assert_eq(sketch_maps_set_port(&sm, 0, PORT, 5, err, sizeof(err)), 0, "%s", err);
	feed_run(frame, len, OFF_SRC4, 12u << 24, 99, 0xfffff, 100000);
	est = sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_PORT_BASE + 5));
	cr_assert_leq(fabs(est - 100000), 3 * SKETCH_STD_ERROR * 100000, "port sketch %.0f", est);
	len = syn(frame, "11.0.0.1", "44.44.1.1", PORT + 1);
	cr_assert_eq(sketch_maps_set_port(&sm, 0, PORT, -1, err, sizeof(err)), 0, "%s", err);
	sketch_maps_clear(&sm, 0);
	feed_run(frame, len, OFF_SRC4, 12u << 24, 99, 0xfffff, 1000);
	for (int slot = 0; slot < DN_SKETCH_PORT_SLOTS; slot++)
		cr_assert(sketch_empty(sketch_maps_at(&sm, 0, DN_SKETCH_PORT_BASE + slot)),
			  "port slot %d written for a port without a sketch", slot);
}

/* IPv4 destinations hit: exactly the bits of the addresses sent to. */
Test(distinct, dst_bitmap_exact)
{
	const uint32_t n = 20000, mult = 40503, mask = 0xffff, net = (44u << 24) | (44u << 16);
	struct sketch_dst_map *dm = calloc(1, sizeof(*dm));
	uint8_t frame[FRAME_MAX], *want = calloc(mask + 1, 1);
	int len = syn(frame, "11.0.0.1", "44.44.1.1", 80), id;
	const uint64_t *bits;
	uint32_t hits = 0;
	struct dn_iface_snapshot *s = dp_snapshot_new();

	cr_assert(dm && want, "memory");
	dp_snapshot(&d, s);
	id = dp_prefix_id(s, NET4);
	cr_assert_eq(sketch_maps_assign_dst(&sm, dm, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(dm->slot[id].where, 0, NET4 " has no bitmap");
	cr_assert_eq(dm->slot[id].mask, mask, "host mask");
	feed_run(frame, len, OFF_DST4, net, mult, mask, n);
	for (uint32_t i = 0; i < n; i++)
		want[(i * mult) & mask] = 1;
	bits = sketch_maps_bitmap(&sm, 0) + dm->slot[id].where - 1;
	for (uint32_t host = 0; host <= mask; host++) {
		int got = (bits[host / 64] >> (host % 64)) & 1;

		cr_assert_eq(got, want[host], "host %u: bit %d, sent %d", host, got, want[host]);
		hits += got;
	}
	cr_assert_eq(hits, n, "bits set");
	free(want);
	free(dm);
	dp_snapshot_free(s);
}

/* IPv6 destinations: the prefix's destination sketch. */
Test(distinct, dst6_sketch)
{
	uint8_t frame[FRAME_MAX];
	int len = syn(frame, "2a01:4f8:77::1", "2001:db8:44::1", 80);
	double est = 0;

	feed_run(frame, len, OFF_DST6_LOW, 0, 0x9e3779b1u, 0xffffff, 100000);
	for (int slot = 0; slot < DN_SKETCH_DST6_SLOTS; slot++)
		est += sketch_estimate(sketch_maps_at(&sm, 0, DN_SKETCH_DST6_BASE + slot));
	cr_assert_leq(fabs(est - 100000), 3 * SKETCH_STD_ERROR * 100000, "IPv6 destinations %.0f",
		      est);
}

/* --no-distinct: the program loads with the sketch code pruned and
 * writes nothing. */
Test(distinct, off_writes_nothing)
{
	struct darknet_counter_bpf *off = darknet_counter_bpf__open();
	uint8_t frame[FRAME_MAX];
	int len = syn(frame, "11.0.0.1", "44.44.1.1", 80), fd;
	struct dn_maps m;
	struct sketch_maps sm_off;
	uint32_t zero = 0;

	cr_assert_not_null(off, "open");
	off->rodata->dn_distinct = 0;
	cr_assert_eq(maps_size_for_cpus(off, 0), 0, "size");
	cr_assert_eq(darknet_counter_bpf__load(off), 0, "load with sketches off");
	maps_from_skel(&m, off);
	cr_assert_eq(sketch_maps_open(&sm_off, &m, err, sizeof(err)), 0, "%s", err);
	fd = bpf_program__fd(off->progs.darknet_counter);
	cr_assert_eq(bpf_map_update_elem(bpf_map__fd(feed->maps.target), &zero, &fd, 0), 0, "target");
	/* no darknet list on this load: every frame is counted as not darknet,
	 * so install one on the new maps through the same path as the harness */
	{
		struct dp tmp = d;

		tmp.maps = m;
		cr_assert_eq(dp_install_darknets(&tmp, darknets, err, sizeof(err)), 0, "%s", err);
	}
	cr_assert_eq(sketch_maps_assign_dst(&sm_off, NULL, err, sizeof(err)), 0, "%s", err);
	feed_run(frame, len, OFF_SRC4, 11u << 24, 3, 0xffff, 10000);
	for (unsigned int k = 0; k < DN_SKETCH_KEYS; k++)
		cr_assert(sketch_empty(&sm_off.sketches[k]), "sketch key %u written while off", k);
	for (unsigned int w = 0; w < DN_DST_BITMAP_KEYS; w++)
		cr_assert_eq(sm_off.dst_bitmap[w], 0, "bitmap word %u written while off", w);
	sketch_maps_close(&sm_off);
	darknet_counter_bpf__destroy(off);
}
