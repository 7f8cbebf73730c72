/* report_svg.c: charts as inline SVG with a viewBox, so they scale to a phone or an A4 page. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "report.h"
#include "report_svg.h"

#define W RPT_SVG_WIDTH
#define LEFT 64        /* room for the axis labels */
#define RIGHT 8
#define PLOT_H 200
#define TOP 30         /* room for the legend */
#define BOTTOM 24      /* room for the bar labels */
#define TICKS 4

double rpt_nice_step(double max, int ticks)
{
	static const double mult[] = { 1, 2, 2.5, 5, 10 };
	double raw, mag;

	if (!(max > 0) || ticks < 1)
		return 1;
	raw = max / ticks;
	mag = pow(10, floor(log10(raw)));
	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * mag >= raw * (1 - 1e-12))
			return mult[i] * mag;
	return 10 * mag;
}

const char *rpt_class_color(const char *cls, size_t index)
{
	static const struct { const char *cls, *color; } known[] = {
		{ "research", "#6a51a3" }, { "mirai", "#d0581c" }, { "backscatter", "#2b8cbe" },
		{ "scan", "#41ab5d" }, { "masscan", "#e7298a" }, { "zmap", "#a6761d" },
		{ "udp_probe", "#66a61e" }, { "icmp_request", "#1b9e77" }, { "tcp_other", "#7570b3" },
		{ "spoofed", "#e6ab02" }, { "fragment", "#666666" }, { "other", "#b3b3b3" },
	};
	static const char *const spare[] = { "#8dd3c7", "#fb8072", "#80b1d3", "#fdb462" };

	for (size_t i = 0; cls && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].cls, cls))
			return known[i].color;
	return spare[index % (sizeof(spare) / sizeof(spare[0]))];
}

static void svg_open(struct strbuf *sb, const char *title, int h)
{
	strbuf_printf(sb, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		      "preserveAspectRatio=\"xMinYMin meet\"><title>", W, h, W, h);
	rpt_html_escape(sb, title);
	strbuf_puts(sb, "</title>\n");
}

static void legend(struct strbuf *sb, const struct rpt_series *s, size_t ns, int y)
{
	int x = LEFT;

	for (size_t i = 0; i < ns; i++) {
		strbuf_printf(sb, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
			      "fill=\"%s\"/><text x=\"%d\" y=\"%d\" class=\"lg\">", x, y - 9,
			      s[i].color, x + 14, y);
		rpt_html_escape(sb, s[i].name);
		strbuf_puts(sb, "</text>\n");
		x += 22 + 7 * (int)strlen(s[i].name);
		if (x > W - 80) {     /* next legend line */
			x = LEFT;
			y += 14;
		}
	}
}

/* The value axis: TICKS grid lines with short labels; returns the top value. */
static double axis(struct strbuf *sb, double max, int top)
{
	double step = rpt_nice_step(max, TICKS);
	char lab[32];

	for (int i = 0; i <= TICKS; i++) {
		double y = top + PLOT_H - (double)PLOT_H * i / TICKS;

		rpt_fmt_short(step * i, lab, sizeof(lab));
		strbuf_printf(sb, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			      "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%s</text>\n",
			      LEFT, W - RIGHT, y, y, LEFT - 4, y + 4, lab);
	}
	return step * TICKS;
}

static void bar_labels(struct strbuf *sb, const char *const *labels, size_t n, int top)
{
	double slot = (double)(W - LEFT - RIGHT) / (n ? n : 1);
	/* Every label if they fit, else every second or fifth. */
	size_t every = slot >= 22 ? 1 : slot >= 11 ? 2 : 5;

	for (size_t i = 0; i < n; i += every) {
		strbuf_printf(sb, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">",
			      LEFT + slot * (i + 0.5), top + PLOT_H + 16);
		rpt_html_escape(sb, labels[i]);
		strbuf_puts(sb, "</text>\n");
	}
}

static int legend_height(const struct rpt_series *s, size_t ns)
{
	int x = LEFT, lines = 1;

	for (size_t i = 0; i < ns; i++) {
		x += 22 + 7 * (int)strlen(s[i].name);
		if (x > W - 80 && i + 1 < ns) {
			x = LEFT;
			lines++;
		}
	}
	return TOP + 14 * (lines - 1);
}

void rpt_svg_bars(struct strbuf *sb, const char *title, const char *const *labels,
		  size_t n, const struct rpt_series *s, size_t ns)
{
	int top = legend_height(s, ns);
	double max = 0, slot = (double)(W - LEFT - RIGHT) / (n ? n : 1), bw, ymax;

	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < n; i++)
			if (isfinite(s[k].v[i]) && s[k].v[i] > max)
				max = s[k].v[i];
	svg_open(sb, title, top + PLOT_H + BOTTOM);
	legend(sb, s, ns, 16);
	ymax = axis(sb, max, top);
	bw = slot * 0.8 / (ns ? ns : 1);
	for (size_t k = 0; k < ns; k++) {
		for (size_t i = 0; i < n; i++) {
			double v = s[k].v[i], h;
			char num[32];

			if (!isfinite(v) || v <= 0)
				continue;
			h = PLOT_H * v / ymax;
			rpt_fmt_count(v, num, sizeof(num));
			strbuf_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				      "fill=\"%s\"><title>", LEFT + slot * i + slot * 0.1 + bw * k,
				      top + PLOT_H - h, bw, h > 0.5 ? h : 0.5, s[k].color);
			rpt_html_escape(sb, s[k].name);
			strbuf_printf(sb, " %s: %s</title></rect>\n", labels[i], num);
		}
	}
	bar_labels(sb, labels, n, top);
	strbuf_puts(sb, "</svg>\n");
}

void rpt_svg_stacked(struct strbuf *sb, const char *title, const char *const *labels,
		     size_t n, const struct rpt_series *s, size_t ns)
{
	int top = legend_height(s, ns);
	double max = 0, slot = (double)(W - LEFT - RIGHT) / (n ? n : 1), ymax;

	for (size_t i = 0; i < n; i++) {
		double sum = 0;

		for (size_t k = 0; k < ns; k++)
			sum += isfinite(s[k].v[i]) ? s[k].v[i] : 0;
		max = sum > max ? sum : max;
	}
	svg_open(sb, title, top + PLOT_H + BOTTOM);
	legend(sb, s, ns, 16);
	ymax = axis(sb, max, top);
	for (size_t i = 0; i < n; i++) {
		double y = top + PLOT_H;

		for (size_t k = 0; k < ns; k++) {
			double v = s[k].v[i], h;
			char num[32];

			if (!isfinite(v) || v <= 0)
				continue;
			h = PLOT_H * v / ymax;
			y -= h;
			rpt_fmt_count(v, num, sizeof(num));
			strbuf_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				      "fill=\"%s\"><title>", LEFT + slot * i + slot * 0.1, y,
				      slot * 0.8, h, s[k].color);
			rpt_html_escape(sb, s[k].name);
			strbuf_printf(sb, " %s: %s</title></rect>\n", labels[i], num);
		}
	}
	bar_labels(sb, labels, n, top);
	strbuf_puts(sb, "</svg>\n");
}

#define ROW 24
#define LABEL_W 110
#define VALUE_W 60

void rpt_svg_hbars(struct strbuf *sb, const char *title, const char *const *labels,
		   const double *v, const bool *hl, size_t n, double total)
{
	double max = 0, span = W - LABEL_W - VALUE_W;

	for (size_t i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	svg_open(sb, title, (int)n * ROW + 8);
	for (size_t i = 0; i < n; i++) {
		double w = max > 0 ? span * v[i] / max : 0;
		int y = 4 + (int)i * ROW;
		char pct[16], num[32];

		rpt_fmt_pct(total > 0 ? v[i] / total : 0, pct, sizeof(pct));
		rpt_fmt_count(v[i], num, sizeof(num));
		strbuf_printf(sb, "<text x=\"%d\" y=\"%d\" class=\"lb\" text-anchor=\"end\">",
			      LABEL_W - 6, y + 15);
		rpt_html_escape(sb, labels[i]);
		strbuf_printf(sb, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			      "fill=\"%s\"><title>", LABEL_W, y + 2, w > 1 ? w : 1, ROW - 6,
			      hl && hl[i] ? RPT_COLOR_IOT : RPT_COLOR_CUR);
		rpt_html_escape(sb, labels[i]);
		strbuf_printf(sb, ": %s</title></rect><text x=\"%.1f\" y=\"%d\" class=\"lb\">%s</text>\n",
			      num, LABEL_W + (w > 1 ? w : 1) + 4, y + 15, pct);
	}
	strbuf_puts(sb, "</svg>\n");
}
