/* report_period.c: the report's periods split into days or calendar months, and its label tables. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

/* A period up to this long is shown day by day; a longer one by month. */
#define RPT_DAILY_MAX_DAYS 62

int rpt_table_add(struct rpt_table *t, const char *key, double val)
{
	struct rpt_item *it;

	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->items[i].key, key)) {
			t->items[i].val += val;
			return 0;
		}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		it = realloc(t->items, cap * sizeof(*it));
		if (!it)
			return -ENOMEM;
		t->items = it;
		t->cap = cap;
	}
	it = &t->items[t->n++];
	snprintf(it->key, sizeof(it->key), "%s", key);
	it->val = val;
	return 0;
}

const struct rpt_item *rpt_table_find(const struct rpt_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->items[i].key, key))
			return &t->items[i];
	return NULL;
}

double rpt_table_get(const struct rpt_table *t, const char *key)
{
	const struct rpt_item *it = rpt_table_find(t, key);

	return it ? it->val : 0;
}

double rpt_table_sum(const struct rpt_table *t)
{
	double s = 0;

	for (size_t i = 0; i < t->n; i++)
		s += t->items[i].val;
	return s;
}

static int item_cmp(const void *a, const void *b)
{
	const struct rpt_item *x = a, *y = b;

	if (x->val != y->val)
		return x->val < y->val ? 1 : -1;
	return strcmp(x->key, y->key);
}

void rpt_table_sort(struct rpt_table *t)
{
	if (t->n)
		qsort(t->items, t->n, sizeof(*t->items), item_cmp);
}

void rpt_table_free(struct rpt_table *t)
{
	free(t->items);
	memset(t, 0, sizeof(*t));
}

/* YYYY-MM-DD, a day in UTC. */
int rpt_parse_date(const char *text, time_t *out)
{
	struct tm tm = { 0 };
	char *end;

	end = strptime(text, "%Y-%m-%d", &tm);
	if (!end || *end || tm.tm_year < 70)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

enum rpt_scale rpt_scale_for(time_t from, time_t to_incl)
{
	return (to_incl - from) / 86400 + 1 > RPT_DAILY_MAX_DAYS ? RPT_MONTHLY : RPT_DAILY;
}

static time_t next_month(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	return timegm(&tm);
}

/* from and to_incl are days (midnight UTC); the period ends when to_incl does. */
int rpt_period_init(struct rpt_period *p, time_t from, time_t to_incl,
		    enum rpt_scale scale, char *err, size_t errlen)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm a, b;
	time_t t;

	memset(p, 0, sizeof(*p));
	if (to_incl < from) {
		snprintf(err, errlen, "the period ends before it starts");
		return -EINVAL;
	}
	p->from = from;
	p->to = to_incl + 86400;
	gmtime_r(&p->from, &a);
	gmtime_r(&to_incl, &b);
	if (a.tm_yday == 0 && b.tm_mon == 11 && b.tm_mday == 31 && a.tm_year == b.tm_year)
		strftime(p->name, sizeof(p->name), "%Y", &a);
	else if (a.tm_mday == 1 && a.tm_year == b.tm_year && a.tm_mon == b.tm_mon &&
		 next_month(p->from) == p->to)
		strftime(p->name, sizeof(p->name), "%Y-%m", &a);
	else
		snprintf(p->name, sizeof(p->name), "%04d-%02d-%02d to %04d-%02d-%02d",
			 a.tm_year + 1900, a.tm_mon + 1, a.tm_mday,
			 b.tm_year + 1900, b.tm_mon + 1, b.tm_mday);

	for (t = p->from; t < p->to; ) {
		struct rpt_bucket *bk;
		struct tm tm;

		if (p->nr_buckets == RPT_MAX_BUCKETS) {
			snprintf(err, errlen, "period %s: more than %d %s; split it",
				 p->name, RPT_MAX_BUCKETS, scale == RPT_DAILY ? "days" : "months");
			return -E2BIG;
		}
		bk = &p->b[p->nr_buckets++];
		bk->start = t;
		bk->end = scale == RPT_DAILY ? t + 86400 : next_month(t);
		if (bk->end > p->to)
			bk->end = p->to;
		gmtime_r(&t, &tm);
		if (scale == RPT_DAILY)
			snprintf(bk->label, sizeof(bk->label), "%d", tm.tm_mday);
		else if (a.tm_year == b.tm_year)
			snprintf(bk->label, sizeof(bk->label), "%s", months[tm.tm_mon]);
		else
			snprintf(bk->label, sizeof(bk->label), "%s %02d", months[tm.tm_mon],
				 tm.tm_year % 100);
		t = bk->end;
	}
	return 0;
}

void rpt_period_free(struct rpt_period *p)
{
	for (size_t i = 0; i < p->nr_buckets; i++)
		rpt_table_free(&p->b[i].classes);
	rpt_table_free(&p->classes);
	rpt_table_free(&p->ports);
	rpt_table_free(&p->iot_ports);
	rpt_table_free(&p->orgs);
	rpt_table_free(&p->class_sources);
}

void rpt_report_free(struct rpt_report *r)
{
	rpt_period_free(&r->cur);
	rpt_period_free(&r->cmp);
}

bool rpt_is_iot(const struct rpt_period *p, const char *key)
{
	return rpt_table_find(&p->iot_ports, key) != NULL;
}

static int mover_cmp(const void *a, const void *b)
{
	const struct rpt_mover *x = a, *y = b;
	double dx = fabs(x->to - x->from), dy = fabs(y->to - y->from);

	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->key, y->key);
}

size_t rpt_movers(const struct rpt_table *from, const struct rpt_table *to,
		  struct rpt_mover *out, size_t n)
{
	size_t cap = from->n + to->n, k = 0;
	struct rpt_mover *all;

	if (!cap || !n)
		return 0;
	all = calloc(cap, sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < to->n; i++) {
		snprintf(all[k].key, sizeof(all[k].key), "%s", to->items[i].key);
		all[k].to = to->items[i].val;
		all[k++].from = rpt_table_get(from, to->items[i].key);
	}
	for (size_t i = 0; i < from->n; i++) {
		if (rpt_table_find(to, from->items[i].key))
			continue;
		snprintf(all[k].key, sizeof(all[k].key), "%s", from->items[i].key);
		all[k++].from = from->items[i].val;
	}
	qsort(all, k, sizeof(*all), mover_cmp);
	if (k > n)
		k = n;
	memcpy(out, all, k * sizeof(*out));
	free(all);
	return k;
}
