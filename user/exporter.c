/* exporter.c: the daemon's shared state and what one scrape does with it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

int exporter_init(struct exporter *ex, struct dn_iface *ifaces, int nr)
{
	int err;

	memset(ex, 0, sizeof(*ex));
	pthread_mutex_init(&ex->lock, NULL);
	ex->ifaces = ifaces;
	ex->nr_ifaces = nr;
	ex->start_time = exporter_now();
	ex->snap.ifaces = calloc(nr, sizeof(*ex->snap.ifaces));
	if (!ex->snap.ifaces)
		return -ENOMEM;
	ex->snap.nr_ifaces = nr;
	for (int i = 0; i < nr; i++) {
		err = counters_snapshot_alloc(&ex->snap.ifaces[i]);
		if (err)
			return err;
	}
	return counters_reader_init(&ex->reader);
}

void exporter_free(struct exporter *ex)
{
	for (int i = 0; ex->snap.ifaces && i < ex->snap.nr_ifaces; i++)
		counters_snapshot_free(&ex->snap.ifaces[i]);
	free(ex->snap.ifaces);
	counters_reader_free(&ex->reader);
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
		ex->map_read_errors++;
		pr_warn("reading the counters of %s failed: %s\n", ifc->name, strerror(-err));
	}
}

int exporter_metrics(void *ctx, char **body, size_t *len)
{
	struct exporter *ex = ctx;
	struct strbuf sb = STRBUF_INIT;
	struct dn_metrics_info info = { .version = DN_VERSION };
	double start = cpu_seconds();
	int err;

	pthread_mutex_lock(&ex->lock);
	for (int i = 0; i < ex->nr_ifaces; i++)
		read_iface(ex, i);
	ex->snap.scrape_duration_seconds = ex->last_scrape_seconds;
	err = metrics_render(&sb, &ex->snap, &info);
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
