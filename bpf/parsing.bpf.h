/* parsing.bpf.h: BPF-only header cursor over Ethernet, VLAN, IPv4, IPv6 extension headers and L4. */
#ifndef DN_PARSING_BPF_H
#define DN_PARSING_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "darknet_counter.h"

/* Parsers return the next protocol (>= 0) or -reason. NOT_IP and
 * NOT_DARKNET are decided by the caller, never returned, so a negative
 * value is never ambiguous with protocol 0 (IPv6 hop-by-hop). */
_Static_assert(DN_REASON_FIRST_MALFORMED > 0, "reasons returned negated");

/* What parse_l3() and parse_l4() return when the frame goes on: one past
 * the reasons they may return instead. */
#define DN_PARSE_OK DN_REASON_MAX

#define DN_IPV4_OFFSET_MASK 0x1fff   /* fragment offset bits of frag_off */
#define DN_IPV6_OFFSET_MASK 0xfff8   /* fragment offset bits of frag_off */

struct cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

/* The IPv6 fragment header (RFC 8200 4.5); not in the UAPI headers. */
struct ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* What parsing found: everything classification and counting need. The
 * transport header has one pointer per kind, NULL unless that kind's header
 * was bounds-checked: the verifier tracks "pointer or NULL" per path, while
 * a protocol number tested later is often a different register, and clang
 * is free to turn per-protocol constants back into that number. */
struct pkt {
	void *l3;             /* struct iphdr or struct ipv6hdr */
	struct tcphdr *tcp;
	struct udphdr *udp;
	__u8 *icmp;           /* ICMP (IPv4) or ICMPv6 (IPv6) header: type first */
	__u32 len;            /* frame bytes: data_end - data */
	__u32 ip_left;        /* bytes of the IP packet (by its length fields) after the cursor */
	__u8 family;          /* enum dn_family */
	__u8 proto;           /* upper-layer protocol (after IPv6 extension headers) */
	__u8 frag;            /* not the first fragment: no transport header */
};

static __always_inline bool is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Ethernet plus up to DN_MAX_VLAN_DEPTH tags. Returns the ethertype, still
 * in network order (callers compare with bpf_htons() constants). */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct vlan_tag *tag;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return -DN_REASON_TRUNCATED_L2;
	c->pos = eth + 1;
	/* struct ethhdr is packed: through it clang loads h_proto byte by byte. */
	proto = *(__be16 *)((void *)eth + offsetof(struct ethhdr, h_proto));
#pragma unroll
	for (int i = 0; i < DN_MAX_VLAN_DEPTH; i++) {
		if (!is_vlan(proto))
			return proto;
		tag = c->pos;
		if ((void *)(tag + 1) > c->end)
			return -DN_REASON_TRUNCATED_L2;
		c->pos = tag + 1;
		proto = tag->encap_proto;
	}
	return is_vlan(proto) ? -DN_REASON_VLAN_TOO_DEEP : proto;
}

static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p)
{
	struct iphdr *ip = c->pos;
	__u32 vihl, hlen;

	if ((void *)(ip + 1) > c->end)
		return -DN_REASON_TRUNCATED_L3;
	/* Version and IHL by hand: one byte load, no bitfield byte-order games. */
	vihl = *(__u8 *)ip;
	if (vihl >> 4 != 4)
		return -DN_REASON_BAD_VERSION;
	hlen = (vihl & 0xf) * 4;
	if (hlen < sizeof(*ip))
		return -DN_REASON_BAD_IHL;
	if (c->pos + hlen > c->end)
		return -DN_REASON_TRUNCATED_L3;
	if (bpf_ntohs(ip->tot_len) < hlen)
		return -DN_REASON_BAD_LENGTH;
	c->pos += hlen;
	p->ip_left = bpf_ntohs(ip->tot_len) - hlen;
	p->l3 = ip;
	p->family = DN_FAMILY_IPV4;
	p->proto = ip->protocol;
	p->frag = (ip->frag_off & bpf_htons(DN_IPV4_OFFSET_MASK)) != 0;
	return ip->protocol;
}

/* The extension headers we walk, as a bit set over next-header values
 * below 64: one shift and test instead of four compares. */
#define DN_IPV6_EXT_MASK ((1ull << IPPROTO_HOPOPTS) | (1ull << IPPROTO_ROUTING) | \
			  (1ull << IPPROTO_FRAGMENT) | (1ull << IPPROTO_DSTOPTS))

static __always_inline bool is_ipv6_ext(__u8 nh)
{
	return nh < 64 && (DN_IPV6_EXT_MASK >> nh) & 1;
}

/* The fixed IPv6 header: enough to ask whether the destination is in the
 * darknet. The extension headers are walked only for darknet packets
 * (parse_ipv6_ext(), from parse_l4()): see docs/datapath-rules.md. */
static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return -DN_REASON_TRUNCATED_L3;
	if (*(__u8 *)ip6 >> 4 != 6)
		return -DN_REASON_BAD_VERSION;
	c->pos = ip6 + 1;
	p->l3 = ip6;
	p->family = DN_FAMILY_IPV6;
	p->proto = ip6->nexthdr;
	return ip6->nexthdr;
}

/* A bounded walk over the extension headers that follow the fixed IPv6
 * header. Stops at the first upper-layer protocol or at a fragment header
 * with a nonzero offset, whose next header is then the packet's protocol.
 * DN_PARSE_OK or a malformed reason. */
static __always_inline __u32 parse_ipv6_ext(struct cursor *c, struct pkt *p)
{
	const struct ipv6hdr *ip6 = p->l3;
	struct ipv6_opt_hdr *opt;
	struct ipv6_frag_hdr *fh;
	void *first_ext = c->pos;
	__u32 ext_len;
	__u8 nh = p->proto;

	for (int i = 0; i < DN_MAX_IPV6_EXT_HDRS && is_ipv6_ext(nh); i++) {
		/* Every extension header is at least 8 bytes; check those first
		 * so that the length byte may be read. */
		if (c->pos + 8 > c->end)
			return DN_REASON_EXT_TRUNCATED;
		if (nh == IPPROTO_FRAGMENT) {
			fh = c->pos;
			c->pos += sizeof(*fh);
			nh = fh->nexthdr;
			if (fh->frag_off & bpf_htons(DN_IPV6_OFFSET_MASK)) {
				p->frag = 1;
				break;
			}
		} else {
			opt = c->pos;
			c->pos += (opt->hdrlen + 1) * 8;
			nh = opt->nexthdr;
			if (c->pos > c->end)
				return DN_REASON_EXT_TRUNCATED;
		}
	}
	if (!p->frag && is_ipv6_ext(nh))
		return DN_REASON_EXT_TOO_LONG;
	ext_len = c->pos - first_ext;
	if (ext_len > bpf_ntohs(ip6->payload_len))
		return DN_REASON_BAD_LENGTH;
	p->ip_left = bpf_ntohs(ip6->payload_len) - ext_len;
	p->proto = nh;
	return DN_PARSE_OK;
}

static __always_inline bool is_icmp(const struct pkt *p)
{
	return p->proto == (p->family == DN_FAMILY_IPV4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
}

/* The transport header of a darknet packet, for the protocols that have
 * one. Both bounds checks add constants: checking "pos + variable" proves
 * nothing about pos to the verifier, and clang folds per-protocol sizes
 * into just that variable. 8 bytes is the UDP and the ICMP(v6) header. */
static __always_inline __u32 parse_l4(struct cursor *c, struct pkt *p)
{
	__u32 r = p->family == DN_FAMILY_IPV6 ? parse_ipv6_ext(c, p) : DN_PARSE_OK;
	bool tcp;

	if (r != DN_PARSE_OK)
		return r;
	tcp = p->proto == IPPROTO_TCP;
	if (p->frag || !(tcp || p->proto == IPPROTO_UDP || is_icmp(p)))
		return DN_PARSE_OK;
	/* The header must lie within the frame (for the verifier) and within
	 * the IP packet: Ethernet pads short frames to 60 bytes, and padding
	 * read as TCP flags or ports would invent a class. */
	if (c->pos + 8 > c->end || p->ip_left < 8)
		return DN_REASON_TRUNCATED_L4;
	if (tcp) {
		if (c->pos + sizeof(struct tcphdr) > c->end || p->ip_left < sizeof(struct tcphdr))
			return DN_REASON_TRUNCATED_L4;
		p->tcp = c->pos;
	} else if (p->proto == IPPROTO_UDP) {
		p->udp = c->pos;
	} else {
		p->icmp = c->pos;
	}
	return DN_PARSE_OK;
}

/* Ethernet, VLAN tags and the IP header with IPv6's extension headers:
 * DN_PARSE_OK with p filled in up to L3, or the reason the frame passes
 * uncounted. */
static __always_inline __u32 parse_l3(struct cursor *c, struct pkt *p)
{
	int r = parse_eth(c);

	if (r == bpf_htons(ETH_P_IP))
		r = parse_ipv4(c, p);
	else if (r == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(c, p);
	else if (r >= 0)
		return DN_REASON_NOT_IP;
	return r < 0 ? -r : DN_PARSE_OK;
}

#endif /* DN_PARSING_BPF_H */
