/* metrics.h: renders a counter snapshot as Prometheus text format 0.0.4. */
#ifndef DN_METRICS_H
#define DN_METRICS_H

#include "port_series.h"
#include "snapshot.h"
#include "strbuf.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What the renderer needs beyond the counters. Zero-initialise and set what
 * you have: every field has a meaning when left 0/NULL. */
struct dn_metrics_info {
	const char *version;       /* darknet_build_info; NULL: the build's DN_VERSION */
	/* Which port counters get a darknet_port_packets_total series of their
	 * own (port_series.h; call port_series_update() with the same snapshot
	 * first). NULL: every non-zero one, and no port="other". */
	const struct port_series *ports;
};

/* Appends the whole exposition to out. 0, or -ENOMEM with out as it was. */
int metrics_render(struct strbuf *out, const struct dn_snapshot *snap,
		   const struct dn_metrics_info *info);

#endif
