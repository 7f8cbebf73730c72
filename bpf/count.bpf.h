/* count.bpf.h: BPF-only counting of one packet: class, prefix, org, port or ICMP type, and reasons. */
#ifndef DN_COUNT_BPF_H
#define DN_COUNT_BPF_H

#include "parsing.bpf.h"
#include "maps.bpf.h"
#include "sketch.bpf.h"

/* One packet on key of this CPU's block of a small counter map (blocks of
 * keys_per_cpu values, see CPU_BLOCK_ARRAY). */
static __always_inline void count(void *map, __u32 cpu, __u32 keys_per_cpu, __u32 key,
				  __u32 bytes)
{
	__u32 k = cpu * keys_per_cpu + key;
	struct dn_count *c = bpf_map_lookup_elem(map, &k);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline int pass(__u32 reason, __u32 bytes)
{
	count(&reason_counters, bpf_get_smp_processor_id(), DN_REASON_CPU_KEYS, reason, bytes);
	return XDP_PASS;
}

/* The classes a UDP packet can have map onto enum dn_udp_slot: the first
 * four share their numbers, udp_probe is the last slot. */
_Static_assert(DN_UDP_SLOT_SPOOFED == DN_CLASS_SPOOFED &&
	       DN_UDP_SLOT_BACKSCATTER == DN_CLASS_BACKSCATTER &&
	       DN_UDP_SLOT_RESEARCH == DN_CLASS_RESEARCH &&
	       DN_UDP_SLOT_ZMAP == DN_CLASS_ZMAP, "UDP slots follow classes");
_Static_assert(DN_CLASS_TCP_OTHER < DN_TCP_PORT_SLOTS, "TCP classes fit a port line");

/* One packet on a port counter: its low byte, and once per DN_PORT_CARRY
 * packets the carry into the shared high part (value slot of high_map at
 * port), ordered as struct dn_port_low describes. The fetch-and-add is a
 * full barrier on every JIT (a plain atomic add is not, on arm64): the busy
 * mark is visible before the sum grows, and the sum before the byte
 * clears. Other CPUs carry into the same high part; the atomic add keeps
 * every carry. */
static __always_inline void count_port(void *high_map, __u32 port, __u8 *low, __u32 slot)
{
	volatile __u8 *byte = low;
	__u64 *high;
	__u8 v = *low;

	if (v < DN_PORT_CARRY - 1) {
		*low = v + 1;
		return;
	}
	*byte = DN_PORT_LOW_BUSY;
	high = bpf_map_lookup_elem(high_map, &port);
	if (high) {
		__u64 before = __sync_fetch_and_add(&high[slot], DN_PORT_CARRY);

		/* used, so that clang keeps the fetching (ordered) form */
		asm volatile("" : : "r"(before));
	}
	*byte = 0;
}

/* Mark port's group in this CPU's port_touched words, after its count
 * (the increment or the carry) is stored: the reader clears the bit before
 * it reads the group, so either it reads the new count or the bit stays
 * set for the next scrape (user/lib/port_read.c has the whole argument).
 * A load, and a store only when the bit is not yet set: the words stay in
 * this CPU's cache and are written about once per group per scrape. The
 * read-modify-write is not atomic; racing the reader's exchange it may set
 * again a bit the reader just cleared, which costs one needless read. */
static __always_inline void touch_group(__u32 word0, __u32 port)
{
	__u32 group = port >> DN_PORT_GROUP_SHIFT, key = word0 + group / 64;
	__u64 bit = 1ull << (group % 64), *w, v;

	/* the count's stores come first: no compiler reordering past here */
	asm volatile("" : : : "memory");
	w = bpf_map_lookup_elem(&port_touched, &key);
	if (!w)
		return;
	v = *(volatile __u64 *)w;
	if (!(v & bit))
		*(volatile __u64 *)w = v | bit;
}

/* Per-port or per-type packets. A port costs one byte of a table that
 * stays in cache (struct dn_port_low) and a bit test; the high part is
 * looked up only to carry. */
static __always_inline void count_l4(const struct pkt *p, __u32 cpu, __u32 cls)
{
	struct dn_icmp_type *it;
	struct dn_port_low *low;
	__u32 port = DN_PORT_NONE, key, slot;

	/* A non-first fragment has no transport header. A spoofed one still
	 * counts in its protocol's port table, under DN_PORT_NONE, so that the
	 * port tables sum to the class counters; class fragment has no slot. */
	if (p->frag && cls != DN_CLASS_SPOOFED)
		return;
	if (p->tcp || (p->frag && p->proto == IPPROTO_TCP)) {
		if (p->tcp)
			port = bpf_ntohs(p->tcp->dest);
		key = cpu * DN_PORT_LOW_CPU_KEYS + port;
		low = bpf_map_lookup_elem(&tcp_port_low, &key);
		/* A TCP class is < DN_TCP_PORT_SLOTS; the mask shows the verifier. */
		slot = cls & (DN_TCP_PORT_SLOTS - 1);
		if (low) {
			count_port(&tcp_port_high, port, &low->packets[slot], slot);
			touch_group(cpu * DN_TOUCHED_CPU_WORDS + DN_TOUCHED_TCP, port);
		}
	} else if (p->udp || (p->frag && p->proto == IPPROTO_UDP)) {
		if (p->udp)
			port = bpf_ntohs(p->udp->dest);
		key = cpu * DN_PORT_LOW_CPU_KEYS + port;
		low = bpf_map_lookup_elem(&udp_port_low, &key);
		slot = cls == DN_CLASS_UDP_PROBE ? DN_UDP_SLOT_UDP_PROBE : cls;
		if (low && slot < DN_UDP_PORT_SLOTS) {
			count_port(&udp_port_high, port, &low->packets[slot], slot);
			touch_group(cpu * DN_TOUCHED_CPU_WORDS + DN_TOUCHED_UDP, port);
		}
	} else if (p->icmp) {
		key = cpu * DN_ICMP_CPU_KEYS + p->family * DN_NR_ICMP_TYPES + p->icmp[0];
		it = bpf_map_lookup_elem(&icmp_counters, &key);
		if (it && cls < DN_CLASS_MAX)
			it->packets[cls]++;
	}
}

/* Every counter one darknet packet increments: its (family, protocol,
 * class), its darknet prefix, its research org, its port or ICMP type;
 * and its source and destination to the distinct counts. Returns the
 * source's sketch register and rank (sketch_packet()). */
static __always_inline __u32 count_packet(const struct pkt *p, __u32 prefix, __u32 cls, __u32 org)
{
	__u32 cpu = bpf_get_smp_processor_id();

	count(&class_counters, cpu, DN_CLASS_CPU_KEYS, dn_class_key(p->family, p->proto, cls),
	      p->len);
	count(&prefix_counters, cpu, DN_PREFIX_CPU_KEYS, prefix, p->len);
	if (cls == DN_CLASS_RESEARCH)
		count(&org_counters, cpu, DN_ORG_CPU_KEYS, org, p->len);
	count_l4(p, cpu, cls);
	return sketch_packet(p, prefix, cls);
}

#endif /* DN_COUNT_BPF_H */
