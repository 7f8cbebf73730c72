/* test_event_truth.c: end-to-end: scan campaigns and DoS victims as events, against the generator's ground truth. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/daemonctl.h"
#include "lib/evtruth.h"
#include "lib/httpc.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

/* The campaign generator's lab thresholds (its --help), given to the
 * daemon as flags: the truth is designed against exactly these. */
#define TH_ARGS "--scan-min-destinations", "100", "--scan-min-rate", "5e8", \
	"--dos-min-packets", "25", "--dos-min-duration", "2", "--dos-window", "1", \
	"--dos-min-window-packets", "30"
#define TH_SPEC "scan-min-destinations=100,scan-min-rate=5e8,dos-min-packets=25," \
	"dos-min-duration=2,dos-window=1,dos-min-window-packets=30"

static struct netfix fx;
static struct dctl dd;
static char *scanners, *events_path, *truth_path;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "events setup: %s", err);
	scanners = e2e_srcfile("deploy/research-scanners.txt");
	events_path = netfix_tmp(&fx, "events.ndjson");
	truth_path = netfix_tmp(&fx, "truth.tsv");
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(scanners);
	free(events_path);
	free(truth_path);
}

static void args(const char *const *list)
{
	for (; *list; list++)
		dctl_arg(&dd, *list);
}

/* A daemon on the lab's lists writing events to events_path, sweeping
 * every second, with the given idle timeout for both kinds of event. */
static void daemon_events(int port, const char *idle_s)
{
	const char *const a[] = { "--events-file", events_path, "--event-sweep-interval", "1",
				  "--scan-idle-timeout", idle_s, "--dos-idle-timeout", idle_s,
				  TH_ARGS, NULL };

	dctl_init(&dd, &fx, port);
	dctl_lab_lists(&dd, scanners);
	args(a);
}

/* Events in the events file (none when it does not exist yet). */
static void file_events(struct evt_event **evs, size_t *n)
{
	char *text = e2e_read_file(events_path, NULL);

	cr_assert_eq(evt_parse_events(text ? text : "", evs, n), 0, "out of memory");
	free(text);
}

/* Poll the events file until it holds want events or timeout_ms passes. */
static size_t wait_file_events(size_t want, int timeout_ms)
{
	long long end = e2e_now_ms() + timeout_ms;
	struct evt_event *evs;
	size_t n;

	for (;;) {
		file_events(&evs, &n);
		free(evs);
		if (n >= want || e2e_now_ms() >= end)
			return n;
		e2e_sleep_ms(200);
	}
}

static void api_events(int port, const char *query, struct evt_event **evs, size_t *n)
{
	struct httpc_resp r;
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/events?%s", query);
	cr_assert_eq(httpc_get("127.0.0.1", port, path, 5000, &r), 0, "GET %s failed", path);
	cr_assert_eq(r.status, 200, "GET %s: status %d: %s", path, r.status, r.body);
	cr_assert_eq(evt_parse_events(r.body, evs, n), 0);
	httpc_resp_free(&r);
}

static size_t expected(const struct evt_truth *rows, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += (size_t)rows[i].expect;
	return k;
}

/* Run a campaign to its end; its truth into rows. */
static void run_campaign(const char *spec, uint64_t seed, struct tgen_result *r,
			 struct evt_truth **rows, size_t *n)
{
	struct e2e_child c;
	char err[256];

	cr_assert_eq(tgen_campaign_start(&fx, spec, seed, scanners, truth_path, &c), 0,
		     "cannot start darknet-trafgen");
	cr_assert_eq(tgen_campaign_wait(&c, 60000, r), 0, "campaign run failed (exit %d): %s",
		     r->status, r->err ? r->err : "");
	cr_assert_eq(evt_load_truth(truth_path, rows, n, err, sizeof(err)), 0, "%s", err);
}

Test(event_truth, campaigns_and_attacks_give_exactly_the_expected_events, .init = setup,
     .fini = teardown, .timeout = 120)
{
	int port = e2e_free_port();
	struct evt_event *evs;
	struct evt_truth *rows;
	struct tgen_result r;
	size_t n, nrows, want;
	char err[4096];

	daemon_events(port, "2");
	e2e_start(&dd, "ground truth");
	run_campaign("scanners=7,slow=2,victims=3,weak=3,duration=12," TH_SPEC, 1, &r, &rows,
		     &nrows);
	want = expected(rows, nrows);
	cr_assert_eq(want, 10, "the truth file lists %zu expected events, want 7 + 3", want);
	/* idle 2 s, a sweep a second: every event is closed a few seconds
	 * after its last packet; wait past that for any extra one */
	wait_file_events(want, 20000);
	e2e_sleep_ms(4000);

	file_events(&evs, &n);
	cr_expect_eq(evt_match(rows, nrows, evs, n, err, sizeof(err)), 0,
		     "events file against the truth:\n%s", err);
	free(evs);
	api_events(port, "state=closed&limit=1000", &evs, &n);
	cr_expect_eq(evt_match(rows, nrows, evs, n, err, sizeof(err)), 0,
		     "/api/v1/events against the truth:\n%s", err);
	free(evs);
	cr_expect_eq(scrape_sum(port, "darknet_packets_total", NULL), (double)r.packets,
		     "darknet_packets_total is not what the campaign sent (%" PRIu64 ")",
		     r.packets);
	free(rows);
	tgen_free(&r);
}

/* The daemon's resident set, KiB (0 if unreadable). */
static long rss_kib(pid_t pid)
{
	char path[64], *text, *p;
	long kib = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = e2e_read_file(path, NULL);
	p = text ? strstr(text, "VmRSS:") : NULL;
	if (p)
		kib = strtol(p + 6, NULL, 10);
	free(text);
	return kib;
}

/* memlock of the daemon's LRU hash (map_type 9) of max_entries entries,
 * from its fdinfo; 0 if it holds none. */
static long long lru_memlock(pid_t pid, long entries)
{
	char path[96], want[48];
	long long memlock = 0;

	snprintf(want, sizeof(want), "max_entries:\t%ld\n", entries);
	for (int fd = 0; fd < 1024 && !memlock; fd++) {
		char *text, *p;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
		text = e2e_read_file(path, NULL);
		if (text && strstr(text, "map_type:\t9\n") && strstr(text, want) &&
		    (p = strstr(text, "memlock:\t")))
			memlock = strtoll(p + 9, NULL, 10);
		free(text);
	}
	return memlock;
}

/* Packets of class cls over both runs' series. */
static uint64_t class_packets(const struct tgen_result *a, const struct tgen_result *b,
			      const char *cls)
{
	uint64_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += strcmp(a->s[i].cls, cls) ? 0 : a->s[i].packets;
	for (size_t i = 0; i < b->n; i++)
		n += strcmp(b->s[i].cls, cls) ? 0 : b->s[i].packets;
	return n;
}

/* A flood of SYNs from random routable sources (the sweep mix: a new
 * source every packet) at FLOOD_PPS into a scan table of TABLE entries
 * replaces the whole table every TABLE / FLOOD_PPS seconds. A campaign
 * keeps its entry when its packets come closer together than that: it is
 * then always among the most recently used. Its gaps here are under a
 * quarter of it. */
#define TABLE 1024
#define FLOOD_PPS 10000
#define FLOOD_N 60000

Test(event_truth, a_flood_of_spoofed_sources_evicts_but_campaigns_and_counts_hold,
     .init = setup, .fini = teardown, .timeout = 150)
{
	const char *const a[] = { "--scan-table-entries", "1024", "--dos-table-entries", "256", NULL };
	const char *classes[] = { "scan", "zmap", "masscan", "mirai", "research", "backscatter",
				  "udp_probe", "icmp_request" };
	int port = e2e_free_port();
	struct tgen_result camp, flood;
	struct evt_truth *rows;
	struct evt_event *evs;
	struct e2e_child c;
	size_t n, nrows, want;
	double evicted, entries;
	long rss0, rss1;
	long long mem0;
	char err[4096];

	daemon_events(port, "2");
	args(a);
	e2e_start(&dd, "overload");
	rss0 = rss_kib(dd.pid);
	mem0 = lru_memlock(dd.pid, TABLE);
	cr_assert_gt(mem0, 0, "overload: the daemon holds no LRU table of %d entries", TABLE);
	cr_assert_eq(tgen_campaign_start(&fx, "scanners=3,slow=0,victims=1,weak=0,duration=8,"
					 TH_SPEC, 5, scanners, truth_path, &c), 0);
	cr_assert_eq(tgen_run_rate(&fx, "sweep", FLOOD_N, 9, scanners, FLOOD_PPS, &flood), 0,
		     "flood failed: %s", flood.err ? flood.err : "");
	cr_assert_eq(tgen_campaign_wait(&c, 60000, &camp), 0, "campaign failed: %s",
		     camp.err ? camp.err : "");
	cr_assert_eq(evt_load_truth(truth_path, &rows, &nrows, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < nrows; i++) {
		double gap = (rows[i].last_s - rows[i].first_s) / (double)(rows[i].packets - 1);

		cr_assert_lt(gap, (double)TABLE / FLOOD_PPS / 4,
			     "precondition: %s %s has gaps of %.3f s", rows[i].type, rows[i].addr, gap);
	}
	want = expected(rows, nrows);
	wait_file_events(want, 20000);
	e2e_sleep_ms(4000);

	file_events(&evs, &n);
	cr_expect_eq(evt_match(rows, nrows, evs, n, err, sizeof(err)), 0,
		     "overload: events against the truth:\n%s", err);
	free(evs);
	evicted = scrape_sum(port, "darknet_event_table_evictions_total", "table=scan_events");
	cr_expect_geq(evicted, FLOOD_N / 2, "overload: %.0f scan-table evictions for a flood of "
		      "%d sources into %d entries", evicted, FLOOD_N, TABLE);
	entries = scrape_sum(port, "darknet_event_table_entries", "table=scan_events");
	cr_expect_leq(entries, TABLE, "overload: %.0f entries in a table of %d", entries, TABLE);
	rss1 = rss_kib(dd.pid);
	cr_expect_eq(lru_memlock(dd.pid, TABLE), mem0, "overload: the scan table's kernel memory "
		     "changed from %lld bytes", mem0);
#ifdef __SANITIZE_ADDRESS__
	/* the daemon's freed blocks wait in AddressSanitizer's quarantine
	 * (test-sanitize runs the sanitized daemon): its RSS is not glibc's */
	(void)rss0, (void)rss1;
#else
	cr_expect_lt(rss1 - rss0, 16384, "overload: the daemon grew from %ld to %ld KiB", rss0,
		     rss1);
#endif
	cr_expect_eq(scrape_sum(port, "darknet_packets_total", NULL),
		     (double)(flood.packets + camp.packets),
		     "overload: darknet_packets_total is not all that was sent (%" PRIu64 ")",
		     flood.packets + camp.packets);
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		char subset[64];

		snprintf(subset, sizeof(subset), "class=%s", classes[i]);
		cr_expect_eq(scrape_sum(port, "darknet_packets_total", subset),
			     (double)class_packets(&flood, &camp, classes[i]),
			     "overload: class %s miscounted", classes[i]);
	}
	free(rows);
	tgen_free(&camp);
	tgen_free(&flood);
}

/* Events of type whose address is addr, and their packets, in evs. */
static uint64_t packets_of(const struct evt_event *evs, size_t n, const char *type,
			   const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(evs[i].type, type) && !strcmp(evs[i].addr, addr))
			return evs[i].packets;
	return 0;
}

/* Poll /api/v1/events?state=active (the sweeper refreshes it every
 * second) until every row is active with its packets, up to timeout_ms;
 * the first row that is not, or NULL. */
static const struct evt_truth *wait_active(int port, const struct evt_truth *rows, size_t nrows,
					   uint64_t *got, int timeout_ms)
{
	long long end = e2e_now_ms() + timeout_ms;
	const struct evt_truth *bad;

	do {
		struct evt_event *evs;
		size_t n;

		api_events(port, "state=active", &evs, &n);
		bad = NULL;
		for (size_t i = 0; i < nrows && !bad; i++) {
			*got = packets_of(evs, n, rows[i].type, rows[i].addr);
			if (*got != rows[i].packets)
				bad = &rows[i];
		}
		free(evs);
		if (bad)
			e2e_sleep_ms(200);
	} while (bad && e2e_now_ms() < end);
	return bad;
}

/* The JSON object of the active event of addr, as /api/v1/events gives
 * it (the events file's line format), malloc()ed. */
static char *active_object(int port, const char *addr)
{
	struct httpc_resp r;
	char pat[80], *p, *start, *end, *obj;

	cr_assert_eq(httpc_get("127.0.0.1", port, "/api/v1/events?state=active", 5000, &r), 0);
	snprintf(pat, sizeof(pat), "\"%s\"", addr);
	p = strstr(r.body, pat);
	cr_assert_not_null(p, "no active event of %s: %s", addr, r.body);
	for (start = p; start > r.body && strncmp(start, "{\"id\":", 6); start--)
		;
	end = strchr(p, '}');   /* flat objects: only arrays nest */
	cr_assert(end && !strncmp(start, "{\"id\":", 6), "cannot cut the event out: %s", r.body);
	obj = strndup(start, (size_t)(end - start + 1));
	httpc_resp_free(&r);
	return obj;
}

Test(event_truth, an_event_in_progress_survives_a_restart_and_is_written_once,
     .init = setup, .fini = teardown, .timeout = 150)
{
	const char *spec = "scanners=1,slow=0,victims=1,weak=0,duration=6," TH_SPEC;
	int port = e2e_free_port();
	struct tgen_result r1, r2;
	const struct evt_truth *bad;
	struct evt_truth *rows;
	uint64_t got = 0;
	struct evt_event *evs;
	char *line;
	FILE *f;
	size_t n, nrows, want;
	char err[4096];

	/* idle 15 s: longer than the rest of the first run, a restart and the
	 * second run's start, the longest an actor is silent here */
	daemon_events(port, "15");
	e2e_start(&dd, "restart");
	run_campaign(spec, 3, &r1, &rows, &nrows);
	want = expected(rows, nrows);
	cr_assert_eq(want, 2, "a scan and an attack expected, the truth lists %zu", want);
	bad = wait_active(port, rows, nrows, &got, 5000);
	cr_expect_null(bad, "restart: before it, %s %s is active with %" PRIu64 " packets, want "
		       "%" PRIu64, bad ? bad->type : "", bad ? bad->addr : "", got,
		       bad ? bad->packets : 0);

	cr_assert_eq(dctl_stop(&dd, SIGTERM, 10000), 0, "restart: SIGTERM exit status not 0");
	e2e_start(&dd, "restart: second start");
	/* the sweeper's first walk of the pinned tables finds them again */
	bad = wait_active(port, rows, nrows, &got, 5000);
	cr_expect_null(bad, "restart: after it, %s %s is active with %" PRIu64 " packets, want "
		       "%" PRIu64, bad ? bad->type : "", bad ? bad->addr : "", got,
		       bad ? bad->packets : 0);
	free(rows);

	/* the same seed sends the same packets again: one event, twice the packets */
	run_campaign(spec, 3, &r2, &rows, &nrows);
	for (size_t i = 0; i < nrows; i++)
		rows[i].packets *= 2;
	bad = wait_active(port, rows, nrows, &got, 5000);
	cr_expect_null(bad, "restart: after the second run, %s %s is active with %" PRIu64
		       " packets", bad ? bad->type : "", bad ? bad->addr : "", got);

	/* A daemon killed after writing an event and before deleting its
	 * entry: its line is in the file, its entry still in the table. The
	 * next daemon must not write it again. */
	cr_assert_str_eq(rows[0].type, "scan");
	line = active_object(port, rows[0].addr);
	cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL, "restart: SIGKILL");
	f = fopen(events_path, "a");
	cr_assert_not_null(f, "cannot append to %s", events_path);
	fprintf(f, "%s\n", line);
	fclose(f);
	free(line);
	e2e_start(&dd, "restart: after a kill between write and delete");
	cr_expect_eq(wait_file_events(want, 40000), want, "restart: the events were not closed");
	e2e_sleep_ms(3000);
	file_events(&evs, &n);
	cr_expect_eq(evt_match(rows, nrows, evs, n, err, sizeof(err)), 0,
		     "restart: events against the truth, packets of both runs:\n%s", err);
	free(evs);

	/* closed and written: restarts, clean or not, must not write it again */
	cr_assert_eq(dctl_stop(&dd, SIGTERM, 10000), 0, "restart: SIGTERM exit status not 0");
	e2e_start(&dd, "restart: third start");
	e2e_sleep_ms(3000);
	cr_assert_eq(dctl_stop(&dd, SIGKILL, 5000), 128 + SIGKILL, "restart: SIGKILL");
	e2e_start(&dd, "restart: fourth start");
	e2e_sleep_ms(3000);
	file_events(&evs, &n);
	cr_expect_eq(n, want, "restart: %zu events in the file after two more restarts, want %zu",
		     n, want);
	free(evs);
	free(rows);
	tgen_free(&r1);
	tgen_free(&r2);
}
