/* events.h: scan campaigns and DoS victims: the sweeper thread that closes, judges and emits events, and what the HTTP threads read of it. */
#ifndef DN_EVENTS_H_DAEMON
#define DN_EVENTS_H_DAEMON

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "events_file.h"
#include "events_judge.h"
#include "events_metrics.h"
#include "loader.h"
#include "strbuf.h"

struct events {
	bool on;                          /* false with --no-events */
	struct ev_thresholds th;
	unsigned int interval_s;
	unsigned int dst_shift;           /* the datapath's dn_event_dst_shift */
	struct dn_iface *ifaces;
	int nr;
	const char *ifnames[DN_MAX_IFACES];
	struct ev_totals *pinned[DN_MAX_IFACES];   /* mmap of each event_totals */
	bool file_on;
	struct ev_file file;              /* the sweeper's alone */

	pthread_t thread;
	bool running;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stop;

	/* lock guards the rest: the sweeper fills it, HTTP threads read it.
	 * Nothing slow (disk, maps) happens under it. */
	pthread_mutex_t lock;
	double darknet_v4;                /* IPv4 darknet addresses (lists reload) */
	struct ev_totals totals[DN_MAX_IFACES];
	struct ev_live live[DN_MAX_IFACES];
	struct ev_global g;
	struct ev_event *ring;            /* the last closed events, oldest first from head */
	size_t ring_cap, ring_len, ring_head;
	struct ev_event *active;          /* active events of the last sweep */
	size_t active_len, active_cap;
	size_t active_total;              /* active found, shown or not */
};

/* Set up from cfg (thresholds checked in config.c) for darknet_v4 IPv4
 * darknet addresses, with the datapath's dst_shift; the tables must be
 * loaded. Opens --events-file: a failure is logged with its reason and
 * counted as a write error at each event, and counting goes on.
 * 0 or -errno with err naming the map. */
int events_init(struct events *ev, struct dn_iface *ifaces, int nr,
		const struct dn_config *cfg, double darknet_v4, unsigned int dst_shift,
		char *err, size_t errlen);
/* Start and stop the sweeper thread. */
int events_start(struct events *ev, char *err, size_t errlen);
void events_stop(struct events *ev);
void events_free(struct events *ev);
/* One sweep now (the thread's body; tests call it directly). */
void events_sweep(struct events *ev);
/* After a lists reload. */
void events_set_darknet(struct events *ev, double darknet_v4);
/* Under ev->lock: the event metrics. */
void events_render_metrics(struct events *ev, struct strbuf *sb);

/* IPv4 addresses in the darknet list (every IPv4 address with none). */
struct dn_prefix_list;
double events_darknet_v4(const struct dn_prefix_list *darknets);

#endif
