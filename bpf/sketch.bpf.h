/* sketch.bpf.h: BPF-only updates of the distinct-source sketches and destination bitmaps of one packet. */
#ifndef DN_SKETCH_BPF_H
#define DN_SKETCH_BPF_H

#include "parsing.bpf.h"
#include "maps.bpf.h"
#include "darknet_sketch.h"

/* 0 (--no-distinct): the verifier prunes every sketch update as dead code,
 * so "off" costs nothing on the packet path. Set before load. */
const volatile __u32 dn_distinct = 1;

/* Compare-and-exchange attempts per register raise. A failed one means
 * another CPU changed a register of the same word meanwhile; the loop
 * rereads and stops as soon as the register is already as high. Giving up
 * after that many lost races in a row loses one raise (docs/distinct-sources.md). */
#define SKETCH_CAS_TRIES 4

/* Raise register reg of sketch key to rank (both from the source's hash,
 * computed once per packet by sketch_packet()). */
static __always_inline void sketch_add(__u32 key, __u32 reg, __u32 rank)
{
	struct dn_sketch *s = bpf_map_lookup_elem(&sketches, &key);
	__u32 shift = (reg & 3) * 8, old, want, seen;
	__u32 *word;

	if (!s)
		return;
	word = &s->w[(reg >> 2) & (DN_SKETCH_WORDS - 1)];
	old = *(volatile __u32 *)word;
	for (int i = 0; i < SKETCH_CAS_TRIES; i++) {
		if (((old >> shift) & 0xff) >= rank)
			return;
		want = (old & ~(0xffu << shift)) | (rank << shift);
		seen = __sync_val_compare_and_swap(word, old, want);
		if (seen == old)
			return;
		old = seen;
	}
}

/* The destination of a packet to darknet prefix id: a bit of the IPv4
 * bitmap (exact; dst is the host-order address), or for IPv6 (dst is the
 * address's hash) the destination sketch of the prefix. */
static __always_inline void sketch_dst(__u32 family, __u32 gen, __u32 prefix, __u64 dst)
{
	struct dn_dst_slot *d = bpf_map_lookup_elem(&dst_slot, &prefix);
	__u32 bit, word, key;
	__u64 m, *w;

	if (!d || !d->where)
		return;
	if (family == DN_FAMILY_IPV6) {
		if (d->where <= DN_SKETCH_DST6_SLOTS)
			sketch_add(gen * DN_SKETCH_SLOTS + DN_SKETCH_DST6_BASE + d->where - 1,
				   dn_sketch_reg(dst), dn_sketch_rank(dst));
		return;
	}
	bit = (__u32)dst & d->mask;
	word = d->where - 1 + bit / 64;
	if (word >= DN_DST_BITMAP_WORDS)
		return;
	key = gen * DN_DST_BITMAP_WORDS + word;
	w = bpf_map_lookup_elem(&dst_bitmap, &key);
	m = 1ULL << (bit & 63);
	/* bits only get set: most packets find theirs set and write nothing */
	if (w && !(*(volatile __u64 *)w & m))
		__sync_fetch_and_or(w, m);
}

/* The sketch updates of one packet, as a global function: the verifier
 * checks it once, with scalar arguments, instead of once per path through
 * parsing and classification (inlined, it took the program past the
 * verifier's million instructions). src: the source's register << 8 | its
 * rank; slot: its (family, class) sketch; port_key: (proto + 1) << 16 |
 * port, 0 = no port; dst: see sketch_dst(). */
__noinline int sketch_update(__u32 src, __u32 slot, __u32 port_key, __u32 prefix, __u64 dst)
{
	__u32 zero = 0, gen, ps, proto, port, reg = src >> 8, rank = src & 0xff;
	struct dn_sketch_ports *ports;
	struct dn_sketch_gen *g;

	g = bpf_map_lookup_elem(&sketch_gen, &zero);
	if (!g || slot >= DN_SKETCH_CLASS_SLOTS)
		return 0;
	gen = g->gen & 1;
	sketch_add(gen * DN_SKETCH_SLOTS + slot, reg, rank);
	if (port_key) {
		proto = ((port_key >> 16) - 1) & 1;
		port = port_key & 0xffff;
		ports = bpf_map_lookup_elem(&sketch_ports, &zero);
		/* the cache-resident bit first: most ports have no sketch */
		if (ports && (ports->has[proto][port / 64] >> (port % 64)) & 1) {
			ps = ports->slot[proto][port];
			if (ps && ps <= DN_SKETCH_PORT_SLOTS)
				sketch_add(gen * DN_SKETCH_SLOTS + DN_SKETCH_PORT_BASE + ps - 1,
					   reg, rank);
		}
	}
	sketch_dst(slot >= DN_CLASS_MAX ? DN_FAMILY_IPV6 : DN_FAMILY_IPV4, gen, prefix, dst);
	return 0;
}

/* Everything one darknet packet adds to the distinct counts: its source to
 * the (family, class) sketch and to its port's sketch if the port has one,
 * its destination to its prefix's bitmap or sketch. Returns the source's
 * register << 8 | rank for the geo sketches, 0 with --no-distinct. */
static __always_inline __u32 sketch_packet(const struct pkt *p, __u32 prefix, __u32 cls)
{
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	__u32 port_key = 0, src;
	__u64 h, dst, a, b;

	if (!dn_distinct)
		return 0;
	if (p->family == DN_FAMILY_IPV4) {
		h = dn_sketch_hash4(ip->saddr);
		dst = bpf_ntohl(ip->daddr);
	} else {
		__builtin_memcpy(&a, &ip6->saddr, 8);
		__builtin_memcpy(&b, (const __u8 *)&ip6->saddr + 8, 8);
		h = dn_sketch_hash6(a, b);
		__builtin_memcpy(&a, &ip6->daddr, 8);
		__builtin_memcpy(&b, (const __u8 *)&ip6->daddr + 8, 8);
		dst = dn_sketch_hash6(a, b);
	}
	if (p->tcp)
		port_key = (1u << 16) | bpf_ntohs(p->tcp->dest);
	else if (p->udp)
		port_key = (2u << 16) | bpf_ntohs(p->udp->dest);
	src = dn_sketch_reg(h) << 8 | dn_sketch_rank(h);
	sketch_update(src, p->family * DN_CLASS_MAX + cls, port_key, prefix, dst);
	return src;
}

#endif /* DN_SKETCH_BPF_H */
