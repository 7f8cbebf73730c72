/* classify.bpf.h: BPF-only per-packet source-class predicates (bogons, backscatter, fingerprints). */
#ifndef DN_CLASSIFY_BPF_H
#define DN_CLASSIFY_BPF_H

#include "parsing.bpf.h"
#include "lookup.bpf.h"
#include "bogons.h"

#define DN_TCP_FLAGS(th) (((__u8 *)(th))[13])   /* CWR ECE URG ACK PSH RST SYN FIN */
#define DN_TH_SYN 0x02
#define DN_TH_RST 0x04
#define DN_TH_ACK 0x10
#define DN_ZMAP_IP_ID 54321
#define DN_ICMPV6_ECHO_REPLY 129   /* linux/icmpv6.h drags in libc headers */

/* Bogon sources: the table of include/bogons.h (docs/bogons.md). A set of
 * first octets goes first: a routable source leaves after one load and a
 * bit test, and only sources whose first octet starts some bogon prefix
 * (IPv4: 0, 10, 100, 127, 169, 172, 192, 198, 203, 224-255) walk the
 * compare chain the table expands to. volatile keeps the sets in .rodata:
 * clang moves a plain const array to a mergeable-constant section that its
 * BTF then describes wrongly, and the kernel rejects the BTF. */
static const volatile __u64 dn_bogon_octets_v4[4] = DN_BOGON_V4_OCTETS;
static const volatile __u64 dn_bogon_octets_v6[4] = DN_BOGON_V6_OCTETS;

static __always_inline bool bogon_octet(const volatile __u64 *set, __u32 w0)
{
	return (set[w0 >> 30] >> ((w0 >> 24) & 63)) & 1;
}

#define DN_V4_IN(net, len) || (a & DN_BOGON_V4_MASK(len)) == (net)

static __always_inline bool bogon_v4(__be32 saddr)
{
	__u32 a = bpf_ntohl(saddr);

	return bogon_octet(dn_bogon_octets_v4, a) && (false DN_BOGONS_V4(DN_V4_IN));
}

/* A word whose mask is zero compares 0 == 0 and folds away, so a /32 costs
 * one compare and ::1/128 four. */
#define DN_V6_WORD_IN(i, net, len) ((w[i] & DN_BOGON_V6_MASK(len, i)) == (net))
#define DN_V6_IN(n0, n1, n2, n3, len)                                   \
	|| (DN_V6_WORD_IN(0, n0, len) && DN_V6_WORD_IN(1, n1, len) &&   \
	    DN_V6_WORD_IN(2, n2, len) && DN_V6_WORD_IN(3, n3, len))

static __always_inline bool bogon_v6(const struct in6_addr *s)
{
	__u32 w[4] = { bpf_ntohl(s->in6_u.u6_addr32[0]) };

	if (!bogon_octet(dn_bogon_octets_v6, w[0]))
		return false;
	w[1] = bpf_ntohl(s->in6_u.u6_addr32[1]);
	w[2] = bpf_ntohl(s->in6_u.u6_addr32[2]);
	w[3] = bpf_ntohl(s->in6_u.u6_addr32[3]);
	return false DN_BOGONS_V6(DN_V6_IN);
}

static __always_inline bool spoofed(const struct pkt *p)
{
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	const __u64 *s, *d;

	if (p->family == DN_FAMILY_IPV4)
		return bogon_v4(ip->saddr) || ip->saddr == ip->daddr;
	/* Two 8-byte compares; x86 permits the unaligned packet loads. */
	s = (const __u64 *)&ip6->saddr;
	d = (const __u64 *)&ip6->daddr;
	return bogon_v6(&ip6->saddr) || (s[0] == d[0] && s[1] == d[1]);
}

/* ICMPv4 error and reply types a victim of spoofed traffic sends back:
 * echo reply 0, unreachable 3, source quench 4, redirect 5, time exceeded
 * 11, parameter problem 12, timestamp reply 14, info reply 16, mask reply 18. */
#define DN_ICMP4_BACKSCATTER ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | \
			      (1u << 11) | (1u << 12) | (1u << 14) | (1u << 16) | \
			      (1u << 18))

static __always_inline bool backscatter(const struct pkt *p)
{
	__u8 v;

	if (p->tcp) {
		v = DN_TCP_FLAGS(p->tcp);
		return (v & (DN_TH_SYN | DN_TH_ACK)) == (DN_TH_SYN | DN_TH_ACK) ||
		       (v & DN_TH_RST);
	}
	if (p->udp)
		return p->udp->source == bpf_htons(53);
	if (!p->icmp)
		return false;
	v = p->icmp[0];
	if (p->family == DN_FAMILY_IPV4)
		return v < 32 && (DN_ICMP4_BACKSCATTER >> v) & 1;
	return (__u8)(v - 1) < 4 || v == DN_ICMPV6_ECHO_REPLY;   /* errors 1-4, echo reply */
}

/* IPv4 TCP SYN fingerprints, after research scanners are ruled out.
 * Mirai: seq == destination address; both are read raw (network order),
 * so no byte swap is needed. Masscan: ip.id == (daddr ^ dport ^ seq) & 0xffff
 * in host order. Returns the class, or DN_CLASS_MAX for neither. */
static __always_inline __u32 syn_fingerprint(const struct iphdr *ip, const struct tcphdr *th)
{
	__u32 masscan;

	if (th->seq == ip->daddr)
		return DN_CLASS_MIRAI;
	masscan = bpf_ntohl(ip->daddr) ^ bpf_ntohs(th->dest) ^ bpf_ntohl(th->seq);
	if (bpf_ntohs(ip->id) == (masscan & 0xffff))
		return DN_CLASS_MASSCAN;
	return DN_CLASS_MAX;
}

/* Source class, first match wins, in the order docs/classification.md gives. *org is set for
 * DN_CLASS_RESEARCH. The cheap header tests run before the scanner lookup,
 * which runs before the fingerprints, as the order demands. */
static __always_inline __u32 classify(const struct pkt *p, __u32 *org)
{
	const struct iphdr *ip = p->l3;
	__u32 cls;
	bool syn;

	if (spoofed(p))
		return DN_CLASS_SPOOFED;
	if (p->frag)
		return DN_CLASS_FRAGMENT;
	if (backscatter(p))
		return DN_CLASS_BACKSCATTER;
	*org = scanner_org(p);
	if (*org)
		return DN_CLASS_RESEARCH;
	syn = p->tcp && DN_TCP_FLAGS(p->tcp) == DN_TH_SYN;
	if (p->family == DN_FAMILY_IPV4) {
		if (syn && (cls = syn_fingerprint(ip, p->tcp)) != DN_CLASS_MAX)
			return cls;
		if (ip->id == bpf_htons(DN_ZMAP_IP_ID))   /* any protocol */
			return DN_CLASS_ZMAP;
	}
	if (p->tcp)
		return syn ? DN_CLASS_SCAN : DN_CLASS_TCP_OTHER;
	if (p->udp)
		return DN_CLASS_UDP_PROBE;
	return p->icmp ? DN_CLASS_ICMP_REQUEST : DN_CLASS_OTHER;
}

#endif /* DN_CLASSIFY_BPF_H */
