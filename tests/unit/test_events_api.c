/* test_events_api.c: /api/v1/events: query parsing and limits, the listing's order and filters, the event metrics. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "events_api.h"
#include "events_metrics.h"
#include "landing_events.h"

Test(events_api, defaults_when_absent)
{
	struct ev_query q;
	char why[128];

	cr_assert_eq(ev_query_parse(NULL, NULL, NULL, &q, why, sizeof(why)), 0);
	cr_assert_eq(q.type, -1);
	cr_assert_eq(q.state, -1);
	cr_assert_eq(q.limit, EV_API_LIMIT_DEFAULT);
	cr_assert_eq(ev_query_parse("dos", "closed", "7", &q, why, sizeof(why)), 0);
	cr_assert_eq(q.type, EV_DOS);
	cr_assert_eq(q.state, 1);
	cr_assert_eq(q.limit, 7);
	cr_assert_eq(ev_query_parse("scan", "active", "10000", &q, why, sizeof(why)), 0);
	cr_assert_eq(q.type, EV_SCAN);
	cr_assert_eq(q.state, 0);
	cr_assert_eq(q.limit, EV_API_LIMIT_MAX);
}

Test(events_api, bad_values_are_refused_with_the_argument_named)
{
	static const struct { const char *type, *state, *limit, *named; } bad[] = {
		{ "scans", NULL, NULL, "type" }, { "", NULL, NULL, "type" },
		{ NULL, "open", NULL, "state" }, { NULL, NULL, "0", "limit" },
		{ NULL, NULL, "10001", "limit" }, { NULL, NULL, "-1", "limit" },
		{ NULL, NULL, "+5", "limit" }, { NULL, NULL, "5x", "limit" },
		{ NULL, NULL, "", "limit" }, { NULL, NULL, "99999999999999999999", "limit" },
	};
	struct ev_query q;
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_assert_eq(ev_query_parse(bad[i].type, bad[i].state, bad[i].limit, &q, why,
					    sizeof(why)), -EINVAL, "case %zu", i);
		cr_assert(strstr(why, bad[i].named), "case %zu: %s", i, why);
	}
}

static struct events ev;

static void add_closed(enum ev_type type, uint8_t last_octet)
{
	struct ev_event *e = &ev.ring[(ev.ring_head + ev.ring_len) % ev.ring_cap];

	memset(e, 0, sizeof(*e));
	e->e.type = type;
	e->e.family = 2;
	e->e.addr[0] = 10, e->e.addr[3] = last_octet;
	e->closed = true;
	if (ev.ring_len < ev.ring_cap)
		ev.ring_len++;
	else
		ev.ring_head = (ev.ring_head + 1) % ev.ring_cap;
}

static void setup(void)
{
	memset(&ev, 0, sizeof(ev));
	pthread_mutex_init(&ev.lock, NULL);
	ev.on = true;
	ev.ring_cap = 3;
	ev.ring = calloc(ev.ring_cap, sizeof(*ev.ring));
	ev.active = calloc(1, sizeof(*ev.active));
	ev.active[0].e.type = EV_SCAN;
	ev.active[0].e.family = 2;
	ev.active[0].e.addr[0] = 10, ev.active[0].e.addr[3] = 99;
	ev.active_len = ev.active_total = 1;
	add_closed(EV_SCAN, 1);
	add_closed(EV_DOS, 2);
	add_closed(EV_SCAN, 3);
	add_closed(EV_DOS, 4);   /* the ring holds 3: the first goes */
}

static void teardown(void)
{
	free(ev.ring);
	free(ev.active);
	pthread_mutex_destroy(&ev.lock);
}

static char *render(int type, int state, unsigned int limit)
{
	static struct strbuf sb;
	struct ev_query q = { .type = type, .state = state, .limit = limit };

	strbuf_free(&sb);
	ev_api_render(&sb, &ev, &q);
	cr_assert_eq(sb.err, 0);
	return sb.buf;
}

TestSuite(events_list, .init = setup, .fini = teardown);

Test(events_list, active_first_then_closed_newest_first)
{
	char *s = render(-1, -1, 100);
	char *a = strstr(s, "10.0.0.99"), *c4 = strstr(s, "10.0.0.4"), *c3 = strstr(s, "10.0.0.3"),
	     *c2 = strstr(s, "10.0.0.2");

	cr_assert(a && c4 && c3 && c2, "%s", s);
	cr_assert(a < c4 && c4 < c3 && c3 < c2, "order: %s", s);
	cr_assert_null(strstr(s, "10.0.0.1\""), "dropped from the ring: %s", s);
	cr_assert(strstr(s, "\"active_total\":1,\"closed_kept\":3"), "%s", s);
}

Test(events_list, filters_and_limit)
{
	char *s = render(EV_DOS, 1, 100);

	cr_assert(strstr(s, "10.0.0.4") && strstr(s, "10.0.0.2"), "%s", s);
	cr_assert_null(strstr(s, "10.0.0.3"), "a scan: %s", s);
	s = render(-1, 0, 100);
	cr_assert(strstr(s, "10.0.0.99") && !strstr(s, "10.0.0.4"), "active only: %s", s);
	s = render(-1, -1, 2);
	cr_assert(strstr(s, "10.0.0.99") && strstr(s, "10.0.0.4") && !strstr(s, "10.0.0.3"),
		  "limit 2: %s", s);
	cr_assert(strstr(s, "]}\n"), "whole document: %s", s);
}

Test(events_metrics, evictions_are_inserts_minus_closed_minus_live_and_never_go_back)
{
	struct ev_totals t = { 0 };
	struct ev_live l = { 0 };

	t.closed[EV_SCAN] = 10;
	l.inserts[EV_SCAN] = 50;
	l.entries[EV_SCAN] = 15;
	cr_assert_eq(ev_totals_evictions(&t, &l, EV_SCAN), 25);
	/* read a moment apart: more live than inserts account for */
	l.entries[EV_SCAN] = 45;
	cr_assert_eq(ev_totals_evictions(&t, &l, EV_SCAN), 25, "does not go back");
	l.inserts[EV_SCAN] = 100;
	l.entries[EV_SCAN] = 5;
	cr_assert_eq(ev_totals_evictions(&t, &l, EV_SCAN), 85);
	cr_assert_eq(ev_totals_evictions(&t, &l, EV_DOS), 0);
}

Test(events_metrics, a_kept_scan_is_counted_by_proto_tool_size_and_in_the_histograms)
{
	struct ev_totals t = { 0 };
	struct ev_live l = { 0 };
	struct ev_event e = { .e = { .type = EV_SCAN, .family = 2, .proto = 17 },
			      .tool = EV_TOOL_MIRAI, .large = true, .duration = 400,
			      .coverage = 0.12, .rate = 5e5 };
	struct ev_global g = { .file_write_errors = 3 };
	struct strbuf sb = STRBUF_INIT;
	const char *names[] = { "veth0" };

	ev_totals_record(&t, &e);
	cr_assert_eq(t.scans[EV_PROTO_UDP][EV_TOOL_MIRAI][1], 1);
	cr_assert_eq(t.hist[EV_HIST_SCAN_DURATION].bucket[3], 1, "400 s: le 900");
	cr_assert_eq(t.hist[EV_HIST_SCAN_COVERAGE].bucket[4], 1, "0.12: le 0.2");
	ev_metrics_render(&sb, names, &t, &l, 1, &g, true);
	cr_assert(strstr(sb.buf, "darknet_scan_events_total{iface=\"veth0\",proto=\"udp\","
			 "tool=\"mirai\",size=\"large\"} 1\n"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "darknet_scan_event_duration_seconds_bucket{iface=\"veth0\","
			 "le=\"300\"} 0\n"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "darknet_scan_event_duration_seconds_bucket{iface=\"veth0\","
			 "le=\"900\"} 1\n"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "darknet_events_file_write_errors_total 3\n"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "darknet_event_table_evictions_total{table=\"scan_events\"} 0\n"),
		  "%s", sb.buf);
	strbuf_free(&sb);
}

Test(events_list, landing_cards_show_active_and_closed_with_names_escaped)
{
	struct strbuf sb = STRBUF_INIT;

	snprintf(ev.active[0].org, sizeof(ev.active[0].org), "<b>Org</b>");
	ev.active[0].tool = EV_TOOL_RESEARCH;
	landing_events_render(&sb, &ev);
	cr_assert(strstr(sb.buf, "<h2>Active scans</h2>"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "<h2>DoS victims</h2>"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "<h2>Last closed events</h2>"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "<td>10.0.0.99</td>"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "research (&lt;b&gt;Org&lt;/b&gt;)"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "<td>10.0.0.4</td>"), "closed: %s", sb.buf);
	strbuf_free(&sb);
	ev.on = false;
	landing_events_render(&sb, &ev);
	cr_assert_eq(sb.len, 0, "nothing with --no-events");
	strbuf_free(&sb);
}
