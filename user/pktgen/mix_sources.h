/* mix_sources.h: a mix's fixed source pools (--sources) and the exact count of distinct sources sent. */
#ifndef DN_MIX_SOURCES_H
#define DN_MIX_SOURCES_H

#include <stddef.h>
#include <stdint.h>
#include "mix.h"

/*
 * With mix_config.sources = N, every drawn source of a family comes from a
 * fixed pool of at most N distinct addresses, split among the ways sources
 * are drawn (public, scanner, bogon, source == destination) in proportion
 * to their templates' weights, after one address for every template with a
 * fixed source. Each kind's pool keeps its class rules: public sources are
 * neither bogon, nor scanner, nor darknet; scanner sources lie in usable
 * scanner prefixes; bogon sources in the spoofed ranges; "same" sources are
 * darknet addresses, sent to themselves.
 */

/* Build the pools of st (mix_init() calls it). 0, -EINVAL with a reason in
 * err (N too small for the live kinds, a scanner list too small to hold its
 * share, a cyclic mix), or -ENOMEM. */
int mix_pool_init(struct mix_state *st, uint64_t n, char *err, size_t errlen);
void mix_pool_free(struct mix_state *st);

/* The source of a frame of template t from its pool: 1 if pools are in
 * use (src set, and dst too for MIX_SRC_SAME), 0 if not. */
int mix_pool_pick(struct mix_state *st, const struct mix_template *t, uint8_t *src,
		  uint8_t *dst);

/* Ports tracked per (proto, port): the first this many pairs seen. Memory is
 * then at most (24 + MIX_DISTINCT_PORTS) * N entries of 24 bytes. */
#define MIX_DISTINCT_PORTS 1024

struct mix_distinct_entry {
	uint32_t key;               /* 0: empty slot */
	uint8_t family;
	uint8_t addr[16];
};

/* Exact distinct sources per (family, class), and per (proto, destination
 * port) over both families, for TCP and UDP frames with a port. */
struct mix_distinct {
	struct mix_distinct_entry *set;   /* open addressing, power-of-two size */
	size_t cap, used;
	uint64_t cls[DN_FAMILY_MAX][DN_CLASS_MAX];
	uint16_t *port_slot;        /* [2][65536]: 0 untracked, else slot + 1 */
	uint64_t port_n[MIX_DISTINCT_PORTS];
	uint32_t port_key[MIX_DISTINCT_PORTS];  /* (udp << 16) | port */
	unsigned int nr_ports;
	uint64_t untracked;         /* frames to ports beyond MIX_DISTINCT_PORTS */
};

void mix_distinct_init(struct mix_distinct *d);
/* Count fi's source (fi->src). 0 or -ENOMEM (then nothing is counted). */
int mix_distinct_add(struct mix_distinct *d, const struct mix_frame_info *fi);
void mix_distinct_free(struct mix_distinct *d);

#endif
