/* exporter.c: the daemon's shared state and what one scrape does with it. */
#include <errno.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lists.h"
#include "log.h"
#include "metrics.h"
#include "strbuf.h"
#include "exporter.h"

double exporter_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int init_ports(struct exporter *ex, const struct dn_config *cfg,
		      char *err, size_t errlen)
{
	struct port_series_config pc;
	int ret;

	port_series_config_init(&pc);
	pc.max_series = cfg->max_port_series;
	if (strcmp(cfg->watch_ports, "none")) {
		char why[256] = "";

		ret = port_series_parse_watch(&pc, cfg->watch_ports, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "--watch-ports %s: %s", cfg->watch_ports,
				 why[0] ? why : strerror(-ret));
			return ret;
		}
	}
	ret = port_series_new(&ex->ports, &pc, ex->nr_ifaces, err, errlen);
	if (ret && !err[0])
		snprintf(err, errlen, "cannot set up the port series: %s", strerror(-ret));
	return ret;
}

/* series_state of interface i: entry k is the k-th promotion of any
 * run on these pins. Appending is enough: nothing is ever demoted. */
static void save_promotion(void *ctx, int i, uint32_t series, uint64_t baseline)
{
	struct exporter *ex = ctx;
	struct dn_port_series_entry e = { .series = series + 1, .baseline = baseline };
	__u32 key = ex->ps_saved[i];

	if (key >= DN_MAX_PORT_SERIES_STATE)
		return;   /* only a --max-port-series above the map's size gets here */
	if (bpf_map_update_elem(ex->ifaces[i].maps.series_state, &key, &e, BPF_ANY))
		pr_warn("%s: cannot save a port series: %s\n", ex->ifaces[i].name, strerror(errno));
	else
		ex->ps_saved[i]++;
}

static int restore_promotions(struct exporter *ex, int i)
{
	struct dn_port_series_entry e;
	int ret = 0;

	for (__u32 key = 0; key < DN_MAX_PORT_SERIES_STATE && !ret; key++) {
		if (bpf_map_lookup_elem(ex->ifaces[i].maps.series_state, &key, &e))
			return -errno;
		if (!e.series)
			break;
		ret = port_series_restore(ex->ports, i, e.series - 1, e.baseline);
		ex->ps_saved[i] = key + 1;
	}
	return ret;
}

static void init_lists(struct selfmon_info *self, const struct dn_config *cfg)
{
	for (int i = 0; i < cfg->nr_scanner_paths && i < SELFMON_MAX_LISTS; i++)
		self->lists[self->nr_lists++].path = cfg->scanner_paths[i];
}

int exporter_init(struct exporter *ex, struct dn_iface *ifaces, int nr,
		  const struct dn_config *cfg, char *errbuf, size_t errlen)
{
	int err, i;

	memset(ex, 0, sizeof(*ex));
	pthread_mutex_init(&ex->lock, NULL);
	ex->ifaces = ifaces;
	ex->nr_ifaces = nr;
	ex->self.start_time = exporter_now();
	init_lists(&ex->self, cfg);
	errbuf[0] = '\0';
	err = init_ports(ex, cfg, errbuf, errlen);
	if (err)
		return err;
	for (i = 0; i < nr && !err; i++)
		err = restore_promotions(ex, i);
	if (err) {
		snprintf(errbuf, errlen, "%s: cannot restore the port series of the previous "
			 "run from series_state: %s", ifaces[i - 1].name, strerror(-err));
		return err;
	}
	port_series_on_promote(ex->ports, save_promotion, ex);
	err = distinct_init(&ex->distinct, ifaces, nr, cfg, exporter_now(), errbuf, errlen);
	err = err ?: geo_export_init(&ex->geo_metrics, ifaces, nr, cfg, errbuf, errlen);
	if (err)
		return err;
	ex->snap.ifaces = calloc(nr > 0 ? (size_t)nr : 1, sizeof(*ex->snap.ifaces));
	err = ex->snap.ifaces ? 0 : -ENOMEM;
	if (!err)
		ex->snap.nr_ifaces = nr;
	/* each interface's snapshot keeps its port sums between scrapes */
	for (i = 0; i < nr && !err; i++) {
		err = counters_snapshot_alloc(&ex->snap.ifaces[i]);
		err = err ?: counters_snapshot_track_ports(&ex->snap.ifaces[i]);
	}
	err = err ?: counters_reader_init(&ex->reader);
	if (err)
		snprintf(errbuf, errlen, "cannot set up the counter snapshots: %s",
			 strerror(-err));
	return err;
}

void exporter_free(struct exporter *ex)
{
	for (int i = 0; ex->snap.ifaces && i < ex->snap.nr_ifaces; i++)
		counters_snapshot_free(&ex->snap.ifaces[i]);
	free(ex->snap.ifaces);
	counters_reader_free(&ex->reader);
	distinct_free(&ex->distinct);
	geo_export_free(&ex->geo_metrics);
	port_series_free(ex->ports);
	pthread_mutex_destroy(&ex->lock);
}

static void read_iface(struct exporter *ex, int i)
{
	struct dn_iface_snapshot *s = &ex->snap.ifaces[i];
	struct dn_iface *ifc = &ex->ifaces[i];
	int err;

	snprintf(s->ifname, sizeof(s->ifname), "%s", ifc->name);
	s->mode = ifc->mode == XDP_MODE_SKB ? "skb" : "native";
	s->attached = loader_is_attached(ifc) == 1;
	err = counters_read(&ex->reader, &ifc->maps, s);
	if (err) {
		ex->self.map_read_errors++;
		pr_warn("reading the counters of %s failed: %s\n", ifc->name, strerror(-err));
	}
}

static void update_self(struct exporter *ex)
{
	for (int i = 0; i < ex->self.nr_lists; i++)
		ex->self.lists[i].mtime = lists_path_mtime(ex->self.lists[i].path) / 1000000000;
}

void exporter_read(struct exporter *ex)
{
	for (int i = 0; i < ex->nr_ifaces; i++)
		read_iface(ex, i);
}

int exporter_metrics(void *ctx, char **body, size_t *len)
{
	struct exporter *ex = ctx;
	struct strbuf sb = STRBUF_INIT;
	struct dn_metrics_info info = { .version = DN_VERSION, .ports = ex->ports };
	double start = cpu_seconds();
	int err;

	pthread_mutex_lock(&ex->lock);
	exporter_read(ex);
	ex->snap.scrape_duration_seconds = ex->last_scrape_seconds;
	err = port_series_update(ex->ports, &ex->snap);
	if (err)
		pr_warn("tracking port series failed: %s\n", strerror(-err));
	geo_export_update(&ex->geo_metrics);
	update_self(ex);
	err = metrics_render(&sb, &ex->snap, &info);
	selfmon_render(&sb, &ex->self);
	distinct_render(&sb, &ex->distinct);
	geo_export_render(&sb, &ex->geo_metrics, &ex->distinct);
	if (ex->geo)
		geo_state_render(&sb, ex->geo, ex->nr_ifaces ? &ex->ifaces[0] : NULL);
	events_render_metrics(&ex->events, &sb);
	ex->last_scrape_seconds = cpu_seconds() - start;
	pthread_mutex_unlock(&ex->lock);
	if (err || sb.err) {
		strbuf_free(&sb);
		return err ?: sb.err;
	}
	*body = sb.buf;
	*len = sb.len;
	return 0;
}
