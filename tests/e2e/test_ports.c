/* test_ports.c: end-to-end: bounded port series and exact sums under a full sweep of all 65,536 ports. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "frame.h"
#include "names.h"
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"
#include "array_size.h"

/*
 * Every test runs one daemon with a small bound, so that it binds:
 * --max-port-series 300 --watch-ports 23,80. The watched ports reserve
 * 2 ports x (8 TCP + 5 UDP classes) x 1 interface = 26 series out of the
 * 300 from the start, whether or not they ever see a packet; 274 are left
 * for promotions. A promotion needs >= 10 packets and >= 1 % of the
 * interface's packets of that protocol between two scrapes.
 *
 * Traffic: a full sweep of our own (one SYN to every port 0..65535, so that
 * every port is hit, which a random sweep does not guarantee), trafgen's
 * sweep mix (SYNs to uniformly random ports) in bursts of 50,000-200,000
 * with scrapes between, trafgen's nicter mix (every class, fragments,
 * spoofed sources) and frames of our own: "heavy" rounds (20 SYNs to each
 * of a few dozen fresh ports) and port-less spoofed fragments.
 *
 * Every frame sent is counted in `sent`; before checking exact values a test
 * waits until the daemon's frame total (darknet + passed + malformed)
 * reaches it, and requires it to be exactly that.
 */
#define LIMIT 300
#define WATCH "23,80"
#define RESERVED (2 * (8 + 5))
#define HEAVY_PKTS 20              /* per port in a heavy round */
#define PM "darknet_port_packets_total"
/* Past this a background sweep stops by itself and the test fails. */
#define SWEEP_MAX_S 40

static struct netfix fx;
static struct dctl dd;
static char *scanners;
static int mport;                  /* the daemon's metrics port */
static int inj = -1;               /* AF_PACKET socket on the inet side */
static uint64_t sent;              /* frames sent to the sensor so far */
static struct e2e_child tgen;      /* a background sweep a failed test left */


static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "ports setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
	mport = e2e_free_port();
	sent = 0;
	dctl_init(&dd, &fx, mport);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--max-port-series");
	dctl_arg(&dd, "300");
	dctl_arg(&dd, "--watch-ports");
	dctl_arg(&dd, WATCH);
	e2e_start(&dd, "ports setup");
	inj = inject_open(&fx);
	cr_assert_geq(inj, 0, "ports setup: cannot open the injection socket: %s", strerror(-inj));
}

static void teardown(void)
{
	struct e2e_run r;

	if (tgen.pid && !e2e_finish(&tgen, SIGKILL, 5000, &r))
		e2e_run_free(&r);
	if (inj >= 0)
		close(inj);
	inj = -1;
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(scanners);
}

/* --- traffic --- */

/* A SYN from 45.33.7.9 (routable, in no bogon range and no scanner list) to
 * 198.51.100.77, clear of the Mirai (seq == daddr), masscan (ip.id ==
 * (daddr ^ dport ^ seq) & 0xffff) and ZMap (ip.id 54321) fingerprints:
 * class scan. */
static size_t syn_frame(unsigned int dport, uint8_t *buf)
{
	const uint32_t daddr = 198u << 24 | 51u << 16 | 100u << 8 | 77u, seq = 0x5eed0000;
	uint16_t masscan = (uint16_t)((daddr ^ dport ^ seq) & 0xffff);
	struct frame_spec s = {
		.src = "45.33.7.9", .dst = "198.51.100.77", .proto = IPPROTO_TCP,
		.tcp_flags = TH_SYN, .sport = 41000, .dport = (uint16_t)dport, .seq = seq,
		.ip_id = masscan ^ 1,
	};
	int len;

	if (s.ip_id == 54321)
		s.ip_id = masscan ^ 2;
	len = frame_build(&s, buf);
	cr_assert_gt(len, 0, "frame_build failed for a SYN to port %u", dport);
	return (size_t)len;
}

static void send_frame(const char *what, const uint8_t *frame, size_t len, int n)
{
	int ret = inject_send(inj, frame, len, n);

	cr_assert_eq(ret, 0, "%s: sending %d frames failed: %s", what, n, strerror(-ret));
	sent += (uint64_t)n;
}

static void send_syns(const char *what, unsigned int dport, int n)
{
	uint8_t buf[FRAME_MAX];
	size_t len = syn_frame(dport, buf);

	send_frame(what, buf, len, n);
}

/* One SYN to every port, 0 to 65535. */
static void full_sweep(const char *what)
{
	for (unsigned int p = 0; p < DN_NR_PORTS; p++)
		send_syns(what, p, 1);
}

/* HEAVY_PKTS SYNs to each of ports first .. first+n-1: alone between two
 * scrapes, each is 1/n of the TCP packets (n <= 100) and >= 10 packets. */
static void heavy_round(const char *what, unsigned int first, int n)
{
	for (int i = 0; i < n; i++)
		send_syns(what, first + (unsigned int)i, HEAVY_PKTS);
}

static void trafgen(const char *what, const char *mix, uint64_t n, uint64_t seed)
{
	struct tgen_result tg;

	cr_assert_eq(tgen_run(&fx, mix, n, seed, scanners, &tg), 0,
		     "%s: darknet-trafgen --mix %s failed (exit %d): %s", what, mix, tg.status, tg.err);
	cr_assert_eq(tg.packets, n, "%s: trafgen sent %lu of %lu packets", what,
		     (unsigned long)tg.packets, (unsigned long)n);
	sent += tg.packets;
	tgen_free(&tg);
}

/* Non-first fragments: spoofed ones (bogon or ULA source) carry no port and
 * count under port="other" in their class; the others are class fragment. */
static void fragments(const char *what)
{
	static const struct {
		struct frame_spec spec;
		int n;
	} f[] = {
		{ { .src = "10.9.8.7", .dst = "198.51.100.50", .proto = IPPROTO_TCP,
		    .frag_offset = 100, .ip_id = 99, .payload = 64 }, 7 },
		{ { .src = "10.9.8.7", .dst = "198.51.100.51", .proto = IPPROTO_UDP,
		    .frag_offset = 185, .ip_id = 98, .payload = 64 }, 11 },
		{ { .src = "fd00::9", .dst = "2001:db8::50", .proto = IPPROTO_UDP,
		    .frag_offset = 10, .payload = 64 }, 5 },
		{ { .src = "fd00::9", .dst = "2001:db8::51", .proto = IPPROTO_TCP,
		    .frag_offset = 20, .payload = 64 }, 3 },
		{ { .src = "45.33.7.9", .dst = "198.51.100.52", .proto = IPPROTO_UDP,
		    .frag_offset = 185, .ip_id = 97, .payload = 64 }, 13 },
		{ { .src = "45.33.7.9", .dst = "198.51.100.53", .proto = IPPROTO_TCP,
		    .frag_offset = 185, .ip_id = 96, .payload = 64 }, 2 },
	};
	uint8_t buf[FRAME_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		int len = frame_build(&f[i].spec, buf);

		cr_assert_gt(len, 0, "%s: frame_build failed for fragment %zu", what, i);
		send_frame(what, buf, (size_t)len, f[i].n);
	}
}

/* --- scrapes --- */

/* Wait until every frame sent is counted, then a scrape in which the frame
 * total is exactly `sent`: traffic has stopped and the counters settled. */
static void settle(const char *what, struct scrape *s)
{
	char err[512];
	double total = scrape_wait_frames(mport, (double)sent, 5000);

	cr_assert_eq(total, (double)sent, "%s: the daemon counted %.0f frames, %lu were sent",
		     what, total, (unsigned long)sent);
	cr_assert_eq(scrape_get(mport, s, err, sizeof(err)), 0, "%s: scrape: %s", what, err);
	cr_assert_eq(scrape_frames(&s->m), (double)sent, "%s: %.0f frames in the scrape, %lu sent",
		     what, scrape_frames(&s->m), (unsigned long)sent);
}

/* darknet_port_packets_total series whose port is not "other". */
static int own_series(const struct promx *m, const char *subset)
{
	int n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const char *p;

		if (strcmp(m->s[i].name, PM) || !promx_has_labels(&m->s[i], subset))
			continue;
		p = promx_label(&m->s[i], "port");
		n += p && strcmp(p, "other");
	}
	return n;
}

static double port_value(const struct promx *m, const char *proto, const char *port,
			 const char *cls)
{
	char labels[256];

	snprintf(labels, sizeof(labels), "iface=%s,proto=%s,port=%s,class=%s", fx.if_sensor,
		 proto, port, cls);
	return promx_value(m, PM, labels, -1);
}

/* Invariant 1. What is compared: the number of darknet_port_packets_total
 * series (all interfaces, protocols and classes) whose port label is not
 * "other" against darknet_port_series_limit, which must be --max-port-series.
 * Watched series are reserved in darknet_port_series_tracked whether or not
 * they are shown (a series with no packet is not rendered), so also:
 * shown <= tracked <= limit. With traffic, port="other" exists. */
static void check_bound(const char *what, const struct promx *m, int with_traffic)
{
	double limit = promx_value(m, "darknet_port_series_limit", NULL, -1);
	double tracked = promx_value(m, "darknet_port_series_tracked", NULL, -1);
	int shown = own_series(m, NULL);

	cr_expect_eq(limit, LIMIT, "%s: darknet_port_series_limit is %.0f, want %d", what, limit,
		     LIMIT);
	cr_expect_leq(shown, LIMIT, "%s: %d port series other than port=\"other\", over the "
		      "bound of %d", what, shown, LIMIT);
	cr_expect_leq(shown, tracked, "%s: %d port series shown, but darknet_port_series_tracked "
		      "is %.0f", what, shown, tracked);
	cr_expect_leq(tracked, limit, "%s: darknet_port_series_tracked %.0f over the limit %.0f",
		      what, tracked, limit);
	cr_expect_geq(tracked, RESERVED, "%s: darknet_port_series_tracked %.0f, but the watched "
		      "ports alone reserve %d", what, tracked, RESERVED);
	if (with_traffic)
		cr_expect_gt(promx_match(m, PM, "port=other", NULL), 0,
			     "%s: no darknet_port_packets_total{port=\"other\"} series", what);
}

/* Invariant 3: for each (iface, proto, class), the port series with
 * port="other" sum to darknet_packets_total summed over family. */
static void check_sums(const char *what, const struct promx *m)
{
	static const char *const protos[] = { "tcp", "udp" };
	char labels[256];
	double ports, packets, all_packets = 0;

	for (int p = 0; p < 2; p++) {
		for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
			snprintf(labels, sizeof(labels), "iface=%s,proto=%s,class=%s", fx.if_sensor,
				 protos[p], names_class(c));
			promx_match(m, PM, labels, &ports);
			promx_match(m, "darknet_packets_total", labels, &packets);
			cr_expect_eq(ports, packets, "%s: (%s): port series incl. port=\"other\" sum "
				     "to %.0f, darknet_packets_total to %.0f", what, labels, ports,
				     packets);
			all_packets += packets;
		}
	}
	cr_expect_gt(all_packets, 0, "%s: no TCP or UDP packet counted", what);
}

/* Invariant 2: every port series of `before` is in `after`, not smaller. */
static void check_monotonic(const char *what, const struct promx *before,
			    const struct promx *after)
{
	int bad = 0, seen = 0;

	for (size_t i = 0; i < before->n; i++) {
		const struct promx_series *b = &before->s[i], *a = promx_same(after, b);

		if (strcmp(b->name, PM))
			continue;
		seen++;
		if (!a)
			cr_expect(0, "%s: %s (%.0f) is gone", what, b->key, b->value);
		else if (a->value < b->value)
			cr_expect(0, "%s: %s went from %.0f to %.0f", what, b->key, b->value,
				  a->value);
		bad += !a || a->value < b->value;
		if (bad > 10)
			break;
	}
	cr_expect_eq(bad, 0, "%s: %d of %d port series went backwards or vanished", what, bad,
		     seen);
}

/* Scrapes of a test in order, each compared with the one before. */
struct chain {
	struct scrape prev;
	int have;
};

static void chain_next(struct chain *c, const char *what, struct scrape *s)
{
	if (c->have) {
		check_monotonic(what, &c->prev.m, &s->m);
		scrape_free(&c->prev);
	}
	c->prev = *s;
	c->have = 1;
}

/* --- tests --- */

Test(ports, series_bounded, .init = setup, .fini = teardown, .timeout = 60)
{
	const char *what = "series_bounded";
	struct scrape s;
	char step[128];
	double tracked;

	e2e_scrape(mport, &s, what);
	check_bound("series_bounded: before traffic", &s.m, 0);
	scrape_free(&s);

	/* the sweep: every port once, then 4 x 60,000 random ones, scraped
	 * after each burst; too thin to promote anything */
	full_sweep(what);
	for (int b = 0; b < 4; b++) {
		snprintf(step, sizeof(step), "series_bounded: sweep burst %d", b + 1);
		trafgen(step, "sweep", 60000, 10 + (uint64_t)b);
		settle(step, &s);
		check_bound(step, &s.m, 1);
		tracked = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
		cr_expect_eq(tracked, RESERVED, "%s: a sweep promoted series: %.0f tracked, want %d",
			     step, tracked, RESERVED);
		scrape_free(&s);
	}

	/* heavy rounds of 60 fresh ports: 6 x 60 = 360 candidates for 274
	 * places. Promotion takes the heaviest first, ties by port. */
	for (int r = 0; r < 6; r++) {
		unsigned int first = 40000 + 60 * (unsigned int)r;
		double want = RESERVED + 60.0 * (r + 1) < LIMIT ? RESERVED + 60.0 * (r + 1) : LIMIT;

		snprintf(step, sizeof(step), "series_bounded: heavy round %d (ports %u-%u)", r + 1,
			 first, first + 59);
		heavy_round(step, first, 60);
		settle(step, &s);
		check_bound(step, &s.m, 1);
		tracked = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
		cr_expect_eq(tracked, want, "%s: %.0f series tracked, want %.0f", step, tracked, want);
		scrape_free(&s);
	}

	/* the bound binds: round 5 got the 34 places left, round 6 none */
	trafgen("series_bounded: sweep after the bound is reached", "sweep", 60000, 20);
	settle("series_bounded: sweep after the bound is reached", &s);
	check_bound("series_bounded: sweep after the bound is reached", &s.m, 1);
	for (unsigned int p = 40240; p < 40360; p++) {
		char num[8];
		int promoted = p < 40240 + (LIMIT - RESERVED - 240);
		double v;

		snprintf(num, sizeof(num), "%u", p);
		v = port_value(&s.m, "tcp", num, "scan");
		cr_expect_eq(v >= 0, promoted, "series_bounded: port %u %s its own series (value %.0f)"
			     " with the bound reached", p, promoted ? "lacks" : "has", v);
	}
	cr_expect_eq(own_series(&s.m, NULL), LIMIT - RESERVED + 2,
		     "series_bounded: %d series shown at the bound, want %d: the %d promoted "
		     "plus 23/tcp and 80/tcp of class scan", own_series(&s.m, NULL),
		     LIMIT - RESERVED + 2, LIMIT - RESERVED);
	scrape_free(&s);
}

Test(ports, series_monotonic, .init = setup, .fini = teardown, .timeout = 60)
{
	struct chain c = { 0 };
	struct scrape s;
	int status;

	e2e_scrape(mport, &s, "series_monotonic: start");
	chain_next(&c, "series_monotonic: start", &s);

	full_sweep("series_monotonic: full sweep");
	settle("series_monotonic: full sweep", &s);
	chain_next(&c, "series_monotonic: full sweep", &s);
	trafgen("series_monotonic: sweep 1", "sweep", 100000, 31);
	settle("series_monotonic: sweep 1", &s);
	chain_next(&c, "series_monotonic: sweep 1", &s);
	/* promotions: the promoted count stays in "other", which must not drop */
	heavy_round("series_monotonic: heavy round 1", 41000, 30);
	settle("series_monotonic: heavy round 1", &s);
	chain_next(&c, "series_monotonic: heavy round 1", &s);
	trafgen("series_monotonic: nicter", "nicter", 20000, 32);
	fragments("series_monotonic: fragments");
	settle("series_monotonic: nicter", &s);
	chain_next(&c, "series_monotonic: nicter", &s);
	heavy_round("series_monotonic: promoted ports again", 41000, 30);
	trafgen("series_monotonic: sweep 2", "sweep", 100000, 33);
	settle("series_monotonic: sweep 2", &s);
	chain_next(&c, "series_monotonic: sweep 2", &s);
	cr_assert_gt(own_series(&c.prev.m, "port=41000"), 0,
		     "series_monotonic: port 41000 was not promoted; the test proves less");

	/* a clean restart; traffic while no daemon runs */
	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_assert_eq(status, 0, "series_monotonic: SIGTERM exit status %d, want 0", status);
	trafgen("series_monotonic: sweep while stopped", "sweep", 50000, 34);
	heavy_round("series_monotonic: heavy while stopped", 41000, 30);
	send_syns("series_monotonic: heavy while stopped", 42000, 500);
	e2e_start(&dd, "series_monotonic: restart after SIGTERM");
	settle("series_monotonic: first scrape after SIGTERM restart", &s);
	chain_next(&c, "series_monotonic: across the SIGTERM restart", &s);
	heavy_round("series_monotonic: heavy round 2", 42100, 30);
	settle("series_monotonic: heavy round 2", &s);
	chain_next(&c, "series_monotonic: heavy round 2", &s);
	cr_expect_gt(own_series(&c.prev.m, "port=42100"), 0,
		     "series_monotonic: port 42100 not promoted after the restart");
	trafgen("series_monotonic: nicter 2", "nicter", 20000, 35);
	settle("series_monotonic: after SIGTERM restart", &s);
	chain_next(&c, "series_monotonic: after SIGTERM restart", &s);

	/* SIGKILL: no chance to save anything at exit */
	heavy_round("series_monotonic: heavy round 3", 42200, 30);
	settle("series_monotonic: heavy round 3", &s);
	chain_next(&c, "series_monotonic: heavy round 3", &s);
	status = dctl_stop(&dd, SIGKILL, 5000);
	cr_assert_eq(status, 128 + SIGKILL, "series_monotonic: daemon did not die of SIGKILL (%d)",
		     status);
	trafgen("series_monotonic: sweep while killed", "sweep", 50000, 36);
	heavy_round("series_monotonic: heavy while killed", 42200, 30);
	fragments("series_monotonic: fragments while killed");
	e2e_start(&dd, "series_monotonic: restart after SIGKILL");
	settle("series_monotonic: first scrape after SIGKILL restart", &s);
	chain_next(&c, "series_monotonic: across the SIGKILL restart", &s);
	trafgen("series_monotonic: sweep 3", "sweep", 50000, 37);
	heavy_round("series_monotonic: heavy round 4", 42300, 30);
	settle("series_monotonic: after SIGKILL restart", &s);
	chain_next(&c, "series_monotonic: after SIGKILL restart", &s);
	scrape_free(&c.prev);
}

Test(ports, sums_exact, .init = setup, .fini = teardown, .timeout = 60)
{
	struct scrape s;
	double v;

	/* a full sweep */
	full_sweep("sums_exact: full sweep");
	trafgen("sums_exact: sweep", "sweep", 200000, 41);
	settle("sums_exact: after the sweep", &s);
	check_sums("sums_exact: after the sweep", &s.m);
	scrape_free(&s);

	/* every class, and port-less packets: spoofed non-first fragments
	 * (port="other" of class spoofed) and class fragment */
	trafgen("sums_exact: nicter", "nicter", 30000, 42);
	fragments("sums_exact: fragments");
	settle("sums_exact: after nicter and fragments", &s);
	check_sums("sums_exact: after nicter and fragments", &s.m);
	v = port_value(&s.m, "udp", "other", "spoofed");
	cr_expect_geq(v, 16, "sums_exact: port=\"other\" of udp spoofed is %.0f, but 16 spoofed "
		      "UDP fragments were sent", v);
	v = port_value(&s.m, "tcp", "other", "fragment");
	cr_expect_geq(v, 2, "sums_exact: port=\"other\" of tcp fragment is %.0f, want >= 2", v);
	scrape_free(&s);

	/* promotions move a baseline into "other" */
	heavy_round("sums_exact: heavy round", 43000, 40);
	settle("sums_exact: after promotions", &s);
	check_sums("sums_exact: after promotions", &s.m);
	cr_expect_gt(own_series(&s.m, "port=43000"), 0, "sums_exact: port 43000 not promoted");
	scrape_free(&s);

	/* more of everything, promoted ports included */
	heavy_round("sums_exact: promoted ports again", 43000, 40);
	trafgen("sums_exact: sweep 2", "sweep", 100000, 43);
	trafgen("sums_exact: nicter 2", "nicter", 20000, 44);
	fragments("sums_exact: fragments 2");
	settle("sums_exact: after a second burst", &s);
	check_sums("sums_exact: after a second burst", &s.m);
	scrape_free(&s);
}

/* Sweep frames (trafgen with the same seed and count) to TCP port p. */
static uint64_t sweep_hits(const char *what, uint64_t seed, uint64_t count, unsigned int p)
{
	uint64_t *counts = calloc(DN_NR_PORTS, sizeof(*counts)), n;
	char err[256];

	cr_assert(counts, "%s: out of memory", what);
	cr_assert_eq(expect_mix_port_counts("sweep", seed, count, scanners, IPPROTO_TCP, counts,
					    err, sizeof(err)), 0, "%s: %s", what, err);
	n = counts[p];
	free(counts);
	return n;
}

Test(ports, heavy_port_promoted_within_two_scrapes, .init = setup, .fini = teardown,
     .timeout = 60)
{
	const char *what = "heavy_port_promoted_within_two_scrapes";
	struct tgen_result bg;
	struct scrape s;
	double v, a, b;
	uint64_t hits;
	int scrapes = 0, running, ret;

	full_sweep(what);
	settle("heavy port: after the full sweep", &s);
	cr_expect_lt(port_value(&s.m, "tcp", "31337", "scan"), 0,
		     "heavy port: 31337 has a series before it is heavy");
	scrape_free(&s);

	/* during a sweep at 100,000 pps: a scrape, 3,000 SYNs to 31337, then
	 * at most two scrapes; the sweep runs until they are done, however
	 * long a busy machine makes them */
	ret = tgen_start(&fx, "sweep", 51, scanners, 100000, SWEEP_MAX_S, &tgen);
	cr_assert_eq(ret, 0, "heavy port: cannot start trafgen: %s", strerror(-ret));
	e2e_sleep_ms(500);
	e2e_scrape(mport, &s, "heavy port: scrape during the sweep");
	v = port_value(&s.m, "tcp", "31337", "scan");
	scrape_free(&s);
	cr_expect_lt(v, 0, "heavy port: 31337 promoted by the sweep alone (%.0f)", v);
	send_syns("heavy port: 3000 SYNs to 31337", 31337, 3000);
	do {
		e2e_sleep_ms(scrapes ? 300 : 0);
		e2e_scrape(mport, &s, "heavy port: scrape after the burst");
		v = port_value(&s.m, "tcp", "31337", "scan");
		scrapes++;
		scrape_free(&s);
	} while (v < 0 && scrapes < 2);
	ret = tgen_stop(&tgen, &running, &bg);
	cr_expect(running, "heavy port: the sweep ended before the scrapes were done (bound %d s); "
		  "the test proves less", SWEEP_MAX_S);
	cr_assert_geq(v, 0, "heavy port: port=\"31337\" has no series of its own after %d scrapes "
		      "(3,000 SYNs to it during a sweep)", scrapes);
	cr_expect_eq(v, 0, "heavy port: 31337 is %.0f at its promotion, want 0 (the count before "
		     "stays in port=\"other\")", v);
	cr_assert_eq(ret, 0, "heavy port: background trafgen failed (exit %d): %s", bg.status,
		     bg.err);
	sent += bg.packets;
	hits = sweep_hits("heavy port: background sweep", 51, bg.packets, 31337);
	tgen_free(&bg);
	settle("heavy port: after the background sweep", &s);
	a = port_value(&s.m, "tcp", "31337", "scan");
	cr_expect(a >= v && a <= v + 3000 + (double)hits, "heavy port: 31337 went from %.0f to "
		  "%.0f, more than the 3,000 + %lu sweep frames sent to it", v, a,
		  (unsigned long)hits);
	check_sums("heavy port: after the background sweep", &s.m);
	scrape_free(&s);

	/* from then on it grows by exactly what is sent to it: our SYNs and
	 * the sweep's frames that happen to hit it (computed from the seed) */
	send_syns("heavy port: 1234 more", 31337, 1234);
	trafgen("heavy port: sweep 2", "sweep", 200000, 52);
	hits = sweep_hits("heavy port: sweep 2", 52, 200000, 31337);
	settle("heavy port: after sweep 2", &s);
	b = port_value(&s.m, "tcp", "31337", "scan");
	cr_expect_eq(b - a, 1234.0 + (double)hits, "heavy port: 31337 grew by %.0f, want 1234 + %lu "
		     "sweep frames", b - a, (unsigned long)hits);
	scrape_free(&s);
	send_syns("heavy port: 4321 more", 31337, 4321);
	settle("heavy port: after 4321 more", &s);
	a = port_value(&s.m, "tcp", "31337", "scan");
	cr_expect_eq(a - b, 4321, "heavy port: 31337 grew by %.0f, want 4321", a - b);
	scrape_free(&s);
}

Test(ports, tracked_and_folded_exported, .init = setup, .fini = teardown, .timeout = 60)
{
	char labels_tcp[128], labels_udp[128];
	struct scrape s;
	double tracked, ftcp, fudp;
	uint8_t buf[FRAME_MAX];
	static const unsigned int udp_ports[] = { 5060, 123, 1900, 161, 53 };

	snprintf(labels_tcp, sizeof(labels_tcp), "iface=%s,proto=tcp", fx.if_sensor);
	snprintf(labels_udp, sizeof(labels_udp), "iface=%s,proto=udp", fx.if_sensor);

	e2e_scrape(mport, &s, "tracked_and_folded: before traffic");
	tracked = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
	ftcp = promx_value(&s.m, "darknet_port_folded_ports", labels_tcp, -1);
	fudp = promx_value(&s.m, "darknet_port_folded_ports", labels_udp, -1);
	cr_expect_eq(tracked, RESERVED, "tracked_and_folded: darknet_port_series_tracked is %.0f "
		     "before traffic, want the %d watched series", tracked, RESERVED);
	cr_expect_eq(ftcp, 0, "tracked_and_folded: darknet_port_folded_ports{%s} is %.0f before "
		     "traffic (-1: absent)", labels_tcp, ftcp);
	cr_expect_eq(fudp, 0, "tracked_and_folded: darknet_port_folded_ports{%s} is %.0f before "
		     "traffic (-1: absent)", labels_udp, fudp);
	scrape_free(&s);

	/* only class scan: every port is either its own series or folded */
	full_sweep("tracked_and_folded: full sweep");
	trafgen("tracked_and_folded: sweep", "sweep", 200000, 61);
	settle("tracked_and_folded: after the sweep", &s);
	check_bound("tracked_and_folded: after the sweep", &s.m, 1);
	tracked = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
	ftcp = promx_value(&s.m, "darknet_port_folded_ports", labels_tcp, -1);
	cr_expect_eq(tracked, RESERVED, "tracked_and_folded: %.0f tracked after the sweep, want %d",
		     tracked, RESERVED);
	cr_expect_eq(ftcp, DN_NR_PORTS - 2, "tracked_and_folded: %.0f TCP ports folded after a "
		     "full sweep, want 65534 (all but the watched 23 and 80)", ftcp);
	scrape_free(&s);

	heavy_round("tracked_and_folded: heavy round", 44000, 10);
	for (size_t i = 0; i < ARRAY_SIZE(udp_ports); i++) {
		struct frame_spec u = { .src = "45.33.7.9", .dst = "198.51.100.78",
					.proto = IPPROTO_UDP, .sport = 40000,
					.dport = (uint16_t)udp_ports[i], .ip_id = 5, .payload = 16 };
		int len = frame_build(&u, buf);

		cr_assert_gt(len, 0, "tracked_and_folded: frame_build (udp %u)", udp_ports[i]);
		/* 1 each: far below the 10 packets of a heavy series */
		send_frame("tracked_and_folded: udp probes", buf, (size_t)len, 1);
	}
	settle("tracked_and_folded: after promotions", &s);
	check_bound("tracked_and_folded: after promotions", &s.m, 1);
	tracked = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
	ftcp = promx_value(&s.m, "darknet_port_folded_ports", labels_tcp, -1);
	fudp = promx_value(&s.m, "darknet_port_folded_ports", labels_udp, -1);
	cr_expect_eq(tracked, RESERVED + 10, "tracked_and_folded: %.0f tracked after promoting 10 "
		     "ports, want %d", tracked, RESERVED + 10);
	cr_expect_eq(ftcp, DN_NR_PORTS - 12, "tracked_and_folded: %.0f TCP ports folded, want "
		     "65524 (all but 23, 80 and the 10 promoted)", ftcp);
	cr_expect_eq(fudp, 5, "tracked_and_folded: %.0f UDP ports folded, want the 5 probed", fudp);
	cr_expect_eq(ftcp + own_series(&s.m, labels_tcp), DN_NR_PORTS,
		     "tracked_and_folded: folded TCP ports (%.0f) + TCP ports with a series (%d) "
		     "!= 65536 after a full sweep of class scan only", ftcp,
		     own_series(&s.m, labels_tcp));
	scrape_free(&s);
}

/* The value after option `opt` in the daemon's arguments, for the next start. */
static void set_option(const char *opt, const char *value)
{
	for (int i = 0; i + 1 < dd.argc; i++)
		if (!strcmp(dd.argv[i], opt)) {
			free(dd.argv[i + 1]);
			dd.argv[i + 1] = strdup(value);
			return;
		}
	cr_assert_fail("no %s among the daemon's arguments", opt);
}

/* Nothing is demoted, so a restart with a lower --max-port-series keeps the
 * series promoted before (tracked may then exceed the new limit), but no
 * further series may be promoted while tracked >= limit. */
Test(ports, no_promotion_beyond_a_lowered_bound, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct scrape s;
	double before, after;
	int status;

	full_sweep("lowered bound: full sweep");
	settle("lowered bound: full sweep", &s);
	scrape_free(&s);
	heavy_round("lowered bound: heavy round 1", 45000, 60);
	settle("lowered bound: heavy round 1", &s);
	scrape_free(&s);
	heavy_round("lowered bound: heavy round 2", 45060, 60);
	settle("lowered bound: heavy round 2", &s);
	before = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
	cr_assert_eq(before, RESERVED + 120, "lowered bound: %.0f tracked, want %d", before,
		     RESERVED + 120);
	scrape_free(&s);

	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_assert_eq(status, 0, "lowered bound: SIGTERM exit status %d, want 0", status);
	set_option("--max-port-series", "100");
	e2e_start(&dd, "lowered bound: restart with --max-port-series 100");
	settle("lowered bound: first scrape after the restart", &s);
	before = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
	cr_expect_eq(before, RESERVED + 120, "lowered bound: %.0f tracked after the restart, want "
		     "the %d series of the previous run (nothing is demoted)", before,
		     RESERVED + 120);
	scrape_free(&s);

	heavy_round("lowered bound: heavy round 3", 45120, 60);
	settle("lowered bound: heavy round 3", &s);
	after = promx_value(&s.m, "darknet_port_series_tracked", NULL, -1);
	cr_expect_eq(after, before, "lowered bound: darknet_port_series_tracked went from %.0f to "
		     "%.0f with the limit at %.0f: series promoted beyond the bound", before, after,
		     promx_value(&s.m, "darknet_port_series_limit", NULL, -1));
	cr_expect_lt(port_value(&s.m, "tcp", "45120", "scan"), 0,
		     "lowered bound: port 45120 promoted although %.0f series are tracked and the "
		     "limit is 100", before);
	scrape_free(&s);
}

/* A restart that watches a port promoted by the previous run (the operator
 * adds it to --watch-ports, or a new build's default list has it) must not
 * take its baseline out of port="other": every series stays monotonic. */
Test(ports, watching_a_promoted_port_keeps_series_monotonic, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct chain c = { 0 };
	struct scrape s;
	int status;

	full_sweep("newly watched: full sweep");
	trafgen("newly watched: sweep", "sweep", 100000, 81);
	settle("newly watched: sweep", &s);
	chain_next(&c, "newly watched: sweep", &s);
	heavy_round("newly watched: heavy round", 46000, 10);
	settle("newly watched: heavy round", &s);
	chain_next(&c, "newly watched: heavy round", &s);
	cr_assert_geq(port_value(&c.prev.m, "tcp", "46000", "scan"), 0,
		      "newly watched: port 46000 was not promoted");

	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_assert_eq(status, 0, "newly watched: SIGTERM exit status %d, want 0", status);
	set_option("--watch-ports", WATCH ",46000");
	e2e_start(&dd, "newly watched: restart with --watch-ports " WATCH ",46000");
	settle("newly watched: first scrape after the restart", &s);
	chain_next(&c, "newly watched: across a restart that watches 46000", &s);
	check_sums("newly watched: after the restart", &c.prev.m);
	scrape_free(&c.prev);
}
