/* test_core.c: end-to-end: a known mix of real frames through a veth, every count exact. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "frame.h"
#include "names.h"
#include "lib/daemonctl.h"
#include "lib/metric_families.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"

static struct netfix fx;

/* After the last test, in the runner: leftovers of a test that crashed or
 * timed out (its worker ran no fini) would otherwise wait for the next run. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	netfix_sweep_stale();
}
static struct dctl dd;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "core setup: %s", err);
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
}

/* The daemon's darknet list: the exact mix sends to 198.51.100.x, 203.0.113.6-13
 * and 2001:db8::1-7, all inside; our own frames to 203.0.113.200 and
 * 2001:db8:8000::1 are outside. */
static const char *const darknets[] = {
	"198.51.100.0/24", "203.0.113.0/25", "2001:db8::/33", NULL
};

/* Frames the mix has none of: passed and malformed ones, each with its
 * expected series. */
struct handmade {
	const char *name;          /* the case */
	uint8_t frame[FRAME_MAX];
	size_t len;
	int count;
	const char *metric, *reason;
};

static size_t build(const struct frame_spec *spec, uint8_t *buf)
{
	int len = frame_build(spec, buf);

	cr_assert_gt(len, 0, "core: frame_build failed for %s -> %s", spec->src, spec->dst);
	return (size_t)len;
}

/* Frame offsets for an untagged IPv4 frame from frame_build(). */
#define ETH_LEN 14
#define IP_VIHL (ETH_LEN + 0)
#define IP_TOTLEN (ETH_LEN + 2)

static int make_handmade(struct handmade *h)
{
	const struct frame_spec v4syn = {
		.src = "45.1.2.3", .dst = "198.51.100.9", .proto = IPPROTO_TCP,
		.tcp_flags = TH_SYN, .sport = 40100, .dport = 23, .seq = 77, .ip_id = 77,
	};
	struct frame_spec outside4 = v4syn;
	const struct frame_spec outside6 = {
		.src = "2a00:1::9", .dst = "2001:db8:8000::1", .proto = IPPROTO_UDP,
		.sport = 40101, .dport = 53, .payload = 12,
	};
	const char *passed = "darknet_passed_packets_total";
	const char *malformed = "darknet_malformed_packets_total";
	int n = 0;

	outside4.dst = "203.0.113.200";
	h[n] = (struct handmade){ .name = "not_darknet ipv4", .count = 3, .metric = passed,
				  .reason = "not_darknet" };
	h[n].len = build(&outside4, h[n].frame);
	n++;
	h[n] = (struct handmade){ .name = "not_darknet ipv6", .count = 2, .metric = passed,
				  .reason = "not_darknet" };
	h[n].len = build(&outside6, h[n].frame);
	n++;
	/* a local experimental ethertype: not IP */
	h[n] = (struct handmade){ .name = "not_ip", .count = 2, .metric = passed,
				  .reason = "not_ip", .len = 60 };
	memset(h[n].frame, 0x5a, 60);
	h[n].frame[12] = 0x88;
	h[n].frame[13] = 0xb5;
	n++;
	h[n] = (struct handmade){ .name = "truncated_l3", .count = 1, .metric = malformed,
				  .reason = "truncated_l3" };
	build(&v4syn, h[n].frame);
	h[n].len = ETH_LEN + 12;
	n++;
	h[n] = (struct handmade){ .name = "bad_version", .count = 1, .metric = malformed,
				  .reason = "bad_version" };
	h[n].len = build(&v4syn, h[n].frame);
	h[n].frame[IP_VIHL] = 0x65;
	n++;
	h[n] = (struct handmade){ .name = "bad_ihl", .count = 2, .metric = malformed,
				  .reason = "bad_ihl" };
	h[n].len = build(&v4syn, h[n].frame);
	h[n].frame[IP_VIHL] = 0x44;
	n++;
	h[n] = (struct handmade){ .name = "bad_length", .count = 1, .metric = malformed,
				  .reason = "bad_length" };
	h[n].len = build(&v4syn, h[n].frame);
	h[n].frame[IP_TOTLEN] = 0;
	h[n].frame[IP_TOTLEN + 1] = 10;
	n++;
	/* darknet destination, TCP header cut after 10 of its 20 bytes */
	h[n] = (struct handmade){ .name = "truncated_l4", .count = 1, .metric = malformed,
				  .reason = "truncated_l4" };
	build(&v4syn, h[n].frame);
	h[n].len = ETH_LEN + 20 + 10;
	n++;
	/* an 802.1Q ethertype with half a tag after it */
	h[n] = (struct handmade){ .name = "truncated_l2", .count = 1, .metric = malformed,
				  .reason = "truncated_l2", .len = ETH_LEN + 2 };
	build(&v4syn, h[n].frame);
	h[n].frame[12] = 0x81;
	h[n].frame[13] = 0x00;
	n++;
	return n;
}

/* The reason labels used above must be the daemon's own. */
static void check_reason_names(const struct handmade *h, int n)
{
	for (int i = 0; i < n; i++)
		cr_assert_geq(names_reason_lookup(h[i].reason), 0,
			      "core %s: '%s' is not a reason label", h[i].name, h[i].reason);
}

static const char *const counted_families[] = {
	"darknet_packets_total", "darknet_bytes_total", "darknet_port_packets_total",
	"darknet_icmp_packets_total", "darknet_prefix_packets_total",
	"darknet_scanner_packets_total", "darknet_passed_packets_total",
	"darknet_malformed_packets_total", NULL
};

static int counted_family(const char *name)
{
	for (int i = 0; counted_families[i]; i++)
		if (!strcmp(name, counted_families[i]))
			return 1;
	return 0;
}

/* Is series p (of scrape m) one of the expected ones? */
static int expected_series(const struct expect *x, const struct promx *m,
			   const struct promx_series *p)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].name, p->name) &&
		    promx_find(m, x->v[i].name, x->v[i].labels) == p)
			return 1;
	return 0;
}

static void start_daemon(int port, const char *scanners, const char *ports)
{
	dctl_init(&dd, &fx, port);
	for (int i = 0; darknets[i]; i++) {
		dctl_arg(&dd, "--darknet");
		dctl_arg(&dd, darknets[i]);
	}
	dctl_arg(&dd, "--scanners");
	dctl_arg(&dd, scanners);
	if (ports) {
		/* every port of the mix keeps a series of its own: each is exact */
		dctl_arg(&dd, "--watch-ports");
		dctl_arg(&dd, ports);
	}
	dctl_arg(&dd, "--reload-interval");
	dctl_arg(&dd, "0");
	cr_assert_eq(dctl_start(&dd, 10000), 0,
		     "core: daemon did not serve /metrics (exit %d); log:\n%s",
		     dd.last_status, dctl_log(&dd));
}

/* Send the hand-made frames; each adds its count to its expected series. */
static void send_handmade(struct expect *x)
{
	static struct handmade hand[16];
	int nh = make_handmade(hand), fd = inject_open(&fx);
	char labels[256];

	check_reason_names(hand, nh);
	cr_assert_geq(fd, 0, "core: cannot open a packet socket in %s", fx.ns_inet);
	for (int i = 0; i < nh; i++) {
		cr_assert_eq(inject_send(fd, hand[i].frame, hand[i].len, hand[i].count), 0,
			     "core %s: send failed", hand[i].name);
		snprintf(labels, sizeof(labels), "iface=%s,reason=%s", fx.if_sensor, hand[i].reason);
		expect_add(x, hand[i].metric, labels, hand[i].count);
	}
	close(fd);
}

/* Frames the expectation accounts for: every frame lands in one of these. */
static double expected_frames(const struct expect *x)
{
	double n = 0;

	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].name, "darknet_packets_total") ||
		    !strcmp(x->v[i].name, "darknet_passed_packets_total") ||
		    !strcmp(x->v[i].name, "darknet_malformed_packets_total"))
			n += x->v[i].value;
	return n;
}

/* What trafgen says it sent is what the daemon counted, series by series,
 * and what the mix model (the expectation) says too. */
static void check_trafgen_series(const struct tgen_result *tg, const struct expect *x,
				 const struct promx *before, const struct promx *after)
{
	for (size_t i = 0; i < tg->n; i++) {
		const struct tgen_series *s = &tg->s[i];
		const struct promx_series *p, *b;
		char labels[256];
		double got;

		snprintf(labels, sizeof(labels), "iface=%s,family=%s,proto=%s,class=%s",
			 fx.if_sensor, s->family, s->proto, s->cls);
		p = promx_find(after, "darknet_packets_total", labels);
		cr_assert(p, "core trafgen series %s %s %s: no darknet_packets_total{%s}",
			  s->family, s->proto, s->cls, labels);
		got = scrape_delta(before, after, p);
		cr_expect_eq(got, (double)s->packets,
			     "core trafgen series %s %s %s: darknet_packets_total %.0f, trafgen sent %lu",
			     s->family, s->proto, s->cls, got, (unsigned long)s->packets);
		b = promx_find(after, "darknet_bytes_total", labels);
		cr_assert(b, "core trafgen series %s %s %s: no darknet_bytes_total", s->family,
			  s->proto, s->cls);
		got = scrape_delta(before, after, b);
		cr_expect_eq(got, (double)s->bytes,
			     "core trafgen series %s %s %s: darknet_bytes_total %.0f, trafgen sent %lu",
			     s->family, s->proto, s->cls, got, (unsigned long)s->bytes);
		got = expect_get(x, "darknet_packets_total", labels);
		cr_expect_eq(got, (double)s->packets,
			     "core trafgen series %s %s %s: the mix model expects %.0f, trafgen sent %lu",
			     s->family, s->proto, s->cls, got, (unsigned long)s->packets);
	}
}

/* Every expected series moved by exactly its count, and no other series of
 * a counting family moved at all. */
static void check_expected(const struct expect *x, const struct promx *before,
			   const struct promx *after)
{
	double got;

	for (size_t i = 0; i < x->n; i++) {
		const struct promx_series *p = promx_find(after, x->v[i].name, x->v[i].labels);

		got = p ? scrape_delta(before, after, p) : 0;
		cr_expect_eq(got, x->v[i].value, "core expected %s{%s}: got %.0f, want %.0f%s",
			     x->v[i].name, x->v[i].labels, got, x->v[i].value,
			     p ? "" : " (series absent)");
	}
	for (size_t i = 0; i < after->n; i++) {
		const struct promx_series *p = &after->s[i];

		if (!counted_family(p->name))
			continue;
		got = scrape_delta(before, after, p);
		cr_expect(got == 0 || expected_series(x, after, p),
			  "core unexpected count: %s moved by %.0f", p->key, got);
	}
}

/* Gauges: prefix sizes, attachment, build info. */
static void check_gauges(const struct promx *m)
{
	const struct promx_series *bi = NULL;
	char labels[256];
	double got;

	cr_expect_eq(promx_value(m, "darknet_prefix_addresses", "prefix=198.51.100.0/24", -1),
		     256, "core prefix_addresses 198.51.100.0/24");
	cr_expect_eq(promx_value(m, "darknet_prefix_addresses", "prefix=203.0.113.0/25", -1),
		     128, "core prefix_addresses 203.0.113.0/25");
	got = promx_value(m, "darknet_prefix_addresses", "prefix=2001:db8::/33", -1);
	cr_expect(fabs(got - ldexp(1, 95)) < ldexp(1, 60),
		  "core prefix_addresses 2001:db8::/33: %g, want 2^95", got);

	snprintf(labels, sizeof(labels), "iface=%s,mode=native", fx.if_sensor);
	cr_expect_eq(promx_value(m, "darknet_xdp_attached", labels, -1), 1,
		     "core darknet_xdp_attached{%s} is not 1", labels);
	cr_expect_eq(promx_match(m, "darknet_build_info", NULL, &got), 1,
		     "core darknet_build_info: want exactly one series");
	cr_expect_eq(got, 1, "core darknet_build_info value %g", got);
	for (size_t i = 0; i < m->n && !bi; i++)
		if (!strcmp(m->s[i].name, "darknet_build_info"))
			bi = &m->s[i];
	cr_expect(bi && promx_label(bi, "version") && *promx_label(bi, "version"),
		  "core darknet_build_info has no version label");
}

Test(core, exact_mix_every_count, .init = setup, .fini = teardown, .timeout = 60)
{
	const uint64_t n = 21 * 3 + 5;   /* three cycles of the exact mix and a bit */
	char *scanners = e2e_srcfile("deploy/research-scanners.txt");
	struct expect x = { 0 };
	struct tgen_result tg;
	struct scrape before, after;
	char err[512], ports[512];
	int port = e2e_free_port();

	cr_assert_eq(expect_mix(&x, fx.if_sensor, "exact", 1, n, scanners, darknets, err,
				sizeof(err)), 0, "core: computing the mix's counters: %s", err);
	cr_assert_eq(expect_mix_ports("exact", 1, n, scanners, ports, sizeof(ports)), 0,
		     "core: listing the mix's ports");
	start_daemon(port, scanners, ports);
	cr_assert_eq(scrape_get(port, &before, err, sizeof(err)), 0, "core baseline scrape: %s", err);

	cr_assert_eq(tgen_run(&fx, "exact", n, 1, scanners, &tg), 0,
		     "core: darknet-trafgen failed (exit %d): %s", tg.status, tg.err);
	cr_assert_eq(tg.packets, n, "core: trafgen sent %lu packets, asked for %lu",
		     (unsigned long)tg.packets, (unsigned long)n);
	send_handmade(&x);
	/* XDP runs in softirq after send() returns: wait until all are seen */
	scrape_wait_frames(port, scrape_frames(&before.m) + expected_frames(&x), 3000);
	cr_assert_eq(scrape_get(port, &after, err, sizeof(err)), 0, "core scrape: %s", err);

	check_trafgen_series(&tg, &x, &before.m, &after.m);
	check_expected(&x, &before.m, &after.m);
	check_gauges(&after.m);

	tgen_free(&tg);
	expect_free(&x);
	scrape_free(&before);
	scrape_free(&after);
	free(scanners);
}

Test(core, exposition_is_valid, .init = setup, .fini = teardown, .timeout = 60)
{
	char *scanners = e2e_srcfile("deploy/research-scanners.txt");
	static char out[65536];
	struct tgen_result tg;
	struct scrape s;
	struct promx strict;
	char err[512], msg[1024];
	int port = e2e_free_port(), rc;

	start_daemon(port, scanners, NULL);
	/* some of everything, so that every family has samples */
	cr_assert_eq(tgen_run(&fx, "nicter", 3000, 7, scanners, &tg), 0,
		     "exposition: trafgen failed: %s", tg.err);
	tgen_free(&tg);
	scrape_wait_frames(port, 3000, 3000);
	cr_assert_eq(scrape_get(port, &s, err, sizeof(err)), 0, "exposition scrape: %s", err);

	rc = promx_promtool(s.http.body, out, sizeof(out));
	cr_expect_eq(rc, 0, "exposition: promtool check metrics exit %d:\n%s", rc, out);
	cr_expect_eq(promx_parse_strict(s.http.body, &strict, err, sizeof(err)), 0,
		     "exposition: not the format the daemon promises: %s", err);
	promx_free(&strict);
	cr_expect_eq(promx_duplicates(&s.m, msg, sizeof(msg)), 0,
		     "exposition: duplicate series: %s", msg);
	cr_expect_eq(promx_check_meta(&s.m, msg, sizeof(msg)), 0,
		     "exposition: families without one HELP and one TYPE: %s", msg);
	{
		char ct[256];

		cr_expect(httpc_header(&s.http, "Content-Type", ct, sizeof(ct)) &&
			  strstr(ct, "text/plain") && strstr(ct, "version=0.0.4"),
			  "exposition: Content-Type is not text/plain; version=0.0.4");
	}
	/* the contract's families (README, Metrics), each present with HELP and TYPE */
	for (size_t i = 0; i < DN_CONTRACT_FAMILIES; i++) {
		const char *name = dn_contract_families[i][0], *type = dn_contract_families[i][1];
		const struct promx_family *f = promx_family_of(&s.m, name);

		cr_expect(f && f->help_lines == 1,
			  "exposition family %s: HELP missing or repeated", name);
		cr_expect(f && f->type && !strcmp(f->type, type),
			  "exposition family %s: TYPE is %s, want %s", name,
			  f && f->type ? f->type : "(none)", type);
	}
	scrape_free(&s);
	free(scanners);
}
