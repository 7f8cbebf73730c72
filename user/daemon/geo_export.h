/* geo_export.h: the per-country and per-AS series of the daemon: AS series promotion each scrape, and their metrics. */
#ifndef DN_GEO_EXPORT_H
#define DN_GEO_EXPORT_H

#include "config.h"
#include "distinct.h"
#include "loader.h"
#include "strbuf.h"

struct geo_export_iface;

/* The dn_geo_enabled bits of a configuration: a kind's counting only
 * with a database of that kind (set before load; 0 costs nothing). */
unsigned int geo_export_bits(const struct dn_config *cfg);

/* on: the DN_GEO_ON_* bits the interfaces' programs were loaded with
 * (the same for all: one configuration). Nothing is read or rendered
 * for a bit that is off. */
struct geo_export {
	unsigned int on;
	int nr;
	struct dn_iface *ifaces;
	struct geo_export_iface *ifc;
};

/* After the programs are loaded: read the geo bits, take back the AS
 * series of a previous run from the pins. 0 or -errno with a reason in err
 * (--max-asn-series and --watch-asns do not fit, a corrupt slot map). */
int geo_export_init(struct geo_export *g, struct dn_iface *ifaces, int nr,
		    const struct dn_config *cfg, char *err, size_t errlen);
void geo_export_free(struct geo_export *g);
/* Once per scrape, under the exporter lock: read the counters, promote
 * heavy and watched ASes (written to geo_asn_slot). */
void geo_export_update(struct geo_export *g);
/* darknet_country_packets_total / _bytes_total, darknet_asn_packets_total
 * / _bytes_total, and the distinct sources per country and AS series from
 * d's windows. */
void geo_export_render(struct strbuf *sb, const struct geo_export *g, const struct distinct *d);

/* Read the counters again, promoting nothing (page views are not
 * scrapes). Under the exporter lock. */
void geo_export_read(struct geo_export *g);
/* For the landing page: interface i's counters of country index c, by
 * class (DN_CLASS_MAX of them), NULL when country counting is off; and
 * of AS series slot s with its AS number (0 = other), NULL past the last
 * slot in use. */
const struct dn_count *geo_export_country(const struct geo_export *g, int i, unsigned int c);
const struct dn_count *geo_export_asn_series(const struct geo_export *g, int i, unsigned int s,
					     __u32 *asn);

#endif
