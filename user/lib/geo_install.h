/* geo_install.h: geo table images made into BPF maps and swapped into the geo_v4 / geo_v6 slots. */
#ifndef DN_GEO_INSTALL_H
#define DN_GEO_INSTALL_H

#include <stddef.h>
#include "geo_image.h"

/* New inner maps, filled, not yet in any slot; -1 = that family has no
 * table (its slot is emptied at commit). One set can go into the slots of
 * several interfaces: a map may sit in many outer maps. */
struct geo_tables {
	int fd_v4, fd_v6;
	size_t v4_bytes;       /* kernel memory of the maps (fdinfo memlock) */
	__u32 v4_mixed;        /* /16s not one entry throughout: rows of their own */
	size_t v6_bytes;
	size_t v6_prefixes;
};

/* 0 or -errno with err ("failed to create the IPv4 geo table: ..."). */
int geo_tables_prepare(const struct geo_image *img, struct geo_tables *t,
		       char *err, size_t errlen);
/* Slot 0 of outer_v4 and outer_v6 replaced in one update each: a packet
 * sees the old table or the new one. */
int geo_tables_commit(int outer_v4, int outer_v6, const struct geo_tables *t,
		      char *err, size_t errlen);
void geo_tables_free(struct geo_tables *t);
/* A map's kernel memory as the kernel accounts it (fdinfo memlock), 0
 * when unknown. */
size_t geo_map_memory(int fd);

#endif
