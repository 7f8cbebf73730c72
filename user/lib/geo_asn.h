/* geo_asn.h: AS number <-> AS index, append-only, kept in the pinned geo_asn_ids map. */
#ifndef DN_GEO_ASN_H
#define DN_GEO_ASN_H

#include <stddef.h>
#include <linux/types.h>

/* Index i (1..DN_GEO_MAX_ASNS-1) names AS asn_of[i] for good: an index is
 * never released or reused, so a counter kept by index (geo_asn_high) and
 * a series keep their AS across reloads and restarts. 0 = free. */
struct geo_asn_ids {
	__u32 *asn_of;        /* DN_GEO_MAX_ASNS entries */
	__u32 *slots;         /* open addressing: AS number -> index, 0 = empty */
	__u32 next;           /* lowest index never handed out */
	__u32 written;        /* indices below it are in the map */
	__u32 refused;        /* ASes left unknown (0) because every index is taken */
};

int geo_asn_ids_init(struct geo_asn_ids *t);
void geo_asn_ids_free(struct geo_asn_ids *t);
/* The index of asn, 0 when it has none. */
__u32 geo_asn_ids_find(const struct geo_asn_ids *t, __u32 asn);
/* The index of asn, a new one when it has none; 0 (and refused counted)
 * when every index is taken. */
__u32 geo_asn_ids_assign(struct geo_asn_ids *t, __u32 asn);
/* Take over the indices in the geo_asn_ids map fd (after a restart). A
 * map that names one AS twice is refused. 0 or -errno with err. */
int geo_asn_ids_read(struct geo_asn_ids *t, int fd, char *err, size_t errlen);
/* Write the indices handed out since the last write into fd (every map
 * given must hold the same indices: call it for each before marking them
 * written with geo_asn_ids_mark_written). 0 or -errno with err. */
int geo_asn_ids_write(const struct geo_asn_ids *t, int fd, char *err, size_t errlen);
void geo_asn_ids_mark_written(struct geo_asn_ids *t);

#endif
