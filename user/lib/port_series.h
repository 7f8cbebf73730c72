/* port_series.h: which destination ports get a darknet_port_packets_total series of their own. */
#ifndef DN_PORT_SERIES_H
#define DN_PORT_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "darknet_counter.h"
#include "snapshot.h"

/*
 * Scanners sweep all 65,536 ports every day, so one series per port would
 * explode Prometheus. A series here is one (iface, proto, port, class) of
 * darknet_port_packets_total; everything untracked is shown summed under
 * port="other".
 *
 * - Watched ports are tracked from the start, every class, every interface.
 * - Other series are promoted when heavy: at least min_delta packets and
 *   min_share_pct percent of the interface's packets of that protocol
 *   between two scrapes. A sweep spreads itself thin and never qualifies;
 *   a port that turns heavy is promoted at the next scrape, or the one after
 *   if it turned heavy just before a scrape.
 * - Nothing is ever demoted, so no series disappears or goes backwards
 *   during the daemon's life; once max_series are tracked, no more are.
 * - A promoted series counts from its promotion (its value then is its
 *   baseline, which stays in "other"), so "other" never drops and
 *   sum(port series) + other == the port counters' total, exactly.
 */

/* A port rarely sees more than a few of its 13 (proto, class) series, so
 * 2048 series is a few hundred ports per sensor: the watched ports plus the
 * heavy ones of the day, a few percent of what one Prometheus holds easily. */
#define PORT_SERIES_DEFAULT_MAX 2048
#define PORT_SERIES_DEFAULT_MIN_DELTA 10
#define PORT_SERIES_DEFAULT_MIN_SHARE_PCT 1

enum port_proto {
	PORT_PROTO_TCP,
	PORT_PROTO_UDP,
	PORT_PROTO_MAX,
};

/* The IoT-targeted ports of darknet studies 2016-2024 (docs/classification.md) and
 * NICTER's other top ports (445, 3389, 1433, 443): always their own series. */
#define DN_DEFAULT_WATCH_PORTS \
	"22,23,32,80-85,443,445,1433,2323,3232,3389,5500,5555,7547,8080,8081,8181," \
	"8291,8443,9000,37215,52869,60001"

struct port_series_config {
	unsigned int max_series;     /* over all interfaces, "other" excluded */
	unsigned int min_delta;      /* packets between scrapes to count as heavy */
	unsigned int min_share_pct;  /* ... and percent of the iface's proto packets */
	uint8_t watch[DN_NR_PORTS / 8]; /* bitmap: ports tracked from the start */
};

struct port_series;

void port_series_config_init(struct port_series_config *cfg);
/* Adds "23,80,8000-8010" to cfg->watch. 0, or -EINVAL with a reason in err. */
int port_series_parse_watch(struct port_series_config *cfg, const char *list,
			    char *err, size_t errlen);
unsigned int port_series_watch_count(const struct port_series_config *cfg);

/* Watched ports reserve (8 TCP + 5 UDP classes) series per interface out of
 * max_series: -EINVAL with a reason in err when they do not fit. */
int port_series_new(struct port_series **out, const struct port_series_config *cfg,
		    int nr_ifaces, char *err, size_t errlen);
void port_series_free(struct port_series *ps);

/* Once per scrape, before metrics_render() with the same snapshot: promotes
 * heavy series. Not thread-safe: serialise scrapes. 0, -EINVAL (snapshot
 * with another number of interfaces) or -ENOMEM (nothing promoted). */
int port_series_update(struct port_series *ps, const struct dn_snapshot *snap);

/* Called for every promotion, so that the caller can persist it (the daemon
 * writes it to the pinned series_state map). series is stable for a
 * given layout: (proto, port, slot) numbered as port_series numbers them. */
typedef void (*port_series_promote_fn)(void *ctx, int iface, uint32_t series,
				       uint64_t baseline);
void port_series_on_promote(struct port_series *ps, port_series_promote_fn fn, void *ctx);
/* Track a series promoted by an earlier run with its baseline, whatever the
 * bound (nothing is ever demoted). 0, -EINVAL (bad iface or series), -ENOMEM. */
int port_series_restore(struct port_series *ps, int iface, uint32_t series,
			uint64_t baseline);

/* Whether a series is tracked; if so *baseline is the count it started at. */
bool port_series_tracked(const struct port_series *ps, int iface, unsigned int proto,
			 unsigned int port, unsigned int slot, uint64_t *baseline);
unsigned int port_series_count(const struct port_series *ps);
unsigned int port_series_limit(const struct port_series *ps);

/* Per-protocol layout of the port tables, shared with the renderer. */
unsigned int port_proto_slots(unsigned int proto);       /* 8 or 5 */
unsigned int port_proto_class(unsigned int proto, unsigned int slot);
const char *port_proto_name(unsigned int proto);          /* "tcp" or "udp" */
/* A port counter of the snapshot; 0 when the table was not read. */
uint64_t port_series_raw(const struct dn_iface_snapshot *s, unsigned int proto,
			 unsigned int port, unsigned int slot);

#endif
