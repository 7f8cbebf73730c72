/* events_metrics.c: event counters and histograms (kept in a small pinned map so they stay monotonic across restarts) and their exposition. */
#include <stdio.h>
#include <sys/socket.h>
#include "events_metrics.h"

/* docs/events.md, Metrics: why these bounds. */
static const double bounds[EV_HIST_MAX][EV_HIST_BUCKETS] = {
	[EV_HIST_SCAN_DURATION] = { 10, 60, 300, 900, 1800, 3600, 7200, 21600, 86400, 604800 },
	[EV_HIST_SCAN_COVERAGE] = { 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.9, 1 },
	[EV_HIST_SCAN_RATE] = { 10, 30, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1.5e7, 1e8 },
	[EV_HIST_DOS_DURATION] = { 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800 },
};

const double *ev_hist_bounds(enum ev_hist_id h)
{
	return bounds[h];
}

static void hist_add(struct ev_hist *h, enum ev_hist_id id, double v)
{
	for (int i = 0; i < EV_HIST_BUCKETS; i++)
		if (v <= bounds[id][i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += v;
}

void ev_totals_record(struct ev_totals *t, const struct ev_event *ev)
{
	enum ev_proto p = ev_proto_of(ev->e.family, ev->e.proto);

	if (ev->e.type == EV_DOS) {
		t->dos[p]++;
		hist_add(&t->hist[EV_HIST_DOS_DURATION], EV_HIST_DOS_DURATION, ev->duration);
		return;
	}
	t->scans[p][ev->tool][ev->large]++;
	hist_add(&t->hist[EV_HIST_SCAN_DURATION], EV_HIST_SCAN_DURATION, ev->duration);
	/* IPv6 scans have no coverage or rate (events_judge.c) */
	if (ev->e.family == AF_INET) {
		hist_add(&t->hist[EV_HIST_SCAN_COVERAGE], EV_HIST_SCAN_COVERAGE, ev->coverage);
		hist_add(&t->hist[EV_HIST_SCAN_RATE], EV_HIST_SCAN_RATE, ev->rate);
	}
}

uint64_t ev_totals_evictions(struct ev_totals *t, const struct ev_live *l, enum ev_type type)
{
	uint64_t gone = t->closed[type] + l->entries[type];

	if (l->inserts[type] > gone && l->inserts[type] - gone > t->evictions[type])
		t->evictions[type] = l->inserts[type] - gone;
	return t->evictions[type];
}

static const char *const table_names[EV_TYPE_MAX] = { "scan_events", "dos_victims" };

static void hist_render(struct strbuf *sb, const char *name, const char *help,
			const char *const *ifnames, const struct ev_totals *totals, int nr,
			enum ev_hist_id id)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < nr; i++) {
		const struct ev_hist *h = &totals[i].hist[id];
		uint64_t cum = 0;

		for (int b = 0; b < EV_HIST_BUCKETS; b++) {
			cum += h->bucket[b];
			strbuf_printf(sb, "%s_bucket{iface=\"%s\",le=\"%g\"} %llu\n", name,
				      ifnames[i], bounds[id][b], (unsigned long long)cum);
		}
		strbuf_printf(sb, "%s_bucket{iface=\"%s\",le=\"+Inf\"} %llu\n", name, ifnames[i],
			      (unsigned long long)h->count);
		strbuf_printf(sb, "%s_sum{iface=\"%s\"} %.17g\n", name, ifnames[i], h->sum);
		strbuf_printf(sb, "%s_count{iface=\"%s\"} %llu\n", name, ifnames[i],
			      (unsigned long long)h->count);
	}
}

static void render_scans(struct strbuf *sb, const char *const *ifnames,
			 const struct ev_totals *totals, const struct ev_live *live, int nr)
{
	strbuf_puts(sb, "# HELP darknet_scan_events_total Scan campaigns closed and kept "
		    "(docs/events.md), by protocol, tool and size.\n"
		    "# TYPE darknet_scan_events_total counter\n");
	for (int i = 0; i < nr; i++)
		for (int p = 0; p < EV_PROTO_MAX; p++)
			for (int t = 0; t < EV_TOOL_MAX; t++)
				for (int l = 0; l < 2; l++)
					strbuf_printf(sb, "darknet_scan_events_total{iface=\"%s\","
						      "proto=\"%s\",tool=\"%s\",size=\"%s\"} %llu\n",
						      ifnames[i], ev_proto_name(p), ev_tool_name(t),
						      l ? "large" : "small",
						      (unsigned long long)totals[i].scans[p][t][l]);
	strbuf_puts(sb, "# HELP darknet_scan_events_active Sources in the scan table that "
		    "pass the scan thresholds now and have not gone idle.\n"
		    "# TYPE darknet_scan_events_active gauge\n");
	for (int i = 0; i < nr; i++)
		for (int p = 0; p < EV_PROTO_MAX; p++)
			for (int t = 0; t < EV_TOOL_MAX; t++)
				strbuf_printf(sb, "darknet_scan_events_active{iface=\"%s\","
					      "proto=\"%s\",tool=\"%s\"} %llu\n", ifnames[i],
					      ev_proto_name(p), ev_tool_name(t),
					      (unsigned long long)live[i].scans_active[p][t]);
}

static void render_dos(struct strbuf *sb, const char *const *ifnames,
		       const struct ev_totals *totals, const struct ev_live *live, int nr)
{
	strbuf_puts(sb, "# HELP darknet_dos_attacks_total DoS attacks seen through their "
		    "backscatter, closed and kept (docs/events.md), by protocol.\n"
		    "# TYPE darknet_dos_attacks_total counter\n");
	for (int i = 0; i < nr; i++)
		for (int p = 0; p < EV_PROTO_MAX; p++)
			strbuf_printf(sb, "darknet_dos_attacks_total{iface=\"%s\",proto=\"%s\"} "
				      "%llu\n", ifnames[i], ev_proto_name(p),
				      (unsigned long long)totals[i].dos[p]);
	strbuf_puts(sb, "# HELP darknet_dos_attacks_active Victims in the DoS table that pass "
		    "the attack thresholds now and have not gone idle.\n"
		    "# TYPE darknet_dos_attacks_active gauge\n");
	for (int i = 0; i < nr; i++)
		strbuf_printf(sb, "darknet_dos_attacks_active{iface=\"%s\"} %llu\n", ifnames[i],
			      (unsigned long long)live[i].dos_active);
}

static void render_tables(struct strbuf *sb, struct ev_totals *totals, struct ev_live *live,
			  int nr)
{
	strbuf_puts(sb, "# HELP darknet_event_table_evictions_total Entries the kernel evicted "
		    "from an event table (LRU) before the sweeper closed them: inserts - closed "
		    "- live, all interfaces.\n"
		    "# TYPE darknet_event_table_evictions_total counter\n");
	for (int t = 0; t < EV_TYPE_MAX; t++) {
		uint64_t sum = 0;

		for (int i = 0; i < nr; i++)
			sum += ev_totals_evictions(&totals[i], &live[i], t);
		strbuf_printf(sb, "darknet_event_table_evictions_total{table=\"%s\"} %llu\n",
			      table_names[t], (unsigned long long)sum);
	}
	strbuf_puts(sb, "# HELP darknet_event_table_entries Entries in an event table at the "
		    "last sweep, all interfaces.\n# TYPE darknet_event_table_entries gauge\n");
	for (int t = 0; t < EV_TYPE_MAX; t++) {
		uint64_t sum = 0;

		for (int i = 0; i < nr; i++)
			sum += live[i].entries[t];
		strbuf_printf(sb, "darknet_event_table_entries{table=\"%s\"} %llu\n",
			      table_names[t], (unsigned long long)sum);
	}
}

void ev_metrics_render(struct strbuf *sb, const char *const *ifnames,
		       struct ev_totals *totals, struct ev_live *live, int nr,
		       const struct ev_global *g, bool file_on)
{
	render_scans(sb, ifnames, totals, live, nr);
	render_dos(sb, ifnames, totals, live, nr);
	hist_render(sb, "darknet_scan_event_duration_seconds", "Duration of kept scan "
		    "campaigns, first to last packet.", ifnames, totals, nr,
		    EV_HIST_SCAN_DURATION);
	hist_render(sb, "darknet_scan_event_coverage_ratio", "Share of the IPv4 darknet a kept "
		    "scan campaign reached (distinct destinations / darknet addresses).",
		    ifnames, totals, nr, EV_HIST_SCAN_COVERAGE);
	hist_render(sb, "darknet_scan_event_rate_packets_per_second", "Estimated Internet-wide "
		    "rate of kept scan campaigns (packets * 2^32 / darknet addresses / "
		    "duration).", ifnames, totals, nr, EV_HIST_SCAN_RATE);
	hist_render(sb, "darknet_dos_attack_duration_seconds", "Duration of kept DoS attacks, "
		    "first to last backscatter packet.", ifnames, totals, nr,
		    EV_HIST_DOS_DURATION);
	render_tables(sb, totals, live, nr);
	strbuf_puts(sb, "# HELP darknet_event_table_update_failures_total Packets whose event "
		    "entry the datapath could not create (counted all the same).\n"
		    "# TYPE darknet_event_table_update_failures_total counter\n");
	{
		uint64_t sum = 0;

		for (int i = 0; i < nr; i++)
			sum += live[i].update_failures;
		strbuf_printf(sb, "darknet_event_table_update_failures_total %llu\n",
			      (unsigned long long)sum);
	}
	strbuf_printf(sb, "# HELP darknet_events_file_write_errors_total Event lines that could "
		      "not be written to --events-file (see the log).\n"
		      "# TYPE darknet_events_file_write_errors_total counter\n"
		      "darknet_events_file_write_errors_total %llu\n"
		      "# HELP darknet_events_file_rotations_total Rotations of --events-file.\n"
		      "# TYPE darknet_events_file_rotations_total counter\n"
		      "darknet_events_file_rotations_total %llu\n"
		      "# HELP darknet_events_file_enabled Whether --events-file is set.\n"
		      "# TYPE darknet_events_file_enabled gauge\n"
		      "darknet_events_file_enabled %d\n",
		      (unsigned long long)g->file_write_errors,
		      (unsigned long long)g->file_rotations, file_on);
	strbuf_printf(sb, "# HELP darknet_event_sweep_cpu_seconds_total CPU time of the event "
		      "sweeper thread.\n# TYPE darknet_event_sweep_cpu_seconds_total counter\n"
		      "darknet_event_sweep_cpu_seconds_total %.6f\n"
		      "# HELP darknet_event_sweep_duration_seconds Wall time of the last sweep.\n"
		      "# TYPE darknet_event_sweep_duration_seconds gauge\n"
		      "darknet_event_sweep_duration_seconds %.6f\n"
		      "# HELP darknet_event_sweeps_total Sweeps of the event tables.\n"
		      "# TYPE darknet_event_sweeps_total counter\n"
		      "darknet_event_sweeps_total %llu\n",
		      g->sweep_cpu_seconds, g->last_sweep_seconds, (unsigned long long)g->sweeps);
}
