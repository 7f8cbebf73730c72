/* report_query.c: the PromQL behind each figure of the report, run bucket by bucket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "report_query.h"

/* Recording rules of deploy/prometheus/rules/darknet-recording.yml, and the
 * exporter's own families where no rule exists (organisations, distinct
 * sources: distinct counts cannot be summed into a rate). */
const char *const rpt_metric_names[RPT_NR_METRICS] = {
	[RPT_M_CLASS] = "sensor_class:darknet_packets:rate5m",
	[RPT_M_PORTS] = "sensor_proto_port:darknet_port_packets_nonresearch:rate5m",
	[RPT_M_IOT] = "sensor_iface_proto_port:darknet_port_packets_iot_nonresearch:rate5m",
	[RPT_M_PER_ADDRESS] = "sensor:darknet_packets_per_address:rate5m",
	[RPT_M_ADDRESSES] = "sensor:darknet_prefix_addresses:sum",
	[RPT_M_ORGS] = "darknet_scanner_packets_total",
	[RPT_M_DISTINCT] = "darknet_unique_sources_all",
	[RPT_M_CLASS_SOURCES] = "darknet_unique_sources",
};

static const char *const by_class[] = { "class", NULL };
static const char *const by_port[] = { "port", "proto", NULL };
static const char *const by_org[] = { "org", NULL };

int rpt_sensor_selector(const char *const *sensors, int n, char *buf, size_t len,
			char *err, size_t errlen)
{
	size_t o;

	buf[0] = '\0';
	if (!n)
		return 0;
	o = snprintf(buf, len, "sensor=~\"");
	for (int i = 0; i < n; i++) {
		for (const char *s = sensors[i]; *s; s++) {
			/* Sensor names are label values chosen by relabelling: letters,
			 * digits and . _ : - cover host names; dots match literally. */
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789._:-", *s)) {
				snprintf(err, errlen, "--sensor %s: only letters, digits and . _ : - "
					 "are allowed", sensors[i]);
				return -EINVAL;
			}
		}
		o += snprintf(buf + o, o < len ? len - o : 0, "%s", i ? "|" : "");
		for (const char *s = sensors[i]; *s; s++)
			o += snprintf(buf + o, o < len ? len - o : 0, *s == '.' ? "\\\\." : "%c", *s);
	}
	o += snprintf(buf + o, o < len ? len - o : 0, "\"");
	if (o >= len) {
		snprintf(err, errlen, "--sensor: the names are too long together");
		return -E2BIG;
	}
	return 0;
}

static int scaled_add(struct rpt_table *to, const struct rpt_table *from, double k)
{
	for (size_t i = 0; i < from->n; i++)
		if (rpt_table_add(to, from->items[i].key, from->items[i].val * k))
			return -ENOMEM;
	return 0;
}

static void absent(char *why, size_t n, int metric, const struct rpt_period *p,
		   const char *hint)
{
	char a[16], b[16];

	rpt_fmt_date(p->from, a, sizeof(a));
	rpt_fmt_date(p->to - 86400, b, sizeof(b));
	snprintf(why, n, "%s has no samples from %s to %s (%s).",
		 rpt_metric_names[metric], a, b, hint);
}

#define RULES_HINT "is the recording rule of deploy/prometheus/rules/darknet-recording.yml loaded?"

/* Runs one query per bucket; a query error ends the report (the server
 * answered something else than data), an empty answer does not. */
#define Q(labels, dest, ...) do {                                             \
		snprintf(expr, sizeof(expr), __VA_ARGS__);                    \
		rpt_table_free(&tmp);                                         \
		ret = prom_query_vector(c, expr, t, labels, &tmp, err, errlen); \
		if (ret < 0)                                                  \
			goto out;                                             \
		found = ret > 0;                                              \
	} while (0)

int rpt_fetch_period(struct prom_client *c, const char *sel, const struct rpt_table *names,
		     struct rpt_period *p, char *err, size_t errlen)
{
	const char *comma = sel[0] ? "," : "";
	bool have[RPT_NR_METRICS];
	struct rpt_table tmp = { 0 };
	double addr_sum = 0, dist_sum = 0, dist_secs = 0, csrc_secs = 0;
	size_t addr_n = 0;
	char expr[1024];
	int ret = 0;
	bool found;

	for (int m = 0; m < RPT_NR_METRICS; m++)
		have[m] = rpt_table_find(names, rpt_metric_names[m]) != NULL;
	for (size_t i = 0; i < p->nr_buckets; i++) {
		struct rpt_bucket *b = &p->b[i];
		double secs = (double)(b->end - b->start), t = (double)b->end - 0.001;

		if (!have[RPT_M_CLASS])
			break;
		Q(by_class, tmp, "sum by (class) (avg_over_time(%s{%s}[%.0fs]))",
		  rpt_metric_names[RPT_M_CLASS], sel, secs);
		if (!found)
			continue;
		b->has_data = true;
		p->buckets_with_data++;
		if (scaled_add(&b->classes, &tmp, secs) || scaled_add(&p->classes, &tmp, secs))
			goto nomem;
		b->packets = rpt_table_sum(&b->classes);

		if (have[RPT_M_PORTS]) {
			Q(by_port, tmp, "sum by (port, proto) (avg_over_time(%s{%s%sport!=\"other\"}[%.0fs]))",
			  rpt_metric_names[RPT_M_PORTS], sel, comma, secs);
			if (scaled_add(&p->ports, &tmp, secs))
				goto nomem;
		}
		if (have[RPT_M_IOT]) {
			Q(by_port, tmp, "sum by (port, proto) (avg_over_time(%s{%s}[%.0fs]))",
			  rpt_metric_names[RPT_M_IOT], sel, secs);
			if (scaled_add(&p->iot_ports, &tmp, secs))
				goto nomem;
		}
		if (have[RPT_M_PER_ADDRESS] && have[RPT_M_ADDRESSES]) {
			double prefix_packets, addresses;

			Q(NULL, tmp, "sum(avg_over_time(%s{%s}[%.0fs]) * on (sensor) "
			  "avg_over_time(%s{%s}[%.0fs]))", rpt_metric_names[RPT_M_PER_ADDRESS],
			  sel, secs, rpt_metric_names[RPT_M_ADDRESSES], sel, secs);
			prefix_packets = rpt_table_sum(&tmp) * secs;
			Q(NULL, tmp, "sum(avg_over_time(%s{%s}[%.0fs]))",
			  rpt_metric_names[RPT_M_ADDRESSES], sel, secs);
			addresses = rpt_table_sum(&tmp);
			if (found && addresses > 0) {
				b->has_per_address = true;
				b->per_address = prefix_packets / addresses;
				p->per_address += b->per_address;
				addr_sum += addresses;
				addr_n++;
			}
		}
		if (have[RPT_M_ORGS]) {
			Q(by_org, tmp, "sum by (org) (increase(%s{%s}[%.0fs]))",
			  rpt_metric_names[RPT_M_ORGS], sel, secs);
			if (scaled_add(&p->orgs, &tmp, 1))
				goto nomem;
		}
		if (have[RPT_M_DISTINCT]) {
			Q(NULL, tmp, "sum(avg_over_time(%s{%s%swindow=\"24h\"}[%.0fs]))",
			  rpt_metric_names[RPT_M_DISTINCT], sel, comma, secs);
			if (found) {
				dist_sum += rpt_table_sum(&tmp) * secs;
				dist_secs += secs;
			}
		}
		if (have[RPT_M_CLASS_SOURCES]) {
			Q(by_class, tmp, "sum by (class) (avg_over_time(%s{%s%swindow=\"24h\"}[%.0fs]))",
			  rpt_metric_names[RPT_M_CLASS_SOURCES], sel, comma, secs);
			if (found) {
				if (scaled_add(&p->class_sources, &tmp, secs))
					goto nomem;
				csrc_secs += secs;
			}
		}
	}
	ret = 0;

	p->has_data = p->buckets_with_data > 0;
	p->packets = rpt_table_sum(&p->classes);
	p->research = rpt_table_get(&p->classes, "research");
	p->nonresearch = p->packets - p->research;
	rpt_table_sort(&p->classes);

	p->has_per_address = addr_n > 0;
	p->addresses = addr_n ? addr_sum / addr_n : 0;
	if (!p->has_per_address)
		absent(p->why_per_address, RPT_WHY, have[RPT_M_PER_ADDRESS] ?
		       RPT_M_ADDRESSES : RPT_M_PER_ADDRESS, p,
		       "no IPv4 darknet prefix configured, or " RULES_HINT);
	p->has_ports = p->ports.n > 0;
	rpt_table_sort(&p->ports);
	if (!p->has_ports)
		absent(p->why_ports, RPT_WHY, RPT_M_PORTS, p, RULES_HINT);
	p->has_iot = p->iot_ports.n > 0 && p->has_ports;
	p->iot = rpt_table_sum(&p->iot_ports);
	if (!p->has_iot)
		absent(p->why_iot, RPT_WHY, RPT_M_IOT, p, RULES_HINT);
	p->has_orgs = p->orgs.n > 0;
	rpt_table_sort(&p->orgs);
	if (!p->has_orgs)
		absent(p->why_orgs, RPT_WHY, RPT_M_ORGS, p,
		       "no research-scanner list loaded (--scanners), or none of its "
		       "organisations sent a packet");
	p->has_distinct = dist_secs > 0;
	p->distinct = p->has_distinct ? dist_sum / dist_secs : 0;
	if (!p->has_distinct)
		absent(p->why_distinct, RPT_WHY, RPT_M_DISTINCT, p,
		       "the sensors run without distinct-source sketches (--no-distinct) "
		       "or an exporter that has none");
	p->has_class_sources = csrc_secs > 0;
	for (size_t i = 0; i < p->class_sources.n; i++)
		p->class_sources.items[i].val /= csrc_secs;
	rpt_table_sort(&p->class_sources);
	if (!p->has_class_sources)
		absent(p->why_class_sources, RPT_WHY, RPT_M_CLASS_SOURCES, p,
		       "the sensors run without distinct-source sketches (--no-distinct) "
		       "or an exporter that has none");
	goto out;
nomem:
	snprintf(err, errlen, "period %s: out of memory", p->name);
	ret = -ENOMEM;
out:
	rpt_table_free(&tmp);
	return ret < 0 ? ret : 0;
}
