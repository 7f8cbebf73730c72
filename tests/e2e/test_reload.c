/* test_reload.c: end-to-end: SIGHUP reloads list files; a bad file keeps the old list in force. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

static struct netfix fx;
static struct dctl dd;
static char *darknet_file, *scanner_file;
static int port;

/* Research sources of the exact mix come from the scanner list trafgen is
 * given: the same file, so they are always in the daemon's list too. */
#define SCANNERS_ALPHA "# test list\n45.2.0.0/24 alpha\n2a00:2::/32 alpha\n"
#define SCANNERS_BETA "45.2.0.0/24 beta\n2a00:2::/32 beta\n"

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "reload setup: %s", err);
	darknet_file = netfix_tmp(&fx, "darknets.txt");
	scanner_file = netfix_tmp(&fx, "scanners.txt");
	e2e_put(darknet_file, "198.51.100.0/24\n203.0.113.0/24\n");
	e2e_put(scanner_file, SCANNERS_ALPHA);
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet-file");
	dctl_arg(&dd, darknet_file);
	dctl_arg(&dd, "--scanners");
	dctl_arg(&dd, scanner_file);
	/* SIGHUP only: a timed reload would count twice */
	dctl_arg(&dd, "--reload-interval");
	dctl_arg(&dd, "0");
	cr_assert_eq(dctl_start(&dd, 10000), 0, "reload: daemon did not start (exit %d); log:\n%s",
		     dd.last_status, dctl_log(&dd));
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(darknet_file);
	free(scanner_file);
}

/* One cycle of the exact mix: 6 frames to 198.51.100.x, 8 to 203.0.113.x,
 * 7 to 2001:db8::x; one IPv4 and one IPv6 research frame. */
static void send_cycle(const char *what, double frames_before)
{
	struct tgen_result tg;

	cr_assert_eq(tgen_run(&fx, "exact", 21, 1, scanner_file, &tg), 0,
		     "%s: darknet-trafgen failed (exit %d): %s", what, tg.status, tg.err);
	tgen_free(&tg);
	scrape_wait_frames(port, frames_before + 21, 3000);
}

static double frames_now(void)
{
	struct scrape s;
	char err[256];
	double n;

	cr_assert_eq(scrape_get(port, &s, err, sizeof(err)), 0, "reload scrape: %s", err);
	n = scrape_frames(&s.m);
	scrape_free(&s);
	return n;
}

static double value(const struct scrape *s, const char *name, const char *fmt, const char *arg)
{
	char labels[256];

	snprintf(labels, sizeof(labels), fmt, fx.if_sensor, arg);
	return promx_value(&s->m, name, labels, -1);
}

#define PREFIX(s, p) value((s), "darknet_prefix_packets_total", "iface=%s,prefix=%s", (p))
#define ORG(s, o) value((s), "darknet_scanner_packets_total", "iface=%s,org=%s", (o))
#define PASSED(s) value((s), "darknet_passed_packets_total", "iface=%s,reason=%s", "not_darknet")

/* Poll until name{labels} exists (want 1) or is gone (want 0). */
static int wait_series(const char *name, const char *labels, int want)
{
	for (long long end = e2e_now_ms() + 5000; e2e_now_ms() < end; e2e_sleep_ms(50)) {
		struct scrape s;
		char err[256];
		int have = 0;

		if (!scrape_get(port, &s, err, sizeof(err)))
			have = promx_find(&s.m, name, labels) != NULL;
		scrape_free(&s);
		if (have == want)
			return 1;
	}
	return 0;
}

Test(reload, sighup_swaps_lists, .init = setup, .fini = teardown, .timeout = 60)
{
	struct scrape s;
	double t0, t1;

	e2e_scrape(port, &s, "reload start");
	cr_expect_eq(promx_value(&s.m, "darknet_list_entries", "list=darknet", -1), 2,
		     "reload start: darknet_list_entries{list=darknet}");
	cr_expect_eq(promx_value(&s.m, "darknet_list_entries", "list=scanners", -1), 2,
		     "reload start: darknet_list_entries{list=scanners}");
	cr_expect_eq(promx_value(&s.m, "darknet_config_reload_errors_total", "", -1), 0,
		     "reload start: darknet_config_reload_errors_total");
	t0 = promx_value(&s.m, "darknet_config_last_reload_success_timestamp_seconds", "", -1);
	cr_expect_gt(t0, 0, "reload start: darknet_config_last_reload_success_timestamp_seconds");
	scrape_free(&s);

	send_cycle("reload first list", 0);
	e2e_scrape(port, &s, "reload first list");
	cr_expect_eq(PREFIX(&s, "198.51.100.0/24"), 6, "reload first list: 198.51.100.0/24");
	cr_expect_eq(PREFIX(&s, "203.0.113.0/24"), 8, "reload first list: 203.0.113.0/24");
	cr_expect_eq(PASSED(&s), 7, "reload first list: IPv6 frames are not darknet yet");
	cr_expect_eq(ORG(&s, "alpha"), 1, "reload first list: research by alpha");
	scrape_free(&s);

	/* 203.0.113.0/24 out, 2001:db8::/32 in; the scanners change hands */
	e2e_sleep_ms(20);
	e2e_put(darknet_file, "198.51.100.0/24\n2001:db8::/32\n");
	e2e_put(scanner_file, SCANNERS_BETA);
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "reload: SIGHUP");
	cr_assert(wait_series("darknet_prefix_addresses", "prefix=2001:db8::/32", 1),
		  "reload: the new prefix 2001:db8::/32 did not appear after SIGHUP; log:\n%s",
		  dctl_log(&dd));
	e2e_scrape(port, &s, "reload second list");
	cr_expect(!promx_find(&s.m, "darknet_prefix_addresses", "prefix=203.0.113.0/24"),
		  "reload second list: darknet_prefix_addresses of the removed 203.0.113.0/24 is still there");
	cr_expect_eq(PREFIX(&s, "203.0.113.0/24"), -1,
		     "reload second list: darknet_prefix_packets_total of the removed 203.0.113.0/24 is still there");
	cr_expect_eq(promx_value(&s.m, "darknet_config_reload_errors_total", "", -1), 0,
		     "reload second list: darknet_config_reload_errors_total");
	t1 = promx_value(&s.m, "darknet_config_last_reload_success_timestamp_seconds", "", -1);
	cr_expect_gt(t1, t0, "reload second list: last reload success timestamp did not move");
	cr_expect_eq(promx_value(&s.m, "darknet_list_entries", "list=darknet", -1), 2,
		     "reload second list: darknet_list_entries{list=darknet}");
	scrape_free(&s);

	send_cycle("reload second list", 21);
	e2e_scrape(port, &s, "reload second list traffic");
	cr_expect_eq(PREFIX(&s, "198.51.100.0/24"), 12,
		     "reload second list: 198.51.100.0/24 continues (6 + 6)");
	cr_expect_eq(PREFIX(&s, "2001:db8::/32"), 7, "reload second list: 2001:db8::/32");
	cr_expect_eq(PASSED(&s), 7 + 8, "reload second list: 203.0.113.x is no longer darknet");
	cr_expect_eq(ORG(&s, "beta"), 2, "reload second list: research by beta (IPv4 and IPv6)");
	scrape_free(&s);
}

Test(reload, bad_file_keeps_old_list, .init = setup, .fini = teardown, .timeout = 60)
{
	struct scrape s;
	char needle[300], *log;
	double t0;

	e2e_scrape(port, &s, "bad reload start");
	t0 = promx_value(&s.m, "darknet_config_last_reload_success_timestamp_seconds", "", -1);
	scrape_free(&s);
	send_cycle("bad reload before", 0);

	/* line 3 does not parse */
	e2e_put(darknet_file, "198.51.100.0/24\n2001:db8::/32\n203.0.113.0/2x4\n");
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "bad reload: SIGHUP");
	cr_assert(scrape_wait_sum(port, "darknet_config_reload_errors_total", NULL, 1, 5000) == 1,
		  "bad reload: darknet_config_reload_errors_total is not 1; log:\n%s", dctl_log(&dd));
	log = dctl_log(&dd);
	snprintf(needle, sizeof(needle), "%s:3:", darknet_file);
	cr_expect(strstr(log, needle), "bad reload: the log does not say '%s':\n%s", needle, log);
	free(log);

	e2e_scrape(port, &s, "bad reload after");
	cr_expect(promx_find(&s.m, "darknet_prefix_addresses", "prefix=203.0.113.0/24"),
		  "bad reload: the old prefix 203.0.113.0/24 is gone");
	cr_expect(!promx_find(&s.m, "darknet_prefix_addresses", "prefix=2001:db8::/32"),
		  "bad reload: 2001:db8::/32 of the bad file was installed");
	cr_expect_eq(promx_value(&s.m, "darknet_list_entries", "list=darknet", -1), 2,
		     "bad reload: darknet_list_entries{list=darknet}");
	cr_expect_eq(promx_value(&s.m, "darknet_config_last_reload_success_timestamp_seconds", "", -1),
		     t0, "bad reload: last reload success timestamp moved");
	scrape_free(&s);

	/* the old list still counts */
	send_cycle("bad reload traffic", frames_now());
	e2e_scrape(port, &s, "bad reload traffic");
	cr_expect_eq(PREFIX(&s, "198.51.100.0/24"), 12, "bad reload traffic: 198.51.100.0/24");
	cr_expect_eq(PREFIX(&s, "203.0.113.0/24"), 16, "bad reload traffic: 203.0.113.0/24");
	cr_expect_eq(PASSED(&s), 14, "bad reload traffic: IPv6 still not darknet");
	cr_expect_eq(ORG(&s, "alpha"), 2, "bad reload traffic: research by alpha");
	scrape_free(&s);

	/* a bad scanner file (the darknet file good again) is refused the same way */
	e2e_put(darknet_file, "198.51.100.0/24\n203.0.113.0/24\n");
	e2e_put(scanner_file, "45.2.0.0/33 gamma\n");
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "bad scanner reload: SIGHUP");
	cr_expect(scrape_wait_sum(port, "darknet_config_reload_errors_total", NULL, 2, 5000) == 2,
		  "bad scanner reload: darknet_config_reload_errors_total is not 2");
	log = dctl_log(&dd);
	snprintf(needle, sizeof(needle), "%s:1:", scanner_file);
	cr_expect(strstr(log, needle), "bad scanner reload: the log does not say '%s':\n%s",
		  needle, log);
	free(log);
	e2e_scrape(port, &s, "bad scanner reload");
	cr_expect_eq(promx_value(&s.m, "darknet_list_entries", "list=scanners", -1), 2,
		     "bad scanner reload: darknet_list_entries{list=scanners}");
	scrape_free(&s);
}

/* A darknet file caught empty (truncated mid-rewrite) or left with comments
 * only is a failed reload, not "every address is darknet". */
Test(reload, empty_darknet_file_keeps_old_list, .init = setup, .fini = teardown, .timeout = 60)
{
	static const char *const texts[] = { "", "# being rewritten\n\n" };
	struct scrape s;
	char needle[300], *log;

	snprintf(needle, sizeof(needle), "%s: no darknet prefix in it", darknet_file);
	for (int i = 0; i < 2; i++) {
		e2e_put(darknet_file, texts[i]);
		cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "empty reload: SIGHUP");
		cr_assert(scrape_wait_sum(port, "darknet_config_reload_errors_total", NULL, i + 1,
					  5000) == i + 1,
			  "empty reload %d: darknet_config_reload_errors_total is not %d; log:\n%s",
			  i, i + 1, dctl_log(&dd));
	}
	log = dctl_log(&dd);
	cr_expect(strstr(log, needle), "empty reload: the log does not say '%s':\n%s", needle, log);
	free(log);
	e2e_scrape(port, &s, "empty reload after");
	cr_expect(promx_find(&s.m, "darknet_prefix_addresses", "prefix=203.0.113.0/24"),
		  "empty reload: the old prefix 203.0.113.0/24 is gone");
	cr_expect(!promx_find(&s.m, "darknet_prefix_addresses", "prefix=0.0.0.0/0"),
		  "empty reload: 0.0.0.0/0 was installed");
	scrape_free(&s);

	/* the old list still counts: IPv6 is not darknet */
	send_cycle("empty reload traffic", frames_now());
	e2e_scrape(port, &s, "empty reload traffic");
	cr_expect_eq(PREFIX(&s, "203.0.113.0/24"), 8, "empty reload traffic: 203.0.113.0/24");
	cr_expect_eq(PASSED(&s), 7, "empty reload traffic: IPv6 still not darknet");
	scrape_free(&s);
}
