/* events.c: scan campaigns and DoS victims: the sweeper thread's life, the pinned totals, what the HTTP threads read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "darknet_events.h"
#include "events.h"
#include "log.h"
#include "prefix.h"

_Static_assert(sizeof(struct ev_totals) <= DN_EVENT_TOTAL_KEYS * sizeof(__u64),
	       "the totals fit the pinned event_totals map");

#define TOTALS_BYTES (DN_EVENT_TOTAL_KEYS * sizeof(__u64))

double events_darknet_v4(const struct dn_prefix_list *darknets)
{
	double n = 0;

	for (size_t i = 0; i < darknets->len; i++)
		if (darknets->entries[i].prefix.family == DN_FAMILY_IPV4)
			n += prefix_addresses(&darknets->entries[i].prefix);
	/* overlapping prefixes count twice; a darknet list has none normally */
	return n > 4294967296.0 ? 4294967296.0 : n;
}

/* The totals a predecessor left in event_totals, or fresh ones. */
static int map_totals(struct events *ev, int i, char *err, size_t errlen)
{
	struct ev_totals *p = mmap(NULL, TOTALS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
				   ev->ifaces[i].maps.event_totals, 0);

	if (p == MAP_FAILED) {
		int ret = -errno;

		snprintf(err, errlen, "%s: mmap map event_totals: %s", ev->ifaces[i].name,
			 strerror(-ret));
		return ret;
	}
	ev->pinned[i] = p;
	if (p->magic == EV_TOTALS_MAGIC && p->size == sizeof(*p)) {
		ev->totals[i] = *p;
		return 0;
	}
	memset(&ev->totals[i], 0, sizeof(ev->totals[i]));
	ev->totals[i].magic = EV_TOTALS_MAGIC;
	ev->totals[i].size = sizeof(ev->totals[i]);
	*p = ev->totals[i];
	return 0;
}

int events_init(struct events *ev, struct dn_iface *ifaces, int nr,
		const struct dn_config *cfg, double darknet_v4, unsigned int dst_shift,
		char *err, size_t errlen)
{
	char why[512];
	int ret = 0;

	memset(ev, 0, sizeof(*ev));
	pthread_mutex_init(&ev->lock, NULL);
	pthread_mutex_init(&ev->stop_lock, NULL);
	pthread_cond_init(&ev->stop_cond, NULL);
	ev->on = !cfg->no_events;
	if (!ev->on)
		return 0;
	ev->th = cfg->ev_th;
	ev->interval_s = cfg->event_sweep_interval;
	ev->dst_shift = dst_shift;
	ev->darknet_v4 = darknet_v4;
	ev->ifaces = ifaces;
	ev->nr = nr;
	ev->ring_cap = cfg->events_keep;
	ev->ring = calloc(ev->ring_cap, sizeof(*ev->ring));
	if (!ev->ring) {
		snprintf(err, errlen, "events: out of memory for %u closed events",
			 cfg->events_keep);
		return -ENOMEM;
	}
	for (int i = 0; i < nr && !ret; i++) {
		ev->ifnames[i] = ifaces[i].name;
		ret = map_totals(ev, i, err, errlen);
	}
	if (ret)
		return ret;
	if (cfg->events_file) {
		ev->file_on = true;
		/* not fatal: the request is to keep counting and report */
		if (ev_file_open(&ev->file, cfg->events_file, cfg->events_file_max_bytes, why,
				 sizeof(why)))
			pr_err("%s; counting goes on, each event it cannot write counts in "
			       "darknet_events_file_write_errors_total\n", why);
		else
			pr_info("events file %s: %zu event ids of the previous run read back\n",
				cfg->events_file, ev_idset_size(ev->file.seen));
	}
	return 0;
}

static void *sweeper(void *arg)
{
	struct events *ev = arg;
	struct timespec until;

	pthread_mutex_lock(&ev->stop_lock);
	while (!ev->stop) {
		pthread_mutex_unlock(&ev->stop_lock);
		events_sweep(ev);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ev->interval_s;
		pthread_mutex_lock(&ev->stop_lock);
		while (!ev->stop && pthread_cond_timedwait(&ev->stop_cond, &ev->stop_lock,
							   &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&ev->stop_lock);
	return NULL;
}

int events_start(struct events *ev, char *err, size_t errlen)
{
	int ret;

	if (!ev->on)
		return 0;
	ret = -pthread_create(&ev->thread, NULL, sweeper, ev);
	if (ret) {
		snprintf(err, errlen, "cannot start the event sweeper thread: %s", strerror(-ret));
		return ret;
	}
	ev->running = true;
	return 0;
}

void events_stop(struct events *ev)
{
	if (!ev->running)
		return;
	pthread_mutex_lock(&ev->stop_lock);
	ev->stop = true;
	pthread_cond_signal(&ev->stop_cond);
	pthread_mutex_unlock(&ev->stop_lock);
	pthread_join(ev->thread, NULL);
	ev->running = false;
}

void events_free(struct events *ev)
{
	events_stop(ev);
	for (int i = 0; i < ev->nr; i++)
		if (ev->pinned[i])
			munmap(ev->pinned[i], TOTALS_BYTES);
	if (ev->file_on)
		ev_file_close(&ev->file);
	free(ev->ring);
	free(ev->active);
	pthread_mutex_destroy(&ev->lock);
	pthread_mutex_destroy(&ev->stop_lock);
	pthread_cond_destroy(&ev->stop_cond);
	memset(ev, 0, sizeof(*ev));
}

void events_set_darknet(struct events *ev, double darknet_v4)
{
	if (!ev->on)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->darknet_v4 = darknet_v4;
	pthread_mutex_unlock(&ev->lock);
}

void events_render_metrics(struct events *ev, struct strbuf *sb)
{
	if (!ev->on)
		return;
	pthread_mutex_lock(&ev->lock);
	ev_metrics_render(sb, ev->ifnames, ev->totals, ev->live, ev->nr, &ev->g, ev->file_on);
	pthread_mutex_unlock(&ev->lock);
}
