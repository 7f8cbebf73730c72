/* frame.c: builds Ethernet frames (VLAN, IPv4/IPv6, extension headers, L4) from a frame_spec. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include "frame.h"

#define ETH_P_8021AD_TAG 0x88a8
#define DEFAULT_TTL 64
#define DEFAULT_WINDOW 1024
#define IPV4_MF 0x2000

/* Where the builder is and what the IP layer needs to know afterwards. */
struct cursor {
	uint8_t *buf;
	size_t off;
	int overflow;
};

struct addrs {
	int family;               /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16]; /* network byte order */
};

static uint8_t *put(struct cursor *c, size_t len)
{
	uint8_t *p;

	if (c->overflow || c->off + len > FRAME_MAX) {
		c->overflow = 1;
		return NULL;
	}
	p = c->buf + c->off;
	memset(p, 0, len);
	c->off += len;
	return p;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* One's-complement sum over big-endian 16-bit words, not yet folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static int parse_addrs(const struct frame_spec *s, struct addrs *a)
{
	int fam = s->src && strchr(s->src, ':') ? AF_INET6 : AF_INET;

	if (!s->src || !s->dst || (strchr(s->dst, ':') ? AF_INET6 : AF_INET) != fam)
		return -EINVAL;
	if (inet_pton(fam, s->src, a->src) != 1 || inet_pton(fam, s->dst, a->dst) != 1)
		return -EINVAL;
	a->family = fam;
	return 0;
}

static void put_ethernet(struct cursor *c, const struct frame_spec *s, int family)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *eth = put(c, ETH_HLEN);
	uint16_t tpid = s->qinq ? ETH_P_8021AD_TAG : ETH_P_8021Q;

	if (!eth)
		return;
	memcpy(eth, macs, sizeof(macs));
	/* Each tag is TPID then TCI; the TPID sits where the previous header's
	 * ethertype would be, so we write TPIDs into the slot before the tag. */
	for (int i = 0; i < 2; i++) {
		uint8_t *tag;

		if (!s->vlan[i])
			continue;
		put16(c->buf + c->off - 2, tpid);
		tag = put(c, 4);
		if (!tag)
			return;
		put16(tag, s->vlan[i] & 0x0fff);
		tpid = ETH_P_8021Q;
	}
	put16(c->buf + c->off - 2, family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
}

/* Is there a transport header? Not in a fragment past the first. */
static int has_l4(const struct frame_spec *s)
{
	return s->frag_offset == 0;
}

/* The quoted packet of an ICMP error: its IP header, then the first 8 bytes
 * of its transport header (ports first, so the receiver can tell the flow).
 * A bad quote address marks the frame as failed, as an overflow does. */
static void put_quote(struct cursor *c, const struct frame_spec *s)
{
	int v6 = strchr(s->quote_src, ':') != NULL;
	int af = v6 ? AF_INET6 : AF_INET;
	uint16_t l4len = s->quote_proto == FRAME_TCP ? 20 : 8;
	uint8_t *h = put(c, v6 ? 40 : 20), *l4;

	if (!h)
		return;
	if (!s->quote_dst || inet_pton(af, s->quote_src, h + (v6 ? 8 : 12)) != 1 ||
	    inet_pton(af, s->quote_dst, h + (v6 ? 24 : 16)) != 1) {
		c->overflow = 1;
		return;
	}
	if (v6) {
		h[0] = 0x60;
		put16(h + 4, l4len);
		h[6] = s->quote_proto;
		h[7] = DEFAULT_TTL;
	} else {
		h[0] = 0x45;
		put16(h + 2, 20 + l4len);
		h[8] = DEFAULT_TTL;
		h[9] = s->quote_proto;
		put16(h + 10, csum_fold(csum_add(0, h, 20)));
	}
	if (!(l4 = put(c, 8)))
		return;
	put16(l4, s->quote_sport);
	put16(l4 + 2, s->quote_dport);
	if (s->quote_proto == FRAME_UDP)
		put16(l4 + 4, l4len);
}

static void put_l4(struct cursor *c, const struct frame_spec *s)
{
	uint8_t *h;

	if (!has_l4(s))
		return;
	switch (s->proto) {
	case FRAME_TCP:
		if (!(h = put(c, 20)))
			return;
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put32(h + 4, s->seq);
		put32(h + 8, s->ack);
		h[12] = 5 << 4;     /* data offset: 5 words, no options */
		h[13] = s->tcp_flags;
		put16(h + 14, DEFAULT_WINDOW);
		break;
	case FRAME_UDP:
		if (!(h = put(c, 8)))
			return;
		put16(h, s->sport);
		put16(h + 2, s->dport);
		break;
	case FRAME_ICMP:
	case FRAME_ICMPV6:
		/* Type, code, checksum, then echo-style id and sequence. */
		if (!(h = put(c, 8)))
			return;
		h[0] = s->icmp_type;
		h[1] = s->icmp_code;
		put16(h + 4, s->sport);
		put16(h + 6, s->dport);
		if (s->quote_src)
			put_quote(c, s);
		break;
	}
}

/* Transport checksum over the pseudo-header and what follows it. In a
 * fragment it covers only this fragment: good enough for a sender that
 * never reassembles. */
static void fill_l4_csum(uint8_t *l4, size_t len, const struct frame_spec *s,
			 const struct addrs *a)
{
	size_t alen = a->family == AF_INET ? 4 : 16;
	uint32_t sum = 0;
	uint8_t *field;

	if (!has_l4(s))
		return;
	switch (s->proto) {
	case FRAME_TCP: field = l4 + 16; break;
	case FRAME_UDP: field = l4 + 6; put16(l4 + 4, len); break;
	case FRAME_ICMP: field = l4 + 2; break;
	case FRAME_ICMPV6: field = l4 + 2; break;
	default: return;
	}
	/* ICMPv4 has no pseudo-header; everything else in IPv6 and TCP/UDP does. */
	if (!(s->proto == FRAME_ICMP && a->family == AF_INET)) {
		sum = csum_add(sum, a->src, alen);
		sum = csum_add(sum, a->dst, alen);
		sum += s->proto + (uint32_t)len;
	}
	put16(field, 0);
	put16(field, csum_fold(csum_add(sum, l4, len)));
	if (s->proto == FRAME_UDP && field[0] == 0 && field[1] == 0)
		put16(field, 0xffff);   /* 0 means "no checksum" in UDP */
}

static int build_ipv4(struct cursor *c, const struct frame_spec *s, const struct addrs *a)
{
	size_t hlen = 20 + 4u * s->ipv4_opt_words, start = c->off;
	uint8_t *ip;

	if (s->ipv4_opt_words > 10)
		return -EINVAL;
	if (!(ip = put(c, hlen)))
		return -EINVAL;
	/* Options: NOPs (type 1) ending in an End of Options List (type 0). */
	memset(ip + 20, 1, hlen - 20);
	if (hlen > 20)
		ip[hlen - 1] = 0;
	ip[0] = 0x40 | hlen / 4;
	put16(ip + 4, s->ip_id);
	put16(ip + 6, (s->more_fragments ? IPV4_MF : 0) | (s->frag_offset & 0x1fff));
	ip[8] = DEFAULT_TTL;
	ip[9] = s->proto;
	memcpy(ip + 12, a->src, 4);
	memcpy(ip + 16, a->dst, 4);
	put_l4(c, s);
	if (!put(c, s->payload))
		return -EINVAL;
	ip = c->buf + start;
	put16(ip + 2, c->off - start);
	put16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
	fill_l4_csum(ip + hlen, c->off - start - hlen, s, a);
	return 0;
}

/* One IPv6 extension header; *next_field is where its type must be written. */
static int put_ext(struct cursor *c, const struct frame_spec *s, uint8_t type,
		   uint8_t **next_field)
{
	uint8_t *h = put(c, 8);   /* every header we write is 8 bytes */

	if (!h)
		return -EINVAL;
	**next_field = type;
	*next_field = h;
	switch (type) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_DSTOPTS:
		h[2] = 1;   /* PadN option covering the remaining four bytes */
		h[3] = 4;
		break;
	case IPPROTO_ROUTING:
		break;      /* type 0, segments left 0: to be skipped by the receiver */
	case IPPROTO_FRAGMENT:
		put16(h + 2, (uint16_t)(s->frag_offset << 3) | (s->more_fragments ? 1 : 0));
		put32(h + 4, s->ip_id);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int build_ipv6(struct cursor *c, const struct frame_spec *s, const struct addrs *a)
{
	size_t start = c->off, l4;
	uint8_t *ip = put(c, 40), *next;
	int frag_done = 0, err;

	if (!ip)
		return -EINVAL;
	ip[0] = 0x60;
	ip[7] = DEFAULT_TTL;
	memcpy(ip + 8, a->src, 16);
	memcpy(ip + 24, a->dst, 16);
	next = ip + 6;
	for (size_t i = 0; i < sizeof(s->ipv6_ext) && s->ipv6_ext[i]; i++) {
		uint8_t t = s->ipv6_ext[i] == FRAME_EXT_HOPOPTS ? IPPROTO_HOPOPTS : s->ipv6_ext[i];

		if ((err = put_ext(c, s, t, &next)))
			return err;
		frag_done |= t == IPPROTO_FRAGMENT;
	}
	if (!frag_done && (s->frag_offset || s->more_fragments) &&
	    (err = put_ext(c, s, IPPROTO_FRAGMENT, &next)))
		return err;
	*next = s->proto;
	l4 = c->off;
	put_l4(c, s);
	if (!put(c, s->payload))
		return -EINVAL;
	ip = c->buf + start;
	put16(ip + 4, c->off - start - 40);
	fill_l4_csum(c->buf + l4, c->off - l4, s, a);
	return 0;
}

int frame_build(const struct frame_spec *spec, uint8_t *buf)
{
	struct cursor c = { .buf = buf };
	struct addrs a;
	int err;

	if ((err = parse_addrs(spec, &a)))
		return err;
	put_ethernet(&c, spec, a.family);
	err = a.family == AF_INET ? build_ipv4(&c, spec, &a) : build_ipv6(&c, spec, &a);
	if (err || c.overflow)
		return -EINVAL;
	return c.off;
}
