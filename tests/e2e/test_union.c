/* test_union.c: end-to-end: /api/v1/sketches answers and decodes, the landing page shows sources and coverage, and `darknet-counter union` of two sensors counts the overlap once. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "frame.h"
#include "sketch_json.h"
#include "lib/daemonctl.h"
#include "lib/httpc.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

#define STD_ERROR (1.04 / 64.0)   /* HyperLogLog at p = 12 (docs/distinct-sources.md) */

static struct netfix fx[2];
static struct dctl dd[2];
static char *scanners;

static void setup(void)
{
	char err[256];

	for (int i = 0; i < 2; i++)
		cr_assert_eq(netfix_setup(&fx[i], err, sizeof(err)), 0, "union setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		dctl_free(&dd[i]);
		netfix_teardown(&fx[i]);
	}
	free(scanners);
}

/* Sources 11.0.0.0 + [first, first + n) send "scan" SYNs to
 * 198.51.100.(i % 256):80; the range is neither a bogon nor research. */
static void send_sources(const struct netfix *f, uint32_t first, uint32_t n)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	uint8_t buf[FRAME_MAX];
	int fd = inject_open(f);

	cr_assert_geq(fd, 0, "union: inject_open");
	for (uint32_t i = first; i < first + n; i++) {
		struct frame_spec s = { .src = src, .dst = dst, .proto = IPPROTO_TCP,
					.sport = 40000 + i % 20000, .dport = 80,
					.tcp_flags = TH_SYN, .seq = 0x5eed0000u + i,
					.ip_id = 1000 + i % 1000 };
		uint32_t a = htonl(11u << 24 | i);
		int len;

		inet_ntop(AF_INET, &a, src, sizeof(src));
		a = htonl(198u << 24 | 51u << 16 | 100u << 8 | (i % 256));
		inet_ntop(AF_INET, &a, dst, sizeof(dst));
		len = frame_build(&s, buf);
		cr_assert_gt(len, 0, "union: frame_build %s -> %s", src, dst);
		cr_assert_eq(inject_send(fd, buf, len, 1), 0, "union: send %s -> %s", src, dst);
	}
	close(fd);
}

static void start(int i)
{
	dctl_init(&dd[i], &fx[i], e2e_free_port());
	dctl_lab_lists(&dd[i], scanners);
	dctl_arg(&dd[i], "--distinct-interval");
	dctl_arg(&dd[i], "2");
	e2e_start(&dd[i], "union");
}

/* Wait (up to 10 s: the interval in progress is not in the windows) until
 * the 5m scan gauge of sensor i is within 3 standard errors of want. */
static void wait_gauge(int i, double want)
{
	double got = -1;

	for (int t = 0; t < 100 && fabs(got - want) > 3 * STD_ERROR * want; t++) {
		got = scrape_sum(dd[i].port, "darknet_unique_sources",
				 "family=ipv4,class=scan,window=5m");
		e2e_sleep_ms(100);
	}
	cr_assert_leq(fabs(got - want), 3 * STD_ERROR * want,
		      "sensor %d: 5m scan sources %.0f, want %.0f", i, got, want);
}

struct found {
	const char *iface;
	double scan[3], all[3];   /* by window: 5m, 1h, 24h; -1 = absent */
	int entries;
};

static int find(void *ctx, const struct sketch_json_entry *e)
{
	static const char *const windows[] = { "5m", "1h", "24h" };
	struct found *f = ctx;

	f->entries++;
	for (int w = 0; w < 3; w++) {
		if (strcmp(e->window, windows[w]) || strcmp(e->iface, f->iface))
			continue;
		if (!strcmp(e->family, "ipv4") && !strcmp(e->cls, "scan"))
			f->scan[w] = sketch_estimate(&e->s);
		if (!strcmp(e->family, "all") && !strcmp(e->cls, "all"))
			f->all[w] = sketch_estimate(&e->s);
	}
	return 0;
}

/* 1,500 scan sources: the document names the sensor's interface, and the
 * scan and all-traffic sketches of each window decode to estimates within
 * 3 standard errors of 1,500; "/" shows the class and the coverage. */
Test(union, sketches_endpoint_answers_and_decodes, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct found f = { .iface = fx[0].if_sensor, .scan = { -1, -1, -1 }, .all = { -1, -1, -1 } };
	struct httpc_resp r;
	char err[256] = "", type[64];

	start(0);
	send_sources(&fx[0], 0, 1500);
	wait_gauge(0, 1500);
	cr_assert_eq(httpc_get("127.0.0.1", dd[0].port, "/api/v1/sketches", 5000, &r), 0);
	cr_assert_eq(r.status, 200, "GET /api/v1/sketches: %d", r.status);
	cr_expect_str_eq(httpc_header(&r, "Content-Type", type, sizeof(type)) ?: "",
			 "application/json");
	cr_assert_eq(sketch_json_parse(r.body, r.body_len, find, &f, NULL, err, sizeof(err)), 0,
		     "the document does not parse: %s", err);
	for (int w = 0; w < 3; w++) {
		cr_expect_leq(fabs(f.scan[w] - 1500), 3 * STD_ERROR * 1500,
			      "window %d: scan sketch estimates %.0f", w, f.scan[w]);
		cr_expect_leq(fabs(f.all[w] - 1500), 3 * STD_ERROR * 1500,
			      "window %d: all-traffic sketch estimates %.0f", w, f.all[w]);
	}
	/* only non-empty sketches: ipv4/scan and all, in three windows */
	cr_expect_eq(f.entries, 6, "%d sketches, want 6", f.entries);
	httpc_resp_free(&r);

	/* the landing page: the class, and 256 of the lab's 512 IPv4 darknet
	 * addresses hit (exact: a bitmap) */
	cr_assert_eq(httpc_get("127.0.0.1", dd[0].port, "/", 5000, &r), 0);
	cr_assert_eq(r.status, 200, "GET /: %d", r.status);
	cr_expect(strstr(r.body, "Distinct sources, last 24 hours"), "no distinct card on /");
	cr_expect(strstr(r.body, "<td>scan</td>"), "no scan row on /");
	cr_expect(strstr(r.body, "<td>256 of 512</td><td>50.0%</td>"), "coverage on /: %s",
		  strstr(r.body, "coverage") ?: "(none)");
	httpc_resp_free(&r);
}

/* The union's "sources" of (family, class, window) in union --json output. */
static double union_value(const char *out, const char *family, const char *cls,
			  const char *window, const char *field)
{
	char key[160];
	const char *p;

	snprintf(key, sizeof(key), "\"family\":\"%s\",\"class\":\"%s\",\"window\":\"%s\",",
		 family, cls, window);
	p = strstr(out, key);
	if (!p || !(p = strstr(p, field)))
		return -1;
	return atof(p + strlen(field));
}

/* Poll `darknet-counter union --json URL...` (the interval in progress is
 * not in the windows) until the 5m union of all sources is within 3
 * standard errors of want, or 10 s pass; the last run is in r. */
static void run_union(char *const urls[], double want, struct e2e_run *r)
{
	char *prog = e2e_prog("darknet-counter");

	for (int t = 0; t < 20; t++) {
		double got;

		if (t)
			e2e_run_free(r);
		cr_assert_eq(e2e_runl(20000, r, prog, "union", "--json", urls[0], urls[1], NULL), 0);
		got = union_value(r->out, "all", "all", "5m", "\"sources\":");
		if (r->status || fabs(got - want) <= 3 * STD_ERROR * want)
			break;
		e2e_sleep_ms(500);
	}
	free(prog);
}

/* Sensor A sees sources [0, 3000), sensor B [2000, 5000): 1,000 shared.
 * The union is |A u B| = 5,000 within 3 standard errors, well below the
 * 6,000 that adding the sensors' gauges gives. */
Test(union, two_sensors_overlap_counted_once, .init = setup, .fini = teardown, .timeout = 90)
{
	static const char *const windows[] = { "5m", "1h", "24h" };
	char url[2][64], *urls[2] = { url[0], url[1] };
	char *prog = e2e_prog("darknet-counter");
	struct e2e_run r;

	start(0);
	start(1);
	send_sources(&fx[0], 0, 3000);
	send_sources(&fx[1], 2000, 3000);
	wait_gauge(0, 3000);
	wait_gauge(1, 3000);
	for (int i = 0; i < 2; i++)
		snprintf(url[i], sizeof(url[i]), "http://127.0.0.1:%d", dd[i].port);

	run_union(urls, 5000, &r);
	cr_assert_eq(r.status, 0, "union: exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "\"sensors\":2"), "%s", r.out);
	for (int w = 0; w < 3; w++) {
		double scan = union_value(r.out, "ipv4", "scan", windows[w], "\"sources\":");
		double all = union_value(r.out, "all", "all", windows[w], "\"sources\":");
		double sum = union_value(r.out, "all", "all", windows[w], "\"sum_of_sensors\":");

		cr_expect_leq(fabs(scan - 5000), 3 * STD_ERROR * 5000,
			      "%s: union of scan sources %.0f, want 5000", windows[w], scan);
		cr_expect_leq(fabs(all - 5000), 3 * STD_ERROR * 5000,
			      "%s: union of all sources %.0f, want 5000", windows[w], all);
		cr_expect_leq(fabs(sum - 6000), 6 * STD_ERROR * 6000,
			      "%s: the sensors' own counts add up to %.0f, want 6000", windows[w],
			      sum);
		cr_expect_lt(all, 0.9 * sum, "%s: the union %.0f is not clearly below the sum %.0f",
			     windows[w], all, sum);
	}
	e2e_run_free(&r);

	/* the table names the class; a sensor that is not there fails the run */
	cr_assert_eq(e2e_runl(20000, &r, prog, "union", url[0], url[1], NULL), 0);
	cr_expect_eq(r.status, 0, "union (table): exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "ipv4   scan"), "union table:\n%s", r.out);
	e2e_run_free(&r);
	cr_assert_eq(e2e_runl(20000, &r, prog, "union", url[0], "http://127.0.0.1:1", NULL), 0);
	cr_expect_eq(r.status, 1, "union with a sensor down: exit %d", r.status);
	cr_expect(strstr(r.err, "127.0.0.1:1: cannot connect"), "%s", r.err);
	e2e_run_free(&r);
	free(prog);
}
