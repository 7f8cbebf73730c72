/* report_html.c: the page, its header, the headline figures and the charts over time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "report_html.h"
#include "report_svg.h"

/* Phone and A4 widths alike: the charts scale with their viewBox, tables
 * wrap long cells instead of widening the page; print keeps a section on
 * one page where it fits and starts the detailed sections on a new one. */
static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1d;"
	"margin:0 auto;max-width:60rem;padding:0.75rem}"
	"h1{font-size:1.5rem;margin:0.2rem 0}h2{font-size:1.15rem;margin:1.4rem 0 0.3rem;"
	"border-bottom:2px solid #1f5fa8}"
	"header p{margin:0.15rem 0}.meta{color:#444;font-size:0.9rem;overflow-wrap:anywhere}"
	"svg.chart{display:block;width:100%;height:auto;max-width:48rem}"
	"svg text{font:12px system-ui,sans-serif;fill:#333}svg .grid{stroke:#ddd;stroke-width:1}"
	"table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:0.9rem;margin:0.4rem 0}"
	"th,td{padding:0.2rem 0.35rem;border-bottom:1px solid #ddd;text-align:right;"
	"overflow-wrap:anywhere}th:first-child,td:first-child{text-align:left}"
	"th{background:#f0f4f9}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10.5rem,1fr));gap:0.5rem}"
	".card{border:1px solid #c9d3df;border-radius:0.4rem;padding:0.5rem}"
	".card .v{font-size:1.35rem;font-weight:600}.card .k{font-size:0.85rem;color:#444}"
	".card .c{font-size:0.8rem;color:#555}"
	".cap{color:#4a4a4a;font-size:0.85rem;margin:0.3rem 0}"
	".absent{color:#6b4a00;background:#fff7e0;padding:0.3rem 0.5rem;font-size:0.9rem}"
	".iot{color:#d0581c;font-weight:600}"
	"footer{margin-top:1.5rem;font-size:0.8rem;color:#555}"
	"code{overflow-wrap:anywhere}th.rank{width:2.4rem}"
	"@media (max-width:32rem){body{font-size:14px}table{font-size:0.72rem}"
	"th,td{padding:0.15rem 0.2rem}.card .v{font-size:1.15rem}}"
	"@media print{@page{size:A4;margin:14mm 12mm}body{max-width:none;padding:0;font-size:10pt}"
	"section{break-inside:avoid}h2{break-after:avoid}.newpage{break-before:page}"
	"th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void headline_card(struct strbuf *sb, const char *key, const char *value,
			  const char *cmp_html)
{
	strbuf_printf(sb, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div>",
		      key, value);
	if (cmp_html && cmp_html[0])
		strbuf_printf(sb, "<div class=\"c\">%s</div>", cmp_html);
	strbuf_puts(sb, "</div>\n");
}

/* "2024: 150.4 billion (+41.0%)" under a card, when there is a comparison. */
static void cmp_line(const struct rpt_report *r, bool has, double from, double to,
		     bool pct, char *buf, size_t n)
{
	char a[48], ch[24];

	buf[0] = '\0';
	if (!r->has_cmp || !r->cmp.has_data || !has)
		return;
	if (pct) {
		rpt_fmt_pct(from, a, sizeof(a));
		snprintf(ch, sizeof(ch), "%+.1f points", (to - from) * 100);
	} else {
		rpt_fmt_count(from, a, sizeof(a));
		rpt_fmt_change(from, to, ch, sizeof(ch));
	}
	snprintf(buf, n, "%s: %s (%s)", r->cmp.name, a, ch);
}

static void headline(struct strbuf *sb, const struct rpt_report *r)
{
	const struct rpt_period *p = &r->cur, *q = &r->cmp;
	char v[64], c[160];

	rpt_section_open(sb, "headline", "Headline figures");
	strbuf_puts(sb, "<div class=\"cards\">\n");
	rpt_fmt_count(p->packets, v, sizeof(v));
	cmp_line(r, true, q->packets, p->packets, false, c, sizeof(c));
	headline_card(sb, "Darknet packets", v, c);
	if (p->has_per_address) {
		rpt_fmt_count(p->per_address, v, sizeof(v));
		cmp_line(r, q->has_per_address, q->per_address, p->per_address, false, c, sizeof(c));
		headline_card(sb, "Packets per darknet address", v, c);
	}
	if (p->has_distinct) {
		rpt_fmt_count(p->distinct, v, sizeof(v));
		cmp_line(r, q->has_distinct, q->distinct, p->distinct, false, c, sizeof(c));
		headline_card(sb, "Distinct sources per day", v, c);
	}
	rpt_fmt_pct(p->packets > 0 ? p->research / p->packets : 0, v, sizeof(v));
	cmp_line(r, true, q->packets > 0 ? q->research / q->packets : 0,
		 p->packets > 0 ? p->research / p->packets : 0, true, c, sizeof(c));
	headline_card(sb, "Research scans", v, c);
	if (p->has_iot) {
		rpt_fmt_pct(p->nonresearch > 0 ? p->iot / p->nonresearch : 0, v, sizeof(v));
		cmp_line(r, q->has_iot, q->nonresearch > 0 ? q->iot / q->nonresearch : 0,
			 p->nonresearch > 0 ? p->iot / p->nonresearch : 0, true, c, sizeof(c));
		headline_card(sb, "IoT-targeted (research removed)", v, c);
	}
	if (p->has_per_address)
		rpt_fmt_int(p->addresses, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "unknown");
	snprintf(c, sizeof(c), "data in %zu of %zu %s", p->buckets_with_data, p->nr_buckets,
		 r->scale == RPT_DAILY ? "days" : "months");
	headline_card(sb, "Darknet coverage (IPv4 addresses)", v, c);
	strbuf_puts(sb, "</div>\n");
	rpt_caption(sb, "<b>Packets</b>: every packet the sensors counted to their darknet "
		    "prefixes, all classes, IPv4 and IPv6 (rule <code>sensor_class:darknet_packets:"
		    "rate5m</code>, its mean over each day or month times the length of it). "
		    "<b>Per darknet address</b>: packets to the IPv4 darknet prefixes divided by "
		    "their number of addresses, NICTER's headline figure (IPv6 prefixes left out). "
		    "<b>Distinct sources</b>: the mean of the exporters' 24-hour distinct-source "
		    "windows (HyperLogLog, 1.6% standard error), summed over sensors, so a source "
		    "seen by two sensors counts twice. <b>Research scans</b>: share of packets from "
		    "the research-scanner lists' organisations. <b>IoT-targeted</b>: share of the "
		    "non-research packets to the IoT ports of the recording rules. "
		    "<b>Coverage</b>: mean number of monitored IPv4 darknet addresses.");
	if (!p->has_per_address)
		rpt_absent(sb, "Packets per darknet address", p->why_per_address);
	if (!p->has_distinct)
		rpt_absent(sb, "Distinct sources", p->why_distinct);
	if (!p->has_iot)
		rpt_absent(sb, "IoT-targeted share", p->why_iot);
	rpt_section_close(sb);
}

static void time_chart(struct strbuf *sb, const struct rpt_report *r, bool per_address)
{
	const struct rpt_period *p = &r->cur, *q = &r->cmp;
	double cur[RPT_MAX_BUCKETS], cmp[RPT_MAX_BUCKETS];
	const char *labels[RPT_MAX_BUCKETS];
	struct rpt_series s[2] = {
		{ p->name, cur, RPT_COLOR_CUR }, { q->name, cmp, RPT_COLOR_CMP },
	};
	bool with_cmp = r->has_cmp && q->has_data && (!per_address || q->has_per_address);
	const char *unit = r->scale == RPT_DAILY ? "day" : "month";
	char title[128];

	for (size_t i = 0; i < p->nr_buckets; i++) {
		const struct rpt_bucket *a = &p->b[i], *b = i < q->nr_buckets ? &q->b[i] : NULL;

		labels[i] = a->label;
		cur[i] = per_address ? (a->has_per_address ? a->per_address : NAN)
				     : (a->has_data ? a->packets : NAN);
		cmp[i] = !b ? NAN : per_address ? (b->has_per_address ? b->per_address : NAN)
					     : (b->has_data ? b->packets : NAN);
	}
	snprintf(title, sizeof(title), "%s per %s", per_address ? "Packets per darknet address"
		 : "Darknet packets", unit);
	rpt_section_open(sb, per_address ? "per-address" : "packets", title);
	rpt_svg_bars(sb, title, labels, p->nr_buckets, s, with_cmp ? 2 : 1);
	strbuf_printf(sb, "<p class=\"cap\">%s per %s of ",
		      per_address ? "Packets per IPv4 darknet address" : "All darknet packets", unit);
	rpt_html_escape(sb, p->name);
	if (with_cmp) {
		strbuf_printf(sb, ", beside the same %s of ", unit);
		rpt_html_escape(sb, q->name);
		strbuf_puts(sb, " (lighter bars)");
	}
	strbuf_puts(sb, ".");
	strbuf_puts(sb, " A missing bar is a period without samples.</p>\n");
	if (r->has_cmp && !with_cmp)
		rpt_absent(sb, "The comparison period", !q->has_data ?
			   "it has no samples of sensor_class:darknet_packets:rate5m." :
			   q->why_per_address);
	rpt_section_close(sb);
}

static void header(struct strbuf *sb, const struct rpt_report *r)
{
	char a[16], b[16];

	strbuf_puts(sb, "<header><h1>Darknet observation report ");
	rpt_html_escape(sb, r->cur.name);
	rpt_fmt_date(r->cur.from, a, sizeof(a));
	rpt_fmt_date(r->cur.to - 86400, b, sizeof(b));
	strbuf_printf(sb, "</h1>\n<p>Period: %s to %s (UTC)", a, b);
	if (r->has_cmp) {
		rpt_fmt_date(r->cmp.from, a, sizeof(a));
		rpt_fmt_date(r->cmp.to - 86400, b, sizeof(b));
		strbuf_printf(sb, ", compared with %s to %s", a, b);
	}
	strbuf_puts(sb, "</p>\n<p>Sensors: ");
	if (!r->nr_sensors)
		strbuf_puts(sb, "all sensors");
	for (int i = 0; i < r->nr_sensors; i++) {
		strbuf_puts(sb, i ? ", " : "");
		rpt_html_escape(sb, r->sensors[i]);
	}
	strbuf_puts(sb, "</p>\n<p class=\"meta\">Data: ");
	rpt_html_escape(sb, r->source);
	strbuf_printf(sb, "; generated %s by darknet-counter %s</p></header>\n",
		      r->generated, DN_VERSION);
}

int rpt_render_html(const struct rpt_report *r, struct strbuf *sb)
{
	strbuf_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>Darknet observation report ");
	rpt_html_escape(sb, r->cur.name);
	strbuf_printf(sb, "</title>\n<style>%s</style></head>\n<body>\n", css);
	header(sb, r);
	headline(sb, r);
	time_chart(sb, r, false);
	if (r->cur.has_per_address)
		time_chart(sb, r, true);
	else
		rpt_absent(sb, "Packets per darknet address over time", r->cur.why_per_address);
	rpt_html_ports(sb, r);
	rpt_html_orgs(sb, r);
	rpt_html_classes(sb, r);
	rpt_html_movers(sb, r);
	rpt_html_class_sources(sb, r);
	strbuf_puts(sb, "<footer>Figures are computed from Prometheus recording rules "
		    "(deploy/prometheus/rules/darknet-recording.yml): the mean of a rule's "
		    "5-minute rate over a day or month, times its length, is the packets of that "
		    "day or month; a gap in the data counts at the rate of the rest of it. "
		    "Classes: docs/classification.md. Every figure is also in the report's JSON "
		    "(--json).</footer>\n</body></html>\n");
	return sb->err ? -ENOMEM : 0;
}
