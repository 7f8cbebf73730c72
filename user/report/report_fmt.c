/* report_fmt.c: numbers, shares, changes and dates written the way NICTER's reports write them. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "report.h"

/* 212100000000 -> "212,100,000,000"; rounds to the nearest integer. */
void rpt_fmt_int(double v, char *buf, size_t n)
{
	char digits[64], out[96];
	size_t len, o = 0;
	int neg = v < 0;

	snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	len = strlen(digits);
	if (neg && strcmp(digits, "0"))
		out[o++] = '-';
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, n, "%s", out);
}

static const struct {
	double scale;
	const char *word, *abbr;
} units[] = {
	{ 1e12, "trillion", "T" },
	{ 1e9, "billion", "B" },
	{ 1e6, "million", "M" },
};

/* One decimal from a million up ("212.1 billion"), a grouped integer
 * below ("559,125"), two decimals below 10 ("1.25"). Above a million the
 * unit is chosen on the rounded value, so 999,960,000 reads "1.0 billion",
 * never "1000.0 million". */
void rpt_fmt_count(double v, char *buf, size_t n)
{
	double a = fabs(v);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (a >= 1e6 && round(a / units[i].scale * 10) >= 10) {
			snprintf(buf, n, "%.1f %s", v / units[i].scale, units[i].word);
			return;
		}
	}
	if (a < 10 && a != floor(a))
		snprintf(buf, n, "%.2f", v);
	else
		rpt_fmt_int(v, buf, n);
}

/* Axis labels: "212.1 B", "150 M", "2.5 k". */
void rpt_fmt_short(double v, char *buf, size_t n)
{
	double a = fabs(v);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (a >= units[i].scale) {
			snprintf(buf, n, "%.4g %s", v / units[i].scale, units[i].abbr);
			return;
		}
	}
	if (a >= 1e3)
		snprintf(buf, n, "%.4g k", v / 1e3);
	else
		snprintf(buf, n, "%.4g", v);
}

void rpt_fmt_pct(double ratio, char *buf, size_t n)
{
	snprintf(buf, n, "%.1f%%", ratio * 100);
}

/* The relative change from -> to: "+12.3%", "-45.6%", "new", "gone". */
void rpt_fmt_change(double from, double to, char *buf, size_t n)
{
	if (from == 0 && to == 0)
		snprintf(buf, n, "0.0%%");
	else if (from == 0)
		snprintf(buf, n, "new");
	else if (to == 0)
		snprintf(buf, n, "gone");
	else
		snprintf(buf, n, "%+.1f%%", (to - from) / from * 100);
}

void rpt_fmt_date(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d", &tm);
}

void rpt_html_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': strbuf_puts(sb, "&lt;"); break;
		case '>': strbuf_puts(sb, "&gt;"); break;
		case '&': strbuf_puts(sb, "&amp;"); break;
		case '"': strbuf_puts(sb, "&quot;"); break;
		case '\'': strbuf_puts(sb, "&#39;"); break;
		default: strbuf_putc(sb, *s);
		}
	}
}
