/* report.h: `darknet-counter report`: a period of darknet data read from Prometheus, as a report. */
#ifndef DN_REPORT_H
#define DN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "strbuf.h"

#define RPT_MAX_BUCKETS 64
#define RPT_MAX_SENSORS 32
#define RPT_KEY 128   /* the longest recording-rule name is 68 */
#define RPT_WHY 256
#define RPT_TOP_PORTS 10

/* A small map from a label value ("mirai", "23/tcp", an organisation) to a
 * number; values added under the same key accumulate. */
struct rpt_item {
	char key[RPT_KEY];
	double val;
};

struct rpt_table {
	struct rpt_item *items;
	size_t n, cap;
};

int rpt_table_add(struct rpt_table *t, const char *key, double val);
const struct rpt_item *rpt_table_find(const struct rpt_table *t, const char *key);
double rpt_table_get(const struct rpt_table *t, const char *key);
double rpt_table_sum(const struct rpt_table *t);
/* Largest value first; equal values by key, so the order is reproducible. */
void rpt_table_sort(struct rpt_table *t);
void rpt_table_free(struct rpt_table *t);

/* One bar of the time charts: a calendar month or a day, [start, end). */
struct rpt_bucket {
	time_t start, end;
	char label[16];
	bool has_data;
	double packets;
	bool has_per_address;
	double per_address;
	struct rpt_table classes;
};

/* Everything the report says about one period. A section whose data is
 * absent has has_X false and why_X saying why. */
struct rpt_period {
	time_t from, to;                 /* [from, to) */
	char name[64];
	size_t nr_buckets;
	struct rpt_bucket b[RPT_MAX_BUCKETS];

	bool has_data;
	double packets, research, nonresearch;
	size_t buckets_with_data;
	struct rpt_table classes;

	bool has_per_address;
	double per_address, addresses;
	char why_per_address[RPT_WHY];

	bool has_ports;
	struct rpt_table ports;          /* "23/tcp" -> packets, research left out */
	char why_ports[RPT_WHY];
	bool has_iot;
	struct rpt_table iot_ports;      /* the recording rules' IoT ports */
	double iot;
	char why_iot[RPT_WHY];

	bool has_orgs;
	struct rpt_table orgs;
	char why_orgs[RPT_WHY];

	bool has_distinct;
	double distinct;                 /* mean of the 24-hour windows */
	char why_distinct[RPT_WHY];
	bool has_class_sources;
	struct rpt_table class_sources;
	char why_class_sources[RPT_WHY];
};

enum rpt_scale { RPT_DAILY, RPT_MONTHLY };

struct rpt_report {
	char source[256];                /* the Prometheus URL, no credentials */
	char generated[32];
	const char *sensors[RPT_MAX_SENSORS];
	int nr_sensors;
	enum rpt_scale scale;
	struct rpt_period cur, cmp;
	bool has_cmp;
};

/* report_period.c: periods, dates and buckets. */
int rpt_parse_date(const char *text, time_t *out);
int rpt_period_init(struct rpt_period *p, time_t from, time_t to_incl,
		    enum rpt_scale scale, char *err, size_t errlen);
enum rpt_scale rpt_scale_for(time_t from, time_t to_incl);
void rpt_period_free(struct rpt_period *p);
void rpt_report_free(struct rpt_report *r);

/* report_fmt.c: numbers for people. */
void rpt_fmt_count(double v, char *buf, size_t n);     /* 212.1 billion, 559,125 */
void rpt_fmt_int(double v, char *buf, size_t n);       /* 212,100,000,000 */
void rpt_fmt_short(double v, char *buf, size_t n);     /* 212.1 B, for axes */
void rpt_fmt_pct(double ratio, char *buf, size_t n);   /* 35.0% */
void rpt_fmt_change(double from, double to, char *buf, size_t n); /* +12.3% */
void rpt_fmt_date(time_t t, char *buf, size_t n);      /* 2026-11-01 */
void rpt_html_escape(struct strbuf *sb, const char *s);
/* Is this "port/proto" key one of the IoT ports the rules found traffic on? */
bool rpt_is_iot(const struct rpt_period *p, const char *key);

/* A change between the periods, for the "biggest movers" tables. */
struct rpt_mover {
	char key[RPT_KEY];
	double from, to;
};
/* The n largest changes (by absolute size) between two tables; returns how
 * many were written. */
size_t rpt_movers(const struct rpt_table *from, const struct rpt_table *to,
		  struct rpt_mover *out, size_t n);

#endif
