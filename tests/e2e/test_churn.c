/* test_churn.c: end-to-end: reloads and SIGKILL restarts in the same second under traffic lose no count; reloads keep RSS flat. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array_size.h"
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

/*
 * The soak (tests/soak/soak.sh) SIGKILLs and restarts the daemon in the same
 * second as it rewrites the scanner list and sends SIGHUP; one development
 * run saw the restarted daemon's counters start near zero
 * (docs/hardening.md "Soak"). This suite does that many times in a row,
 * with traffic flowing: the kill lands at every point of a reload, and a
 * SIGHUP reaches a daemon that has only just started.
 */

static struct netfix fx;
static struct dctl dd;
static struct e2e_child tgen;      /* traffic left running by a failed test */
static char *scanners, *list_file;
static char **lines;               /* "CIDR ORG" lines of the default list */
static size_t nlines;
static int port;

/* The loop's length (DN_CHURN_SECONDS overrides it for a long hunt, with
 * the runner's --timeout raised to match) and the traffic's bound past it. */
#define LOOP_S 35
#define TRAFFIC_SLACK_S 20
#define RATE 20000
/* SIGHUP to SIGKILL (or, the other way round, readiness to SIGHUP), in
 * microseconds: from before the reload reads the files to after its
 * swap (a reload of the default list is swapped in 170 to 330 ms after
 * the SIGHUP on the shared 2-core test machine). */
static const int delays_us[] = { 0, 500, 2000, 5000, 10000, 20000, 40000, 70000, 100000,
				 140000, 190000, 250000, 350000 };

static void read_list(void)
{
	char *text = e2e_read_file(scanners, NULL), *save = NULL;

	cr_assert(text, "churn: cannot read %s", scanners);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#' || !l[0])
			continue;
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		cr_assert(lines, "churn: out of memory");
		lines[nlines++] = strdup(l);
	}
	free(text);
	cr_assert_gt(nlines, 8, "churn: %s has %zu entries", scanners, nlines);
}

/* A different valid list for each k (three quarters of the default one,
 * as the soak writes), replaced atomically by rename. */
static void write_list(unsigned int k)
{
	char *tmp = netfix_tmp(&fx, "scanners.new");
	FILE *f = fopen(tmp, "w");

	cr_assert(f, "churn: cannot write %s", tmp);
	for (size_t i = 0; i < nlines; i++)
		if ((i + 1) % 4 != k % 4)
			fprintf(f, "%s\n", lines[i]);
	cr_assert_eq(fclose(f), 0, "churn: cannot write %s", tmp);
	cr_assert_eq(rename(tmp, list_file), 0, "churn: cannot rename %s", tmp);
	free(tmp);
}

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "churn setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
	list_file = netfix_tmp(&fx, "scanners.txt");
	read_list();
	write_list(0);
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, list_file);
}

static void teardown(void)
{
	struct e2e_run r;

	if (tgen.pid && !e2e_finish(&tgen, SIGKILL, 5000, &r))
		e2e_run_free(&r);
	dctl_free(&dd);
	netfix_teardown(&fx);
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	lines = NULL;
	nlines = 0;
	free(scanners);
	free(list_file);
}

/* What is judged here is what a restart continues, not how fast it is: a
 * start on the shared 2-core machine under load took over 10 s. */
static void start(const char *what, int round)
{
	cr_assert_eq(dctl_start(&dd, 30000), 0, "churn round %d, %s: the daemon did not serve "
		     "/metrics within 30 s; log:\n%s", round, what, dctl_log(&dd));
}

static void scrape_now(struct scrape *s, const char *what, int round)
{
	char err[512];

	cr_assert_eq(scrape_get(port, s, err, sizeof(err)), 0, "churn round %d, %s: scrape: %s",
		     round, what, err);
}

/* Every series of the frame counters in before: in after, not smaller. */
static int backwards(const struct promx *before, const struct promx *after, char *msg,
		     size_t len)
{
	static const char *const names[] = { "darknet_packets_total", "darknet_bytes_total",
					     "darknet_passed_packets_total",
					     "darknet_malformed_packets_total" };
	size_t used = 0;
	int bad = 0;

	msg[0] = '\0';
	for (size_t i = 0; i < before->n; i++) {
		const struct promx_series *b = &before->s[i], *a;
		int ours = 0;

		for (size_t k = 0; k < ARRAY_SIZE(names); k++)
			ours |= !strcmp(b->name, names[k]);
		a = ours ? promx_same(after, b) : NULL;
		if (!ours || (a && a->value >= b->value))
			continue;
		if (++bad <= 4 && used < len)
			used += snprintf(msg + used, len - used, "%s%s %.0f -> %.0f", bad > 1 ? "; " : "",
					 b->key, b->value, a ? a->value : -1);
	}
	return bad;
}

/* One round: SIGHUP then SIGKILL (even rounds) or SIGKILL, start and SIGHUP
 * to the new daemon (odd rounds), delay_us apart; the counters before the
 * round against those after it. */
static void churn_round(int round, int delay_us)
{
	struct scrape before, after;
	char msg[2048];
	int bad;

	scrape_now(&before, "before", round);
	write_list((unsigned int)round + 1);
	if (round % 2 == 0) {
		cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "churn round %d: SIGHUP", round);
		if (delay_us)
			usleep((useconds_t)delay_us);
		cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL,
			     "churn round %d: the daemon did not die of SIGKILL", round);
		start("restart after SIGHUP and SIGKILL", round);
	} else {
		cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL,
			     "churn round %d: the daemon did not die of SIGKILL", round);
		start("restart, then SIGHUP", round);
		if (delay_us)
			usleep((useconds_t)delay_us);
		cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "churn round %d: SIGHUP", round);
	}
	scrape_now(&after, "after", round);
	bad = backwards(&before.m, &after.m, msg, sizeof(msg));
	if (bad) {
		char *log = dctl_log(&dd);

		cr_assert_fail("churn round %d (%s, %d us): %d frame counter series went back: %s; "
			       "log:\n%s", round, round % 2 ? "restart, SIGHUP" : "SIGHUP, SIGKILL",
			       delay_us, bad, msg, log);
	}
	scrape_free(&before);
	scrape_free(&after);
}

Test(churn, sighup_and_sigkill_in_the_same_second, .init = setup, .fini = teardown,
     .timeout = 120)
{
	const size_t ndelays = ARRAY_SIZE(delays_us);
	/* a restart takes 2 to 5 s under this load: each run starts at
	 * another delay, so that runs after runs cover them all */
	size_t first = (size_t)e2e_now_ms() % ndelays;
	struct tgen_result sent;
	struct scrape s;
	const char *env = getenv("DN_CHURN_SECONDS");
	int loop_s = env && atoi(env) > 0 ? atoi(env) : LOOP_S;
	long long end;
	int rounds = 0, running, ret, adopted;
	double got;
	char *log, *p;

	start("first start", -1);
	ret = tgen_start(&fx, "nicter", 91, scanners, RATE, loop_s + TRAFFIC_SLACK_S, &tgen);
	cr_assert_eq(ret, 0, "churn: cannot start trafgen: %s", strerror(-ret));
	e2e_sleep_ms(300);
	for (end = e2e_now_ms() + loop_s * 1000LL; e2e_now_ms() < end; rounds++)
		churn_round(rounds, delays_us[(first + (size_t)rounds / 2) % ndelays]);
	e2e_sleep_ms(300);
	ret = tgen_stop(&tgen, &running, &sent);
	cr_expect(running, "churn: the traffic ended before the last round (bound %d s)",
		  loop_s + TRAFFIC_SLACK_S);
	cr_assert_eq(ret, 0, "churn: trafgen failed (exit %d): %s", sent.status, sent.err);
	cr_expect_geq(rounds, 4, "churn: only %d rounds in %d s", rounds, loop_s);

	got = scrape_wait_frames(port, (double)sent.packets, 5000);
	e2e_sleep_ms(200);   /* anything beyond would show up now */
	scrape_now(&s, "last", rounds);
	got = 0;
	promx_match(&s.m, "darknet_packets_total", NULL, &got);
	cr_expect_eq(got, (double)sent.packets, "churn: darknet_packets_total sums to %.0f over "
		     "%d restarts, trafgen sent %lu", got, rounds, (unsigned long)sent.packets);
	scrape_free(&s);
	cr_log_info("churn: %d rounds, %lu frames\n", rounds, (unsigned long)sent.packets);
	tgen_free(&sent);

	log = dctl_log(&dd);
	for (adopted = 0, p = log; (p = strstr(p, "continuing the counters")); p++)
		adopted++;
	cr_expect_eq(adopted, rounds, "churn: %d of %d restarts said they continued the "
		     "counters; log:\n%s", adopted, rounds, log);
	cr_expect(!strstr(log, "error:"), "churn: errors in the log:\n%s", log);
	free(log);
}

static long rss_kb(pid_t pid)
{
	char path[64], *text, *p;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = e2e_read_file(path, NULL);
	p = text ? strstr(text, "VmRSS:") : NULL;
	if (p)
		kb = strtol(p + strlen("VmRSS:"), NULL, 10);
	free(text);
	return kb;
}

/* SIGHUP and wait until the reload is swapped in (its success time moves). */
static void reload_and_wait(int round)
{
	const char *name = "darknet_config_last_reload_success_timestamp_seconds";
	struct scrape s;
	double before, now = 0;
	long long deadline = e2e_now_ms() + 20000;

	scrape_now(&s, "before the reload", round);
	before = promx_value(&s.m, name, "", -1);
	scrape_free(&s);
	cr_assert_eq(dctl_signal(&dd, SIGHUP), 0, "reload %d: SIGHUP", round);
	while (e2e_now_ms() < deadline) {
		e2e_sleep_ms(50);
		scrape_now(&s, "during the reload", round);
		now = promx_value(&s.m, name, "", -1);
		scrape_free(&s);
		if (now > before)
			return;
	}
	cr_assert_fail("reload %d: not swapped in within 20 s (%s %.3f, was %.3f)", round, name,
		       now, before);
}

/* Each reload builds a 20 MiB IPv4 scanner table and frees it: glibc's
 * moving mmap threshold once kept it on the heap from the second reload
 * on, 20 MiB more RSS, and more as the heap fragmented. */
Test(churn, reloads_keep_rss_flat, .init = setup, .fini = teardown, .timeout = 120)
{
	long first, last;

#ifdef __SANITIZE_ADDRESS__
	/* the sanitized daemon's freed blocks wait in ASan's quarantine */
	cr_skip_test("reloads: RSS under AddressSanitizer is its allocator's, not glibc's");
#endif
	start("start", -1);
	reload_and_wait(0);
	first = rss_kb(dd.pid);
	for (int i = 1; i <= 8; i++) {
		write_list((unsigned int)i);
		reload_and_wait(i);
	}
	last = rss_kb(dd.pid);
	cr_assert_gt(first, 0, "reloads: no VmRSS for pid %d", (int)dd.pid);
	cr_expect_lt(last - first, 8 * 1024, "reloads: VmRSS grew from %ld kB after the first "
		     "reload to %ld kB after 8 more", first, last);
	cr_log_info("reloads: VmRSS %ld kB after the first reload, %ld kB after 8 more\n", first,
		    last);
}
