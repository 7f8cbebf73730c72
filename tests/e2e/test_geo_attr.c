/* test_geo_attr.c: end-to-end: exact per-country and per-AS counts through the daemon's /metrics from small range files, and their sums. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "frame.h"
#include "darknet_counter.h"
#include "lib/daemonctl.h"
#include "lib/httpc.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

static struct netfix fx;
static struct dctl dd;
static char *scanners;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "geo setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(scanners);
}

/* Ranges not aligned to /24, two boundaries inside 11.0.0.0/24, a gap
 * (11.0.1.201..11.0.1.255 has an AS but no country), IPv6. */
static const char country_v4[] =
	"11.0.0.0,11.0.0.99,DE\n"
	"11.0.0.100,11.0.1.200,FR\n"
	"11.0.2.0,11.0.2.255,JP\n";
static const char country_v6[] = "2a02:db00::,2a02:db00:0:ffff:ffff:ffff:ffff:ffff,NL\n";
static const char asn_v4[] =
	"11.0.0.0,11.0.0.49,64500,Test Org A\n"
	"11.0.0.50,11.0.2.255,64501,Test Org B\n";
static const char asn_v6[] = "2a02:db00::,2a02:db00:0:ffff:ffff:ffff:ffff:ffff,64502,Test Org C\n";

/* One batch: source, copies, and what it must count as. A range's first
 * and last address, the address past a range, unknown sources. */
static const struct {
	const char *src;
	int n;
	const char *cc, *asn;
} batch[] = {
	{ "11.0.0.0", 3, "DE", "64500" },      /* first of DE and of AS A */
	{ "11.0.0.99", 2, "DE", "64501" },     /* last of DE */
	{ "11.0.0.100", 4, "FR", "64501" },    /* first of FR */
	{ "11.0.1.200", 5, "FR", "64501" },    /* last of FR */
	{ "11.0.1.201", 6, "--", "64501" },    /* past FR: no country */
	{ "11.0.2.128", 7, "JP", "64501" },
	{ "12.0.0.1", 8, "--", "" },           /* in no range */
	{ "2a02:db00::5", 12, "NL", "64502" },
	{ "2a02:db01::1", 10, "--", "" },
};
#define NR_BATCH (sizeof(batch) / sizeof(batch[0]))

static void send_batch(int fd)
{
	uint8_t buf[FRAME_MAX];

	for (size_t i = 0; i < NR_BATCH; i++) {
		int v6 = strchr(batch[i].src, ':') != NULL;
		struct frame_spec s = { .src = batch[i].src, .dst = v6 ? "2001:db8::80" : "198.51.100.7",
					.proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
					.tcp_flags = TH_SYN, .seq = 0x5eed, .ip_id = 77 };
		int len = frame_build(&s, buf);

		cr_assert_gt(len, 0, "geo: frame from %s", batch[i].src);
		cr_assert_eq(inject_send(fd, buf, len, batch[i].n), 0, "geo: send from %s",
			     batch[i].src);
	}
}

static double batch_sum(const char *cc, const char *asn)
{
	double n = 0;

	for (size_t i = 0; i < NR_BATCH; i++)
		if ((!cc || !strcmp(batch[i].cc, cc)) && (!asn || !strcmp(batch[i].asn, asn)))
			n += batch[i].n;
	return n;
}

static double value(int port, const char *name, const char *fmt, const char *arg)
{
	char l[128];

	snprintf(l, sizeof(l), fmt, arg);
	return scrape_sum(port, name, l);
}

/* The gauge once the interval holding the packets is in the windows. */
static void expect_distinct(int port, const char *name, const char *labels, double want)
{
	double got = -1;

	for (int t = 0; t < 100 && got != want; t++) {
		if (t)
			e2e_sleep_ms(100);
		got = scrape_sum(port, name, labels);
	}
	cr_expect_eq(got, want, "geo: %s{%s} = %.0f, want %.0f", name, labels, got, want);
}

/* The landing page's tables: FR and AS64501 with their packets (none of
 * the sources is a research scanner). */
static void expect_landing(int port, double fr, double as64501)
{
	struct httpc_resp r;
	char row[96];

	cr_assert_eq(httpc_get("127.0.0.1", port, "/", 5000, &r), 0, "geo: GET /");
	cr_assert_eq(r.status, 200, "geo: GET /: %d", r.status);
	cr_expect(strstr(r.body, "Top source countries"), "geo: no country table on /");
	snprintf(row, sizeof(row), "<tr><td>FR</td><td></td><td>%.0f</td>", fr);
	cr_expect(strstr(r.body, row), "geo: no %s on /", row);
	snprintf(row, sizeof(row), "<tr><td>AS64501</td><td></td><td>%.0f</td>", as64501);
	cr_expect(strstr(r.body, row), "geo: no %s on /", row);
	httpc_resp_free(&r);
}

/* AS 64500 is watched: a series from the first scrape. 64501 and 64502
 * turn heavy in batch 1 and get theirs at the scrape after it, so they
 * count batch 2 only; batch 1's packets stay in "other". */
Test(geo_attribution, exact_counts_through_metrics, .init = setup, .fini = teardown,
     .timeout = 120)
{
	static const char *const ccs[] = { "DE", "FR", "JP", "NL", "--" };
	char *c4 = netfix_tmp(&fx, "country-ipv4.csv"), *c6 = netfix_tmp(&fx, "country-ipv6.csv");
	char *a4 = netfix_tmp(&fx, "asn-ipv4.csv"), *a6 = netfix_tmp(&fx, "asn-ipv6.csv");
	char arg[1100];
	int port = e2e_free_port(), fd;
	double total = 2 * batch_sum(NULL, NULL), sum = 0, want;

	e2e_put(c4, country_v4);
	e2e_put(c6, country_v6);
	e2e_put(a4, asn_v4);
	e2e_put(a6, asn_v6);
	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--distinct-interval");
	dctl_arg(&dd, "2");
	snprintf(arg, sizeof(arg), "%s,%s", c4, c6);
	dctl_arg(&dd, "--geo-country");
	dctl_arg(&dd, arg);
	dctl_arg(&dd, "--geo-asn");
	dctl_arg(&dd, a4);
	dctl_arg(&dd, "--geo-asn");
	dctl_arg(&dd, a6);
	dctl_arg(&dd, "--watch-asns");
	dctl_arg(&dd, "64500");
	e2e_start(&dd, "geo");
	/* the first scrape (e2e_start's) promoted the watched AS */
	cr_assert_eq(value(port, "darknet_asn_packets_total", "asn=%s", "64500"), 0,
		     "geo: the watched AS has no series before traffic");
	fd = inject_open(&fx);
	cr_assert_geq(fd, 0, "geo: inject_open");
	send_batch(fd);
	/* no scrape sees half a batch: the promotions must fall between batches */
	e2e_sleep_ms(300);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, total / 2, 5000),
		     total / 2, "geo: batch 1 not all counted");
	send_batch(fd);
	close(fd);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, total, 5000), total,
		     "geo: batch 2 not all counted");
	for (size_t i = 0; i < sizeof(ccs) / sizeof(ccs[0]); i++) {
		want = 2 * batch_sum(ccs[i], NULL);
		cr_expect_eq(value(port, "darknet_country_packets_total", "country=%s", ccs[i]), want,
			     "geo: country %s: %.0f packets, want %.0f", ccs[i],
			     value(port, "darknet_country_packets_total", "country=%s", ccs[i]), want);
	}
	cr_expect_eq(scrape_sum(port, "darknet_country_packets_total", NULL), total,
		     "geo: the countries do not sum to the darknet packets");
	cr_expect_eq(value(port, "darknet_asn_packets_total", "asn=%s", "64500"),
		     2 * batch_sum(NULL, "64500"), "geo: watched AS 64500");
	cr_expect_eq(value(port, "darknet_asn_packets_total", "asn=%s", "64501"),
		     batch_sum(NULL, "64501"), "geo: AS 64501 counts from its promotion");
	cr_expect_eq(value(port, "darknet_asn_packets_total", "asn=%s", "64502"),
		     batch_sum(NULL, "64502"), "geo: AS 64502 counts from its promotion");
	want = total - 2 * batch_sum(NULL, "64500") - batch_sum(NULL, "64501") -
	       batch_sum(NULL, "64502");
	cr_expect_eq(value(port, "darknet_asn_packets_total", "asn=%s", "other"), want,
		     "geo: asn=other is not the exact remainder");
	cr_expect_eq(scrape_sum(port, "darknet_asn_packets_total", NULL), total,
		     "geo: the AS series and other do not sum to the darknet packets");
	for (size_t i = 0; i < sizeof(ccs) / sizeof(ccs[0]); i++)
		sum += value(port, "darknet_country_bytes_total", "country=%s", ccs[i]);
	cr_expect_eq(sum, scrape_sum(port, "darknet_country_bytes_total", NULL));
	cr_expect_gt(sum, 60 * total, "geo: bytes are frame bytes");
	/* distinct sources: two addresses each in DE and FR, three unknown;
	 * AS 64501's series saw batch 2's five addresses */
	expect_distinct(port, "darknet_country_unique_sources", "country=DE,window=5m", 2);
	expect_distinct(port, "darknet_country_unique_sources", "country=FR,window=5m", 2);
	expect_distinct(port, "darknet_country_unique_sources", "country=NL,window=5m", 1);
	expect_distinct(port, "darknet_country_unique_sources", "country=--,window=5m", 3);
	expect_distinct(port, "darknet_asn_unique_sources", "asn=64501,window=5m", 5);
	expect_landing(port, 2 * batch_sum("FR", NULL), batch_sum(NULL, "64501"));
	free(c4);
	free(c6);
	free(a4);
	free(a6);
}

/* How many darknet_asn_packets_total series carry asn (any class). */
static size_t asn_series(int port, const char *asn)
{
	struct scrape s;
	char l[64];
	double sum;
	size_t n;

	e2e_scrape(port, &s, "geo: series");
	snprintf(l, sizeof(l), "asn=%s", asn);
	n = promx_match(&s.m, "darknet_asn_packets_total", l, &sum);
	scrape_free(&s);
	return n;
}

/* --max-asn-series 1: the heaviest AS gets the one series; after a
 * SIGKILL and restart it still has it, counting on from where it was, and
 * the next heavy AS gets none (promotion is sticky and bounded across
 * restarts, and the sums stay exact). */
Test(geo_attribution, asn_series_sticky_across_restart, .init = setup, .fini = teardown,
     .timeout = 120)
{
	char *c4 = netfix_tmp(&fx, "country-ipv4.csv"), *a4 = netfix_tmp(&fx, "asn-ipv4.csv");
	char *a6 = netfix_tmp(&fx, "asn-ipv6.csv");
	int port = e2e_free_port(), fd;
	double total = batch_sum(NULL, NULL), before;

	e2e_put(c4, country_v4);
	e2e_put(a4, asn_v4);
	e2e_put(a6, asn_v6);
	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--geo-country");
	dctl_arg(&dd, c4);
	dctl_arg(&dd, "--geo-asn");
	dctl_arg(&dd, a4);
	dctl_arg(&dd, "--geo-asn");
	dctl_arg(&dd, a6);
	dctl_arg(&dd, "--max-asn-series");
	dctl_arg(&dd, "1");
	e2e_start(&dd, "geo sticky");
	fd = inject_open(&fx);
	cr_assert_geq(fd, 0, "geo sticky: inject_open");
	send_batch(fd);
	e2e_sleep_ms(300);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, total, 5000), total,
		     "geo sticky: batch 1 not all counted");
	cr_expect_eq(asn_series(port, "64501"), DN_CLASS_MAX, "geo sticky: 64501 has no series");
	cr_expect_eq(asn_series(port, "64502"), 0, "geo sticky: a second series past the max");
	send_batch(fd);
	e2e_sleep_ms(300);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, 2 * total, 5000),
		     2 * total, "geo sticky: batch 2 not all counted");
	before = value(port, "darknet_asn_packets_total", "asn=%s", "64501");
	cr_expect_eq(before, batch_sum(NULL, "64501"), "geo sticky: 64501 before the kill");
	cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL, "geo sticky: daemon did not die");
	e2e_start(&dd, "geo sticky: restart");
	cr_expect_eq(value(port, "darknet_asn_packets_total", "asn=%s", "64501"), before,
		     "geo sticky: 64501 lost its count over the restart");
	/* batch 3: 64502 is heavy again, 64501 still takes the one series */
	send_batch(fd);
	close(fd);
	e2e_sleep_ms(300);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, 3 * total, 5000),
		     3 * total, "geo sticky: batch 3 not all counted");
	send_batch(fd = inject_open(&fx));
	close(fd);
	e2e_sleep_ms(300);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, 4 * total, 5000),
		     4 * total, "geo sticky: batch 4 not all counted");
	cr_expect_eq(value(port, "darknet_asn_packets_total", "asn=%s", "64501"),
		     3 * batch_sum(NULL, "64501"), "geo sticky: 64501 after the restart");
	cr_expect_eq(asn_series(port, "64502"), 0, "geo sticky: promoted past the max after a "
		     "restart");
	cr_expect_eq(scrape_sum(port, "darknet_asn_packets_total", NULL), 4 * total,
		     "geo sticky: series and other do not sum to the darknet packets");
	cr_expect_eq(scrape_sum(port, "darknet_country_packets_total", NULL), 4 * total,
		     "geo sticky: the countries do not sum to the darknet packets");
	free(c4);
	free(a4);
	free(a6);
}
