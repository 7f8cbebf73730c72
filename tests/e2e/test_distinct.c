/* test_distinct.c: end-to-end: distinct sources, port sources and destinations hit through the daemon, and their windows across a SIGKILL and restart. */
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
#include "names.h"
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

#define STD_ERROR (1.04 / 64.0)   /* HyperLogLog at p = 12 (docs/distinct-sources.md) */

static struct netfix fx;
static struct dctl dd;
static char *scanners;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "distinct setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(scanners);
}

/* Sources [first, first + n): "scan" SYNs to 198.51.100.(i % 256):80 from
 * 11.0.0.0/8, or "mirai" SYNs (sequence number = destination) to
 * 203.0.113.(i % ndst):23 from 12.0.0.0/8. Neither range is a bogon or in
 * the research list, so the class is the fingerprint's. */
static void send_sources(int fd, int mirai, uint32_t first, uint32_t n, uint32_t ndst)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	uint8_t buf[FRAME_MAX];

	for (uint32_t i = first; i < first + n; i++) {
		struct frame_spec s = { .src = src, .dst = dst, .proto = IPPROTO_TCP,
					.sport = 40000 + i % 20000, .tcp_flags = TH_SYN,
					.ip_id = 1000 + i % 1000 };
		uint32_t d = mirai ? (203u << 24 | 113u << 8 | (i % ndst))
				   : (198u << 24 | 51u << 16 | 100u << 8 | (i % 256));
		uint32_t a = htonl((mirai ? 12u : 11u) << 24 | (i * 2654435761u >> 8));
		int len;

		inet_ntop(AF_INET, &a, src, sizeof(src));
		a = htonl(d);
		inet_ntop(AF_INET, &a, dst, sizeof(dst));
		s.dport = mirai ? 23 : 80;
		s.seq = mirai ? d : 0x5eed0000u + i;
		len = frame_build(&s, buf);
		cr_assert_gt(len, 0, "distinct: frame_build %s -> %s", src, dst);
		cr_assert_eq(inject_send(fd, buf, len, 1), 0, "distinct: send %s -> %s", src, dst);
	}
}

static double value(int port, const char *name, const char *labels)
{
	return scrape_sum(port, name, labels);
}

/* Wait until name{labels} is within 3 standard errors of want (the
 * interval in progress is not in the gauges: up to 10 s for the first
 * gauge of a check, half a second for the rest), then check it is. */
static int first_wait;

static void expect_within(int port, const char *what, const char *name, const char *labels,
			  double want, double tol)
{
	double got = -1;

	for (int t = 0; t < (first_wait ? 100 : 5); t++) {
		got = value(port, name, labels);
		if (fabs(got - want) <= tol)
			break;
		e2e_sleep_ms(100);
	}
	cr_expect_leq(fabs(got - want), tol, "%s: %s{%s} = %.0f, want %.0f (+- %.0f)", what, name,
		      labels, got, want, tol);
}

static void expect_near(int port, const char *what, const char *name, const char *labels,
			double want, int exact)
{
	expect_within(port, what, name, labels, want, exact ? 0 : 3 * STD_ERROR * want);
}

static void expect_all(int port, const char *what, double scan, double mirai, double dst1,
		       double dst2)
{
	static const char *const windows[] = { "5m", "1h", "24h" };
	char l[160];

	first_wait = 1;
	for (int w = 0; w < 3; w++) {
		snprintf(l, sizeof(l), "family=ipv4,class=scan,window=%s", windows[w]);
		expect_near(port, what, "darknet_unique_sources", l, scan, 0);
		first_wait = 0;
		snprintf(l, sizeof(l), "family=ipv4,class=mirai,window=%s", windows[w]);
		expect_near(port, what, "darknet_unique_sources", l, mirai, 0);
		snprintf(l, sizeof(l), "window=%s", windows[w]);
		expect_near(port, what, "darknet_unique_sources_all", l, scan + mirai, 0);
		snprintf(l, sizeof(l), "proto=tcp,port=80,window=%s", windows[w]);
		expect_near(port, what, "darknet_port_unique_sources", l, scan, 0);
		snprintf(l, sizeof(l), "proto=tcp,port=23,window=%s", windows[w]);
		expect_near(port, what, "darknet_port_unique_sources", l, mirai, 0);
		snprintf(l, sizeof(l), "prefix=198.51.100.0/24,window=%s", windows[w]);
		expect_near(port, what, "darknet_unique_destinations", l, dst1, 1);
		snprintf(l, sizeof(l), "prefix=203.0.113.0/24,window=%s", windows[w]);
		expect_near(port, what, "darknet_unique_destinations", l, dst2, 1);
	}
}

/* 3,000 scan and 1,500 mirai sources; then, with the daemon SIGKILLed,
 * 1,000 new scan sources and 500 old ones again, and 500 new mirai
 * sources to 50 more destinations. The restarted daemon's windows hold
 * both: 4,000 and 2,000 sources, 256 and 250 destinations. */
Test(distinct, counts_and_windows_survive_sigkill, .init = setup, .fini = teardown,
     .timeout = 120)
{
	int port = e2e_free_port(), fd;

	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--distinct-interval");
	dctl_arg(&dd, "2");
	dctl_arg(&dd, "--watch-ports");
	dctl_arg(&dd, "23,80");
	e2e_start(&dd, "distinct");
	fd = inject_open(&fx);
	cr_assert_geq(fd, 0, "distinct: inject_open");
	/* a port gets its sketch at the first rotation after it has a series */
	e2e_sleep_ms(2500);
	send_sources(fd, 0, 0, 3000, 0);
	send_sources(fd, 1, 0, 1500, 200);
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, 4500, 5000), 4500,
		     "distinct: not every frame was counted");
	cr_expect_eq(value(port, "darknet_packets_total", "class=mirai"), 1500,
		     "distinct: the mirai frames got another class");
	expect_all(port, "before the kill", 3000, 1500, 256, 200);
	/* the first sources are intervals old by the kill: only a pinned
	 * history still has them after the restart */
	e2e_sleep_ms(5000);
	cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL, "distinct: daemon did not die");
	send_sources(fd, 0, 2500, 1500, 0);
	send_sources(fd, 1, 1500, 500, 250);
	close(fd);
	e2e_start(&dd, "distinct: restart");
	expect_all(port, "after the restart", 4000, 2000, 256, 250);
}

/* The nicter mix from 2,000 sources per family (darknet-trafgen --sources):
 * every class's and every watched port's estimate over 5 minutes is within
 * 3 standard errors of the exact count the generator printed, plus 1 for
 * the classes with a handful of sources. */
Test(distinct, trafgen_sources_match_its_truth, .init = setup, .fini = teardown, .timeout = 120)
{
	static const unsigned int watched[] = { 22, 23, 80, 445, 2323 };
	int port = e2e_free_port();
	struct tgen_result tg;
	char l[160];
	uint64_t v4 = 0;

	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--distinct-interval");
	dctl_arg(&dd, "2");
	dctl_arg(&dd, "--watch-ports");
	dctl_arg(&dd, "22,23,80,445,2323");
	e2e_start(&dd, "distinct sources");
	/* a port gets its sketch at the first rotation after it has a series */
	e2e_sleep_ms(2500);
	cr_assert_eq(tgen_run_sources(&fx, "nicter", 20000, 5, scanners, 2000, &tg), 0,
		     "distinct sources: trafgen exit %d: %s", tg.status, tg.err ? tg.err : "");
	cr_assert_eq(scrape_wait_sum(port, "darknet_packets_total", NULL, 20000, 10000), 20000,
		     "distinct sources: not every frame was counted");
	first_wait = 1;
	for (unsigned int f = 0; f < DN_FAMILY_MAX; f++)
		for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
			double want = (double)tgen_sources(&tg, names_family(f), names_class(c));

			v4 += f == DN_FAMILY_IPV4 ? (uint64_t)want : 0;
			snprintf(l, sizeof(l), "family=%s,class=%s,window=5m", names_family(f),
				 names_class(c));
			expect_within(port, "trafgen sources", "darknet_unique_sources", l, want,
				      3 * STD_ERROR * want + 1);
			first_wait = 0;
		}
	/* the truth is not trivially zero: the public pool alone feeds six classes */
	cr_assert_gt(v4, 2000, "distinct sources: IPv4 classes sum to %llu",
		     (unsigned long long)v4);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		double want = (double)tgen_port_sources(&tg, "tcp", watched[i]);

		cr_expect_gt(want, 0, "distinct sources: no truth for tcp port %u", watched[i]);
		snprintf(l, sizeof(l), "proto=tcp,port=%u,window=5m", watched[i]);
		expect_within(port, "trafgen sources", "darknet_port_unique_sources", l, want,
			      3 * STD_ERROR * want + 1);
	}
	tgen_free(&tg);
}

/* Out-of-range interval and precision are refused with the reason. */
Test(distinct, interval_out_of_range_refused, .init = setup, .fini = teardown, .timeout = 30)
{
	static const char *const bad[] = { "0", "7", "600", "x" };
	int port = e2e_free_port();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *log;

		dctl_init(&dd, &fx, port);
		dctl_lab_lists(&dd, scanners);
		dctl_arg(&dd, "--distinct-interval");
		dctl_arg(&dd, bad[i]);
		cr_assert_neq(dctl_start(&dd, 5000), 0, "--distinct-interval %s accepted", bad[i]);
		cr_expect_eq(dd.last_status, 2, "--distinct-interval %s: exit %d, want 2", bad[i],
			     dd.last_status);
		log = dctl_log(&dd);
		cr_expect(strstr(log, "distinct-interval"), "--distinct-interval %s: the message "
			  "does not name the option:\n%s", bad[i], log);
		free(log);
		dctl_free(&dd);
	}
}
