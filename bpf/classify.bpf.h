/* classify.bpf.h: BPF-only per-packet source-class predicates (bogons, backscatter, fingerprints). */
#ifndef DN_CLASSIFY_BPF_H
#define DN_CLASSIFY_BPF_H

#include "parsing.bpf.h"
#include "lookup.bpf.h"

#define DN_TCP_FLAGS(th) (((__u8 *)(th))[13])   /* CWR ECE URG ACK PSH RST SYN FIN */
#define DN_TH_SYN 0x02
#define DN_TH_RST 0x04
#define DN_TH_ACK 0x10
#define DN_ZMAP_IP_ID 54321
#define DN_ICMPV6_ECHO_REPLY 129   /* linux/icmpv6.h drags in libc headers */

/* IPv4 bogon sources (docs/bogons.md). A switch on the first octet: clang turns
 * it into a short compare tree, so a routable source costs a handful of
 * instructions and only the few bogon-bearing /8s look further. */
/* The first octets under which bogon_v4() has a case: 0, 10, 100, 127,
 * 169, 172, 192, 198, 203 and 224-255, one bit each. volatile keeps it in
 * .rodata: clang moves a plain const array to a mergeable-constant section
 * that its BTF then describes wrongly, and the kernel rejects the BTF. */
static const volatile __u64 dn_bogon_octets[4] = {
	(1ull << 0) | (1ull << 10),
	(1ull << (100 - 64)) | (1ull << (127 - 64)),
	(1ull << (169 - 128)) | (1ull << (172 - 128)),
	(1ull << (192 - 192)) | (1ull << (198 - 192)) | (1ull << (203 - 192)) |
	0xffffffff00000000ull,   /* 224/4 and 240/4 */
};

static __always_inline bool bogon_v4(__be32 saddr)
{
	__u32 a = bpf_ntohl(saddr);

	if (!((dn_bogon_octets[a >> 30] >> ((a >> 24) & 63)) & 1))
		return false;
	switch (a >> 24) {
	case 0:     /* 0/8 */
	case 10:    /* 10/8 */
	case 127:   /* 127/8 */
		return true;
	case 100:   /* 100.64/10 */
		return (a & 0x00c00000) == 0x00400000;
	case 169:   /* 169.254/16 */
		return (a & 0x00ff0000) == 0x00fe0000;
	case 172:   /* 172.16/12 */
		return (a & 0x00f00000) == 0x00100000;
	case 192:   /* 192.168/16, 192.0.0/24, 192.0.2/24, 192.88.99/24 */
		return (a & 0x00ff0000) == 0x00a80000 ||
		       (a & 0x00fffd00) == 0x00000000 ||
		       (a & 0x00ffff00) == 0x00586300;
	case 198:   /* 198.18/15, 198.51.100/24 */
		return (a & 0x00fe0000) == 0x00120000 ||
		       (a & 0x00ffff00) == 0x00336400;
	case 203:   /* 203.0.113/24 */
		return (a & 0x00ffff00) == 0x00007100;
	default:    /* 224/4 and 240/4 */
		return a >= 0xe0000000;
	}
}

/* IPv6 bogon sources (docs/bogons.md), from the first 32-bit word: almost every
 * real source is in 2000::/3 and leaves after two compares. */
static __always_inline bool bogon_v6(const struct in6_addr *s)
{
	__u32 w0 = bpf_ntohl(s->in6_u.u6_addr32[0]);

	if (w0 >= 0xfc000000)   /* fc00::/7, ff00::/8; in fe00::/8 only fe80::/10 */
		return w0 >> 24 != 0xfe || (w0 & 0xffc00000) == 0xfe800000;
	if (w0 == 0x20010db8)   /* 2001:db8::/32 */
		return true;
	if (w0 || s->in6_u.u6_addr32[1])
		return false;
	/* ::/128, ::1/128, ::ffff:0:0/96; words still in network order */
	return s->in6_u.u6_addr32[2] == bpf_htonl(0xffff) ||
	       (!s->in6_u.u6_addr32[2] &&
		(!s->in6_u.u6_addr32[3] || s->in6_u.u6_addr32[3] == bpf_htonl(1)));
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
