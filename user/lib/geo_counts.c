/* geo_counts.c: reads the per-country and per-AS-series counters and the per-AS totals, summed over CPUs. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "cpu_blocks.h"
#include "geo_counts.h"

int geo_counts_read(const struct dn_maps *m, struct geo_counts *c)
{
	int err;

	err = cpu_blocks_read(m->geo_cc_counts, DN_GEO_COUNTRY_CPU_KEYS, DN_GEO_COUNTRY_CPU_KEYS,
			      sizeof(struct dn_count), c->country);
	return err ?: cpu_blocks_read(m->geo_asn_counts, DN_GEO_ASN_CPU_KEYS, DN_GEO_ASN_CPU_KEYS,
				      sizeof(struct dn_count), c->asn);
}

int geo_asn_totals_read(const struct dn_maps *m, __u64 *totals)
{
	size_t high_len = (size_t)DN_GEO_MAX_ASNS * sizeof(__u64);
	struct cpu_blocks low = { 0 };
	const volatile __u8 *bytes;
	const __u64 *high;
	int err;

	high = mmap(NULL, high_len, PROT_READ, MAP_SHARED, m->geo_asn_high, 0);
	if (high == MAP_FAILED)
		return -errno;
	err = cpu_blocks_map(&low, m->geo_asn_low, DN_GEO_ASN_LOW_CPU_KEYS, sizeof(__u64));
	if (err)
		goto cleanup;
	for (__u32 a = 0; a < DN_GEO_MAX_ASNS; a++)
		totals[a] = __atomic_load_n(&high[a], __ATOMIC_ACQUIRE);
	bytes = (const volatile __u8 *)low.mem;
	for (__u32 cpu = 0; cpu < low.ncpus; cpu++) {
		const volatile __u8 *b = bytes + (size_t)cpu * DN_GEO_ASN_LOW_CPU_KEYS * 8;

		for (__u32 a = 0; a < DN_GEO_MAX_ASNS; a++)
			if (b[a] != DN_GEO_ASN_BUSY)
				totals[a] += b[a];
	}
	cpu_blocks_unmap(&low);
cleanup:
	munmap((void *)high, high_len);
	return err;
}

__u64 geo_counts_packets(const struct dn_count *v, __u32 idx)
{
	__u64 n = 0;

	for (__u32 cls = 0; cls < DN_CLASS_MAX; cls++)
		n += v[dn_geo_key(idx, cls)].packets;
	return n;
}
