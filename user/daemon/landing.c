/* landing.c: the exporter's "/" page: NICTER's picture as HTML with server-rendered SVG. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exporter.h"
#include "log.h"
#include "names.h"
#include "port_series.h"
#include "landing_geo.h"
#include "landing_stats.h"
#include "landing.h"
#include "landing_events.h"

#ifndef DN_VERSION
#define DN_VERSION "unknown"
#endif

/* Chart geometry in SVG user units; the SVG scales to its card (~580 px). */
#define CHART_W 560
#define BAR_X 112       /* labels end left of it */
#define BAR_MAX 318
#define ROW_H 22

#define COLOR_CLASS "#4c6ef5"
#define COLOR_RESEARCH "#e8590c"
#define COLOR_PORT "#0c8599"
#define COLOR_OTHER "#adb5bd"

struct bar {
	const char *label;
	uint64_t value;
	const char *color;
	bool hi;           /* label in bold accent: the research class */
};

/* Set before the HTTP server starts, only read after. */
static const char *metrics_path = "/metrics";

void landing_set_telemetry_path(const char *path)
{
	metrics_path = path;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *fmt_int(char buf[32], uint64_t v)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* Three significant figures with an SI prefix: bars have little room. */
static const char *fmt_si(char buf[32], double v, const char *unit)
{
	static const char *const prefix[] = { "", "k", "M", "G", "T", "P", "E" };
	int p = 0;

	for (; v >= 999.5 && p < 6; p++)
		v /= 1000;
	snprintf(buf, 32, "%.*f%s%s%s", p && v < 9.995 ? 2 : p && v < 99.95 ? 1 : 0, v,
		 *prefix[p] || *unit ? " " : "", prefix[p], unit);
	return buf;
}

/* "100%" when part is all of it: that one needs no decimal to fit its card. */
static const char *fmt_pct(char buf[32], uint64_t part, uint64_t whole)
{
	snprintf(buf, 32, part == whole && whole ? "100%%" : "%.1f%%", pct(part, whole));
	return buf;
}

/* IPv6 darknets are so large that a rate per address needs an exponent. */
static const char *fmt_per_addr(char buf[32], uint64_t packets, double addresses)
{
	double v = addresses > 0 ? (double)packets / addresses : 0;

	if (addresses <= 0)
		snprintf(buf, 32, "&#8211;");
	else if (v >= 1000)
		fmt_int(buf, (uint64_t)llround(v));
	else
		snprintf(buf, 32, v == 0 || v >= 0.01 ? "%.2f" : "%.2e", v);
	return buf;
}

/* Interface names may hold any byte but '/', ':' and whitespace. */
static void put_html(struct strbuf *sb, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		switch (s[i]) {
		case '&': strbuf_puts(sb, "&amp;"); break;
		case '<': strbuf_puts(sb, "&lt;"); break;
		case '>': strbuf_puts(sb, "&gt;"); break;
		case '"': strbuf_puts(sb, "&quot;"); break;
		case '\'': strbuf_puts(sb, "&#39;"); break;
		default: strbuf_putc(sb, s[i]);
		}
	}
}

/* One bar: label, track, bar, share and count; <title> gives the exact
 * count as a tooltip. */
static void svg_bar(struct strbuf *sb, const struct bar *b, int y, double w, uint64_t whole)
{
	char num[32];

	strbuf_puts(sb, "<g><title>");
	put_html(sb, b->label, 64);
	strbuf_printf(sb, ": %s packets</title><text x=\"%d\" y=\"%d\" class=\"lbl%s\">",
		      fmt_int(num, b->value), BAR_X - 8, y + 15, b->hi ? " hi" : "");
	put_html(sb, b->label, 64);
	strbuf_printf(sb, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" "
		      "fill=\"#eef0f4\"/>", BAR_X, y + 4, BAR_MAX, ROW_H - 8);
	strbuf_printf(sb, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		      "rx=\"3\" fill=\"%s\"/>", BAR_X, y + 4, w, ROW_H - 8, b->color);
	strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" class=\"val\">%.1f%% <tspan>%s</tspan></text>"
		      "</g>\n", CHART_W, y + 15, pct(b->value, whole),
		      fmt_si(num, (double)b->value, ""));
}

/* Horizontal bars scaled to the largest on a light full-scale track,
 * each with its share of whole. */
static void svg_bars(struct strbuf *sb, const char *title, const struct bar *b, int n,
		     uint64_t whole)
{
	uint64_t max = 1;

	for (int i = 0; i < n; i++)
		max = b[i].value > max ? b[i].value : max;
	strbuf_printf(sb, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		      CHART_W, n * ROW_H);
	put_html(sb, title, SIZE_MAX);
	strbuf_puts(sb, "\">\n");
	for (int i = 0; i < n; i++)
		svg_bar(sb, &b[i], i * ROW_H, (double)BAR_MAX * (double)b[i].value / (double)max,
			whole);
	strbuf_puts(sb, "</svg>\n");
}

static void class_chart(struct strbuf *sb, const struct landing_sums *t)
{
	struct bar b[DN_CLASS_MAX], tmp;

	for (unsigned int c = 0; c < DN_CLASS_MAX; c++)
		b[c] = (struct bar){ names_class(c), t->classes[c],
				     c == DN_CLASS_RESEARCH ? COLOR_RESEARCH : COLOR_CLASS,
				     c == DN_CLASS_RESEARCH };
	for (int i = 1; i < DN_CLASS_MAX; i++)   /* stable: equal shares keep enum order */
		for (int j = i; j > 0 && b[j - 1].value < b[j].value; j--) {
			tmp = b[j];
			b[j] = b[j - 1];
			b[j - 1] = tmp;
		}
	strbuf_puts(sb, "<section class=\"card\"><h2>Source classes</h2><p class=\"note\">Share "
		    "of darknet packets; research scanners (loaded lists) highlighted.</p>\n");
	svg_bars(sb, "darknet packets by source class", b, DN_CLASS_MAX, t->packets);
	strbuf_puts(sb, "</section>\n");
}

static void port_chart(struct strbuf *sb, const struct dn_snapshot *snap)
{
	struct landing_port top[LANDING_TOP_PORTS];
	struct bar b[LANDING_TOP_PORTS + 1];
	char labels[LANDING_TOP_PORTS][16], num[32];
	uint64_t total, shown = 0;
	int n = landing_top_ports(snap, top, &total);

	for (int i = 0; i < n; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%u/%s", top[i].port,
			 port_proto_name(top[i].proto));
		b[i] = (struct bar){ labels[i], top[i].packets, COLOR_PORT, false };
		shown += top[i].packets;
	}
	b[n] = (struct bar){ "other ports", total - shown, COLOR_OTHER, false };
	strbuf_printf(sb, "<section class=\"card\"><h2>Top-10 destination ports, research scans "
		      "removed</h2><p class=\"note\">Share of %s TCP/UDP darknet packets; the top "
		      "%d take %.1f%%.</p>\n", fmt_int(num, total), n, pct(shown, total));
	if (total)
		svg_bars(sb, "top destination ports without research scans", b, n + 1, total);
	else
		strbuf_puts(sb, "<p class=\"empty\">No TCP or UDP darknet packet outside research "
			    "scans yet.</p>\n");
	strbuf_puts(sb, "</section>\n");
}

/* One rule group a line: page, cards, KPIs, charts, table. */
static const char style[] =
	"*{box-sizing:border-box}body{margin:0;background:#f3f4f7;color:#1d2330;"
	"font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
	"main{max-width:1220px;margin:0 auto;padding:18px 24px}a{color:#364fc7}"
	"header{display:flex;justify-content:space-between;align-items:baseline}"
	"h1{font-size:22px;margin:0}h1 span{color:#6b7385;font-weight:400;font-size:15px}"
	"h2{font-size:15px;margin:0 0 2px}.sub,.note,.empty{color:#6b7385;margin:2px 0 10px}"
	".card{background:#fff;border-radius:8px;padding:12px 16px;"
	"box-shadow:0 1px 2px rgba(20,30,60,.08)}"
	".kpis{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin:12px 0}"
	".kpi h2{font-size:13px;font-weight:500;color:#495063}"
	".kpi span{color:#6b7385;font-size:13px}"
	".kpi b{display:block;font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}"
	".kpi.hi{border-left:4px solid " COLOR_RESEARCH "}.kpi.hi b{color:" COLOR_RESEARCH "}"
	".charts{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-bottom:12px}"
	".chart{width:100%;height:auto;font-size:12.5px}.lbl{text-anchor:end;fill:#343a4a}"
	".lbl.hi{fill:" COLOR_RESEARCH ";font-weight:700}.val tspan{fill:#6b7385}"
	".val{text-anchor:end;fill:#1d2330;font-variant-numeric:tabular-nums}"
	"table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}"
	"th,td{padding:5px 8px;text-align:right;border-bottom:1px solid #e6e8ee}"
	"th{color:#6b7385;font-weight:500;font-size:12.5px}"
	"th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}"
	"tr.total td{font-weight:600;border-bottom:0}"
	".up{color:#2b8a3e}.down{color:#c92a2a;font-weight:600}";

static void page_header(struct strbuf *sb, const struct dn_snapshot *snap,
			const char *path, const char *version, time_t now)
{
	char when[32];
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&now, &tm));
	strbuf_printf(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta http-equiv=\"refresh\" content=\"%d\"><title>darknet-counter</title>"
		      "<style>%s</style></head>\n<body><main>\n<header><h1>darknet-counter "
		      "<span>darknet telescope summary</span></h1><a href=\"", LANDING_REFRESH_SEC,
		      style);
	put_html(sb, path, SIZE_MAX);
	strbuf_puts(sb, "\">Prometheus metrics: ");
	put_html(sb, path, SIZE_MAX);
	strbuf_puts(sb, "</a></header>\n<p class=\"sub\">Version ");
	put_html(sb, version, SIZE_MAX);
	strbuf_printf(sb, " &#183; %d interface%s &#183; counted since attach, as of %s UTC "
		      "&#183; this page reloads every %d s</p>\n", snap->nr_ifaces,
		      snap->nr_ifaces == 1 ? "" : "s", when, LANDING_REFRESH_SEC);
}

/* value and sub are trusted: numbers and fixed words. */
static void kpi(struct strbuf *sb, const char *title, const char *value, const char *sub,
		bool hi)
{
	strbuf_printf(sb, "<div class=\"card kpi%s\"><h2>%s</h2><b>%s</b><span>%s</span></div>\n",
		      hi ? " hi" : "", title, value, sub);
}

static void kpi_volume(struct strbuf *sb, const struct landing_sums *t)
{
	char a[32], b[32], value[32], sub[160];
	int v4 = DN_FAMILY_IPV4, v6 = DN_FAMILY_IPV6;

	snprintf(sub, sizeof(sub), "%s of frames", fmt_si(b, (double)t->bytes, "B"));
	kpi(sb, "Darknet packets", fmt_int(a, t->packets), sub, false);
	fmt_int(a, (uint64_t)t->addresses[v4]);
	if (t->addresses[v6] > 0)
		snprintf(sub, sizeof(sub), "%s IPv4 addresses &#183; IPv6: %s per address", a,
			 fmt_per_addr(b, t->prefix_packets[v6], t->addresses[v6]));
	else
		snprintf(sub, sizeof(sub), "%s IPv4 addresses &#183; no IPv6 darknet", a);
	fmt_per_addr(value, t->prefix_packets[v4], t->addresses[v4]);
	kpi(sb, "Packets per IPv4 address", value, sub, false);
}

static void kpi_shares(struct strbuf *sb, const struct landing_sums *t)
{
	char a[32], b[32], value[80], sub[160];
	int v4 = DN_FAMILY_IPV4, v6 = DN_FAMILY_IPV6;

	snprintf(sub, sizeof(sub), "%s packets &#183; NICTER 2018: 35%%",
		 fmt_int(a, t->classes[DN_CLASS_RESEARCH]));
	kpi(sb, "Research-scan share", fmt_pct(value, t->classes[DN_CLASS_RESEARCH], t->packets),
	    sub, true);
	snprintf(value, sizeof(value), "%s / %s", fmt_pct(a, t->family[v4], t->packets),
		 fmt_pct(b, t->family[v6], t->packets));
	snprintf(sub, sizeof(sub), "%s / %s packets", fmt_int(a, t->family[v4]),
		 fmt_int(b, t->family[v6]));
	kpi(sb, "IPv4 / IPv6", value, sub, false);
	snprintf(value, sizeof(value), "%s / %s", fmt_int(a, t->malformed), fmt_int(b, t->passed));
	kpi(sb, "Malformed / passed", value, "frames not counted as darknet traffic", false);
}

static void table_row(struct strbuf *sb, const struct dn_iface_snapshot *s,
		      const struct landing_sums *t)
{
	char c[8][32];
	int v4 = DN_FAMILY_IPV4, v6 = DN_FAMILY_IPV6;

	strbuf_printf(sb, "<tr%s><td>", s ? "" : " class=\"total\"");
	put_html(sb, s ? s->ifname : "all interfaces", IF_NAMESIZE);
	if (!s)
		strbuf_puts(sb, "</td><td>");
	else if (s->attached)
		strbuf_puts(sb, "</td><td><span class=\"up\">&#9679; attached</span> ");
	else
		strbuf_puts(sb, "</td><td><span class=\"down\">&#9679; detached</span> ");
	put_html(sb, s && s->mode ? s->mode : "", 16);
	strbuf_printf(sb, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		      "<td>%.1f%%</td><td>%s</td><td>%s</td></tr>\n", fmt_int(c[0], t->packets),
		      fmt_si(c[1], (double)t->bytes, "B"), fmt_int(c[2], t->family[v4]),
		      fmt_int(c[3], t->family[v6]),
		      fmt_per_addr(c[4], t->prefix_packets[v4], t->addresses[v4]),
		      fmt_per_addr(c[5], t->prefix_packets[v6], t->addresses[v6]),
		      pct(t->classes[DN_CLASS_RESEARCH], t->packets), fmt_int(c[6], t->passed),
		      fmt_int(c[7], t->malformed));
}

static int iface_table(struct strbuf *sb, const struct dn_snapshot *snap,
		       const struct landing_sums *total)
{
	struct landing_sums t;
	int err = 0;

	strbuf_puts(sb, "<section class=\"card\"><h2>Interfaces</h2><table>\n<tr><th>Interface"
		    "</th><th>XDP program</th><th>Packets</th><th>Bytes</th><th>IPv4</th>"
		    "<th>IPv6</th><th>Per IPv4 address</th><th>Per IPv6 address</th>"
		    "<th>Research</th><th>Passed</th><th>Malformed</th></tr>\n");
	for (int i = 0; i < snap->nr_ifaces && !err; i++) {
		err = landing_sum(&t, &snap->ifaces[i], 1);
		table_row(sb, &snap->ifaces[i], &t);
	}
	if (snap->nr_ifaces > 1)
		table_row(sb, NULL, total);
	strbuf_puts(sb, "</table></section>\n");
	return err;
}

/* Distinct sources per class and coverage, 24h windows. Not additive over
 * interfaces: with several, the largest interface's count (a lower bound). */
static void distinct_card(struct strbuf *sb, const struct landing_distinct *ld)
{
	char a[32], b[32];

	strbuf_printf(sb, "<section class=\"card\"><h2>Distinct sources, last 24 hours</h2>"
		      "<p class=\"note\">Different source addresses per class, IPv4 and IPv6 "
		      "(HyperLogLog, 1.6%% standard error)%s.</p>\n<table>\n<tr><th>Class</th>"
		      "<th></th><th>Sources</th></tr>\n", ld->nr_ifaces > 1 ?
		      "; with several interfaces, the largest one's count: sources seen on two "
		      "are one source, so counts do not add up" : "");
	for (unsigned int c = 0; c < DN_CLASS_MAX; c++)
		if (ld->sources[c] > 0)
			strbuf_printf(sb, "<tr><td>%s</td><td></td><td>%s</td></tr>\n",
				      names_class(c), fmt_int(a, (uint64_t)ld->sources[c]));
	strbuf_printf(sb, "<tr class=\"total\"><td>all classes</td><td></td><td>%s</td></tr>\n"
		      "</table>\n<h2>Darknet coverage, last 24 hours</h2><table>\n<tr><th>"
		      "Interface</th><th></th><th>IPv4 addresses hit</th><th>Coverage</th></tr>\n",
		      fmt_int(a, (uint64_t)ld->all));
	for (int i = 0; i < ld->nr_ifaces; i++) {
		strbuf_puts(sb, "<tr><td>");
		put_html(sb, ld->cov[i].name, SIZE_MAX);
		strbuf_printf(sb, "</td><td></td><td>%s of %s</td><td>", fmt_int(a,
			      (uint64_t)ld->cov[i].hit), fmt_int(b, (uint64_t)ld->cov[i].addresses));
		if (ld->cov[i].addresses > 0)
			strbuf_printf(sb, "%.1f%%", 100 * ld->cov[i].hit / ld->cov[i].addresses);
		else
			strbuf_puts(sb, "&#8211;");
		strbuf_puts(sb, "</td></tr>\n");
	}
	strbuf_puts(sb, "</table></section>\n");
}

int landing_render(struct strbuf *out, const struct dn_snapshot *snap,
		   const struct landing_distinct *dist, const struct landing_geo *geo,
		   const char *cards,
		   const char *telemetry_path, const char *version, time_t now)
{
	struct landing_sums total;
	int err = landing_sum(&total, snap->ifaces, snap->nr_ifaces);

	if (err)
		return err;
	page_header(out, snap, telemetry_path, version, now);
	strbuf_puts(out, "<div class=\"kpis\">\n");
	kpi_volume(out, &total);
	kpi_shares(out, &total);
	strbuf_puts(out, "</div>\n");
	strbuf_puts(out, "<div class=\"charts\">\n");
	class_chart(out, &total);
	port_chart(out, snap);
	strbuf_puts(out, "</div>\n");
	err = iface_table(out, snap, &total);
	if (dist && dist->on)
		distinct_card(out, dist);
	landing_geo_card(out, geo);
	if (cards)
		strbuf_puts(out, cards);
	strbuf_puts(out, "<p class=\"note\">Packets per address: darknet packets over the "
		    "addresses of the configured darknet prefixes (NICTER 2018: about 790,000 a "
		    "year). Ports: TCP and UDP destination ports over all interfaces without "
		    "research scans, as in NICTER's annual report.</p>\n</main></body></html>\n");
	return err ?: out->err;
}

/* --- the daemon's handler --- */

int exporter_landing(void *ctx, char **body, size_t *len)
{
	struct exporter *ex = ctx;
	struct strbuf sb = STRBUF_INIT;
	struct landing_distinct dist;
	struct strbuf cards = STRBUF_INIT;
	static struct landing_geo geo;   /* under ex->lock */
	int err;

	/* A fresh read, but no port_series_update(): promotion compares counts
	 * between scrapes, and page views are not scrapes. */
	landing_events_render(&cards, &ex->events);
	pthread_mutex_lock(&ex->lock);
	exporter_read(ex);
	landing_distinct_fill(&dist, &ex->distinct);
	geo_export_read(&ex->geo_metrics);
	landing_geo_fill(&geo, &ex->geo_metrics);
	err = landing_render(&sb, &ex->snap, &dist, &geo, cards.err ? NULL : strbuf_str(&cards),
			     metrics_path, DN_VERSION, time(NULL));
	pthread_mutex_unlock(&ex->lock);
	strbuf_free(&cards);
	if (err) {
		strbuf_free(&sb);
		return err;
	}
	*body = sb.buf;
	*len = sb.len;
	return 0;
}
