/* geo_state.h: the --geo-country and --geo-asn databases in force: loaded at start, reloaded, installed, exported. */
#ifndef DN_GEO_STATE_H
#define DN_GEO_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "geo.h"
#include "geo_asn.h"
#include "loader.h"
#include "strbuf.h"

struct geo_state {
	struct geo_db country, asn;      /* in force; empty without the option */
	struct geo_asn_ids ids;
	bool ids_read;                   /* taken over from the pinned geo_asn_ids */
	bool installed;
	size_t v4_bytes, v6_bytes, v6_prefixes, v4_blocks;
	double load_seconds;             /* the last successful load, parse to swap */
};

/* True when --geo-country or --geo-asn is given: without them nothing
 * geo is loaded, installed or exported, and the slots stay empty. */
bool geo_state_wanted(const struct dn_config *cfg);
int geo_state_init(struct geo_state *g);
void geo_state_free(struct geo_state *g);
/* Read every file, build the tables, and swap them into every interface
 * (the AS indices written to each geo_asn_ids first). The databases in g
 * change, under lock when given, only when every interface took the new
 * tables; a bad file leaves everything as it was. 0 or -errno with
 * "--geo-country file:line: reason" in err. */
int geo_state_load(struct geo_state *g, const struct dn_config *cfg, struct dn_iface *ifaces,
		   int nr, pthread_mutex_t *lock, char *err, size_t errlen);
/* Newest mtime (ns) of the geo files, to notice a change. */
int64_t geo_state_newest_mtime(const struct dn_config *cfg);
/* darknet_geo_database_info, darknet_geo_database_timestamp_seconds and
 * darknet_geo_table_bytes; darknet_asn_info for the ASes that have a
 * series on the first interface (geo_asn_slot). Caller holds the lock. */
void geo_state_render(struct strbuf *sb, const struct geo_state *g, const struct dn_iface *ifc);

#endif
