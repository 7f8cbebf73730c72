/* geo_state.c: the --geo-country and --geo-asn databases in force: loaded at start, reloaded, installed, exported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "geo_image.h"
#include "geo_install.h"
#include "geo_state.h"
#include "lists.h"
#include "log.h"
#include "metrics_text.h"

bool geo_state_wanted(const struct dn_config *cfg)
{
	return cfg->nr_geo_country_files || cfg->nr_geo_asn_files;
}

int geo_state_init(struct geo_state *g)
{
	memset(g, 0, sizeof(*g));
	geo_db_init(&g->country, GEO_COUNTRY);
	geo_db_init(&g->asn, GEO_ASN);
	return geo_asn_ids_init(&g->ids);
}

void geo_state_free(struct geo_state *g)
{
	geo_db_free(&g->country);
	geo_db_free(&g->asn);
	geo_asn_ids_free(&g->ids);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The indices a restart finds in the pins are kept: the first interface
 * whose geo_asn_ids holds any is the reference (all get the same writes). */
static int take_ids(struct geo_state *g, struct dn_iface *ifaces, int nr, char *err,
		    size_t errlen)
{
	int ret = 0;

	for (int i = 0; i < nr && !ret && g->ids.next == 1; i++)
		ret = geo_asn_ids_read(&g->ids, ifaces[i].maps.geo_asn_ids, err, errlen);
	g->ids_read = !ret;
	return ret;
}

/* The new tables go into every interface, indices first: a packet can
 * carry an index only once the pinned table names its AS. */
static int install(struct geo_state *g, const struct geo_tables *t, struct dn_iface *ifaces,
		   int nr, char *err, size_t errlen)
{
	char why[384];
	int ret = 0, i;

	for (i = 0; !ret && i < nr; i++)
		ret = geo_asn_ids_write(&g->ids, ifaces[i].maps.geo_asn_ids, why, sizeof(why));
	if (!ret)
		geo_asn_ids_mark_written(&g->ids);
	for (i = 0; !ret && i < nr; i++)
		ret = geo_tables_commit(ifaces[i].maps.geo_v4, ifaces[i].maps.geo_v6, t, why,
					sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", ifaces[i - 1].name, why);
	if (ret && i > 1)
		pr_err("geo: %d of %d interfaces took the new tables before: %s\n", i - 1, nr, err);
	return ret;
}

int geo_state_load(struct geo_state *g, const struct dn_config *cfg, struct dn_iface *ifaces,
		   int nr, pthread_mutex_t *lock, char *err, size_t errlen)
{
	struct geo_tables t = { .fd_v4 = -1, .fd_v6 = -1 };
	struct geo_db country, asn, old;
	struct geo_image img = {0};
	double start = mono();
	char why[512];
	bool locked;
	int ret, which;

	geo_db_init(&country, GEO_COUNTRY);
	geo_db_init(&asn, GEO_ASN);
	ret = geo_db_load_both(&country, cfg->geo_country_files, cfg->nr_geo_country_files, &asn,
			       cfg->geo_asn_files, cfg->nr_geo_asn_files, &which, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "--%s %s", which == GEO_ASN ? "geo-asn" : "geo-country", why);
	if (!ret && !g->ids_read)
		ret = take_ids(g, ifaces, nr, err, errlen);
	ret = ret ?: geo_image_build(&img, cfg->nr_geo_country_files ? &country : NULL,
				     cfg->nr_geo_asn_files ? &asn : NULL, &g->ids, err, errlen);
	if (!ret && g->ids.refused)
		pr_warn("geo: every AS index is taken (%u); %u ASes count as unknown\n",
			DN_GEO_MAX_ASNS - 1, g->ids.refused);
	g->ids.refused = 0;
	ret = ret ?: geo_tables_prepare(&img, &t, err, errlen);
	/* Under the scrape lock: a scrape sees the old tables and names or
	 * the new ones. */
	locked = !ret && lock;
	if (locked)
		pthread_mutex_lock(lock);
	if (!ret && !(ret = install(g, &t, ifaces, nr, err, errlen))) {
		old = g->country, g->country = country, country = old;
		old = g->asn, g->asn = asn, asn = old;
		g->v4_bytes = t.v4_bytes;
		g->v6_bytes = t.v6_bytes;
		g->v6_prefixes = t.v6_prefixes;
		g->v4_blocks = img.nr_blocks;
		g->installed = true;
		g->load_seconds = mono() - start;
	}
	if (locked)
		pthread_mutex_unlock(lock);
	geo_tables_free(&t);   /* the maps live on in the slots that hold them */
	geo_image_free(&img);
	geo_db_free(&country);
	geo_db_free(&asn);
	return ret;
}

int64_t geo_state_newest_mtime(const struct dn_config *cfg)
{
	int64_t newest = 0, t;

	for (int i = 0; i < cfg->nr_geo_country_files; i++)
		if ((t = lists_path_mtime(cfg->geo_country_files[i])) > newest)
			newest = t;
	for (int i = 0; i < cfg->nr_geo_asn_files; i++)
		if ((t = lists_path_mtime(cfg->geo_asn_files[i])) > newest)
			newest = t;
	return newest;
}

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_files(struct strbuf *sb, const struct geo_db *db, const char *kind,
			 int mtime)
{
	for (int i = 0; i < db->nr_files; i++) {
		const struct geo_file *f = &db->files[i];

		strbuf_printf(sb, "%s{kind=\"%s\",file=\"",
			      mtime ? "darknet_geo_database_timestamp_seconds"
				    : "darknet_geo_database_info", kind);
		metrics_put_escaped(sb, f->path, strlen(f->path));
		if (mtime)
			strbuf_printf(sb, "\"} %.3f\n", f->mtime_ns / 1e9);
		else
			strbuf_printf(sb, "\",ranges=\"%zu\"} 1\n", f->ranges);
	}
}

/* The ASes with a series: geo_asn_slot (AS index -> slot) of one
 * interface, the daemon writes the same slots to all. */
static void render_asn_info(struct strbuf *sb, const struct geo_state *g,
			    const struct dn_iface *ifc)
{
	__u32 n = DN_GEO_MAX_ASNS, batch = 0, *keys = malloc(n * sizeof(*keys));
	__u16 *slots = malloc(n * sizeof(*slots));

	family(sb, "darknet_asn_info", "gauge",
	       "Name of each AS that has a series (--geo-asn database), value 1.");
	if (keys && slots && ifc &&
	    (!bpf_map_lookup_batch(ifc->maps.geo_asn_slot, NULL, &batch, keys, slots, &n, NULL) ||
	     errno == ENOENT)) {
		for (__u32 i = 0; i < n; i++) {
			__u32 asn = keys[i] < DN_GEO_MAX_ASNS ? g->ids.asn_of[keys[i]] : 0;
			const char *name = asn ? geo_db_asn_name(&g->asn, asn) : NULL;

			if (!slots[i] || !asn)
				continue;
			strbuf_printf(sb, "darknet_asn_info{asn=\"%u\",name=\"", asn);
			metrics_put_escaped(sb, name ? name : "", name ? strlen(name) : 0);
			strbuf_puts(sb, "\"} 1\n");
		}
	}
	free(keys);
	free(slots);
}

void geo_state_render(struct strbuf *sb, const struct geo_state *g, const struct dn_iface *ifc)
{
	if (!g->installed)
		return;
	family(sb, "darknet_geo_database_info", "gauge",
	       "Each --geo-country and --geo-asn file in force, its ranges as read, value 1.");
	render_files(sb, &g->country, "country", 0);
	render_files(sb, &g->asn, "asn", 0);
	family(sb, "darknet_geo_database_timestamp_seconds", "gauge",
	       "Modification time of each geo database file in force: databases go stale.");
	render_files(sb, &g->country, "country", 1);
	render_files(sb, &g->asn, "asn", 1);
	family(sb, "darknet_geo_table_bytes", "gauge",
	       "Kernel memory of the geo tables in force, by family.");
	strbuf_printf(sb, "darknet_geo_table_bytes{family=\"ipv4\"} %zu\n", g->v4_bytes);
	strbuf_printf(sb, "darknet_geo_table_bytes{family=\"ipv6\"} %zu\n", g->v6_bytes);
	render_asn_info(sb, g, ifc);
}
