/* events.bpf.h: BPF-only updates of the scan-campaign and DoS-victim tables by one darknet packet. */
#ifndef DN_EVENTS_BPF_H
#define DN_EVENTS_BPF_H

#include <asm-generic/errno-base.h>
#include "parsing.bpf.h"
#include "maps.bpf.h"
#include "classify.bpf.h"
#include "darknet_events.h"

/* Set before load (docs/events.md). 0 (--no-events): the verifier prunes
 * the call as dead code and the tables are never touched. */
const volatile __u32 dn_events_enabled = 1;
/* Destinations sampled 1 in 2^dn_event_dst_shift (dn_event_dst_shift_for()). */
const volatile __u32 dn_event_dst_shift = 0;
/* Length of a DoS victim's packet window; tests shorten it. */
const volatile __u64 dn_event_window_ns = DN_EVENT_WINDOW_NS_DEFAULT;

#define DN_ICMP4_ECHO_REPLY 0
#define DN_ICMP6_ERROR_MAX 4          /* ICMPv6 errors are types 1-4 */
#define DN_ICMP_HDR_LEN 8             /* type, code, checksum, 4 bytes; then the quote */
/* Offsets come in masked with this: an XDP frame without multi-buffer is at
 * most a page, and the verifier needs a bound to check each read. */
#define DN_EVENT_OFF_MASK 0xfff

/* The bitmaps of struct dn_scan_state and dn_victim_state: set the
 * destination's bit unless sampling leaves it out. Bits only get set, so
 * most packets read theirs set and write nothing. */
static __always_inline void event_dst(__u64 *dst, __u64 h)
{
	__u32 shift = dn_event_dst_shift;
	__u32 bit = dn_event_dst_bit(h);
	__u64 *w, m;

	if (shift && shift < 64 && (h >> (64 - shift)))
		return;
	w = &dst[(bit / 64) & (DN_EVENT_DST_WORDS - 1)];
	m = 1ULL << (bit & 63);
	if (!(*(volatile __u64 *)w & m))
		__sync_fetch_and_or(w, m);
}

/* The same for a value being built on the stack: the verifier refuses
 * atomics and helpers at a variable stack offset, so the word is picked
 * among constant offsets (only when an entry is made). */
static __always_inline void event_dst_init(__u64 *dst, __u64 h)
{
	__u32 shift = dn_event_dst_shift;
	__u32 bit = dn_event_dst_bit(h);

	if (shift && shift < 64 && (h >> (64 - shift)))
		return;
#pragma unroll
	for (int i = 0; i < DN_EVENT_DST_WORDS; i++)
		if (bit / 64 == i)
			dst[i] = 1ULL << (bit & 63);
}

static __always_inline void event_stat(__u32 key)
{
	__u32 k = bpf_get_smp_processor_id() * DN_EVENT_STAT_CPU_KEYS + key;
	__u64 *v = bpf_map_lookup_elem(&event_stats, &k);

	if (v)
		(*v)++;
}

/* A packet of a scan candidate. The entry is shared by all CPUs: packets
 * and bytes are atomic adds, the bits atomic ORs; last_ns and org are
 * plain stores (the last writer wins, which is what they mean). */
static __always_inline void scan_event(const struct dn_scan_key *key, __u64 now, __u32 len,
				       __u32 cls, __u32 org, __u64 h)
{
	struct dn_scan_state *s, init = {};
	__u32 bit = 1u << (cls & 31);
	long ret;

	s = bpf_map_lookup_elem(&scan_events, key);
	if (!s) {
		init.first_ns = now;
		init.last_ns = now;
		init.packets = 1;
		init.bytes = len;
		init.classes = bit;
		init.org = org;
		event_dst_init(init.dst, h);
		ret = bpf_map_update_elem(&scan_events, key, &init, BPF_NOEXIST);
		if (!ret) {
			event_stat(DN_EVENT_STAT_SCAN_INSERTS);
			return;
		}
		/* -EEXIST: another CPU inserted it meanwhile; add to theirs */
		s = ret == -EEXIST ? bpf_map_lookup_elem(&scan_events, key) : NULL;
		if (!s) {
			event_stat(DN_EVENT_STAT_SCAN_FAILED);
			return;
		}
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, len);
	s->last_ns = now;
	if (!(*(volatile __u32 *)&s->classes & bit))
		__sync_fetch_and_or(&s->classes, bit);
	if (s->org != org)
		s->org = org;
	event_dst(s->dst, h);
}

/* A backscatter packet of a victim. The window fields are plain stores: two
 * CPUs closing one window at once may lose a few packets of its count,
 * never more than the packets they carry (docs/events.md). */
static __always_inline void victim_event(const struct dn_victim_key *key, __u64 now, __u32 len,
					 __u32 kind, __u32 port, __u64 h)
{
	struct dn_victim_state *v, init = {};
	__u32 bit = 1u << (kind & 31);
	long ret;

	v = bpf_map_lookup_elem(&dos_victims, key);
	if (!v) {
		init.first_ns = now;
		init.last_ns = now;
		init.packets = 1;
		init.bytes = len;
		init.win_start_ns = now;
		init.win_packets = 1;
		init.kinds = bit;
		init.port = port;
		event_dst_init(init.dst, h);
		ret = bpf_map_update_elem(&dos_victims, key, &init, BPF_NOEXIST);
		if (!ret) {
			event_stat(DN_EVENT_STAT_VICTIM_INSERTS);
			return;
		}
		v = ret == -EEXIST ? bpf_map_lookup_elem(&dos_victims, key) : NULL;
		if (!v) {
			event_stat(DN_EVENT_STAT_VICTIM_FAILED);
			return;
		}
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, len);
	v->last_ns = now;
	if (now - v->win_start_ns >= dn_event_window_ns) {
		if (v->win_packets > v->win_max)
			v->win_max = v->win_packets;
		v->win_start_ns = now;
		v->win_packets = 1;
	} else {
		__sync_fetch_and_add(&v->win_packets, 1);
	}
	if (!(*(volatile __u32 *)&v->kinds & bit))
		__sync_fetch_and_or(&v->kinds, bit);
	event_dst(v->dst, h);
}

/* The victim of an ICMP(v6) error is the destination of the packet it
 * quotes (the attack's packet, sent from a spoofed darknet address), and
 * the attack's protocol and victim port are that packet's. Leaves the key
 * as the caller built it (the outer source) if the quote is not in the
 * frame. */
static __always_inline void victim_from_quote(struct dn_victim_key *key, __u32 *port,
					      __u8 *q, void *end, __u32 family)
{
	__u32 hl, qproto;
	__u8 *l4;

	if (family == DN_FAMILY_IPV4) {
		if ((void *)(q + sizeof(struct iphdr)) > end || (q[0] >> 4) != 4)
			return;
		__builtin_memcpy(key->addr, q + offsetof(struct iphdr, daddr), 4);
		qproto = q[offsetof(struct iphdr, protocol)];
		hl = (q[0] & 0xf) * 4;
	} else {
		if ((void *)(q + sizeof(struct ipv6hdr)) > end || (q[0] >> 4) != 6)
			return;
		__builtin_memcpy(key->addr, q + offsetof(struct ipv6hdr, daddr), 16);
		qproto = q[offsetof(struct ipv6hdr, nexthdr)];
		hl = sizeof(struct ipv6hdr);
	}
	key->proto = qproto;
	*port = 0;
	if (qproto != IPPROTO_TCP && qproto != IPPROTO_UDP)
		return;
	l4 = q + (hl & 0x3f);
	/* the quoted packet's destination port is the victim's */
	if ((void *)(l4 + 4) <= end)
		*port = (__u32)l4[2] << 8 | l4[3];
}

/* Where the IP and transport headers of a darknet packet start, found
 * again from the frame: the entry has checked all of it already (parse_l3,
 * parse_l4), so this walk only re-finds offsets. Handing them over from the
 * entry would cost verifier states on each of its paths (the program is
 * near the limit; docs/events.md). Returns the family, or -1. */
static __always_inline int event_offsets(void *data, void *end, __u32 *l3, __u32 *l4,
					 __u32 *proto)
{
	__u32 off = sizeof(struct ethhdr), family, nh;
	__be16 eproto;
	__u8 *b;

	if (data + sizeof(struct ethhdr) > end)
		return -1;
	eproto = *(__be16 *)(data + offsetof(struct ethhdr, h_proto));
	for (int i = 0; i < DN_MAX_VLAN_DEPTH && is_vlan(eproto); i++) {
		if (data + off + sizeof(struct vlan_tag) > end)
			return -1;
		eproto = *(__be16 *)(data + off + offsetof(struct vlan_tag, encap_proto));
		off += sizeof(struct vlan_tag);
	}
	*l3 = off;
	b = data + off;
	if (eproto == bpf_htons(ETH_P_IP)) {
		if ((void *)(b + sizeof(struct iphdr)) > end)
			return -1;
		family = DN_FAMILY_IPV4;
		*proto = b[offsetof(struct iphdr, protocol)];
		*l4 = off + (b[0] & 0xf) * 4;
		return family;
	}
	if (eproto != bpf_htons(ETH_P_IPV6) || (void *)(b + sizeof(struct ipv6hdr)) > end)
		return -1;
	nh = b[offsetof(struct ipv6hdr, nexthdr)];
	off += sizeof(struct ipv6hdr);
	for (int i = 0; i < DN_MAX_IPV6_EXT_HDRS && is_ipv6_ext(nh); i++) {
		b = data + (off & DN_EVENT_OFF_MASK);
		if ((void *)(b + 8) > end)
			return -1;
		nh = b[0];
		off += nh == IPPROTO_FRAGMENT ? 8 : (b[1] + 1) * 8;
	}
	*proto = nh;
	*l4 = off;
	return DN_FAMILY_IPV6;
}

/* The per-packet update, as a global function: the verifier checks it once
 * on its own, with scalar arguments, instead of once per path through the
 * entry (as sketch_update). meta: class | research org << 8. */
__noinline int events_update(struct xdp_md *ctx, __u32 meta)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 cls = meta & 0xff, l3off = 0, l4off = 0, proto = 0, port = 0, kind, flags, type;
	struct dn_victim_key vkey = {};
	struct dn_scan_key skey = {};
	__u32 len = end - data;
	__u64 now, h, a, b;
	__u8 *l3, *l4;
	int family;

	if (cls == DN_CLASS_SPOOFED || cls == DN_CLASS_FRAGMENT)
		return 0;
	family = event_offsets(data, end, &l3off, &l4off, &proto);
	if (family < 0)
		return 0;
	l3 = data + (l3off & DN_EVENT_OFF_MASK);
	l4 = data + (l4off & DN_EVENT_OFF_MASK);
	if (family == DN_FAMILY_IPV4) {
		if ((void *)(l3 + sizeof(struct iphdr)) > end)
			return 0;
		__builtin_memcpy(&a, l3 + offsetof(struct iphdr, daddr), 4);
		h = dn_event_dst_hash4((__u32)a);
		__builtin_memcpy(skey.addr, l3 + offsetof(struct iphdr, saddr), 4);
	} else {
		if ((void *)(l3 + sizeof(struct ipv6hdr)) > end)
			return 0;
		__builtin_memcpy(&a, l3 + offsetof(struct ipv6hdr, daddr), 8);
		__builtin_memcpy(&b, l3 + offsetof(struct ipv6hdr, daddr) + 8, 8);
		h = dn_event_dst_hash6(a, b);
		__builtin_memcpy(skey.addr, l3 + offsetof(struct ipv6hdr, saddr), 16);
	}
	skey.family = family;
	skey.proto = proto;
	/* only the protocols parse_l4() checked have a header to read */
	if (l4off > DN_EVENT_OFF_MASK || (void *)(l4 + 4) > end ||
	    !(proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	      proto == (family == DN_FAMILY_IPV4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)))
		l4off = 0;
	now = bpf_ktime_get_boot_ns();

	if (cls != DN_CLASS_BACKSCATTER) {
		if (l4off && (proto == IPPROTO_TCP || proto == IPPROTO_UDP))
			skey.port = (__u16)((__u32)l4[2] << 8 | l4[3]);
		else if (l4off)
			skey.port = l4[0];   /* ICMP(v6): the type */
		scan_event(&skey, now, len, cls, meta >> 8, h);
		return 0;
	}

	__builtin_memcpy(vkey.addr, skey.addr, 16);
	vkey.family = family;
	vkey.proto = proto;
	kind = DN_VICTIM_OTHER;
	if (l4off && proto == IPPROTO_TCP) {
		if ((void *)(l4 + 14) > end)
			return 0;
		flags = l4[13];
		kind = (flags & (DN_TH_SYN | DN_TH_ACK)) == (DN_TH_SYN | DN_TH_ACK) ?
			       DN_VICTIM_SYNACK : DN_VICTIM_RST;
		port = (__u32)l4[0] << 8 | l4[1];
	} else if (l4off && proto == IPPROTO_UDP) {
		port = (__u32)l4[0] << 8 | l4[1];
	} else if (l4off) {
		type = l4[0];
		if (family == DN_FAMILY_IPV4 ? type == DN_ICMP4_ECHO_REPLY :
					       type == DN_ICMPV6_ECHO_REPLY) {
			kind = DN_VICTIM_ECHO_REPLY;
		} else if (family == DN_FAMILY_IPV4 ? type != 14 && type != 16 && type != 18 :
						      type - 1 < DN_ICMP6_ERROR_MAX) {
			/* unreachable, quench, redirect, time exceeded, parameter problem */
			kind = DN_VICTIM_ICMP_ERROR;
			victim_from_quote(&vkey, &port, l4 + DN_ICMP_HDR_LEN, end, family);
		}
	}
	victim_event(&vkey, now, len, kind, port, h);
	return 0;
}

/* Everything one darknet packet adds to the event tables: a scan
 * candidate's packet unless it is spoofed, a fragment or backscatter; a
 * victim's packet if it is backscatter. Nothing here decides or changes
 * how the packet is counted. */
static __always_inline void events_packet(struct xdp_md *ctx, __u32 cls, __u32 org)
{
	/* the class is tested in events_update(): a branch on it here makes
	 * it precise on every path of the entry, which cost the verifier a
	 * third more states (230,000 instructions) */
	if (dn_events_enabled)
		events_update(ctx, cls | (org & 0xff) << 8);
}

#endif /* DN_EVENTS_BPF_H */
