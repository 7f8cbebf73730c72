/* test_geo_files.c: end-to-end: the daemon loads --geo-country / --geo-asn, refuses a bad file at start, keeps the old tables on a bad reload. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "darknet_geo.h"
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

static struct netfix fx;
static struct dctl dd;
static char *cc4, *cc6, *asn4, both[1024];
static int port;
static struct e2e_child tgen;   /* traffic left running by a failed test */

#define CC4 "10.0.0.7,10.0.0.130,DE\n10.0.0.131,10.0.3.9,NL\n"
#define CC6 "2001:db8:100::,2001:db8:100:ffff:ffff:ffff:ffff:ffff,JP\n"
#define ASN4 "10.0.0.0,10.0.0.255,64500,\"Example, Inc.\"\n"

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "geo setup: %s", err);
	cc4 = netfix_tmp(&fx, "country-ipv4.csv");
	cc6 = netfix_tmp(&fx, "country-ipv6.csv");
	asn4 = netfix_tmp(&fx, "asn-ipv4.csv");
	e2e_put(cc4, CC4);
	e2e_put(cc6, CC6);
	e2e_put(asn4, ASN4);
	snprintf(both, sizeof(both), "%s,%s", cc4, cc6);
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet");
	dctl_arg(&dd, "198.51.100.0/24");
	dctl_arg(&dd, "--geo-country");
	dctl_arg(&dd, both);
	dctl_arg(&dd, "--geo-asn");
	dctl_arg(&dd, asn4);
	dctl_arg(&dd, "--watch-asns");
	dctl_arg(&dd, "64500");
	dctl_arg(&dd, "--reload-interval");
	dctl_arg(&dd, "0");
}

static void teardown(void)
{
	struct e2e_run r;

	if (tgen.pid && !e2e_finish(&tgen, SIGKILL, 5000, &r))
		e2e_run_free(&r);
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(cc4);
	free(cc6);
	free(asn4);
}

static double info(const struct scrape *s, const char *kind, const char *file, int ranges)
{
	char labels[1200];

	snprintf(labels, sizeof(labels), "kind=%s,file=%s,ranges=%d", kind, file, ranges);
	return promx_value(&s->m, "darknet_geo_database_info", labels, -1);
}

Test(geo_files, loads_and_reloads, .init = setup, .fini = teardown, .timeout = 60)
{
	struct scrape s;
	char needle[600], *log;
	double v4;

	cr_assert_eq(dctl_start(&dd, 10000), 0, "geo: daemon did not start (exit %d); log:\n%s",
		     dd.last_status, dctl_log(&dd));
	e2e_scrape(port, &s, "geo start");
	cr_expect_eq(info(&s, "country", cc4, 2), 1, "geo start: country IPv4 file");
	cr_expect_eq(info(&s, "country", cc6, 1), 1, "geo start: country IPv6 file");
	cr_expect_eq(info(&s, "asn", asn4, 1), 1, "geo start: asn file");
	snprintf(needle, sizeof(needle), "kind=asn,file=%s", asn4);
	cr_expect_gt(promx_value(&s.m, "darknet_geo_database_timestamp_seconds", needle, -1), 1e9,
		     "geo start: the asn file's mtime");
	/* the /16 directory (256 rows of 1 KiB), 10.0's mixed row and the
	 * split 10.0.0.0/24 and 10.0.3.0/24 (include/darknet_geo.h): map
	 * memory is at least their values, and far from a full table */
	v4 = promx_value(&s.m, "darknet_geo_table_bytes", "family=ipv4", -1);
	cr_expect(v4 >= (DN_GEO_V4_DIR_ROWS + 3) * 1024 && v4 < 4 << 20,
		  "geo start: IPv4 table memory %.0f bytes", v4);
	/* a watched AS has a series from the start: its name beside it */
	cr_expect(promx_has_line(&s.m, "darknet_asn_info{asn=\"64500\",name=\"Example, Inc.\"} 1"),
		  "geo start: darknet_asn_info of the watched AS 64500");
	scrape_free(&s);

	/* a bad reload: line 2 names no country; the old tables stay */
	e2e_put(cc4, "10.0.0.7,10.0.0.130,DE\n10.0.0.131,10.0.3.9,QQ\n10.0.4.0,10.0.4.255,FR\n");
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0);
	cr_assert(scrape_wait_sum(port, "darknet_config_reload_errors_total", NULL, 1, 5000) == 1,
		  "geo bad reload: darknet_config_reload_errors_total is not 1; log:\n%s",
		  dctl_log(&dd));
	log = dctl_log(&dd);
	snprintf(needle, sizeof(needle), "--geo-country %s:2: unknown country code 'QQ'", cc4);
	cr_expect(strstr(log, needle), "geo bad reload: the log does not say '%s':\n%s", needle, log);
	free(log);
	e2e_scrape(port, &s, "geo bad reload");
	cr_expect_eq(info(&s, "country", cc4, 2), 1, "geo bad reload: the old country table went");
	scrape_free(&s);

	/* a good one takes */
	e2e_put(cc4, "10.0.0.7,10.0.0.130,DE\n10.0.0.131,10.0.3.9,NL\n10.0.4.0,10.0.4.255,FR\n");
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0);
	for (long long end = e2e_now_ms() + 5000; e2e_now_ms() < end; e2e_sleep_ms(50)) {
		struct scrape t;
		char why[256];
		double have = -1;

		if (!scrape_get(port, &t, why, sizeof(why)))
			have = info(&t, "country", cc4, 3);
		scrape_free(&t);
		if (have == 1)
			break;
	}
	e2e_scrape(port, &s, "geo reload");
	cr_expect_eq(info(&s, "country", cc4, 3), 1,
		     "geo reload: the new file (3 ranges) is not in force; log:\n%s", dctl_log(&dd));
	cr_expect_eq(promx_value(&s.m, "darknet_config_reload_errors_total", "", -1), 1);
	scrape_free(&s);
}

Test(geo_files, bad_file_refused_at_start, .init = setup, .fini = teardown, .timeout = 60)
{
	char needle[600], *log;

	e2e_put(cc6, "2001:db8:100::,2001:db8:100::ff,JP\n10.9.0.0,10.9.0.255,JP\n");
	cr_assert_neq(dctl_start(&dd, 10000), 0, "geo: the daemon started with a bad file");
	log = dctl_log(&dd);
	snprintf(needle, sizeof(needle), "--geo-country %s:2: IPv4 range in an IPv6 file (line 1 is IPv6)", cc6);
	cr_expect(strstr(log, needle), "geo bad start: the log does not say '%s':\n%s", needle, log);
	free(log);
}

/* Two country files that split the IPv4 space between other countries:
 * every source has a country in both, so a packet counted while either
 * table is in force shows up under one of that file's two countries. */
#define HALVES_A "0.0.0.0,127.255.255.255,DE\n128.0.0.0,255.255.255.255,FR\n"
#define HALVES_B "0.0.0.0,127.255.255.255,NL\n128.0.0.0,255.255.255.255,JP\n"

/* As an operator replaces a database: written beside it, renamed over it
 * (a reload may read the file at any moment: never half written). */
static void put_atomic(const char *path, const char *text)
{
	char tmp[1100];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	e2e_put(tmp, text);
	cr_assert_eq(rename(tmp, path), 0, "rename %s: %s", tmp, strerror(errno));
}

static double country_sum(const struct scrape *s, const char *cc)
{
	char labels[32];
	double v = 0;

	snprintf(labels, sizeof(labels), "country=%s", cc);
	promx_match(&s->m, "darknet_country_packets_total", labels, &v);
	return v;
}

/* A reload puts a new table in the program's slot in one step (docs/geo.md):
 * under traffic, with the tables swapped every 100 ms, every packet is
 * counted once, under a country of the table in force when it came. */
Test(geo_files, reloads_under_traffic_count_every_packet, .init = setup, .fini = teardown,
     .timeout = 90)
{
	struct tgen_result sent;
	struct scrape s;
	double darknet = 0, countries = 0, frames, a, b;
	int running, ret, reloads, swaps = 0;
	char *log, *p;

	e2e_put(cc4, HALVES_A);
	cr_assert_eq(dctl_start(&dd, 10000), 0, "geo: daemon did not start (exit %d); log:\n%s",
		     dd.last_status, dctl_log(&dd));
	ret = tgen_start(&fx, "nicter", 7, NULL, 20000, 30, &tgen);
	cr_assert_eq(ret, 0, "geo reload under traffic: cannot start trafgen: %s", strerror(-ret));
	e2e_sleep_ms(300);
	for (long long end = e2e_now_ms() + 4000; e2e_now_ms() < end; swaps++) {
		put_atomic(cc4, swaps % 2 ? HALVES_A : HALVES_B);
		cr_assert_eq(dctl_signal(&dd, SIGHUP), 0);
		e2e_sleep_ms(100);
	}
	e2e_sleep_ms(300);
	ret = tgen_stop(&tgen, &running, &sent);
	cr_assert_eq(ret, 0, "geo reload under traffic: trafgen failed (exit %d): %s", sent.status,
		     sent.err);
	cr_expect(running, "geo reload under traffic: the traffic ended before the reloads did");
	frames = scrape_wait_frames(port, (double)sent.packets, 5000);
	cr_expect_eq(frames, (double)sent.packets, "geo reload under traffic: %.0f frames "
		     "counted of %lu sent", frames, (unsigned long)sent.packets);
	e2e_scrape(port, &s, "geo reload under traffic");
	promx_match(&s.m, "darknet_packets_total", NULL, &darknet);
	promx_match(&s.m, "darknet_country_packets_total", NULL, &countries);
	a = country_sum(&s, "DE") + country_sum(&s, "FR");
	b = country_sum(&s, "NL") + country_sum(&s, "JP");
	cr_expect_gt(darknet, 0, "geo reload under traffic: no darknet packet counted");
	cr_expect_eq(countries, darknet, "geo reload under traffic: the countries sum to %.0f, "
		     "darknet_packets_total to %.0f (%lu frames sent)", countries, darknet,
		     (unsigned long)sent.packets);
	cr_expect(a > 0 && b > 0, "geo reload under traffic: file A counted %.0f, file B %.0f: "
		  "both were in force in turn", a, b);
	cr_expect_eq(promx_value(&s.m, "darknet_config_reload_errors_total", "", -1), 0,
		     "geo reload under traffic: a reload failed; log:\n%s", dctl_log(&dd));
	scrape_free(&s);
	tgen_free(&sent);
	log = dctl_log(&dd);
	for (reloads = 0, p = log; (p = strstr(p, "reloaded the geo databases")); p++)
		reloads++;
	/* SIGHUPs that come during a reload are one more reload, not each
	 * one (a sanitized daemon took 12 for 40): what matters is that the
	 * tables changed under traffic, which both files' countries show */
	cr_expect_geq(reloads, 4, "geo reload under traffic: %d reloads of %d SIGHUPs",
		      reloads, swaps);
	cr_log_info("geo reload under traffic: %d SIGHUPs, %d reloads, %.0f darknet packets "
		    "(%.0f under file A, %.0f under B)\n", swaps, reloads, darknet, a, b);
	free(log);
}
