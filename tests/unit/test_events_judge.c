/* test_events_judge.c: scan and DoS judging at the edges of each threshold, tool naming, size and rate. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "darknet_counter.h"
#include "events_judge.h"

#define S 1000000000ull

static struct ev_thresholds th;

static void setup(void)
{
	ev_thresholds_default(&th);
}

TestSuite(events_judge, .init = setup);

/* A /16 darknet (65536 addresses): 100 destinations in 10 s with 100
 * packets is 100 * 2^32 / 65536 / 10 = 655.36 pps Internet-wide. */
static struct ev_event scan(double distinct, uint64_t packets, uint64_t span_ns, uint32_t classes)
{
	struct ev_entry e = {
		.type = EV_SCAN, .family = AF_INET, .proto = 6, .port = 23,
		.first_ns = 100 * S, .last_ns = 100 * S + span_ns, .packets = packets,
		.bytes = packets * 60, .distinct = distinct, .classes = classes,
	};
	struct ev_event ev;

	e.addr[0] = 198, e.addr[1] = 51, e.addr[2] = 100, e.addr[3] = 7;
	ev_describe(&ev, &e, 1.7e9, 65536);
	return ev;
}

static struct ev_event dos(uint64_t packets, uint64_t span_ns, uint32_t win_max)
{
	struct ev_entry e = {
		.type = EV_DOS, .family = AF_INET, .proto = 6, .port = 80,
		.first_ns = 5 * S, .last_ns = 5 * S + span_ns, .packets = packets,
		.win_max = win_max, .kinds = EV_KIND_SYNACK,
	};
	struct ev_event ev;

	ev_describe(&ev, &e, 0, 65536);
	return ev;
}

Test(events_judge, defaults_are_the_documented_ones)
{
	cr_assert_eq(th.scan_idle_s, 480);
	cr_assert_eq(th.dos_idle_s, 300);
	cr_assert_eq(th.scan_min_dst, 100);
	cr_assert_float_eq(th.scan_min_rate, 10.0, 1e-9);
	cr_assert_eq(th.dos_min_packets, 25);
	cr_assert_eq(th.dos_min_duration_s, 60);
	cr_assert_eq(th.dos_min_window, 30);
	cr_assert_eq(ev_thresholds_check(&th, (char[8]){0}, 8), 0);
}

Test(events_judge, scan_destinations_at_the_edge)
{
	struct ev_event at = scan(100, 100, 10 * S, 1u << DN_CLASS_SCAN);
	struct ev_event below = scan(99, 100, 10 * S, 1u << DN_CLASS_SCAN);
	struct ev_event rounds = scan(99.6, 100, 10 * S, 1u << DN_CLASS_SCAN);

	cr_assert(ev_keep(&at, &th), "100 distinct destinations is a scan");
	cr_assert_not(ev_keep(&below, &th), "99 is not");
	cr_assert(ev_keep(&rounds, &th), "an estimate of 99.6 rounds to 100");
}

Test(events_judge, scan_rate_is_scaled_to_the_internet_and_judged_at_the_edge)
{
	/* rate = packets * 2^32 / 65536 / duration = packets * 65536 / duration */
	struct ev_event ev = scan(200, 200, 10 * S, 0);

	cr_assert_float_eq(ev.rate, 200.0 * 65536 / 10, 1e-6);
	th.scan_min_rate = ev.rate;
	cr_assert(ev_keep(&ev, &th), "a rate equal to the minimum passes");
	th.scan_min_rate = nextafter(ev.rate, INFINITY);
	cr_assert_not(ev_keep(&ev, &th), "a rate just below the minimum does not");
}

Test(events_judge, slow_scan_below_the_rate)
{
	/* 200 packets over 10 days on a /16: 200 * 65536 / 864000 = 15.2 pps;
	 * over 20 days 7.6 pps: below 10 */
	struct ev_event fast = scan(200, 200, 864000 * S, 0);
	struct ev_event slow = scan(200, 200, 1728000 * S, 0);

	cr_assert(ev_keep(&fast, &th));
	cr_assert_not(ev_keep(&slow, &th), "rate %g is below 10 pps", slow.rate);
}

Test(events_judge, a_burst_inside_one_second_is_rated_over_one_second)
{
	struct ev_event burst = scan(100, 100, 1000, 0);

	cr_assert_float_eq(burst.rate, 100.0 * 65536, 1e-6);
	cr_assert(isfinite(burst.rate));
}

Test(events_judge, size_small_below_ten_percent)
{
	struct ev_event small = scan(6553, 7000, 100 * S, 0);
	struct ev_event large = scan(6554, 7000, 100 * S, 0);

	cr_assert_not(small.large, "6553 / 65536 < 10 %%");
	cr_assert(large.large, "6554 / 65536 >= 10 %%");
	cr_assert_float_eq(large.coverage, 6554.0 / 65536, 1e-12);
}

Test(events_judge, ipv6_scans_are_judged_on_destinations_alone)
{
	struct ev_entry e = { .type = EV_SCAN, .family = AF_INET6, .proto = 6,
			      .first_ns = S, .last_ns = 1000 * S, .packets = 100, .distinct = 100 };
	struct ev_event ev;

	ev_describe(&ev, &e, 0, 65536);
	cr_assert_float_eq(ev.rate, 0, 1e-12);
	cr_assert_float_eq(ev.coverage, 0, 1e-12);
	cr_assert(ev_keep(&ev, &th));
	e.distinct = 99;
	ev_describe(&ev, &e, 0, 65536);
	cr_assert_not(ev_keep(&ev, &th));
}

Test(events_judge, tool_named_only_when_every_packet_has_its_class)
{
	cr_assert_eq(ev_tool_of(1u << DN_CLASS_ZMAP), EV_TOOL_ZMAP);
	cr_assert_eq(ev_tool_of(1u << DN_CLASS_MASSCAN), EV_TOOL_MASSCAN);
	cr_assert_eq(ev_tool_of(1u << DN_CLASS_MIRAI), EV_TOOL_MIRAI);
	cr_assert_eq(ev_tool_of(1u << DN_CLASS_RESEARCH), EV_TOOL_RESEARCH);
	cr_assert_eq(ev_tool_of((1u << DN_CLASS_ZMAP) | (1u << DN_CLASS_SCAN)), EV_TOOL_UNKNOWN,
		     "one packet without the ZMap fingerprint unnames the tool");
	cr_assert_eq(ev_tool_of(1u << DN_CLASS_SCAN), EV_TOOL_UNKNOWN);
	cr_assert_eq(ev_tool_of(0), EV_TOOL_UNKNOWN);
	cr_assert_str_eq(ev_tool_name(EV_TOOL_MASSCAN), "masscan");
	cr_assert_str_eq(ev_tool_name(EV_TOOL_RESEARCH), "research");
	cr_assert_str_eq(ev_tool_name(EV_TOOL_UNKNOWN), "unknown");
}

Test(events_judge, dos_each_threshold_at_its_edge)
{
	struct ev_event ok = dos(25, 60 * S, 30);
	struct ev_event few = dos(24, 60 * S, 30);
	struct ev_event short_ = dos(25, 60 * S - 1, 30);
	struct ev_event thin = dos(25, 60 * S, 29);

	cr_assert(ev_keep(&ok, &th), "25 packets, 60 s, 30 in a window: an attack");
	cr_assert_not(ev_keep(&few, &th), "24 packets");
	cr_assert_not(ev_keep(&short_, &th), "one ns short of 60 s");
	cr_assert_not(ev_keep(&thin, &th), "29 in the busiest window");
}

Test(events_judge, idle_after_the_timeout_only)
{
	struct ev_entry e = { .type = EV_SCAN, .last_ns = 1000 * S };

	cr_assert_not(ev_idle(&e, 1000 * S + 480 * S, &th), "exactly 480 s is not idle yet");
	cr_assert(ev_idle(&e, 1000 * S + 480 * S + 1, &th));
	cr_assert_not(ev_idle(&e, 999 * S, &th), "a stamp ahead of now is not idle");
	e.type = EV_DOS;
	cr_assert(ev_idle(&e, 1000 * S + 300 * S + 1, &th));
	cr_assert_not(ev_idle(&e, 1000 * S + 300 * S, &th));
}

Test(events_judge, thresholds_out_of_range_are_named)
{
	char why[160];
	struct ev_thresholds t = th;

	t.scan_idle_s = 0;
	cr_assert_eq(ev_thresholds_check(&t, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "--scan-idle-timeout"), "%s", why);
	t = th;
	t.scan_min_dst = 0;
	cr_assert_eq(ev_thresholds_check(&t, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "--scan-min-destinations"), "%s", why);
	t = th;
	t.scan_min_rate = NAN;
	cr_assert_eq(ev_thresholds_check(&t, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "--scan-min-rate"), "%s", why);
	t = th;
	t.dos_min_window = EV_DOS_MIN_WINDOW_MAX + 1u;
	cr_assert_eq(ev_thresholds_check(&t, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "--dos-min-window-packets"), "%s", why);
	t = th;
	t.dos_idle_s = EV_IDLE_MAX + 1;
	cr_assert_eq(ev_thresholds_check(&t, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "--dos-idle-timeout"), "%s", why);
}

Test(events_judge, linear_counting)
{
	cr_assert_float_eq(ev_linear_count(0, 1024, 0), 0, 1e-12);
	/* few bits set: close to the count itself */
	cr_assert_float_eq(ev_linear_count(100, 1024, 0), -1024 * log(924.0 / 1024), 1e-9);
	cr_assert(fabs(ev_linear_count(100, 1024, 0) - 105) < 1);
	cr_assert_float_eq(ev_linear_count(100, 1024, 3), 8 * ev_linear_count(100, 1024, 0),
			   1e-9, "sampled 1 in 8");
	cr_assert(isfinite(ev_linear_count(1024, 1024, 0)), "a full bitmap stays finite");
}

Test(events_judge, id_names_type_iface_source_and_start)
{
	struct ev_event ev = scan(100, 100, 10 * S, 0);
	char id[160];

	snprintf(ev.iface, sizeof(ev.iface), "veth0");
	cr_assert_eq(ev_id(&ev, id, sizeof(id)), 0);
	cr_assert_str_eq(id, "scan/veth0/198.51.100.7/6/23/100000000000");
	cr_assert_eq(ev_id(&ev, id, 10), -ENOSPC);
}
