/* test_events.c: end-to-end: a small scan, a slow one and a backscatter episode through the daemon on a veth, checked in the metrics, the events file and /api/v1/events. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "frame.h"
#include "lib/daemonctl.h"
#include "lib/httpc.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "e2e_steps.h"

#define PORT 19481
#define SCANNER "45.33.7.7"       /* not a bogon, not on the research list */
#define SLOW "45.33.7.8"
#define VICTIM "45.1.1.2"

static struct netfix fx;
static struct dctl dd;
static char *events_path;
static char *scanners;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "events setup: %s", err);
	events_path = netfix_tmp(&fx, "events.ndjson");
	scanners = e2e_srcfile("deploy/research-scanners.txt");
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
	free(events_path);
	free(scanners);
}

TestSuite(events, .init = setup, .fini = teardown, .timeout = 120);

/* The lab's darknet (dctl_lab_lists: 198.51.100.0/24 and 203.0.113.0/24,
 * 512 IPv4 addresses) with short timeouts and a short DoS window. */
static void start(const char *file)
{
	dctl_init(&dd, &fx, PORT);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--scan-idle-timeout");
	dctl_arg(&dd, "2");
	dctl_arg(&dd, "--dos-idle-timeout");
	dctl_arg(&dd, "2");
	dctl_arg(&dd, "--dos-min-duration");
	dctl_arg(&dd, "2");
	dctl_arg(&dd, "--dos-window");
	dctl_arg(&dd, "1");
	dctl_arg(&dd, "--dos-min-window-packets");
	dctl_arg(&dd, "20");
	dctl_arg(&dd, "--events-file");
	dctl_arg(&dd, file);
	e2e_start(&dd, "events");
}

/* n TCP SYNs from src to port 23 of darknet address i (0..511), i from
 * first; ZMap's IP ID (54321) on every one. */
static void send_syns(int fd, const char *src, int first, int n)
{
	char dst[INET_ADDRSTRLEN];
	uint8_t buf[FRAME_MAX];

	for (int i = first; i < first + n; i++) {
		struct frame_spec s = { .src = src, .dst = dst, .proto = IPPROTO_TCP,
					.sport = 40000 + i, .dport = 23, .tcp_flags = TH_SYN,
					.seq = 0x5eed0000u + i, .ip_id = 54321 };
		int len;

		snprintf(dst, sizeof(dst), "%s.%d", i < 256 ? "198.51.100" : "203.0.113", i % 256);
		len = frame_build(&s, buf);
		cr_assert_gt(len, 0, "events: frame_build %s -> %s", src, dst);
		cr_assert_eq(inject_send(fd, buf, len, 1), 0, "events: send %s -> %s", src, dst);
	}
}

/* n SYN-ACKs from the victim's port 80 to spoofed darknet addresses. */
static void send_backscatter(int fd, int first, int n)
{
	char dst[INET_ADDRSTRLEN];
	uint8_t buf[FRAME_MAX];

	for (int i = first; i < first + n; i++) {
		struct frame_spec s = { .src = VICTIM, .dst = dst, .proto = IPPROTO_TCP,
					.sport = 80, .dport = 1024 + i, .seq = 7 + i, .ack = 9,
					.tcp_flags = TH_SYN | TH_ACK, .ip_id = 100 + i };
		int len;

		snprintf(dst, sizeof(dst), "203.0.113.%d", i % 256);
		len = frame_build(&s, buf);
		cr_assert_gt(len, 0);
		cr_assert_eq(inject_send(fd, buf, len, 1), 0, "events: send backscatter");
	}
}

static char *get(const char *path, int want_status)
{
	struct httpc_resp r;
	char *body;

	cr_assert_eq(httpc_get("127.0.0.1", PORT, path, 5000, &r), 0, "GET %s", path);
	cr_assert_eq(r.status, want_status, "GET %s: %d, body %s", path, r.status,
		     r.body ? r.body : "");
	body = strdup(r.body ? r.body : "");
	httpc_resp_free(&r);
	return body;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(events, scan_and_dos_reach_the_metrics_the_file_and_the_api)
{
	int fd = inject_open(&fx);
	char *file, *body;

	cr_assert_geq(fd, 0, "events: inject_open");
	start(events_path);
	send_syns(fd, SCANNER, 0, 150);         /* 150 destinations: a scan */
	send_syns(fd, SLOW, 0, 60);             /* 60: below --scan-min-destinations */
	send_backscatter(fd, 0, 25);            /* 25 in the first window */
	sleep(1);
	body = get("/api/v1/events?type=scan&state=active", 200);
	cr_assert(strstr(body, "\"source\":\"" SCANNER "\""), "active scan listed: %s", body);
	cr_assert_null(strstr(body, SLOW), "below the threshold, not an event: %s", body);
	free(body);
	sleep(1);
	send_backscatter(fd, 25, 25);           /* 2 s later: the attack lasts 2 s */
	close(fd);

	cr_assert_eq(scrape_wait_sum(PORT, "darknet_scan_events_total",
				     "proto=tcp,tool=zmap,size=large", 1, 15000), 1,
		     "one large ZMap scan closed");
	cr_assert_eq(scrape_wait_sum(PORT, "darknet_dos_attacks_total", "proto=tcp", 1,
				     15000), 1, "one DoS attack closed");
	cr_assert_eq(scrape_sum(PORT, "darknet_scan_events_total", NULL), 1,
		     "the slow source is not an event");
	cr_assert_eq(scrape_sum(PORT, "darknet_scan_event_duration_seconds_count", NULL), 1);
	cr_assert_eq(scrape_sum(PORT, "darknet_events_file_write_errors_total", NULL), 0);
	cr_assert_eq(scrape_sum(PORT, "darknet_event_table_evictions_total", NULL), 0);

	file = e2e_read_file(events_path, NULL);
	cr_assert_not_null(file, "events: %s was written", events_path);
	cr_assert_eq(count(file, "\n"), 2, "two lines: %s", file);
	cr_assert(strstr(file, "\"type\":\"scan\",\"state\":\"closed\""), "%s", file);
	cr_assert(strstr(file, "\"source\":\"" SCANNER "\""), "%s", file);
	cr_assert(strstr(file, "\"ports\":[23]") && strstr(file, "\"packets\":150,"), "%s", file);
	cr_assert(strstr(file, "\"tool\":\"zmap\""), "%s", file);
	cr_assert(strstr(file, "\"victim\":\"" VICTIM "\""), "%s", file);
	cr_assert(strstr(file, "\"packets\":50,"), "%s", file);
	cr_assert(strstr(file, "\"kinds\":[\"syn-ack\"]"), "%s", file);
	free(file);

	body = get("/api/v1/events?state=closed&limit=5", 200);
	cr_assert_eq(count(body, "\"state\":\"closed\""), 2, "%s", body);
	free(body);
	body = get("/api/v1/events?type=dos", 200);
	cr_assert(strstr(body, VICTIM) && !strstr(body, SCANNER), "%s", body);
	free(body);
	body = get("/api/v1/events?limit=0", 400);
	cr_assert(strstr(body, "limit"), "%s", body);
	free(body);
	body = get("/", 200);
	cr_assert(strstr(body, "Last closed events") && strstr(body, SCANNER), "landing");
	free(body);
}

Test(events, an_events_file_that_cannot_be_opened_is_reported_and_counting_goes_on)
{
	char bad[300];
	int fd = inject_open(&fx);
	char *log;

	cr_assert_geq(fd, 0);
	snprintf(bad, sizeof(bad), "%s/no-such-dir/events.ndjson", fx.tmpdir);
	start(bad);
	log = dctl_log(&dd);
	cr_assert(strstr(log, bad) && strstr(log, "counting goes on"), "log: %s", log);
	free(log);
	send_syns(fd, SCANNER, 0, 120);
	close(fd);
	cr_assert_eq(scrape_wait_sum(PORT, "darknet_events_file_write_errors_total", NULL, 1,
				     15000), 1, "the lost line is counted");
	cr_assert_eq(scrape_sum(PORT, "darknet_scan_events_total", NULL), 1,
		     "the event is counted all the same");
	cr_assert_geq(scrape_sum(PORT, "darknet_packets_total", NULL), 120, "packets counted");
}

Test(events, thresholds_out_of_range_stop_the_start_with_the_flag_named)
{
	char *log;

	dctl_init(&dd, &fx, PORT);
	dctl_lab_lists(&dd, scanners);
	dctl_arg(&dd, "--scan-min-destinations");
	dctl_arg(&dd, "0");
	cr_assert_neq(dctl_start(&dd, 5000), 0, "a threshold of 0 is refused");
	cr_assert_eq(dd.last_status, 2);
	log = dctl_log(&dd);
	cr_assert(strstr(log, "--scan-min-destinations must be 1..65536"), "log: %s", log);
	free(log);
}
