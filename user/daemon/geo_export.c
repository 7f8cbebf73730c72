/* geo_export.c: the per-country and per-AS series of the daemon: AS series promotion each scrape, and their metrics. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "darknet_counter.skel.h"
#include "geo.h"
#include "geo_counts.h"
#include "geo_series.h"
#include "log.h"
#include "names.h"
#include "sketch.h"
#include "geo_export.h"

struct geo_export_iface {
	struct geo_series series;
	struct geo_counts counts;
	__u64 totals[DN_GEO_MAX_ASNS];
	__u32 asn_of[DN_GEO_MAX_ASNS];     /* geo_asn_ids: AS index -> AS number */
	__u16 slots[DN_GEO_MAX_ASNS];      /* scratch: geo_asn_slot at start */
	bool counts_ok;
};

unsigned int geo_export_bits(const struct dn_config *cfg)
{
	return (cfg->nr_geo_country_files ? DN_GEO_ON_COUNTRY : 0) |
	       (cfg->nr_geo_asn_files ? DN_GEO_ON_ASN : 0);
}

/* Every value of an array map of DN_GEO_MAX_ASNS entries, in one batch. */
static int read_all(int fd, void *values, size_t value_size)
{
	static __u32 keys[DN_GEO_MAX_ASNS];
	__u32 count = DN_GEO_MAX_ASNS, next = 0;
	char *tmp = malloc((size_t)DN_GEO_MAX_ASNS * value_size);
	int err = 0;

	if (!tmp)
		return -ENOMEM;
	if (bpf_map_lookup_batch(fd, NULL, &next, keys, tmp, &count, NULL) && errno != ENOENT)
		err = -errno;
	for (__u32 i = 0; !err && i < count; i++)
		if (keys[i] < DN_GEO_MAX_ASNS)
			memcpy((char *)values + keys[i] * value_size, tmp + i * value_size, value_size);
	free(tmp);
	return err;
}

int geo_export_init(struct geo_export *g, struct dn_iface *ifaces, int nr,
		    const struct dn_config *cfg, char *err, size_t errlen)
{
	int ret = 0;

	memset(g, 0, sizeof(*g));
	g->ifaces = ifaces;
	if (nr > 0 && ifaces[0].skel)
		g->on = ifaces[0].skel->rodata->dn_geo_enabled;
	if (!g->on)
		return 0;
	g->ifc = calloc(nr, sizeof(*g->ifc));
	if (!g->ifc)
		return -ENOMEM;
	g->nr = nr;
	for (int i = 0; i < nr && !ret; i++) {
		struct geo_export_iface *f = &g->ifc[i];

		ret = geo_series_init(&f->series, cfg->max_asn_series, cfg->watch_asns, err, errlen);
		if (ret || !(g->on & DN_GEO_ON_ASN))
			continue;
		ret = read_all(ifaces[i].maps.geo_asn_slot, f->slots, sizeof(__u16));
		ret = ret ?: read_all(ifaces[i].maps.geo_asn_ids, f->asn_of, sizeof(__u32));
		ret = ret ?: geo_series_restore(&f->series, f->slots, f->asn_of);
		if (ret)
			snprintf(err, errlen, "%s: cannot take back the AS series from geo_asn_slot: %s",
				 ifaces[i].name, strerror(-ret));
	}
	return ret;
}

void geo_export_free(struct geo_export *g)
{
	free(g->ifc);
	g->ifc = NULL;
	g->nr = 0;
}

static void promote(struct geo_export *g, int i)
{
	struct geo_export_iface *f = &g->ifc[i];
	const struct dn_maps *m = &g->ifaces[i].maps;
	struct geo_promotion out[DN_GEO_ASN_SLOTS];
	size_t n;
	int err;

	err = read_all(m->geo_asn_ids, f->asn_of, sizeof(__u32));
	err = err ?: geo_asn_totals_read(m, f->totals);
	if (err) {
		pr_warn("%s: cannot read the AS totals: %s\n", g->ifaces[i].name, strerror(-err));
		return;
	}
	n = geo_series_update(&f->series, f->totals, f->asn_of, out);
	for (size_t k = 0; k < n; k++) {
		/* the map is the record: a series is kept across restarts by it */
		if (bpf_map_update_elem(m->geo_asn_slot, &out[k].index, &out[k].slot, BPF_ANY))
			pr_warn("%s: cannot give AS%u a series: %s\n", g->ifaces[i].name,
				f->asn_of[out[k].index], strerror(errno));
	}
}

void geo_export_read(struct geo_export *g)
{
	for (int i = 0; i < g->nr; i++) {
		struct geo_export_iface *f = &g->ifc[i];
		int err = geo_counts_read(&g->ifaces[i].maps, &f->counts);

		f->counts_ok = !err;
		if (err)
			pr_warn("%s: cannot read the geo counters: %s\n", g->ifaces[i].name,
				strerror(-err));
	}
}

void geo_export_update(struct geo_export *g)
{
	geo_export_read(g);
	for (int i = 0; i < g->nr && (g->on & DN_GEO_ON_ASN); i++)
		promote(g, i);
}

static void header(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* AS label of slot s: its AS number, or "other" for slot 0. */
static void asn_label(const struct geo_export_iface *f, unsigned int s, char *buf, size_t len)
{
	if (s == DN_GEO_ASN_OTHER)
		snprintf(buf, len, "other");
	else
		snprintf(buf, len, "%u", f->asn_of[f->series.index_of_slot[s]]);
}

static void render_counts(struct strbuf *sb, const struct geo_export *g, bool bytes)
{
	const char *cn = bytes ? "darknet_country_bytes_total" : "darknet_country_packets_total";
	const char *an = bytes ? "darknet_asn_bytes_total" : "darknet_asn_packets_total";
	char asn[16];

	if (g->on & DN_GEO_ON_COUNTRY) {
		header(sb, cn, "counter", bytes ?
		       "Frame bytes of darknet packets by source country (country=\"--\": not in "
		       "the database) and class." :
		       "Darknet packets by source country (country=\"--\": not in the database) "
		       "and class; the countries sum to the class counters.");
		for (int i = 0; i < g->nr; i++) {
			if (!g->ifc[i].counts_ok)
				continue;
			for (unsigned int c = 0; c <= geo_cc_count(); c++)
				for (unsigned int cls = 0; cls < DN_CLASS_MAX; cls++) {
					const struct dn_count *v = &g->ifc[i].counts.country[dn_geo_key(c, cls)];

					strbuf_printf(sb, "%s{iface=\"%s\",country=\"%s\",class=\"%s\"} %"
						      PRIu64 "\n", cn, g->ifaces[i].name, geo_cc_code(c),
						      names_class(cls), (uint64_t)(bytes ? v->bytes : v->packets));
				}
		}
	}
	if (!(g->on & DN_GEO_ON_ASN))
		return;
	header(sb, an, "counter", bytes ?
	       "Frame bytes of darknet packets by origin AS with a series (asn=\"other\": the "
	       "rest) and class." :
	       "Darknet packets by origin AS with a series (asn=\"other\": every other AS, "
	       "unknown included) and class; a series counts from its promotion, the "
	       "series and other sum to the class counters.");
	for (int i = 0; i < g->nr; i++) {
		const struct geo_export_iface *f = &g->ifc[i];

		if (!f->counts_ok)
			continue;
		for (unsigned int s = 0; s <= f->series.used; s++) {
			asn_label(f, s, asn, sizeof(asn));
			for (unsigned int cls = 0; cls < DN_CLASS_MAX; cls++) {
				const struct dn_count *v = &f->counts.asn[dn_geo_key(s, cls)];

				strbuf_printf(sb, "%s{iface=\"%s\",asn=\"%s\",class=\"%s\"} %" PRIu64
					      "\n", an, g->ifaces[i].name, asn, names_class(cls),
					      (uint64_t)(bytes ? v->bytes : v->packets));
			}
		}
	}
}

/* Gauges of the sketch slots with a window history (a country or AS
 * series that has seen a source since the windows began). */
static void render_distinct(struct strbuf *sb, const struct geo_export *g,
			    const struct distinct *d)
{
	struct dn_sketch tmp;
	char asn[16];

	if (g->on & DN_GEO_ON_COUNTRY) {
		header(sb, "darknet_country_unique_sources", "gauge", "Distinct sources of darknet "
		       "packets from a country in the window (HyperLogLog, 1.6% standard error).");
		for (int i = 0; i < g->nr; i++)
			for (unsigned int c = 0; c <= geo_cc_count(); c++)
				for (int w = 0; w < DWIN_MAX; w++)
					if (distinct_window(d, i, DN_SKETCH_COUNTRY_BASE + c, w, &tmp))
						strbuf_printf(sb, "darknet_country_unique_sources{iface="
							      "\"%s\",country=\"%s\",window=\"%s\"} %.0f\n",
							      g->ifaces[i].name, geo_cc_code(c),
							      dwin_name(w), round(sketch_estimate(&tmp)));
	}
	if (!(g->on & DN_GEO_ON_ASN))
		return;
	header(sb, "darknet_asn_unique_sources", "gauge", "Distinct sources of darknet packets "
	       "from an origin AS with a series (asn=\"other\": the rest) in the window.");
	for (int i = 0; i < g->nr; i++)
		for (unsigned int s = 0; s <= g->ifc[i].series.used; s++) {
			asn_label(&g->ifc[i], s, asn, sizeof(asn));
			for (int w = 0; w < DWIN_MAX; w++)
				if (distinct_window(d, i, DN_SKETCH_ASN_BASE + s, w, &tmp))
					strbuf_printf(sb, "darknet_asn_unique_sources{iface=\"%s\","
						      "asn=\"%s\",window=\"%s\"} %.0f\n",
						      g->ifaces[i].name, asn, dwin_name(w),
						      round(sketch_estimate(&tmp)));
		}
}

void geo_export_render(struct strbuf *sb, const struct geo_export *g, const struct distinct *d)
{
	if (!g->on)
		return;
	render_counts(sb, g, false);
	render_counts(sb, g, true);
	render_distinct(sb, g, d);
}

const struct dn_count *geo_export_country(const struct geo_export *g, int i, unsigned int c)
{
	if (!(g->on & DN_GEO_ON_COUNTRY) || i >= g->nr || c >= DN_GEO_COUNTRIES ||
	    !g->ifc[i].counts_ok)
		return NULL;
	return &g->ifc[i].counts.country[dn_geo_key(c, 0)];
}

const struct dn_count *geo_export_asn_series(const struct geo_export *g, int i, unsigned int s,
					     __u32 *asn)
{
	const struct geo_export_iface *f;

	if (!(g->on & DN_GEO_ON_ASN) || i >= g->nr || s > g->ifc[i].series.used ||
	    !g->ifc[i].counts_ok)
		return NULL;
	f = &g->ifc[i];
	*asn = s ? f->asn_of[f->series.index_of_slot[s]] : 0;
	return &f->counts.asn[dn_geo_key(s, 0)];
}
