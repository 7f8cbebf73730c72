/* test_restart.c: end-to-end: counting never pauses across kills, restarts, status and detach. */
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
static char *scanners;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "restart setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(scanners);
}

/* The exact and nicter mixes send only to the lab's darknets: every frame
 * is darknet traffic. */
static void daemon_args(int port)
{
	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, scanners);
}

Test(restart, sigkill_then_restart_counts_n_plus_m, .init = setup, .fini = teardown,
     .timeout = 60)
{
	const uint64_t n = 50, m = 37;
	int port = e2e_free_port(), id = -1;
	double got;
	char *log;

	daemon_args(port);
	e2e_start(&dd, "sigkill");
	e2e_send_mix(&fx, scanners, "sigkill: N packets", "exact", n, 1);
	got = scrape_wait_sum(port, "darknet_packets_total", NULL, (double)n, 3000);
	cr_assert_eq(got, (double)n, "sigkill: before the kill, %.0f packets counted, want %lu",
		     got, (unsigned long)n);

	cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL, "sigkill: daemon did not die");
	cr_assert_eq(netfix_xdp_attached(&fx, &id), 1,
		     "sigkill: the program must stay attached while the daemon is down");
	e2e_send_mix(&fx, scanners, "sigkill: M packets while down", "exact", m, 2);
	e2e_sleep_ms(100);   /* the last frames through softirq */

	e2e_start(&dd, "sigkill: restart");
	got = scrape_sum(port, "darknet_packets_total", NULL);
	cr_expect_eq(got, (double)(n + m),
		     "sigkill: after the restart, darknet_packets_total sums to %.0f, want N+M = %lu",
		     got, (unsigned long)(n + m));
	log = dctl_log(&dd);
	cr_expect(strstr(log, "continuing"), "sigkill: the restarted daemon does not say it "
		  "adopted the counters; log:\n%s", log);
	free(log);
}

Test(restart, clean_restart_no_series_goes_backwards, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct scrape before, after;
	char err[512], msg[2048];
	int port = e2e_free_port(), status, bad, id = -1;

	daemon_args(port);
	e2e_start(&dd, "clean restart");
	e2e_send_mix(&fx, scanners, "clean restart: first traffic", "nicter", 5000, 3);
	scrape_wait_frames(port, 5000, 3000);
	cr_assert_eq(scrape_get(port, &before, err, sizeof(err)), 0, "clean restart: scrape: %s", err);

	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_assert_eq(status, 0, "clean restart: SIGTERM exit status %d, want 0", status);
	cr_assert_eq(netfix_xdp_attached(&fx, &id), 1,
		     "clean restart: the program must stay attached after SIGTERM");
	e2e_send_mix(&fx, scanners, "clean restart: traffic while down", "nicter", 1000, 4);
	e2e_sleep_ms(100);

	e2e_start(&dd, "clean restart: second start");
	cr_assert_eq(scrape_get(port, &after, err, sizeof(err)), 0, "clean restart: scrape: %s", err);
	bad = scrape_counters_backwards(&before.m, &after.m, msg, sizeof(msg));
	cr_expect_eq(bad, 0, "clean restart: %d counter series went backwards or vanished: %s",
		     bad, msg);
	cr_expect_eq(scrape_frames(&after.m), 6000,
		     "clean restart: %.0f frames counted over both lives, want 6000",
		     scrape_frames(&after.m));
	scrape_free(&before);
	scrape_free(&after);
}

Test(restart, status_and_detach_while_no_daemon_runs, .init = setup, .fini = teardown,
     .timeout = 60)
{
	char *prog = e2e_prog("darknet-counter");
	int port = e2e_free_port(), id = -1;
	struct e2e_run r;

	daemon_args(port);
	e2e_start(&dd, "status");
	e2e_send_mix(&fx, scanners, "status", "exact", 21, 1);
	scrape_wait_sum(port, "darknet_packets_total", NULL, 21, 3000);
	cr_assert_eq(dctl_stop(&dd, SIGTERM, 10000), 0, "status: SIGTERM exit status not 0");

	cr_assert_eq(e2e_runl(10000, &r, prog, "status", "--bpffs-dir", fx.pin_dir, (char *)NULL), 0,
		     "status: cannot run %s", prog);
	cr_expect_eq(r.status, 0, "status: exit %d:\n%s%s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, fx.if_sensor), "status: %s not listed:\n%s%s", fx.if_sensor,
		  r.out, r.err);
	cr_expect(strstr(r.out, fx.pin_dir), "status: pin path %s not shown:\n%s", fx.pin_dir, r.out);
	cr_expect(strstr(r.out, "21"), "status: the 21 packets are not shown:\n%s", r.out);
	e2e_run_free(&r);

	cr_assert_eq(e2e_runl(10000, &r, prog, "detach", "--netns", fx.ns_sensor, "--bpffs-dir",
			      fx.pin_dir, fx.if_sensor, (char *)NULL), 0, "detach: cannot run %s", prog);
	cr_expect_eq(r.status, 0, "detach: exit %d:\n%s%s", r.status, r.out, r.err);
	e2e_run_free(&r);
	cr_expect_eq(netfix_xdp_attached(&fx, &id), 0, "detach: program id %d still attached", id);
	cr_expect_eq(e2e_count_entries(fx.pin_dir), 0, "detach: pinned state left under %s",
		     fx.pin_dir);

	cr_assert_eq(e2e_runl(10000, &r, prog, "status", "--bpffs-dir", fx.pin_dir, (char *)NULL), 0,
		     "status after detach: cannot run %s", prog);
	cr_expect(!strstr(r.out, fx.if_sensor), "status after detach: %s still listed:\n%s",
		  fx.if_sensor, r.out);
	e2e_run_free(&r);
	free(prog);
}

Test(restart, detach_on_exit_leaves_nothing, .init = setup, .fini = teardown, .timeout = 60)
{
	int port = e2e_free_port(), id = -1, status;

	daemon_args(port);
	dctl_arg(&dd, "--detach-on-exit");
	e2e_start(&dd, "detach-on-exit");
	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_expect_eq(status, 0, "detach-on-exit: SIGTERM exit status %d, want 0", status);
	cr_expect_eq(netfix_xdp_attached(&fx, &id), 0,
		     "detach-on-exit: program id %d still attached", id);
	cr_expect_eq(e2e_count_entries(fx.pin_dir), 0, "detach-on-exit: pinned state left under %s",
		     fx.pin_dir);
}

/* Issue 3, self-monitoring: a program detached behind the daemon's back is
 * reported by darknet_xdp_attached (0) and once in the log. */
Test(restart, detached_behind_our_back_is_reported, .init = setup, .fini = teardown,
     .timeout = 60)
{
	int port = e2e_free_port();
	char *log;

	daemon_args(port);
	dctl_arg(&dd, "--detach-on-exit");
	e2e_start(&dd, "behind our back: start");
	cr_assert_eq(scrape_sum(port, "darknet_xdp_attached", NULL), 1,
		     "behind our back: attached at start");
	cr_assert_eq(e2e_sh("ip -n %s link set dev %s xdp off", fx.ns_sensor, fx.if_sensor), 0,
		     "behind our back: ip link set xdp off");
	cr_assert_eq(netfix_xdp_attached(&fx, NULL), 0, "behind our back: still attached");
	cr_expect_eq(scrape_sum(port, "darknet_xdp_attached", NULL), 0,
		     "behind our back: darknet_xdp_attached must drop to 0");
	e2e_sleep_ms(2500);   /* the daemon checks the attachment every second */
	log = dctl_log(&dd);
	cr_expect(strstr(log, "detached or replaced behind our back") != NULL,
		  "behind our back: no log line; log:\n%s", log);
	cr_expect_eq(e2e_count_lines(strstr(log, "behind our back") ?: ""), 1,
		     "behind our back: logged once, not every second; log:\n%s", log);
	free(log);
	dctl_stop(&dd, SIGTERM, 10000);
}
