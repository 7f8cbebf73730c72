/* frame_ref.c: a reference reading of generated frames, independent of the generator and the datapath. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include "darknet_counter.h"
#include "frame_ref.h"
#include "lib/bogon_table.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void frame_ref_parse(const uint8_t *f, int len, struct frame_ref *p)
{
	const uint8_t *ip = f + 14, *l4;

	memset(p, 0, sizeof(*p));
	cr_assert_geq(len, 34, "frame too short: %d", len);
	if (get16(f + 12) == 0x0800) {
		p->family = DN_FAMILY_IPV4;
		memcpy(p->src, ip + 12, 4);
		memcpy(p->dst, ip + 16, 4);
		p->proto = ip[9];
		p->ip_id = get16(ip + 4);
		p->fragment = (get16(ip + 6) & 0x1fff) != 0;
		cr_assert_eq(get16(ip + 2), len - 14, "IPv4 total length");
		l4 = ip + (ip[0] & 0xf) * 4;
	} else {
		cr_assert_eq(get16(f + 12), 0x86dd, "ethertype");
		p->family = DN_FAMILY_IPV6;
		memcpy(p->src, ip + 8, 16);
		memcpy(p->dst, ip + 24, 16);
		p->proto = ip[6];
		l4 = ip + 40;
		if (p->proto == IPPROTO_FRAGMENT) {
			p->proto = l4[0];
			p->fragment = (get16(l4 + 2) >> 3) != 0;
			l4 += 8;
		}
	}
	if (p->fragment)
		return;
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		p->sport = get16(l4);
		p->dport = get16(l4 + 2);
	}
	if (p->proto == IPPROTO_TCP) {
		p->seq = get32(l4 + 4);
		p->flags = l4[13];
	}
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
	}
	/* an ICMPv4 error's quote: IP header, then ports (RFC 792) */
	if (p->proto == IPPROTO_ICMP && l4 + 8 + 28 <= f + len && (l4[8] >> 4) == 4) {
		const uint8_t *q = l4 + 8, *ql4 = q + (q[0] & 0xf) * 4;

		cr_assert_leq(ql4 + 8, f + len, "quoted header past the frame");
		p->quoted = 1;
		memcpy(p->quote_src, q + 12, 4);
		memcpy(p->quote_dst, q + 16, 4);
		p->quote_proto = q[9];
		p->quote_sport = get16(ql4);
		p->quote_dport = get16(ql4 + 2);
	}
}

int frame_ref_in_net(const uint8_t *a, const char *cidr)
{
	struct dn_prefix p;
	char err[64];

	cr_assert_eq(prefix_parse(cidr, &p, err, sizeof(err)), 0, "%s", cidr);
	for (unsigned int i = 0; i < p.len; i++) {
		unsigned int mask = 0x80 >> (i % 8);

		if ((a[i / 8] & mask) != (p.addr[i / 8] & mask))
			return 0;
	}
	return 1;
}

/* Spoofed: a source in the bogon table (include/bogons.h), or src == dst. */
static int bogon(const struct frame_ref *p)
{
	return bogon_table_has((uint8_t)p->family, p->src) || !memcmp(p->src, p->dst, 16);
}

const char *frame_ref_scanner(const struct dn_prefix_list *scanners, const uint8_t *a,
			      int family)
{
	const struct dn_prefix_entry *best = NULL;

	for (size_t i = 0; i < scanners->len; i++) {
		const struct dn_prefix_entry *e = &scanners->entries[i];
		char text[DN_PREFIX_STRLEN];

		if (e->prefix.family != family)
			continue;
		prefix_format(&e->prefix, text, sizeof(text));
		if (frame_ref_in_net(a, text) && (!best || e->prefix.len > best->prefix.len))
			best = e;
	}
	return best ? best->org : NULL;
}

static int backscatter(const struct frame_ref *p)
{
	if (p->proto == IPPROTO_TCP)
		return (p->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) || (p->flags & TH_RST);
	if (p->proto == IPPROTO_UDP)
		return p->sport == 53;
	if (p->proto == IPPROTO_ICMP)
		/* echo reply 0 too (classify.bpf.h): strchr() cannot look for it */
		return p->icmp_type == 0 ||
		       (strchr("\x03\x04\x05\x0b\x0c\x0e\x10\x12", p->icmp_type) && p->icmp_type);
	if (p->proto == IPPROTO_ICMPV6)
		return (p->icmp_type >= 1 && p->icmp_type <= 4) || p->icmp_type == 129;
	return 0;
}

int frame_ref_classify(const struct frame_ref *p, const struct dn_prefix_list *scanners)
{
	int v4 = p->family == DN_FAMILY_IPV4;
	int syn = p->proto == IPPROTO_TCP && p->flags == TH_SYN;
	uint32_t daddr = v4 ? get32(p->dst) : 0;

	if (bogon(p))
		return DN_CLASS_SPOOFED;
	if (p->fragment)
		return DN_CLASS_FRAGMENT;
	if (backscatter(p))
		return DN_CLASS_BACKSCATTER;
	if (frame_ref_scanner(scanners, p->src, p->family))
		return DN_CLASS_RESEARCH;
	if (v4 && syn && p->seq == daddr)
		return DN_CLASS_MIRAI;
	if (v4 && syn && p->ip_id == ((daddr ^ p->dport ^ p->seq) & 0xffff))
		return DN_CLASS_MASSCAN;
	if (v4 && p->ip_id == 54321)
		return DN_CLASS_ZMAP;
	if (syn)
		return DN_CLASS_SCAN;
	switch (p->proto) {
	case IPPROTO_TCP: return DN_CLASS_TCP_OTHER;
	case IPPROTO_UDP: return DN_CLASS_UDP_PROBE;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return DN_CLASS_ICMP_REQUEST;
	default: return DN_CLASS_OTHER;
	}
}

