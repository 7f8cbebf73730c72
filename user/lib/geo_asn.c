/* geo_asn.c: AS number <-> AS index, append-only, kept in the pinned geo_asn_ids map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "darknet_geo.h"
#include "geo_asn.h"

#define NR_SLOTS (2 * DN_GEO_MAX_ASNS)   /* load factor <= 1/2 */

int geo_asn_ids_init(struct geo_asn_ids *t)
{
	memset(t, 0, sizeof(*t));
	t->asn_of = calloc(DN_GEO_MAX_ASNS, sizeof(*t->asn_of));
	t->slots = calloc(NR_SLOTS, sizeof(*t->slots));
	t->next = t->written = 1;
	if (!t->asn_of || !t->slots) {
		geo_asn_ids_free(t);
		return -ENOMEM;
	}
	return 0;
}

void geo_asn_ids_free(struct geo_asn_ids *t)
{
	free(t->asn_of);
	free(t->slots);
	t->asn_of = t->slots = NULL;
}

static __u32 *slot_of(const struct geo_asn_ids *t, __u32 asn)
{
	__u32 h = (asn * 2654435761u) % NR_SLOTS;

	while (t->slots[h] && t->asn_of[t->slots[h]] != asn)
		h = (h + 1) % NR_SLOTS;
	return &t->slots[h];
}

__u32 geo_asn_ids_find(const struct geo_asn_ids *t, __u32 asn)
{
	return asn ? *slot_of(t, asn) : 0;
}

__u32 geo_asn_ids_assign(struct geo_asn_ids *t, __u32 asn)
{
	__u32 *s;

	if (!asn)
		return 0;
	s = slot_of(t, asn);
	if (*s)
		return *s;
	/* The pinned map may have holes (an index whose write was lost):
	 * skip indices someone holds, never hand one out twice. */
	while (t->next < DN_GEO_MAX_ASNS && t->asn_of[t->next])
		t->next++;
	if (t->next >= DN_GEO_MAX_ASNS) {
		t->refused++;
		return 0;
	}
	t->asn_of[t->next] = asn;
	*s = t->next;
	return t->next++;
}

int geo_asn_ids_read(struct geo_asn_ids *t, int fd, char *err, size_t errlen)
{
	__u32 *keys = malloc(DN_GEO_MAX_ASNS * sizeof(*keys)), count = DN_GEO_MAX_ASNS;
	__u32 *vals = malloc(DN_GEO_MAX_ASNS * sizeof(*vals)), batch = 0, last = 0;
	int ret = 0;

	if (!keys || !vals) {
		ret = -ENOMEM;
		snprintf(err, errlen, "geo_asn_ids: out of memory");
		goto out;
	}
	/* An array map hands back every key in one batch. */
	if (bpf_map_lookup_batch(fd, NULL, &batch, keys, vals, &count, NULL) &&
	    errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "geo_asn_ids: failed to read: %s", strerror(errno));
		goto out;
	}
	for (__u32 i = 0; i < count; i++) {
		__u32 idx = keys[i], asn = vals[i], *s;

		if (!asn || !idx || idx >= DN_GEO_MAX_ASNS)
			continue;
		s = slot_of(t, asn);
		if (*s && *s != idx) {
			ret = -EINVAL;
			snprintf(err, errlen, "geo_asn_ids: AS%u holds indices %u and %u", asn, *s,
				 idx);
			goto out;
		}
		t->asn_of[idx] = asn;
		*s = idx;
		if (idx > last)
			last = idx;
	}
	if (last + 1 > t->next)
		t->next = t->written = last + 1;
out:
	free(keys);
	free(vals);
	return ret;
}

int geo_asn_ids_write(const struct geo_asn_ids *t, int fd, char *err, size_t errlen)
{
	__u32 n = t->next - t->written, *keys;

	if (!n)
		return 0;
	if (!(keys = malloc(n * sizeof(*keys))))
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		keys[i] = t->written + i;
	if (bpf_map_update_batch(fd, keys, t->asn_of + t->written, &n, NULL)) {
		int ret = -errno;

		snprintf(err, errlen, "geo_asn_ids: failed to write %u indices: %s",
			 t->next - t->written, strerror(errno));
		free(keys);
		return ret;
	}
	free(keys);
	return 0;
}

void geo_asn_ids_mark_written(struct geo_asn_ids *t)
{
	t->written = t->next;
}
