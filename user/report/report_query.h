/* report_query.h: the figures of one report period, read from Prometheus. */
#ifndef DN_REPORT_QUERY_H
#define DN_REPORT_QUERY_H

#include "prom.h"
#include "report.h"

enum rpt_metric {
	RPT_M_CLASS, RPT_M_PORTS, RPT_M_IOT, RPT_M_PER_ADDRESS, RPT_M_ADDRESSES,
	RPT_M_ORGS, RPT_M_DISTINCT, RPT_M_CLASS_SOURCES,
	RPT_NR_METRICS
};

extern const char *const rpt_metric_names[RPT_NR_METRICS];

/* sensor=~"a|b" for the --sensor names ("" for all sensors). */
int rpt_sensor_selector(const char *const *sensors, int n, char *buf, size_t len,
			char *err, size_t errlen);

/* Fills p's figures; names are the metric names with samples (a missing one
 * leaves its section out with the reason in p). */
int rpt_fetch_period(struct prom_client *c, const char *sel, const struct rpt_table *names,
		     struct rpt_period *p, char *err, size_t errlen);

#endif
