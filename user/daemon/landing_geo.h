/* landing_geo.h: the landing page's top source countries and origin ASes. */
#ifndef DN_LANDING_GEO_H
#define DN_LANDING_GEO_H

#include <stdbool.h>
#include <stdint.h>
#include "strbuf.h"

#define LANDING_TOP_GEO 10

struct geo_export;

/* Packets without research scans (as NICTER ranks them), summed over
 * interfaces: the top countries (country="--" included, it is a series)
 * and the top AS series (asn 0: asn="other", every AS without a series). */
struct landing_geo {
	bool country, asn;              /* which databases are loaded */
	uint64_t total;                 /* every country together */
	struct {
		unsigned int index;     /* country index */
		uint64_t packets;
	} cc[LANDING_TOP_GEO];
	int nr_cc;
	struct {
		uint32_t asn;
		uint64_t packets;
	} as[LANDING_TOP_GEO];
	int nr_as;
	uint64_t as_total;
};

/* From the geo counters last read (geo_export_read()). */
void landing_geo_fill(struct landing_geo *lg, const struct geo_export *g);
/* The card with both tables; nothing without a database. */
void landing_geo_card(struct strbuf *sb, const struct landing_geo *lg);

#endif
