/* landing.h: the exporter's "/" page: a live summary for an operator with only a browser. */
#ifndef DN_LANDING_H
#define DN_LANDING_H

#include <stddef.h>
#include <time.h>
#include "snapshot.h"
#include "strbuf.h"

/* Seconds between the page's own reloads (<meta http-equiv="refresh">). */
#define LANDING_REFRESH_SEC 15

/* Append a self-contained HTML page (inline CSS and SVG, no script, no
 * external asset) summarising snap: totals, packets per darknet address,
 * class shares with the research share highlighted, the top-10 TCP/UDP
 * destination ports without research scans plus "other ports", IPv4 vs
 * IPv6, passed and malformed frames, and each interface's attachment. It
 * links to telemetry_path. version and now (Unix time) go in the header.
 * dist (NULL: none) adds distinct sources per class and darknet coverage
 * over 24 hours (landing_stats.h); geo (NULL: none) the top source
 * countries and origin ASes (landing_geo.h). 0 or -ENOMEM; errors also
 * stick in out->err. */
struct landing_distinct;
/* cards (NULL: none): HTML of further cards, placed after the others
 * (the event cards, landing_events.h). */
struct landing_geo;
int landing_render(struct strbuf *out, const struct dn_snapshot *snap,
		   const struct landing_distinct *dist, const struct landing_geo *geo,
		   const char *cards,
		   const char *telemetry_path, const char *version, time_t now);

/* The metrics path the page links to (default "/metrics"). The string must
 * outlive the HTTP server; set it before http_start(). */
void landing_set_telemetry_path(const char *path);

/* http_body_fn for "/": ctx is the struct exporter the metrics use. Reads
 * every interface's counters under ex->lock, as a scrape does, but leaves
 * the port-series state alone (promotion stays a matter of scrapes). */
int exporter_landing(void *ctx, char **body, size_t *len);

#endif
