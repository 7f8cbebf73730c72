/* exporter.h: the daemon's shared state and what one scrape does with it. */
#ifndef DN_EXPORTER_H
#define DN_EXPORTER_H

#include <pthread.h>
#include <stdint.h>
#include "config.h"
#include "distinct.h"
#include "events.h"
#include "geo_export.h"
#include "geo_state.h"
#include "counters.h"
#include "loader.h"
#include "port_series.h"
#include "selfmon.h"
#include "snapshot.h"

/* State read by the HTTP thread and written by the main loop; lock guards
 * all of it. Scrapes are serialised by the lock as well, which also keeps the
 * reader's scratch buffer single-user. */
struct exporter {
	pthread_mutex_t lock;
	struct dn_iface *ifaces;
	int nr_ifaces;
	struct counters_reader reader;
	struct dn_snapshot snap;
	struct port_series *ports;
	uint32_t ps_saved[DN_MAX_IFACES];   /* series_state entries in use */
	double last_scrape_seconds;
	struct selfmon_info self;    /* reload state is written by the main loop */
	struct distinct distinct;    /* rotated by the main loop */
	struct events events;        /* its own lock and thread (events.h) */
	struct geo_export geo_metrics; /* country and AS series */
	struct geo_state *geo;       /* swapped by the main loop, NULL in tests */
};

/* 0 or -errno with a reason in err (e.g. --watch-ports does not fit). */
int exporter_init(struct exporter *ex, struct dn_iface *ifaces, int nr,
		  const struct dn_config *cfg, char *err, size_t errlen);
void exporter_free(struct exporter *ex);
/* Read every interface's maps into ex->snap; the caller holds ex->lock. */
void exporter_read(struct exporter *ex);
/* http_body_fn: render every metric into a malloc'd body. */
int exporter_metrics(void *ctx, char **body, size_t *len);
double exporter_now(void);

#endif
