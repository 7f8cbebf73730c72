/* exporter.h: the daemon's shared state and what one scrape does with it. */
#ifndef DN_EXPORTER_H
#define DN_EXPORTER_H

#include <pthread.h>
#include <stdint.h>
#include "counters.h"
#include "loader.h"
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
	double last_scrape_seconds;
	double start_time;
	uint64_t map_read_errors;
	uint64_t reload_errors;
	double last_reload_success;
	size_t darknet_entries, scanner_entries;
};

int exporter_init(struct exporter *ex, struct dn_iface *ifaces, int nr);
void exporter_free(struct exporter *ex);
/* http_body_fn: render every metric into a malloc'd body. */
int exporter_metrics(void *ctx, char **body, size_t *len);
double exporter_now(void);

#endif
