/* sketch_maps.h: the distinct-count maps of one interface seen from user space: generations, slots, registers, bitmaps. */
#ifndef DN_SKETCH_MAPS_H
#define DN_SKETCH_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include "darknet_sketch.h"
#include "maps.h"

/* The two mmap-able maps mapped into this process (the datapath writes
 * them in place), and the small maps' fds (borrowed from struct dn_maps). */
struct sketch_maps {
	struct dn_sketch *sketches;   /* DN_SKETCH_KEYS */
	uint64_t *dst_bitmap;         /* DN_DST_BITMAP_KEYS */
	int gen_fd, ports_fd, dst_slot_fd, prefix_info_fd;
};

/* Where each darknet prefix id's destinations are counted, as written to
 * dst_slot by sketch_maps_assign_dst(). */
struct sketch_dst_map {
	struct dn_dst_slot slot[DN_MAX_PREFIX_IDS];
	unsigned int untracked;        /* in-use prefixes that did not fit */
};

int sketch_maps_open(struct sketch_maps *sm, const struct dn_maps *m, char *err, size_t errlen);
void sketch_maps_close(struct sketch_maps *sm);

static inline struct dn_sketch *sketch_maps_at(const struct sketch_maps *sm, unsigned int gen,
					       unsigned int slot)
{
	return &sm->sketches[(gen & 1) * DN_SKETCH_SLOTS + slot];
}

static inline uint64_t *sketch_maps_bitmap(const struct sketch_maps *sm, unsigned int gen)
{
	return &sm->dst_bitmap[(size_t)(gen & 1) * DN_DST_BITMAP_WORDS];
}

int sketch_maps_get_gen(const struct sketch_maps *sm, struct dn_sketch_gen *g);
int sketch_maps_set_gen(const struct sketch_maps *sm, const struct dn_sketch_gen *g);
/* Clear every sketch and bitmap of generation gen. */
void sketch_maps_clear(const struct sketch_maps *sm, unsigned int gen);

/* Read prefix_info and give each in-use darknet prefix its destination
 * counter: IPv4 prefixes of /8 or longer get bits of the bitmap, in id
 * order while they fit DN_DST_BITMAP_BITS; IPv6 prefixes the first
 * DN_SKETCH_DST6_SLOTS sketch slots. Writes dst_slot; out (optional) gets
 * what was written. 0 or -errno with err naming the map. */
int sketch_maps_assign_dst(const struct sketch_maps *sm, struct sketch_dst_map *out,
			   char *err, size_t errlen);

/* Set the port sketch slot of (proto 0 = TCP / 1 = UDP, port): slot in
 * [0, DN_SKETCH_PORT_SLOTS), or -1 to remove it. 0 or -errno. */
int sketch_maps_set_port(const struct sketch_maps *sm, unsigned int proto, unsigned int port,
			 int slot, char *err, size_t errlen);
/* The whole (proto, port) -> slot + 1 table as the datapath sees it. */
int sketch_maps_get_ports(const struct sketch_maps *sm, struct dn_sketch_ports *out);

#endif
