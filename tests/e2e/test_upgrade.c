/* test_upgrade.c: end-to-end: an incompatible pinned layout is refused; a restart swaps the program with no packet lost. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpffs.h"
#include "cpu_blocks.h"
#include "darknet_counter.h"
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

static struct netfix fx;
static struct dctl dd;
static char *scanners;
static int mport;
static struct e2e_child tgen;      /* traffic left running by a failed test */

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "upgrade setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
	mport = e2e_free_port();
	dctl_init(&dd, &fx, mport);
	dctl_lab_lists(&dd, scanners);
}

static void teardown(void)
{
	struct e2e_run r;

	if (tgen.pid && !e2e_finish(&tgen, SIGKILL, 5000, &r))
		e2e_run_free(&r);
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(scanners);
}

/* Packets in the pinned class_counters of our interface (every key, every
 * CPU's block), read straight from bpffs as any tool could; -1 on error. */
static double pinned_packets(const char *dir)
{
	static struct dn_count v[DN_CLASS_KEYS];
	char path[512];
	double total = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/class_counters", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	err = cpu_blocks_read(fd, DN_CLASS_CPU_KEYS, DN_CLASS_KEYS, sizeof(struct dn_count), v);
	close(fd);
	if (err)
		return -1;
	for (__u32 k = 0; k < DN_CLASS_KEYS; k++)
		total += (double)v[k].packets;
	return total;
}

static double wait_pinned_packets(const char *dir, double target, int timeout_ms)
{
	long long deadline = e2e_now_ms() + timeout_ms;
	double n;

	while ((n = pinned_packets(dir)) < target && e2e_now_ms() < deadline)
		e2e_sleep_ms(50);
	return n;
}

Test(upgrade, incompatible_pinned_layout_refused, .init = setup, .fini = teardown,
     .timeout = 60)
{
	const char *what = "incompatible_pinned_layout_refused";
	char dir[512], path[600], *log, *prog = e2e_prog("darknet-counter");
	int id0 = -1, id = -1, fd, status;
	struct e2e_run r;
	double n;

	/* a predecessor counted 100 packets and exited, leaving its state */
	e2e_start(&dd, what);
	e2e_send_mix(&fx, scanners, "incompatible layout: first traffic", "single", 100, 1);
	n = scrape_wait_frames(mport, 100, 3000);
	cr_assert_eq(n, 100, "incompatible layout: %.0f frames counted, want 100", n);
	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_assert_eq(status, 0, "incompatible layout: SIGTERM exit status %d, want 0", status);
	cr_assert_eq(netfix_xdp_attached(&fx, &id0), 1,
		     "incompatible layout: the program must stay attached after SIGTERM");

	/* another build's tcp_port_high: same name, 32-byte values */
	bpffs_iface_dir(dir, sizeof(dir), fx.pin_dir, fx.if_sensor, fx.ns_sensor);
	snprintf(path, sizeof(path), "%s/tcp_port_high", dir);
	cr_assert_eq(access(path, F_OK), 0, "incompatible layout: %s is not pinned", path);
	cr_assert_eq(unlink(path), 0, "incompatible layout: cannot remove %s", path);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "tcp_port_high", sizeof(__u32), 32,
			    DN_PORT_KEYS, NULL);
	cr_assert_geq(fd, 0, "incompatible layout: bpf_map_create: %s", strerror(-fd));
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "incompatible layout: bpf_obj_pin %s", path);
	close(fd);

	/* the new daemon refuses, says which map and how to resolve it */
	cr_assert_neq(dctl_start(&dd, 10000), 0,
		      "incompatible layout: the daemon started on an incompatible pinned map");
	cr_expect(dd.last_status != 0 && dd.last_status < 128,
		  "incompatible layout: exit status %d, want an error exit (1..127)", dd.last_status);
	log = dctl_log(&dd);
	cr_expect(strstr(log, "tcp_port_high"), "incompatible layout: the message does not "
		  "name the map tcp_port_high; log:\n%s", log);
	cr_expect(strstr(log, "darknet-counter detach"), "incompatible layout: the message does "
		  "not tell to run 'darknet-counter detach'; log:\n%s", log);
	free(log);

	/* ... and leaves the old program attached, counting into its maps */
	cr_expect_eq(netfix_xdp_attached(&fx, &id), 1,
		     "incompatible layout: the old program was detached by a refused start");
	cr_expect_eq(id, id0, "incompatible layout: program id %d attached, the old one was %d",
		     id, id0);
	cr_expect_eq(access(path, F_OK), 0, "incompatible layout: %s unpinned by a refused start",
		     path);
	e2e_send_mix(&fx, scanners, "incompatible layout: traffic after the refusal", "single", 50, 2);
	n = wait_pinned_packets(dir, 150, 3000);
	cr_expect_eq(n, 150, "incompatible layout: pinned class_counters hold %.0f packets after "
		     "the refusal, want 100 + 50: the old program must keep counting", n);

	/* the resolution the message names works */
	cr_assert_eq(e2e_runl(10000, &r, prog, "detach", "--netns", fx.ns_sensor, "--bpffs-dir",
			      fx.pin_dir, fx.if_sensor, (char *)NULL), 0,
		     "incompatible layout: cannot run %s detach", prog);
	cr_expect_eq(r.status, 0, "incompatible layout: detach exit %d:\n%s%s", r.status, r.out,
		     r.err);
	e2e_run_free(&r);
	free(prog);
	e2e_start(&dd, "incompatible layout: start after detach");
	e2e_send_mix(&fx, scanners, "incompatible layout: traffic after detach", "single", 10, 3);
	n = scrape_wait_frames(mport, 10, 3000);
	cr_expect_eq(n, 10, "incompatible layout: %.0f frames counted after detach and start, "
		     "want 10 (fresh state)", n);
	cr_expect_eq(netfix_xdp_attached(&fx, &id), 1, "incompatible layout: nothing attached "
		     "after detach and start");
	cr_expect_neq(id, id0, "incompatible layout: the old program %d is still attached", id0);
}

/* Traffic goes on this long before the first restart, between the two and
 * after the second is done, so that each swap happens under a steady flow. */
#define STEADY_MS 700
/* The bound on the traffic: past it trafgen stops by itself and the test
 * fails (the restarts took too long to prove anything). */
#define TRAFFIC_MAX_S 45

static void restart(const char *what, int *id)
{
	int status, prev = *id;

	status = dctl_stop(&dd, SIGTERM, 10000);
	cr_assert_eq(status, 0, "%s: SIGTERM exit status %d, want 0", what, status);
	e2e_start(&dd, what);
	cr_assert_eq(netfix_xdp_attached(&fx, id), 1, "%s: no program attached", what);
	cr_expect_neq(*id, prev, "%s: program id %d still attached: no new program replaced it",
		      what, prev);
}

Test(upgrade, restart_swaps_program_atomically, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct tgen_result sent;
	struct scrape s;
	char err[512], labels[256];
	double got, want_bytes = 0, bytes;
	int id = -1, id0, running, ret;

	e2e_start(&dd, "atomic swap: first start");
	cr_assert_eq(netfix_xdp_attached(&fx, &id), 1, "atomic swap: no program attached");
	id0 = id;
	/* 25,000 pps until stopped: however long the restarts take under load,
	 * the traffic outlasts the second one */
	ret = tgen_start(&fx, "nicter", 71, scanners, 25000, TRAFFIC_MAX_S, &tgen);
	cr_assert_eq(ret, 0, "atomic swap: cannot start trafgen: %s", strerror(-ret));
	e2e_sleep_ms(STEADY_MS);
	restart("atomic swap: restart 1", &id);
	e2e_sleep_ms(STEADY_MS);
	restart("atomic swap: restart 2", &id);
	e2e_sleep_ms(STEADY_MS);
	ret = tgen_stop(&tgen, &running, &sent);
	cr_expect(running, "atomic swap: the traffic ended before the second restart was done "
		  "(bound %d s); the test proves less", TRAFFIC_MAX_S);
	cr_assert_eq(ret, 0, "atomic swap: trafgen failed (exit %d): %s", sent.status, sent.err);
	cr_expect_neq(id, id0, "atomic swap: the first program %d is still attached", id0);

	got = scrape_wait_frames(mport, (double)sent.packets, 5000);
	e2e_sleep_ms(200);   /* anything beyond would show up now */
	cr_assert_eq(scrape_get(mport, &s, err, sizeof(err)), 0, "atomic swap: scrape: %s", err);
	got = scrape_frames(&s.m);
	cr_expect_eq(got, (double)sent.packets, "atomic swap: %.0f frames counted over two "
		     "restarts, trafgen sent %lu", got, (unsigned long)sent.packets);
	for (size_t i = 0; i < sent.n; i++) {
		const struct tgen_series *t = &sent.s[i];

		snprintf(labels, sizeof(labels), "iface=%s,family=%s,proto=%s,class=%s",
			 fx.if_sensor, t->family, t->proto, t->cls);
		got = promx_value(&s.m, "darknet_packets_total", labels, 0);
		cr_expect_eq(got, (double)t->packets, "atomic swap: darknet_packets_total{%s} is "
			     "%.0f, trafgen sent %lu", labels, got, (unsigned long)t->packets);
		want_bytes += (double)t->bytes;
	}
	promx_match(&s.m, "darknet_bytes_total", NULL, &bytes);
	cr_expect_eq(bytes, want_bytes, "atomic swap: darknet_bytes_total sums to %.0f, trafgen "
		     "sent %.0f bytes of darknet frames", bytes, want_bytes);
	scrape_free(&s);
	tgen_free(&sent);
}
