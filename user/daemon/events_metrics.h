/* events_metrics.h: event counters and histograms (kept in a small pinned map so they stay monotonic across restarts) and their exposition. */
#ifndef DN_EVENTS_METRICS_H
#define DN_EVENTS_METRICS_H

#include <stdint.h>
#include "events_judge.h"
#include "strbuf.h"

/* Classic buckets, chosen in docs/events.md (Metrics). */
#define EV_HIST_BUCKETS 10
enum ev_hist_id { EV_HIST_SCAN_DURATION, EV_HIST_SCAN_COVERAGE, EV_HIST_SCAN_RATE,
		  EV_HIST_DOS_DURATION, EV_HIST_MAX };

struct ev_hist {
	uint64_t bucket[EV_HIST_BUCKETS];   /* per bucket, not cumulative; +Inf is count */
	uint64_t count;
	double sum;
};

/* One interface's totals: the value of its pinned event_totals map. */
struct ev_totals {
	uint32_t magic, size;                /* layout check of a pin found at start */
	uint64_t scans[EV_PROTO_MAX][EV_TOOL_MAX][2];   /* [..][..][large] */
	uint64_t dos[EV_PROTO_MAX];
	uint64_t closed[EV_TYPE_MAX];        /* entries the sweeper removed, kept or not */
	uint64_t evictions[EV_TYPE_MAX];     /* as last exposed: never goes back */
	struct ev_hist hist[EV_HIST_MAX];
};
#define EV_TOTALS_MAGIC 0x45565431u      /* "EVT1" */

/* One interface's gauges of the last sweep. */
struct ev_live {
	uint64_t entries[EV_TYPE_MAX];
	uint64_t inserts[EV_TYPE_MAX];       /* event_stats: lookups that created an entry */
	uint64_t update_failures;            /* event_stats: entries the datapath could not create */
	uint64_t scans_active[EV_PROTO_MAX][EV_TOOL_MAX];
	uint64_t dos_active;
};

/* Count one kept, closed event into t. */
void ev_totals_record(struct ev_totals *t, const struct ev_event *ev);
/* Evictions of table `type` given the live counts: inserts - closed -
 * entries, never below what was exposed before (the three are read at
 * slightly different times). */
uint64_t ev_totals_evictions(struct ev_totals *t, const struct ev_live *l, enum ev_type type);
/* The upper bounds of histogram h (EV_HIST_BUCKETS of them). */
const double *ev_hist_bounds(enum ev_hist_id h);

/* Daemon-wide figures besides the per-interface ones. */
struct ev_global {
	uint64_t file_write_errors;
	uint64_t file_rotations;
	double sweep_cpu_seconds;            /* the sweeper thread's CPU time */
	double last_sweep_seconds;           /* wall time of the last sweep */
	uint64_t sweeps;
};

/* Render every event metric for nr interfaces. */
void ev_metrics_render(struct strbuf *sb, const char *const *ifnames,
		       struct ev_totals *totals, struct ev_live *live, int nr,
		       const struct ev_global *g, bool file_on);

#endif
