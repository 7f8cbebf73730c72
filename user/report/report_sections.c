/* report_sections.c: the report's detail sections: ports, organisations, classes, movers, sources. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "report_html.h"
#include "report_svg.h"

#define RPT_MOVERS 6

void rpt_section_open(struct strbuf *sb, const char *id, const char *title)
{
	strbuf_printf(sb, "<section id=\"%s\"><h2>", id);
	rpt_html_escape(sb, title);
	strbuf_puts(sb, "</h2>\n");
}

void rpt_section_close(struct strbuf *sb)
{
	strbuf_puts(sb, "</section>\n");
}

void rpt_caption(struct strbuf *sb, const char *html)
{
	strbuf_printf(sb, "<p class=\"cap\">%s</p>\n", html);
}

void rpt_absent(struct strbuf *sb, const char *title, const char *why)
{
	strbuf_puts(sb, "<p class=\"absent\"><b>");
	rpt_html_escape(sb, title);
	strbuf_puts(sb, "</b> left out: ");
	rpt_html_escape(sb, why);
	strbuf_puts(sb, "</p>\n");
}

void rpt_port_label(const char *key, char *buf, size_t n)
{
	size_t i;

	snprintf(buf, n, "%s", key);
	for (i = 0; buf[i] && buf[i] != '/'; i++)
		;
	for (; buf[i]; i++)
		buf[i] = toupper((unsigned char)buf[i]);
}

static void cell_count(struct strbuf *sb, double v)
{
	char num[48];

	rpt_fmt_count(v, num, sizeof(num));
	strbuf_printf(sb, "<td>%s</td>", num);
}

static void cell_pct(struct strbuf *sb, double v, double total)
{
	char pct[24];

	rpt_fmt_pct(total > 0 ? v / total : 0, pct, sizeof(pct));
	strbuf_printf(sb, "<td>%s</td>", pct);
}

static void cell_change(struct strbuf *sb, double from, double to)
{
	char ch[24];

	rpt_fmt_change(from, to, ch, sizeof(ch));
	strbuf_printf(sb, "<td>%s</td>", ch);
}

static bool compared(const struct rpt_report *r)
{
	return r->has_cmp && r->cmp.has_data;
}

void rpt_html_ports(struct strbuf *sb, const struct rpt_report *r)
{
	const struct rpt_period *p = &r->cur;
	size_t n = p->ports.n < RPT_TOP_PORTS ? p->ports.n : RPT_TOP_PORTS;
	char labels[RPT_TOP_PORTS + 1][RPT_KEY];
	const char *lp[RPT_TOP_PORTS + 1];
	double v[RPT_TOP_PORTS + 1], top = 0;
	bool hl[RPT_TOP_PORTS + 1], cmp = compared(r) && r->cmp.has_ports;

	if (!p->has_ports) {
		rpt_absent(sb, "Top-10 destination ports", p->why_ports);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		rpt_port_label(p->ports.items[i].key, labels[i], RPT_KEY);
		lp[i] = labels[i];
		v[i] = p->ports.items[i].val;
		hl[i] = rpt_is_iot(p, p->ports.items[i].key);
		top += v[i];
	}
	snprintf(labels[n], RPT_KEY, "other ports");
	lp[n] = labels[n];
	v[n] = p->nonresearch - top > 0 ? p->nonresearch - top : 0;
	hl[n] = false;

	strbuf_puts(sb, "<div class=\"newpage\"></div>\n");
	rpt_section_open(sb, "ports", "Top-10 destination ports, research scans removed");
	rpt_svg_hbars(sb, "Top-10 destination ports without research scans", lp, v, hl,
		      n + 1, p->nonresearch);
	strbuf_printf(sb, "<table><thead><tr><th class=\"rank\">#</th><th>Port</th><th>Packets</th><th>Share</th>%s%s%s"
		      "</tr></thead><tbody>\n", cmp ? "<th>" : "", cmp ? r->cmp.name : "",
		      cmp ? "</th><th>Change</th>" : "");
	for (size_t i = 0; i <= n; i++) {
		if (i < n) {
			strbuf_printf(sb, "<tr><td>%zu</td><td%s>", i + 1,
				      hl[i] ? " class=\"iot\"" : "");
			rpt_html_escape(sb, labels[i]);
			strbuf_puts(sb, "</td>");
		} else {
			strbuf_puts(sb, "<tr><td></td><td>other ports</td>");
		}
		cell_count(sb, v[i]);
		cell_pct(sb, v[i], p->nonresearch);
		if (cmp && i < n) {
			double before = rpt_table_get(&r->cmp.ports, p->ports.items[i].key);

			cell_count(sb, before);
			cell_change(sb, before, v[i]);
		} else if (cmp) {
			strbuf_puts(sb, "<td></td><td></td>");
		}
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
	strbuf_puts(sb, "<p class=\"cap\">Packets per destination port (TCP and UDP) of every "
		    "class but <code>research</code> (rule <code>sensor_proto_port:darknet_port_"
		    "packets_nonresearch:rate5m</code>). Shares are of all non-research packets; "
		    "<b>other ports</b> is the rest of them: other ports, ports folded into "
		    "<code>port=\"other\"</code>, ICMP and other protocols. ");
	if (p->has_iot)
		strbuf_puts(sb, "<span class=\"iot\">Orange</span>: ports targeted by IoT malware "
			    "(the recording rules' IoT list, docs/classification.md).");
	strbuf_puts(sb, "</p>\n");
	if (!p->has_iot)
		rpt_absent(sb, "IoT highlighting", p->why_iot);
	rpt_section_close(sb);
}

void rpt_html_orgs(struct strbuf *sb, const struct rpt_report *r)
{
	const struct rpt_period *p = &r->cur;
	bool cmp = compared(r) && r->cmp.has_orgs;
	double total = rpt_table_sum(&p->orgs);

	if (!p->has_orgs) {
		rpt_absent(sb, "Research scans per organisation", p->why_orgs);
		return;
	}
	rpt_section_open(sb, "orgs", "Research scans per organisation");
	strbuf_printf(sb, "<table><thead><tr><th>Organisation</th><th>Packets</th><th>Share</th>%s%s%s"
		      "</tr></thead><tbody>\n", cmp ? "<th>" : "", cmp ? r->cmp.name : "",
		      cmp ? "</th><th>Change</th>" : "");
	for (size_t i = 0; i < p->orgs.n; i++) {
		const struct rpt_item *it = &p->orgs.items[i];

		strbuf_puts(sb, "<tr><td>");
		rpt_html_escape(sb, it->key);
		strbuf_puts(sb, "</td>");
		cell_count(sb, it->val);
		cell_pct(sb, it->val, total);
		if (cmp) {
			double before = rpt_table_get(&r->cmp.orgs, it->key);

			cell_count(sb, before);
			cell_change(sb, before, it->val);
		}
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
	rpt_caption(sb, "Packets of class <code>research</code> by the organisation of the "
		    "research-scanner list entry they matched (<code>darknet_scanner_packets_"
		    "total</code>, Prometheus' <code>increase()</code> per day or month); shares "
		    "are of the research packets in this table.");
	rpt_section_close(sb);
}

void rpt_html_classes(struct strbuf *sb, const struct rpt_report *r)
{
	const struct rpt_period *p = &r->cur;
	static double vals[16][RPT_MAX_BUCKETS];
	struct rpt_series s[16];
	const char *labels[RPT_MAX_BUCKETS];
	size_t ns = p->classes.n < 16 ? p->classes.n : 16;
	bool cmp = compared(r);

	for (size_t k = 0; k < ns; k++) {
		const char *cls = p->classes.items[k].key;

		s[k] = (struct rpt_series){ cls, vals[k], rpt_class_color(cls, k) };
		for (size_t i = 0; i < p->nr_buckets; i++)
			vals[k][i] = p->b[i].has_data ? rpt_table_get(&p->b[i].classes, cls) : NAN;
	}
	for (size_t i = 0; i < p->nr_buckets; i++)
		labels[i] = p->b[i].label;
	strbuf_puts(sb, "<div class=\"newpage\"></div>\n");
	rpt_section_open(sb, "classes", "Source classes over time");
	rpt_svg_stacked(sb, "Darknet packets per source class", labels, p->nr_buckets, s, ns);
	strbuf_printf(sb, "<table><thead><tr><th>Class</th><th>Packets</th><th>Share</th>%s%s%s"
		      "</tr></thead><tbody>\n", cmp ? "<th>" : "", cmp ? r->cmp.name : "",
		      cmp ? "</th><th>Change</th>" : "");
	for (size_t k = 0; k < p->classes.n; k++) {
		const struct rpt_item *it = &p->classes.items[k];

		strbuf_puts(sb, "<tr><td>");
		rpt_html_escape(sb, it->key);
		strbuf_puts(sb, "</td>");
		cell_count(sb, it->val);
		cell_pct(sb, it->val, p->packets);
		if (cmp) {
			double before = rpt_table_get(&r->cmp.classes, it->key);

			cell_count(sb, before);
			cell_change(sb, before, it->val);
		}
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
	rpt_caption(sb, "Packets per source class (rule <code>sensor_class:darknet_packets:"
		    "rate5m</code>); each packet has exactly one class, decided in the datapath "
		    "by the first matching rule of docs/classification.md (spoofed, fragment, "
		    "backscatter, research, mirai, masscan, zmap, scan, ...).");
	rpt_section_close(sb);
}

static void movers_table(struct strbuf *sb, const char *what, const struct rpt_table *from,
			 const struct rpt_table *to, const struct rpt_report *r, bool ports)
{
	struct rpt_mover m[RPT_MOVERS];
	size_t n = rpt_movers(from, to, m, RPT_MOVERS);

	strbuf_printf(sb, "<table><thead><tr><th>%s</th><th>", what);
	rpt_html_escape(sb, r->cmp.name);
	strbuf_puts(sb, "</th><th>");
	rpt_html_escape(sb, r->cur.name);
	strbuf_puts(sb, "</th><th>Change</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		char label[RPT_KEY];

		if (ports)
			rpt_port_label(m[i].key, label, sizeof(label));
		else
			snprintf(label, sizeof(label), "%s", m[i].key);
		strbuf_printf(sb, "<tr><td%s>", ports && rpt_is_iot(&r->cur, m[i].key) ?
			      " class=\"iot\"" : "");
		rpt_html_escape(sb, label);
		strbuf_puts(sb, "</td>");
		cell_count(sb, m[i].from);
		cell_count(sb, m[i].to);
		cell_change(sb, m[i].from, m[i].to);
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
}

void rpt_html_movers(struct strbuf *sb, const struct rpt_report *r)
{
	if (!r->has_cmp) {
		rpt_absent(sb, "Biggest movers", "no comparison period was asked for (--compare).");
		return;
	}
	if (!r->cmp.has_data) {
		rpt_absent(sb, "Biggest movers", "the comparison period has no samples of "
			   "sensor_class:darknet_packets:rate5m.");
		return;
	}
	rpt_section_open(sb, "movers", "Biggest movers between the periods");
	if (r->cur.has_ports && r->cmp.has_ports)
		movers_table(sb, "Port", &r->cmp.ports, &r->cur.ports, r, true);
	else
		rpt_absent(sb, "Ports", r->cur.has_ports ? r->cmp.why_ports : r->cur.why_ports);
	movers_table(sb, "Class", &r->cmp.classes, &r->cur.classes, r, false);
	rpt_caption(sb, "The ports (research scans removed) and source classes whose packet "
		    "counts changed most between the two periods, largest absolute change first. "
		    "The periods are compared as they are: a longer one has more packets.");
	rpt_section_close(sb);
}

void rpt_html_class_sources(struct strbuf *sb, const struct rpt_report *r)
{
	const struct rpt_period *p = &r->cur;
	bool cmp = compared(r) && r->cmp.has_class_sources;

	if (!p->has_class_sources) {
		rpt_absent(sb, "Distinct sources per class", p->why_class_sources);
		return;
	}
	rpt_section_open(sb, "sources", "Distinct sources per class");
	strbuf_printf(sb, "<table><thead><tr><th>Class</th><th>Sources per day</th>%s%s%s"
		      "</tr></thead><tbody>\n", cmp ? "<th>" : "", cmp ? r->cmp.name : "",
		      cmp ? "</th><th>Change</th>" : "");
	for (size_t i = 0; i < p->class_sources.n; i++) {
		const struct rpt_item *it = &p->class_sources.items[i];

		strbuf_puts(sb, "<tr><td>");
		rpt_html_escape(sb, it->key);
		strbuf_puts(sb, "</td>");
		cell_count(sb, it->val);
		if (cmp) {
			double before = rpt_table_get(&r->cmp.class_sources, it->key);

			cell_count(sb, before);
			cell_change(sb, before, it->val);
		}
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_puts(sb, "</tbody></table>\n");
	rpt_caption(sb, "Distinct source addresses per class in a 24-hour window "
		    "(<code>darknet_unique_sources{window=\"24h\"}</code>, HyperLogLog with a 1.6% "
		    "standard error), averaged over the period and summed over sensors, interfaces "
		    "and address families: a source seen by two sensors counts twice.");
	rpt_section_close(sb);
}
