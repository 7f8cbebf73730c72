/* test_event_truth.c: end-to-end: scan campaigns and DoS victims as events, against the generator's ground truth. */
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
