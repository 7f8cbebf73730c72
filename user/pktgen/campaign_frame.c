/* campaign_frame.c: builds a campaign actor's n-th frame (scan probe or backscatter) and describes it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include "campaign_actor.h"
#include "mix_addr.h"

#define ZMAP_IP_ID 54321
#define EPHEMERAL_FIRST 32768   /* Linux ip_local_port_range defaults */
#define EPHEMERAL_SPAN 28232
#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACH 3
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PORT 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_ECHO 8

/* splitmix64 over (actor seed, packet index): frames come out the same in
 * whatever order they are built. */
static uint64_t draw(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint16_t masscan_id(uint32_t daddr, uint16_t dport, uint32_t seq)
{
	return (daddr ^ dport ^ seq) & 0xffff;
}

static uint16_t ephemeral(uint64_t *r)
{
	return (uint16_t)(EPHEMERAL_FIRST + draw(r) % EPHEMERAL_SPAN);
}

/* An IP ID that is not ZMap's (it marks any protocol). */
static uint16_t plain_id(uint64_t *r)
{
	uint16_t id = (uint16_t)draw(r);

	return id == ZMAP_IP_ID ? id + 1 : id;
}

/* The darknet address of destination j of actor a. */
static void actor_dst(struct campaign_state *st, const struct campaign_actor *a, uint32_t j,
		      uint8_t *out)
{
	uint64_t n = st->darknet_size;

	st->base.dst_seq[DN_FAMILY_IPV4] =
		(uint64_t)(((unsigned __int128)a->walk_a * (j % a->dests) + a->walk_b) % n);
	mix_addr_dst_seq(&st->base, DN_FAMILY_IPV4, out);
}

/* A probe carrying its tool's fingerprint and, in every other field, none
 * of the others' (classify.bpf.h: Mirai and Masscan win over ZMap). */
static uint8_t scan_probe(const struct campaign_actor *a, uint32_t daddr, uint64_t *r,
			  struct frame_spec *s)
{
	s->proto = a->proto;
	s->ip_id = plain_id(r);
	if (a->proto == IPPROTO_ICMP) {
		s->icmp_type = ICMP_ECHO;
		s->sport = (uint16_t)draw(r);
		s->dport = (uint16_t)draw(r);
		return a->tool == CAMPAIGN_RESEARCH ? DN_CLASS_RESEARCH : DN_CLASS_ICMP_REQUEST;
	}
	s->sport = ephemeral(r);
	s->dport = a->port;
	if (a->proto == IPPROTO_UDP)
		return a->tool == CAMPAIGN_RESEARCH ? DN_CLASS_RESEARCH : DN_CLASS_UDP_PROBE;
	s->tcp_flags = TH_SYN;
	s->seq = (uint32_t)draw(r);
	switch (a->tool) {
	case CAMPAIGN_MIRAI:
		s->seq = daddr;
		return DN_CLASS_MIRAI;
	case CAMPAIGN_MASSCAN:
		while (s->seq == daddr)
			s->seq = (uint32_t)draw(r);
		s->ip_id = masscan_id(daddr, s->dport, s->seq);
		return DN_CLASS_MASSCAN;
	case CAMPAIGN_RESEARCH:
		return DN_CLASS_RESEARCH;
	case CAMPAIGN_ZMAP:
		s->ip_id = ZMAP_IP_ID;
		/* fall through */
	default:
		while (s->seq == daddr || masscan_id(daddr, s->dport, s->seq) == s->ip_id)
			s->seq = (uint32_t)draw(r);
		return a->tool == CAMPAIGN_ZMAP ? DN_CLASS_ZMAP : DN_CLASS_SCAN;
	}
}

/* What the victim (or a router on its path) sends back to a spoofed
 * darknet address: the first packet of a TCP or UDP attack names the
 * victim's port in its own header, later ones vary the kind. */
static uint32_t backscatter(const struct campaign_actor *a, uint32_t idx, uint64_t *r,
			    struct frame_spec *s, const uint8_t **outer_src)
{
	unsigned int u = idx ? (unsigned int)(draw(r) % 100) : 0;

	*outer_src = a->src;
	s->ip_id = (uint16_t)draw(r);
	if (a->proto == IPPROTO_ICMP) {
		s->proto = IPPROTO_ICMP;
		s->icmp_type = ICMP_ECHO_REPLY;
		s->sport = (uint16_t)draw(r);
		s->dport = (uint16_t)draw(r);
		return CAMPAIGN_KIND_ECHO_REPLY;
	}
	if (a->proto == IPPROTO_TCP && u < 85) {
		s->proto = IPPROTO_TCP;
		s->tcp_flags = u < 60 ? TH_SYN | TH_ACK : TH_RST | TH_ACK;
		s->sport = a->port;
		s->dport = ephemeral(r);
		s->seq = (uint32_t)draw(r);
		s->ack = (uint32_t)draw(r);
		return u < 60 ? CAMPAIGN_KIND_SYNACK : CAMPAIGN_KIND_RST;
	}
	s->proto = IPPROTO_ICMP;
	s->quote_proto = a->proto;
	s->quote_sport = ephemeral(r);
	s->quote_dport = a->port;
	if (a->proto == IPPROTO_UDP && u < 70) {
		s->icmp_type = ICMP_UNREACH;      /* from the victim itself */
		s->icmp_code = ICMP_UNREACH_PORT;
	} else {
		s->icmp_type = a->proto == IPPROTO_UDP ? ICMP_TIME_EXCEEDED : ICMP_UNREACH;
		s->icmp_code = a->proto == IPPROTO_UDP ? 0 : ICMP_UNREACH_HOST;
		*outer_src = a->router;
	}
	return CAMPAIGN_KIND_ICMP_ERROR;
}

static void describe(struct campaign_state *st, size_t actor, const struct frame_spec *s,
		     uint8_t cls, const uint8_t *src, const uint8_t *dst, int len)
{
	int ported = s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP;
	const struct campaign_actor *a = &st->actors[actor];

	st->info = (struct mix_frame_info){
		.len = (uint16_t)len,
		.dport = ported ? s->dport : 0,
		.cls = cls,
		.family = DN_FAMILY_IPV4,
		.proto = s->proto,
		.has_port = ported,
		.has_icmp = s->proto == IPPROTO_ICMP,
		.icmp_type = s->proto == IPPROTO_ICMP ? s->icmp_type : 0,
		.tmpl = (uint16_t)actor,
		.darknet = mix_addr_darknet(&st->base, DN_FAMILY_IPV4, dst),
		.org = cls == DN_CLASS_RESEARCH && !a->is_dos
			? mix_addr_scanner_org(&st->base, DN_FAMILY_IPV4, src) : NULL,
	};
	memcpy(st->info.src, src, 16);
}

int campaign_build(struct campaign_state *st, size_t actor, uint32_t idx, uint8_t *buf,
		   uint32_t *kind)
{
	const struct campaign_actor *a = &st->actors[actor];
	uint64_t r = a->seed ^ ((uint64_t)idx * 0xd1b54a32d192ed03ull);
	struct frame_spec s = { 0 };
	char src_text[INET_ADDRSTRLEN], dst_text[INET_ADDRSTRLEN];
	char quote_src[INET_ADDRSTRLEN], quote_dst[INET_ADDRSTRLEN];
	const uint8_t *src = a->src;
	uint8_t dst[16] = { 0 }, cls;
	int len;

	actor_dst(st, a, idx, dst);
	*kind = 0;
	if (a->is_dos) {
		*kind = backscatter(a, idx, &r, &s, &src);
		cls = DN_CLASS_BACKSCATTER;
		if (s.quote_proto) {
			/* the attack packet: from the spoofed darknet address to the victim */
			s.quote_src = inet_ntop(AF_INET, dst, quote_src, sizeof(quote_src));
			s.quote_dst = inet_ntop(AF_INET, a->src, quote_dst, sizeof(quote_dst));
		}
	} else {
		cls = scan_probe(a, mix_v4_get(dst), &r, &s);
	}
	s.src = inet_ntop(AF_INET, src, src_text, sizeof(src_text));
	s.dst = inet_ntop(AF_INET, dst, dst_text, sizeof(dst_text));
	len = frame_build(&s, buf);
	if (len < 0)
		return len;
	describe(st, actor, &s, cls, src, dst, len);
	return len;
}

int campaign_frame(struct campaign_state *st, size_t i, uint8_t *buf)
{
	uint32_t kind;

	if (i >= st->nr_pkts)
		return -EINVAL;
	return campaign_build(st, st->sched[i].actor, st->sched[i].idx, buf, &kind);
}
