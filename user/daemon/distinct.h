/* distinct.h: the daemon's distinct counts: rotates the sketch generations each interval, keeps windows, renders the gauges. */
#ifndef DN_DISTINCT_H
#define DN_DISTINCT_H

#include <stdbool.h>
#include "config.h"
#include "distinct_window.h"
#include "loader.h"
#include "port_series.h"
#include "sketch_maps.h"
#include "strbuf.h"

struct distinct_iface;

struct distinct {
	bool on;
	unsigned int interval;
	int nr;
	int64_t next;                    /* intervals before this one have ended */
	struct dn_iface *ifaces;
	struct distinct_iface *ifc;      /* nr of them */
};

/* Map the sketches of every interface, give darknet prefixes their
 * destination counters, and take back the interval a predecessor closed
 * last (still in the other generation). Off (--no-distinct): nothing. */
int distinct_init(struct distinct *d, struct dn_iface *ifaces, int nr,
		  const struct dn_config *cfg, double now, char *err, size_t errlen);
void distinct_free(struct distinct *d);
/* After a darknet list (re)load of interface i. 0 or -errno. */
int distinct_assign_dst(struct distinct *d, int i, char *err, size_t errlen);
/* Once a second or so: at an interval boundary, flip the generations and
 * file the one closed into the windows; give ports with a series a port
 * sketch. Not thread-safe: the caller holds the exporter lock. */
void distinct_tick(struct distinct *d, double now, const struct port_series *ps);
void distinct_render(struct strbuf *sb, const struct distinct *d);
/* Window w of interface i's sketch slot (a (family, class) slot, or
 * DN_SKETCH_ALL for their union) into out: false when that sketch has no
 * history yet (nothing seen since the daemon's windows began). */
bool distinct_window(const struct distinct *d, int i, unsigned int slot, enum dwin_window w,
		     struct dn_sketch *out);
/* Window w of interface i's IPv4 darknet destinations: *hit addresses hit
 * over *addresses tracked (prefixes in use with a destination counter). */
void distinct_dst_hit(const struct distinct *d, int i, enum dwin_window w, double *hit,
		      double *addresses);

#endif
