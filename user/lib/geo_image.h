/* geo_image.h: the IPv4 and IPv6 geo tables built in memory from the country and ASN databases. */
#ifndef DN_GEO_IMAGE_H
#define DN_GEO_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "darknet_geo.h"
#include "geo.h"
#include "geo_asn.h"

struct geo_v6_prefix {
	__u64 addr;     /* first 64 bits, host order */
	__u8 len;       /* 0..64 */
	__u32 entry;
};

/* What include/darknet_geo.h describes, in user memory: direct holds the
 * DN_GEO_V4_DIRECT_ROWS rows of the /24 entries, blocks the split /24s;
 * v6 the trie's prefixes in address order. */
struct geo_image {
	struct dn_geo_v4_row *direct;   /* NULL: no IPv4 range in either database */
	struct dn_geo_v4_row *blocks;
	__u32 nr_blocks, blocks_cap;
	struct geo_v6_prefix *v6;
	size_t nr_v6, v6_cap;
	size_t segments[2];             /* per family, after merging both databases */
};

/* Merge the country and ASN ranges (either may be NULL) into entries,
 * assigning AS indices in ids, and lay them out. An IPv6 /64 that ranges
 * share goes to the range holding its first address (docs/geo.md). 0 or
 * -errno with err ("too many split IPv4 /24s: ..."). */
int geo_image_build(struct geo_image *img, const struct geo_db *country,
		    const struct geo_db *asn, struct geo_asn_ids *ids, char *err, size_t errlen);
void geo_image_free(struct geo_image *img);
/* The entry the datapath finds for an address (host order / network
 * order bytes); for tests and the bench's check. */
__u32 geo_image_lookup_v4(const struct geo_image *img, __u32 addr);
__u32 geo_image_lookup_v6(const struct geo_image *img, const __u8 addr[16]);
/* A /16 row whose addresses all have one entry and no split /24: the
 * directory holds it in one word (include/darknet_geo.h). */
bool geo_row_uniform(const struct dn_geo_v4_row *r);
/* Rows of the installed IPv4 table (directory, split blocks, mixed /16s;
 * 0 without IPv4 ranges) and their bytes of map values. */
__u32 geo_image_v4_rows(const struct geo_image *img);
size_t geo_image_v4_bytes(const struct geo_image *img);

#endif
