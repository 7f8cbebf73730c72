/* fastpath.h: lookup accelerators beside the lists' tries: the short IPv4 darknet list, IPv4 /24 chunks, the IPv6 filter. */
#ifndef DN_FASTPATH_H
#define DN_FASTPATH_H

#include <stddef.h>
#include <linux/types.h>
#include "prefix.h"
#include "scanner_table.h"

/* A prefix of a list with its id (darknet prefix id or scanner org id). */
struct id_entry {
	struct dn_prefix p;
	__u32 id;
};

/* The short darknet lists of want (sorted by length, as listmaps sorts it)
 * into the new array map *fd; a family with more than DN_DARKNET_SMALL_MAX
 * prefixes is marked DN_DARKNET_SMALL_TRIE. 0 or -errno. */
int darknet_small_build(const struct id_entry *want, size_t n, int *fd);

/* Second level of the IPv4 table: for every /24 that holds a prefix longer
 * than /24, a chunk with the org of each of its 256 addresses (the longest
 * match, shorter covering prefixes included: t's bytes already hold their
 * org for that /24), inserted into the new hash map *fd and, when its slot
 * is free, into t's chunk slots (zeroed by the caller). The /24's byte in t
 * becomes DN_SCANNER_LONGER. v4 may hold every IPv4 entry; only those
 * longer than /24 are used. 0 or -errno. */
int scanner_chunks_build(struct dn_scanner_v4_table *t, const struct id_entry *v4, size_t n,
			 int *fd);
/* The IPv6 filter and the /32 buckets of v6 into new maps, or both fds -1
 * (no fast path: the trie for every source) when a prefix is shorter than
 * DN_V6_FILTER_MIN_LEN.
 * 0 or -errno. */
int scanner_v6_fast_build(const struct id_entry *v6, size_t n, int *fd_filter,
			  int *fd_buckets);

#endif
