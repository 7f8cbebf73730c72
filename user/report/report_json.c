/* report_json.c: every figure of the report as JSON (--json), for scripts and tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "report_json.h"

#define RPT_JSON_MOVERS 10

static json_t *table_obj(const struct rpt_table *t)
{
	json_t *o = json_object();

	for (size_t i = 0; i < t->n; i++)
		json_object_set_new(o, t->items[i].key, json_real(t->items[i].val));
	return o;
}

static json_t *num_or_null(bool has, double v)
{
	return has ? json_real(v) : json_null();
}

static json_t *date_str(time_t t)
{
	char d[16];

	rpt_fmt_date(t, d, sizeof(d));
	return json_string(d);
}

/* "23/tcp" -> port "23", proto "tcp". */
static json_t *port_obj(const struct rpt_period *p, const struct rpt_item *it)
{
	char port[RPT_KEY];
	const char *slash = strchr(it->key, '/');

	snprintf(port, sizeof(port), "%.*s", slash ? (int)(slash - it->key) : (int)strlen(it->key),
		 it->key);
	return json_pack("{s:s, s:s, s:f, s:f, s:b}", "port", port, "proto", slash ? slash + 1 : "",
			 "packets", it->val, "share", p->nonresearch > 0 ? it->val / p->nonresearch : 0.0,
			 "iot", rpt_is_iot(p, it->key));
}

static json_t *period_obj(const struct rpt_period *p)
{
	json_t *o = json_object(), *buckets = json_array(), *top = json_array(), *absent = json_object();
	size_t n = p->ports.n < RPT_TOP_PORTS ? p->ports.n : RPT_TOP_PORTS;
	double top_sum = 0;

	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "from", date_str(p->from));
	json_object_set_new(o, "to", date_str(p->to - 86400));
	json_object_set_new(o, "has_data", json_boolean(p->has_data));
	json_object_set_new(o, "buckets_with_data", json_integer((json_int_t)p->buckets_with_data));
	json_object_set_new(o, "packets", json_real(p->packets));
	json_object_set_new(o, "research_packets", json_real(p->research));
	json_object_set_new(o, "nonresearch_packets", json_real(p->nonresearch));
	json_object_set_new(o, "research_share", json_real(p->packets > 0 ? p->research / p->packets : 0));
	json_object_set_new(o, "packets_per_address", num_or_null(p->has_per_address, p->per_address));
	json_object_set_new(o, "darknet_addresses", num_or_null(p->has_per_address, p->addresses));
	json_object_set_new(o, "distinct_sources_per_day", num_or_null(p->has_distinct, p->distinct));
	json_object_set_new(o, "iot_packets", num_or_null(p->has_iot, p->iot));
	json_object_set_new(o, "iot_share", num_or_null(p->has_iot && p->nonresearch > 0,
							p->nonresearch > 0 ? p->iot / p->nonresearch : 0));
	for (size_t i = 0; i < p->nr_buckets; i++) {
		const struct rpt_bucket *b = &p->b[i];

		json_array_append_new(buckets, json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:o}",
			"label", b->label, "from", date_str(b->start), "to", date_str(b->end - 86400),
			"has_data", b->has_data, "packets", num_or_null(b->has_data, b->packets),
			"packets_per_address", num_or_null(b->has_per_address, b->per_address),
			"classes", table_obj(&b->classes)));
	}
	json_object_set_new(o, "buckets", buckets);
	json_object_set_new(o, "classes", table_obj(&p->classes));
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(top, port_obj(p, &p->ports.items[i]));
		top_sum += p->ports.items[i].val;
	}
	json_object_set_new(o, "top_ports", p->has_ports ? top : (json_decref(top), json_null()));
	json_object_set_new(o, "other_ports_packets",
			    num_or_null(p->has_ports, p->nonresearch - top_sum));
	json_object_set_new(o, "ports", table_obj(&p->ports));
	json_object_set_new(o, "iot_ports", table_obj(&p->iot_ports));
	json_object_set_new(o, "organisations", table_obj(&p->orgs));
	json_object_set_new(o, "distinct_sources_per_class", table_obj(&p->class_sources));
	if (!p->has_per_address)
		json_object_set_new(absent, "packets_per_address", json_string(p->why_per_address));
	if (!p->has_ports)
		json_object_set_new(absent, "ports", json_string(p->why_ports));
	if (!p->has_iot)
		json_object_set_new(absent, "iot", json_string(p->why_iot));
	if (!p->has_orgs)
		json_object_set_new(absent, "organisations", json_string(p->why_orgs));
	if (!p->has_distinct)
		json_object_set_new(absent, "distinct_sources", json_string(p->why_distinct));
	if (!p->has_class_sources)
		json_object_set_new(absent, "distinct_sources_per_class",
				    json_string(p->why_class_sources));
	json_object_set_new(o, "absent", absent);
	return o;
}

static json_t *movers_arr(const struct rpt_table *from, const struct rpt_table *to)
{
	struct rpt_mover m[RPT_JSON_MOVERS];
	size_t n = rpt_movers(from, to, m, RPT_JSON_MOVERS);
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:f, s:f}", "key", m[i].key,
						   "from", m[i].from, "to", m[i].to));
	return a;
}

json_t *rpt_json(const struct rpt_report *r)
{
	json_t *o = json_object(), *sensors = json_array();

	for (int i = 0; i < r->nr_sensors; i++)
		json_array_append_new(sensors, json_string(r->sensors[i]));
	json_object_set_new(o, "generated", json_string(r->generated));
	json_object_set_new(o, "source", json_string(r->source));
	json_object_set_new(o, "version", json_string(DN_VERSION));
	json_object_set_new(o, "sensors", sensors);
	json_object_set_new(o, "scale", json_string(r->scale == RPT_DAILY ? "daily" : "monthly"));
	json_object_set_new(o, "period", period_obj(&r->cur));
	json_object_set_new(o, "compare", r->has_cmp ? period_obj(&r->cmp) : json_null());
	if (r->has_cmp && r->cmp.has_data)
		json_object_set_new(o, "movers", json_pack("{s:o, s:o}",
			"ports", movers_arr(&r->cmp.ports, &r->cur.ports),
			"classes", movers_arr(&r->cmp.classes, &r->cur.classes)));
	else
		json_object_set_new(o, "movers", json_null());
	return o;
}

int rpt_write_json(const struct rpt_report *r, const char *path, char *err, size_t errlen)
{
	json_t *o = rpt_json(r);
	int ret = 0;

	if (!o || json_dump_file(o, path, JSON_INDENT(1) | JSON_REAL_PRECISION(17))) {
		snprintf(err, errlen, "--json %s: cannot write it", path);
		ret = -EIO;
	}
	json_decref(o);
	return ret;
}
