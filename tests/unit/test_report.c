/* test_report.c: the report's number formatting, periods, tables, movers, SVG charts, HTML and JSON. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <jansson.h>

#include "report.h"
#include "report_html.h"
#include "report_json.h"
#include "report_svg.h"

static const char *count(double v)
{
	static char buf[64];

	rpt_fmt_count(v, buf, sizeof(buf));
	return buf;
}

Test(report_fmt, counts_read_like_nicter)
{
	cr_expect_str_eq(count(212.1e9), "212.1 billion");
	cr_expect_str_eq(count(150.4e9), "150.4 billion");
	cr_expect_str_eq(count(559125), "559,125");
	cr_expect_str_eq(count(790000), "790,000");
	cr_expect_str_eq(count(54.8e9), "54.8 billion");
	cr_expect_str_eq(count(2.5e12), "2.5 trillion");
	cr_expect_str_eq(count(12.34e6), "12.3 million");
	cr_expect_str_eq(count(0), "0");
	cr_expect_str_eq(count(1.25), "1.25");
	/* The unit follows the rounded value: never "1000.0 million". */
	cr_expect_str_eq(count(999.96e6), "1.0 billion");
	cr_expect_str_eq(count(999949), "999,949");
}

Test(report_fmt, integers_shares_changes_dates)
{
	char b[64];

	rpt_fmt_int(212100000000.0, b, sizeof(b));
	cr_expect_str_eq(b, "212,100,000,000");
	rpt_fmt_int(-1234, b, sizeof(b));
	cr_expect_str_eq(b, "-1,234");
	rpt_fmt_int(999, b, sizeof(b));
	cr_expect_str_eq(b, "999");
	rpt_fmt_pct(0.35, b, sizeof(b));
	cr_expect_str_eq(b, "35.0%");
	rpt_fmt_pct(0.068, b, sizeof(b));
	cr_expect_str_eq(b, "6.8%");
	rpt_fmt_change(54.8, 29.4, b, sizeof(b));
	cr_expect_str_eq(b, "-46.4%");
	rpt_fmt_change(150.4, 212.1, b, sizeof(b));
	cr_expect_str_eq(b, "+41.0%");
	rpt_fmt_change(0, 5, b, sizeof(b));
	cr_expect_str_eq(b, "new");
	rpt_fmt_change(5, 0, b, sizeof(b));
	cr_expect_str_eq(b, "gone");
	rpt_fmt_short(2.5e9, b, sizeof(b));
	cr_expect_str_eq(b, "2.5 B");
	rpt_fmt_short(1500, b, sizeof(b));
	cr_expect_str_eq(b, "1.5 k");
	rpt_fmt_date(1735689600, b, sizeof(b));
	cr_expect_str_eq(b, "2025-01-01");
}

Test(report_fmt, html_escape)
{
	struct strbuf sb = STRBUF_INIT;

	rpt_html_escape(&sb, "<a href=\"x\">&'</a>");
	cr_expect_str_eq(strbuf_str(&sb), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
	strbuf_free(&sb);
}

Test(report_period, a_year_is_twelve_months_a_month_its_days)
{
	struct rpt_period p;
	char err[128];
	time_t from, to;

	cr_assert_eq(rpt_parse_date("2025-01-01", &from), 0);
	cr_assert_eq(rpt_parse_date("2025-12-31", &to), 0);
	cr_expect_eq(rpt_scale_for(from, to), RPT_MONTHLY);
	cr_assert_eq(rpt_period_init(&p, from, to, RPT_MONTHLY, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(p.name, "2025");
	cr_expect_eq(p.nr_buckets, 12);
	cr_expect_str_eq(p.b[0].label, "Jan");
	cr_expect_str_eq(p.b[11].label, "Dec");
	cr_expect_eq(p.b[1].end - p.b[1].start, 28 * 86400, "February 2025 has 28 days");
	cr_expect_eq(p.b[11].end, p.to);
	rpt_period_free(&p);

	cr_assert_eq(rpt_parse_date("2024-02-01", &from), 0);
	cr_assert_eq(rpt_parse_date("2024-02-29", &to), 0);
	cr_expect_eq(rpt_scale_for(from, to), RPT_DAILY);
	cr_assert_eq(rpt_period_init(&p, from, to, RPT_DAILY, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(p.name, "2024-02");
	cr_expect_eq(p.nr_buckets, 29, "a leap February");
	cr_expect_str_eq(p.b[28].label, "29");
	rpt_period_free(&p);

	/* A span across years: partial months at both ends, labels with the year. */
	cr_assert_eq(rpt_parse_date("2024-11-15", &from), 0);
	cr_assert_eq(rpt_parse_date("2025-03-10", &to), 0);
	cr_assert_eq(rpt_period_init(&p, from, to, RPT_MONTHLY, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(p.name, "2024-11-15 to 2025-03-10");
	cr_expect_eq(p.nr_buckets, 5);
	cr_expect_eq(p.b[0].end - p.b[0].start, 16 * 86400);
	cr_expect_str_eq(p.b[2].label, "Jan 25");
	cr_expect_eq(p.b[4].end - p.b[4].start, 10 * 86400);
	rpt_period_free(&p);
}

Test(report_period, refuses_bad_dates_and_backward_periods)
{
	struct rpt_period p;
	char err[128] = "";
	time_t a, b;

	cr_expect_neq(rpt_parse_date("2025-13-01", &a), 0);
	cr_expect_neq(rpt_parse_date("2025-01-01x", &a), 0);
	cr_expect_neq(rpt_parse_date("yesterday", &a), 0);
	cr_assert_eq(rpt_parse_date("2025-02-01", &a), 0);
	cr_assert_eq(rpt_parse_date("2025-01-01", &b), 0);
	cr_expect_neq(rpt_period_init(&p, a, b, RPT_DAILY, err, sizeof(err)), 0);
	cr_expect(strstr(err, "ends before it starts"), "%s", err);
	cr_assert_eq(rpt_parse_date("2020-01-01", &a), 0);
	cr_expect_neq(rpt_period_init(&p, a, b, RPT_DAILY, err, sizeof(err)), 0,
		      "five years of days are more bars than a chart holds");
	rpt_period_free(&p);
}

Test(report_table, accumulates_sorts_and_finds_movers)
{
	struct rpt_table a = { 0 }, b = { 0 };
	struct rpt_mover m[3];

	rpt_table_add(&a, "23/tcp", 54.8);
	rpt_table_add(&a, "445/tcp", 10);
	rpt_table_add(&a, "5555/tcp", 0);
	rpt_table_add(&a, "23/tcp", 0.2);
	cr_expect_float_eq(rpt_table_get(&a, "23/tcp"), 55.0, 1e-9);
	cr_expect_float_eq(rpt_table_sum(&a), 65.0, 1e-9);
	rpt_table_add(&b, "23/tcp", 29.4);
	rpt_table_add(&b, "445/tcp", 11);
	rpt_table_add(&b, "5555/tcp", 8);
	rpt_table_sort(&b);
	cr_expect_str_eq(b.items[0].key, "23/tcp");
	cr_expect_str_eq(b.items[2].key, "5555/tcp");
	cr_assert_eq(rpt_movers(&a, &b, m, 3), 3);
	cr_expect_str_eq(m[0].key, "23/tcp", "the largest change first");
	cr_expect_str_eq(m[1].key, "5555/tcp");
	cr_expect_float_eq(m[1].from, 0, 1e-9);
	cr_expect_str_eq(m[2].key, "445/tcp");
	rpt_table_free(&a);
	rpt_table_free(&b);
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(report_svg, bars_are_drawn_to_scale_and_gaps_are_left_empty)
{
	struct strbuf sb = STRBUF_INIT;
	double cur[4] = { 100, 200, NAN, 400 }, cmp[4] = { 50, 0, 60, 80 };
	const char *labels[4] = { "Jan", "Feb", "Mar", "Apr" };
	struct rpt_series s[2] = { { "2025", cur, RPT_COLOR_CUR }, { "2024 <old>", cmp, RPT_COLOR_CMP } };
	const char *out;

	rpt_svg_bars(&sb, "Packets & more", labels, 4, s, 2);
	out = strbuf_str(&sb);
	cr_expect(strstr(out, "viewBox=\"0 0 640 "), "a viewBox to scale with the page");
	cr_expect(strstr(out, "<title>Packets &amp; more</title>"), "the title escaped");
	cr_expect(strstr(out, "2024 &lt;old&gt;"), "legend names escaped");
	/* 3 + 3 bars (NaN and 0 are not drawn) + 2 legend squares. */
	cr_expect_eq(count_str(out, "<rect "), 8, "%s", out);
	cr_expect_eq(count_str(out, "fill=\"" RPT_COLOR_CUR "\""), 4);
	/* The axis runs to 400 (4 steps of 100): the 400 bar is the full 200 px. */
	cr_expect(strstr(out, "height=\"200.0\" fill=\"" RPT_COLOR_CUR "\""), "%s", out);
	cr_expect(strstr(out, "height=\"100.0\" fill=\"" RPT_COLOR_CUR "\""), "the 200 bar: half");
	cr_expect(strstr(out, ">Apr</text>"));
	cr_expect_null(strstr(out, "<script"));
	strbuf_free(&sb);
}

Test(report_svg, hbars_highlight_and_shares_stacked_sums)
{
	struct strbuf sb = STRBUF_INIT;
	const char *labels[3] = { "23/TCP", "445/TCP", "other ports" };
	double v[3] = { 29.4, 10, 60.6 }, a[2] = { 1, 2 }, b[2] = { 3, NAN };
	bool hl[3] = { true, false, false };
	struct rpt_series s[2] = { { "mirai", a, "#d0581c" }, { "scan", b, "#41ab5d" } };
	const char *out;

	rpt_svg_hbars(&sb, "Top ports", labels, v, hl, 3, 100);
	out = strbuf_str(&sb);
	cr_expect_eq(count_str(out, "fill=\"" RPT_COLOR_IOT "\""), 1, "one IoT row");
	cr_expect(strstr(out, ">29.4%</text>"), "%s", out);
	cr_expect(strstr(out, ">60.6%</text>"));
	cr_expect(strstr(out, "width=\"470.0\""), "the largest row spans the bar area");
	strbuf_reset(&sb);
	rpt_svg_stacked(&sb, "Classes", labels, 2, s, 2);
	out = strbuf_str(&sb);
	cr_expect_eq(count_str(out, "<rect "), 3 + 2, "3 segments + 2 legend squares: %s", out);
	strbuf_free(&sb);
	cr_expect_float_eq(rpt_nice_step(400, 4), 100, 1e-9);
	cr_expect_float_eq(rpt_nice_step(401, 4), 200, 1e-9);
	cr_expect_float_eq(rpt_nice_step(9e9, 4), 2.5e9, 1);
}

/* A small report: two months, no comparison, no distinct sources. */
static void fixture(struct rpt_report *r)
{
	time_t from, to;
	char err[128];

	memset(r, 0, sizeof(*r));
	rpt_parse_date("2025-01-01", &from);
	rpt_parse_date("2025-02-28", &to);
	cr_assert_eq(rpt_period_init(&r->cur, from, to, RPT_MONTHLY, err, sizeof(err)), 0);
	r->scale = RPT_MONTHLY;
	snprintf(r->source, sizeof(r->source), "http://127.0.0.1:9090");
	for (int i = 0; i < 2; i++) {
		r->cur.b[i].has_data = true;
		r->cur.b[i].packets = 100 + i;
		rpt_table_add(&r->cur.b[i].classes, "mirai", 60);
		rpt_table_add(&r->cur.b[i].classes, "research", 40 + i);
	}
	r->cur.has_data = true;
	r->cur.buckets_with_data = 2;
	rpt_table_add(&r->cur.classes, "mirai", 120);
	rpt_table_add(&r->cur.classes, "research", 81);
	r->cur.packets = 201;
	r->cur.research = 81;
	r->cur.nonresearch = 120;
	r->cur.has_ports = true;
	rpt_table_add(&r->cur.ports, "23/tcp", 70);
	rpt_table_add(&r->cur.ports, "445/tcp", 20);
	r->cur.has_iot = true;
	rpt_table_add(&r->cur.iot_ports, "23/tcp", 70);
	r->cur.iot = 70;
	snprintf(r->cur.why_per_address, RPT_WHY, "no prefixes.");
	snprintf(r->cur.why_orgs, RPT_WHY, "no scanner list.");
	snprintf(r->cur.why_distinct, RPT_WHY, "no sketches.");
	snprintf(r->cur.why_class_sources, RPT_WHY, "no sketches either.");
}

Test(report_html, absent_sections_say_why_and_the_page_is_self_contained)
{
	static struct rpt_report r;
	struct strbuf sb = STRBUF_INIT;
	const char *out;

	fixture(&r);
	cr_assert_eq(rpt_render_html(&r, &sb), 0);
	out = strbuf_str(&sb);
	cr_expect(strstr(out, "<b>Research scans per organisation</b> left out: no scanner list."));
	cr_expect(strstr(out, "<b>Distinct sources per class</b> left out: no sketches either."));
	cr_expect(strstr(out, "<b>Biggest movers</b> left out: no comparison period"));
	cr_expect_null(strstr(out, "id=\"orgs\""), "no empty section");
	cr_expect(strstr(out, "<td class=\"iot\">23/TCP</td>"), "23/TCP highlighted");
	cr_expect(strstr(out, "<td>445/TCP</td>"), "445/TCP is not an IoT port");
	cr_expect(strstr(out, "<td>other ports</td><td>30</td><td>25.0%</td>"), "120 - 90 = 30");
	cr_expect(strstr(out, ">40.3%<"), "research share 81/201");
	cr_expect(strstr(out, "@media print"));
	cr_expect_eq(count_str(out, "<svg "), 3, "packets, ports, classes; no per-address chart");
	cr_expect_null(strstr(out, "<script"));
	cr_expect_null(strstr(out, " src="));
	strbuf_free(&sb);
	rpt_report_free(&r);
}

Test(report_json, every_figure_and_the_reasons)
{
	static struct rpt_report r;
	json_t *o, *p, *top;

	fixture(&r);
	o = rpt_json(&r);
	cr_assert_not_null(o);
	p = json_object_get(o, "period");
	cr_expect_float_eq(json_real_value(json_object_get(p, "packets")), 201, 1e-9);
	cr_expect_float_eq(json_real_value(json_object_get(p, "research_share")), 81.0 / 201, 1e-12);
	cr_expect_float_eq(json_real_value(json_object_get(p, "iot_share")), 70.0 / 120, 1e-12);
	cr_expect(json_is_null(json_object_get(p, "packets_per_address")));
	cr_expect(json_is_null(json_object_get(o, "compare")));
	top = json_object_get(p, "top_ports");
	cr_assert_eq(json_array_size(top), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(top, 0), "port")), "23");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(top, 0), "proto")), "tcp");
	cr_expect(json_is_true(json_object_get(json_array_get(top, 0), "iot")));
	cr_expect(json_is_false(json_object_get(json_array_get(top, 1), "iot")));
	cr_expect_float_eq(json_real_value(json_object_get(p, "other_ports_packets")), 30, 1e-9);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(p, "absent"),
							     "organisations")), "no scanner list.");
	cr_expect_eq(json_array_size(json_object_get(p, "buckets")), 2);
	json_decref(o);
	rpt_report_free(&r);
}
