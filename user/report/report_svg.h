/* report_svg.h: inline SVG charts for the report: bars, stacked bars, horizontal bars. */
#ifndef DN_REPORT_SVG_H
#define DN_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"

#define RPT_SVG_WIDTH 640

struct rpt_series {
	const char *name;
	const double *v;        /* one value per label; NAN: no data there */
	const char *color;
};

/* Bars side by side per label (the period and its comparison). */
void rpt_svg_bars(struct strbuf *sb, const char *title, const char *const *labels,
		  size_t n, const struct rpt_series *s, size_t ns);
/* Series stacked per label, with a legend. */
void rpt_svg_stacked(struct strbuf *sb, const char *title, const char *const *labels,
		     size_t n, const struct rpt_series *s, size_t ns);
/* One row per label; hl[i] rows in the highlight colour; the share of
 * total printed after each bar. */
void rpt_svg_hbars(struct strbuf *sb, const char *title, const char *const *labels,
		   const double *v, const bool *hl, size_t n, double total);

/* A colour per source class, the same in every chart. */
const char *rpt_class_color(const char *cls, size_t index);
/* The smallest 1, 2, 2.5 or 5 times a power of ten at least max / ticks. */
double rpt_nice_step(double max, int ticks);

#define RPT_COLOR_CUR "#1f5fa8"
#define RPT_COLOR_CMP "#9db7d5"
#define RPT_COLOR_IOT "#d0581c"
#define RPT_COLOR_OTHER "#8c8c8c"

#endif
