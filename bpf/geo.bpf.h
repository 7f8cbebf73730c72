/* geo.bpf.h: BPF-only lookup of a source's country and origin AS, and their counters and sketches. */
#ifndef DN_GEO_BPF_H
#define DN_GEO_BPF_H

#include "parsing.bpf.h"
#include "maps.bpf.h"
#include "count.bpf.h"
#include "darknet_geo.h"

/* DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN, set before load from --geo-country
 * and --geo-asn: with neither, the verifier prunes every geo instruction,
 * so geo off costs nothing on the packet path. */
const volatile __u32 dn_geo_enabled = 0;

/* The entry of an IPv4 source (host order): its /16's directory word;
 * for a mixed /16 its row, and for a split /24 its block as well
 * (include/darknet_geo.h). 0 when no table is installed or the address is
 * in no range. */
static __always_inline __u32 geo_entry_v4(__u32 addr)
{
	struct dn_geo_v4_row *row;
	__u32 zero = 0, key, e;
	void *table;

	table = bpf_map_lookup_elem(&geo_v4, &zero);
	if (!table)
		return 0;
	key = addr >> 24;
	row = bpf_map_lookup_elem(table, &key);
	if (!row)
		return 0;
	e = row->e[(addr >> 16) & 0xff];
	if (!(e & DN_GEO_SPLIT))
		return e;
	key = e & ~DN_GEO_SPLIT;
	row = bpf_map_lookup_elem(table, &key);
	if (!row)
		return 0;
	e = row->e[(addr >> 8) & 0xff];
	if (!(e & DN_GEO_SPLIT))
		return e;
	key = DN_GEO_V4_DIR_ROWS + (e & ~DN_GEO_SPLIT);
	row = bpf_map_lookup_elem(table, &key);
	if (!row)
		return 0;
	e = row->e[addr & 0xff];
	/* a split entry inside a block would be a malformed table */
	return e & DN_GEO_SPLIT ? 0 : e;
}

/* The entry of an IPv6 source by its first 64 bits (as in the packet). */
static __always_inline __u32 geo_entry_v6(__u64 hi)
{
	struct dn_geo_lpm6 key = { .prefixlen = DN_GEO_V6_MAX_LEN };
	__u32 zero = 0, *e;
	void *table;

	table = bpf_map_lookup_elem(&geo_v6, &zero);
	if (!table)
		return 0;
	__builtin_memcpy(key.addr, &hi, sizeof(key.addr));
	e = bpf_map_lookup_elem(table, &key);
	return e ? *e : 0;
}

/* One packet on the per-AS totals the daemon promotes series from: a byte
 * of this CPU's block, carried into the shared high part once per
 * DN_GEO_ASN_CARRY packets, ordered as count_port() orders a port's carry
 * (bpf/count.bpf.h): busy mark, fetching add, clear. */
static __always_inline void geo_asn_total(__u32 cpu, __u32 asn)
{
	__u32 key = cpu * DN_GEO_ASN_LOW_CPU_KEYS + asn / 8;
	volatile __u8 *byte;
	__u64 *low, *high;
	__u8 v;

	low = bpf_map_lookup_elem(&geo_asn_low, &key);
	if (!low)
		return;
	byte = (volatile __u8 *)low + (asn & 7);
	v = *byte;
	if (v < DN_GEO_ASN_CARRY - 1) {
		*byte = v + 1;
		return;
	}
	*byte = DN_GEO_ASN_BUSY;
	high = bpf_map_lookup_elem(&geo_asn_high, &asn);
	if (high) {
		__u64 before = __sync_fetch_and_add(high, DN_GEO_ASN_CARRY);

		asm volatile("" : : "r"(before));
	}
	*byte = 0;
}

/* Everything geo does for one darknet packet, as a global function
 * verified once with scalar arguments (like sketch_update()): look the
 * source up, count (country, class) and (AS series, class), the total
 * of an AS without a series, and the source into its country's and AS series' sketches.
 * addr: IPv4 source in host order, or the first 64 bits of an IPv6 one;
 * fam_cls: family << 8 | class; src: the source's sketch register << 8 |
 * rank, 0 = no sketches. A source in no range, or any source while no
 * table is installed, counts as country and AS unknown, so that the
 * country series always sum to the class counters. */
__noinline int geo_update(__u64 addr, __u32 fam_cls, __u32 bytes, __u32 src)
{
	__u32 cpu = bpf_get_smp_processor_id(), cls = fam_cls & 0xff, zero = 0;
	__u32 entry, country, asn, slot = DN_GEO_ASN_OTHER, gen = 0;
	struct dn_sketch_gen *g;
	__u16 *s;

	if (!dn_geo_enabled || cls >= DN_CLASS_MAX)
		return 0;
	if ((fam_cls >> 8) == DN_FAMILY_IPV4)
		entry = geo_entry_v4((__u32)addr);
	else
		entry = geo_entry_v6(addr);
	country = dn_geo_country(entry);
	asn = dn_geo_asn(entry);
	if (src) {
		g = bpf_map_lookup_elem(&sketch_gen, &zero);
		if (!g)
			src = 0;
		else
			gen = g->gen & 1;
	}
	if (dn_geo_enabled & DN_GEO_ON_COUNTRY) {
		count(&geo_cc_counts, cpu, DN_GEO_COUNTRY_CPU_KEYS, dn_geo_key(country, cls), bytes);
		if (src)
			sketch_add(gen * DN_SKETCH_SLOTS + DN_SKETCH_COUNTRY_BASE + country,
				   src >> 8, src & 0xff);
	}
	if (dn_geo_enabled & DN_GEO_ON_ASN) {
		if (asn >= DN_GEO_MAX_ASNS)
			asn = DN_GEO_ASN_UNKNOWN;
		if (asn != DN_GEO_ASN_UNKNOWN) {
			s = bpf_map_lookup_elem(&geo_asn_slot, &asn);
			if (s && *s < DN_GEO_ASN_SLOTS)
				slot = *s;
			/* only promotion reads totals: an AS with a series needs none */
			if (slot == DN_GEO_ASN_OTHER)
				geo_asn_total(cpu, asn);
		}
		count(&geo_asn_counts, cpu, DN_GEO_ASN_CPU_KEYS, dn_geo_key(slot, cls), bytes);
		if (src)
			sketch_add(gen * DN_SKETCH_SLOTS + DN_SKETCH_ASN_BASE + slot, src >> 8,
				   src & 0xff);
	}
	return 0;
}

/* The geo part of one darknet packet of class cls; src as in geo_update(). */
static __always_inline void geo_packet(const struct pkt *p, __u32 cls, __u32 src)
{
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	__u64 addr;

	if (!dn_geo_enabled)
		return;
	if (p->family == DN_FAMILY_IPV4) {
		addr = bpf_ntohl(ip->saddr);
	} else {
		__builtin_memcpy(&addr, &ip6->saddr, 8);
	}
	geo_update(addr, (__u32)p->family << 8 | cls, p->len, src);
}

#endif /* DN_GEO_BPF_H */
