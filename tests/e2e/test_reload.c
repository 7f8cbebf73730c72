/* test_reload.c: end-to-end: SIGHUP reloads list files; a bad file keeps the old list in force. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

#define BIG_SCANNERS 600000

/* A scanner list big enough that a reload takes a while. */
static void write_big_scanners(const char *path)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "big list: cannot write %s", path);
	for (unsigned int i = 0; i < BIG_SCANNERS; i++)
		fprintf(f, "100.%u.%u.%u/32 big\n", 64 + (i >> 16), (i >> 8) & 255, i & 255);
	fclose(f);
}

/* A list file that changes while a SIGHUP reload runs (after it was read)
 * is reloaded at the next periodic check: the modification times that
 * count as "seen" are those taken before the reload read the files. */
Test(reload, change_during_a_sighup_reload_is_picked_up, .timeout = 180)
{
	char *dfile, *sfile, *log, want[128];
	int attempt, inconclusive = 1;

	cr_assert_eq(netfix_setup(&fx, want, sizeof(want)), 0, "reload race setup: %s", want);
	dfile = netfix_tmp(&fx, "darknets.txt");
	sfile = netfix_tmp(&fx, "scanners.txt");
	write_big_scanners(sfile);
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet-file");
	dctl_arg(&dd, dfile);
	dctl_arg(&dd, "--scanners");
	dctl_arg(&dd, sfile);
	dctl_arg(&dd, "--reload-interval");
	dctl_arg(&dd, "1");
	for (attempt = 1; attempt <= 3 && inconclusive; attempt++) {
		long long t0;

		e2e_put(dfile, "198.51.100.0/24\n");
		cr_assert_eq(dctl_start(&dd, 60000), 0, "reload race: daemon did not start; log:\n%s",
			     dctl_log(&dd));
		t0 = e2e_now_ms();
		cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "reload race: SIGHUP");
		e2e_sleep_ms(150);   /* the darknet file is read first, the big list after */
		e2e_put(dfile, "198.51.100.0/24\n203.0.113.0/24\n");
		/* the SIGHUP reload must have read the old file for the test to
		 * mean anything; a slow machine may start it late: try again */
		while (e2e_now_ms() - t0 < 30000) {
			log = dctl_log(&dd);
			inconclusive = strstr(log, "reloaded lists (SIGHUP): 2 darknet") != NULL;
			if (inconclusive || strstr(log, "reloaded lists (SIGHUP): 1 darknet")) {
				free(log);
				break;
			}
			free(log);
			e2e_sleep_ms(50);
		}
		if (!inconclusive)
			cr_expect(scrape_wait_sum(port, "darknet_list_entries", "list=darknet", 2,
						  8000) == 2,
				  "reload race: the darknet file changed during the SIGHUP reload "
				  "was not reloaded within 8 s; log:\n%s", dctl_log(&dd));
		dctl_stop(&dd, SIGTERM, 10000);
	}
	if (inconclusive)
		cr_log_warn("reload race: every SIGHUP reload started after the change");
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(dfile);
	free(sfile);
}

/* The periodic check counts on the monotonic clock: with the daemon's wall
 * clock set back an hour (an LD_PRELOAD library, nothing else sees it), a
 * changed list file still reloads within --reload-interval. */
Test(reload, periodic_check_survives_the_clock_set_back, .timeout = 60)
{
	char *dfile, so[512], err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "clock setup: %s", err);
	snprintf(so, sizeof(so), "%s/tests/libclockshift.so", e2e_bindir());
	cr_assert_eq(access(so, R_OK), 0, "clock: %s is not built", so);
	dfile = netfix_tmp(&fx, "darknets.txt");
	e2e_put(dfile, "198.51.100.0/24\n");
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet-file");
	dctl_arg(&dd, dfile);
	dctl_arg(&dd, "--reload-interval");
	dctl_arg(&dd, "1");
	setenv("LD_PRELOAD", so, 1);
	setenv("DN_CLOCKSHIFT_AFTER", "2", 1);
	setenv("DN_CLOCKSHIFT_BACK", "3600", 1);
	cr_assert_eq(dctl_start(&dd, 10000), 0, "clock: daemon did not start; log:\n%s",
		     dctl_log(&dd));
	unsetenv("LD_PRELOAD");
	e2e_sleep_ms(3500);   /* the daemon's wall clock is an hour back now */
	e2e_put(dfile, "198.51.100.0/24\n203.0.113.0/24\n");
	cr_expect(scrape_wait_sum(port, "darknet_list_entries", "list=darknet", 2, 5000) == 2,
		  "clock: the changed darknet file was not reloaded within 5 s of a 1 s "
		  "--reload-interval with the wall clock set back; log:\n%s", dctl_log(&dd));
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(dfile);
}

static int has_prefix(const struct scrape *s, const char *iface, const char *prefix)
{
	char labels[128];

	snprintf(labels, sizeof(labels), "iface=%s,prefix=%s", iface, prefix);
	return promx_find(&s->m, "darknet_prefix_packets_total", labels) != NULL;
}

/* Two interfaces; the new darknet maps of the second cannot be created (an
 * LD_PRELOAD library fails that map creation): every interface keeps the
 * previous list, as the log says, instead of the first taking the new. */
Test(reload, failure_on_one_interface_keeps_all_on_the_old_lists, .timeout = 60)
{
	char *dfile, *arm, so[512], err[256], second[IFNAMSIZ], *log;
	const char *ifs[2];
	struct scrape s;

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "two ifaces setup: %s", err);
	snprintf(so, sizeof(so), "%s/tests/libfailmap.so", e2e_bindir());
	cr_assert_eq(access(so, R_OK), 0, "two ifaces: %s is not built", so);
	/* a second veth pair, both ends in the sensor namespace (gone with it) */
	snprintf(second, sizeof(second), "dnb%d", (int)getpid() % 1000000);
	cr_assert_eq(e2e_sh("ip -n '%s' link add '%s' type veth peer name '%sp' && "
			    "ip -n '%s' link set '%s' up && ip -n '%s' link set '%sp' up",
			    fx.ns_sensor, second, second, fx.ns_sensor, second, fx.ns_sensor,
			    second), 0, "two ifaces: second veth");
	dfile = netfix_tmp(&fx, "darknets.txt");
	arm = netfix_tmp(&fx, "fail-now");
	e2e_put(dfile, "198.51.100.0/24\n");
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet-file");
	dctl_arg(&dd, dfile);
	dctl_arg(&dd, "--reload-interval");
	dctl_arg(&dd, "0");
	dctl_arg(&dd, second);   /* first: the sensor's interface is added last */
	ifs[0] = second;
	ifs[1] = fx.if_sensor;
	setenv("LD_PRELOAD", so, 1);
	setenv("DN_FAILMAP_NAME", "darknet_v4", 1);
	setenv("DN_FAILMAP_ARM", arm, 1);
	setenv("DN_FAILMAP_SKIP", "1", 1);   /* the first interface builds its trie */
	cr_assert_eq(dctl_start(&dd, 10000), 0, "two ifaces: daemon did not start; log:\n%s",
		     dctl_log(&dd));
	unsetenv("LD_PRELOAD");

	e2e_put(dfile, "198.51.100.0/24\n203.0.113.0/24\n");
	e2e_put(arm, "");
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "two ifaces: SIGHUP");
	cr_assert(scrape_wait_sum(port, "darknet_config_reload_errors_total", NULL, 1, 5000) == 1,
		  "two ifaces: the reload did not fail; log:\n%s", dctl_log(&dd));
	log = dctl_log(&dd);
	cr_expect(strstr(log, "keeping the previous lists") && strstr(log, fx.if_sensor),
		  "two ifaces: the log does not say the lists are kept:\n%s", log);
	free(log);
	e2e_scrape(port, &s, "two ifaces after the failed reload");
	for (int i = 0; i < 2; i++) {
		cr_expect(has_prefix(&s, ifs[i], "198.51.100.0/24"), "%s lost the old list", ifs[i]);
		cr_expect(!has_prefix(&s, ifs[i], "203.0.113.0/24"),
			  "%s took the new list of a failed reload", ifs[i]);
	}
	scrape_free(&s);

	/* the library fails once: the next reload installs on both */
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "two ifaces: second SIGHUP");
	cr_assert(scrape_wait_sum(port, "darknet_list_entries", "list=darknet", 2, 5000) == 2,
		  "two ifaces: the second reload did not work; log:\n%s", dctl_log(&dd));
	e2e_scrape(port, &s, "two ifaces after the second reload");
	for (int i = 0; i < 2; i++)
		cr_expect(has_prefix(&s, ifs[i], "203.0.113.0/24"), "%s: new list", ifs[i]);
	scrape_free(&s);
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(dfile);
	free(arm);
}
