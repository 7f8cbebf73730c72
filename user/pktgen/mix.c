/* mix.c: draws frames from a mix's templates with a seeded PRNG and says how each must count. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktgen_err.h"
#include "mix.h"
#include "mix_addr.h"
#include "mix_sources.h"

#define ZMAP_IP_ID 54321
#define EPHEMERAL_FIRST 32768   /* Linux ip_local_port_range defaults */
#define EPHEMERAL_LAST 60999

/* ---- ports and fingerprints ---- */

static uint16_t pick_port(struct mix_state *st, uint8_t mode, const uint16_t *list,
			  uint16_t n, uint16_t fixed)
{
	switch (mode) {
	case MIX_PORT_LIST:
		return list[mix_rng_below(st, n)];
	case MIX_PORT_UNIFORM:
		return (uint16_t)mix_rng_next(st);   /* low 16 bits: exactly uniform */
	case MIX_PORT_EPHEMERAL:
		return EPHEMERAL_FIRST + mix_rng_below(st, EPHEMERAL_LAST - EPHEMERAL_FIRST + 1);
	default:
		return fixed;
	}
}

static uint16_t masscan_id(uint32_t daddr, uint16_t dport, uint32_t seq)
{
	return (daddr ^ dport ^ seq) & 0xffff;
}

/* Set seq and ip_id as the template's fingerprint says; everything else is
 * steered clear of the Mirai, Masscan and ZMap rules so that the frame
 * cannot fall into a class of higher precedence by chance. */
static void apply_fp(struct mix_state *st, const struct mix_template *t,
		     struct frame_spec *s, const uint8_t *dst)
{
	uint32_t daddr = t->family == DN_FAMILY_IPV4 ? mix_v4_get(dst) : 0;
	int syn = s->proto == IPPROTO_TCP && s->tcp_flags == TH_SYN;

	if (t->fp == MIX_FP_FIXED)
		return;
	s->ip_id = t->fp == MIX_FP_ZMAP ? ZMAP_IP_ID : (uint16_t)mix_rng_next(st);
	s->seq = (uint32_t)mix_rng_next(st);
	if (s->tcp_flags & TH_ACK)
		s->ack = (uint32_t)mix_rng_next(st);
	if (t->family != DN_FAMILY_IPV4)
		return;
	switch (t->fp) {
	case MIX_FP_MIRAI:
		s->seq = daddr;
		return;
	case MIX_FP_MASSCAN:
		while (s->seq == daddr)
			s->seq = (uint32_t)mix_rng_next(st);
		s->ip_id = masscan_id(daddr, s->dport, s->seq);
		return;
	default:
		if (s->ip_id == ZMAP_IP_ID && t->fp != MIX_FP_ZMAP)
			s->ip_id++;
		while (syn && (s->seq == daddr || masscan_id(daddr, s->dport, s->seq) == s->ip_id))
			s->seq = (uint32_t)mix_rng_next(st);
	}
}

/* ---- init ---- */

/* Classes that a source in the scanner list would turn into research
 * (precedence: spoofed, fragment, backscatter, research, the rest). */
static int research_overrides(uint8_t cls)
{
	return cls != DN_CLASS_SPOOFED && cls != DN_CLASS_FRAGMENT &&
	       cls != DN_CLASS_BACKSCATTER && cls != DN_CLASS_RESEARCH;
}

/* Parse a template's fixed addresses and check they mean what its class
 * says: a destination in a darknet, a source no scanner list overrides. */
static int prepare_fixed(struct mix_state *st, size_t i, char *err, size_t errlen)
{
	const struct mix_template *t = &st->tmpl[i];
	struct mix_fixed *fx = &st->fixed[i];
	int af = t->family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6;

	if ((t->src == MIX_SRC_FIXED && inet_pton(af, t->spec.src, fx->src) != 1) ||
	    (t->dst == MIX_DST_FIXED && inet_pton(af, t->spec.dst, fx->dst) != 1)) {
		pktgen_err(err, errlen, "mix template %s: bad fixed address", t->name);
		return -EINVAL;
	}
	if (t->dst == MIX_DST_FIXED)
		fx->darknet = mix_addr_darknet(st, t->family, fx->dst);
	if (t->src == MIX_SRC_FIXED && research_overrides(t->cls) &&
	    mix_addr_scanner_org(st, t->family, fx->src)) {
		pktgen_err(err, errlen, "mix template %s: its source is in the scanner list", t->name);
		return -EINVAL;
	}
	return 0;
}

/* A template is live when the lists let it make what it promises. */
static int template_live(const struct mix_state *st, size_t i)
{
	const struct mix_template *t = &st->tmpl[i];

	if (t->dst == MIX_DST_FIXED ? !st->fixed[i].darknet : !st->nr_dark[t->family])
		return 0;
	return t->src != MIX_SRC_SCANNER || st->nr_scan[t->family];
}

static int prepare_templates(struct mix_state *st, char *err, size_t errlen)
{
	int ret;

	st->fixed = calloc(st->nr_tmpl, sizeof(*st->fixed));
	st->cum = calloc(st->nr_tmpl, sizeof(*st->cum));
	if (!st->fixed || !st->cum)
		return -ENOMEM;
	for (size_t i = 0; i < st->nr_tmpl; i++) {
		ret = prepare_fixed(st, i, err, errlen);
		if (ret)
			return ret;
		st->total += template_live(st, i) ? st->tmpl[i].weight : 0;
		st->cum[i] = st->total;
	}
	return 0;
}

static const struct mix_def *mix_find(const char *name)
{
	for (const struct mix_def *d = mix_defs; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

int mix_init(struct mix_state *st, const struct mix_config *cfg, char *err, size_t errlen)
{
	const struct mix_def *def = mix_find(cfg->name ? cfg->name : "");
	int ret;

	memset(st, 0, sizeof(*st));
	if (!def) {
		pktgen_err(err, errlen, "unknown mix '%s'", cfg->name ? cfg->name : "");
		return -EINVAL;
	}
	st->tmpl = def->tmpl;
	st->nr_tmpl = def->nr_tmpl;
	st->cyclic = def->cyclic;
	st->rng = cfg->seed;
	ret = mix_addr_init(st, cfg->darknets, cfg->scanners);
	if (!ret)
		ret = prepare_templates(st, err, errlen);
	if (!ret && !st->total) {
		pktgen_err(err, errlen, "mix %s: no template has a darknet to send to", def->name);
		ret = -EINVAL;
	}
	if (ret == -ENOMEM)
		pktgen_err(err, errlen, "mix %s: out of memory", def->name);
	/* last: the pools draw from the lists and weigh the live templates */
	if (!ret && cfg->sources)
		ret = mix_pool_init(st, cfg->sources, err, errlen);
	if (ret)
		mix_free(st);
	return ret;
}

void mix_free(struct mix_state *st)
{
	mix_pool_free(st);
	mix_addr_free(st);
	free(st->fixed);
	free(st->cum);
	memset(st, 0, sizeof(*st));
}

/* ---- frames ---- */

/* The template whose cumulative-weight interval holds r (binary search). */
static size_t pick_template(const struct mix_state *st, uint64_t r)
{
	size_t lo = 0, hi = st->nr_tmpl - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int pick_addresses(struct mix_state *st, size_t i, uint8_t *src, uint8_t *dst,
			  const char **org)
{
	const struct mix_template *t = &st->tmpl[i];

	if (t->dst == MIX_DST_FIXED)
		memcpy(dst, st->fixed[i].dst, 16);
	else if (t->dst == MIX_DST_SEQ)
		mix_addr_dst_seq(st, t->family, dst);
	else
		mix_addr_dst_random(st, t->family, dst);
	*org = NULL;
	if (mix_pool_pick(st, t, src, dst)) {
		if (t->src == MIX_SRC_SCANNER)
			*org = mix_addr_scanner_org(st, t->family, src);
		return 0;
	}
	switch (t->src) {
	case MIX_SRC_FIXED:
		memcpy(src, st->fixed[i].src, 16);
		return 0;
	case MIX_SRC_SCANNER:
		if (mix_addr_src_scanner(st, t->family, src))
			return -EAGAIN;
		*org = mix_addr_scanner_org(st, t->family, src);
		return 0;
	case MIX_SRC_BOGON:
		mix_addr_src_bogon(st, t->family, src);
		return 0;
	case MIX_SRC_SAME:
		memcpy(src, dst, 16);
		return 0;
	default:
		return mix_addr_src_public(st, t->family, dst, src);
	}
}

static void fill_info(struct mix_state *st, size_t i, const struct frame_spec *s,
		      const uint8_t *src, const uint8_t *dst, const char *org, int len)
{
	const struct mix_template *t = &st->tmpl[i];
	int l4 = s->frag_offset == 0;   /* non-first fragments carry no L4 header */
	int ported = s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP;
	int icmp = s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6;

	st->info = (struct mix_frame_info){
		.len = (uint16_t)len,
		.dport = l4 && ported ? s->dport : 0,
		.cls = t->cls,
		.family = t->family,
		.proto = s->proto,
		.has_port = l4 && ported,
		.has_icmp = l4 && icmp,
		.icmp_type = l4 && icmp ? s->icmp_type : 0,
		.tmpl = (uint16_t)i,
		.darknet = t->dst == MIX_DST_FIXED ? st->fixed[i].darknet
						   : mix_addr_darknet(st, t->family, dst),
		.org = org,
	};
	memcpy(st->info.src, src, 16);
}

/* frame_build() takes text. glibc's inet_ntop() formats IPv4 through
 * snprintf, a quarter of the generator's time, so dotted quads are done by
 * hand; IPv6 (a few percent of frames) keeps inet_ntop(). */
static const char *addr_text(int af, const uint8_t *a, char *buf)
{
	char *p = buf;

	if (af == AF_INET6)
		return inet_ntop(af, a, buf, INET6_ADDRSTRLEN);
	for (int i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*p++ = '0' + a[i] / 100;
		if (a[i] >= 10)
			*p++ = '0' + a[i] / 10 % 10;
		*p++ = '0' + a[i] % 10;
		*p++ = i < 3 ? '.' : '\0';
	}
	return buf;
}

int mix_next(struct mix_state *st, uint8_t *buf)
{
	uint64_t r = st->cyclic ? st->seq % st->total : mix_rng_below(st, st->total);
	size_t i = pick_template(st, r);
	const struct mix_template *t = &st->tmpl[i];
	struct frame_spec s = t->spec;
	uint8_t src[16], dst[16];
	char src_text[INET6_ADDRSTRLEN], dst_text[INET6_ADDRSTRLEN];
	int af = t->family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6;
	const char *org;
	int len;

	len = pick_addresses(st, i, src, dst, &org);
	if (len)
		return len;
	s.sport = pick_port(st, t->sport_mode, t->sports, t->nr_sports, t->spec.sport);
	s.dport = pick_port(st, t->dport_mode, t->dports, t->nr_dports, t->spec.dport);
	/* a UDP frame from port 53 is backscatter, whatever its template says */
	if (s.proto == IPPROTO_UDP && s.sport == 53 && t->cls != DN_CLASS_BACKSCATTER)
		s.sport = 54;
	apply_fp(st, t, &s, dst);
	s.src = addr_text(af, src, src_text);
	s.dst = addr_text(af, dst, dst_text);
	len = frame_build(&s, buf);
	if (len < 0)
		return len;
	fill_info(st, i, &s, src, dst, org, len);
	st->seq++;
	return len;
}

double mix_template_share(const struct mix_state *st, size_t i)
{
	uint64_t w;

	if (i >= st->nr_tmpl || !st->total)
		return 0;
	w = st->cum[i] - (i ? st->cum[i - 1] : 0);
	return (double)w / (double)st->total;
}

double mix_class_share(const struct mix_state *st, unsigned int cls)
{
	double share = 0;

	for (size_t i = 0; i < st->nr_tmpl; i++)
		if (st->tmpl[i].cls == cls)
			share += mix_template_share(st, i);
	return share;
}

/* Orgs are few (at most DN_MAX_SCANNER_ORGS): a linear search is enough. */
static void tally_org(struct mix_tally *t, const char *org)
{
	unsigned int i;

	for (i = 0; i < t->nr_orgs; i++) {
		if (!strcmp(t->orgs[i].org, org)) {
			t->orgs[i].packets++;
			return;
		}
	}
	if (i < DN_MAX_SCANNER_ORGS) {
		t->orgs[i].org = org;
		t->orgs[i].packets = 1;
		t->nr_orgs++;
	}
}

void mix_tally_add(struct mix_tally *t, const struct mix_frame_info *fi)
{
	uint32_t key = dn_class_key(fi->family, fi->proto, fi->cls);

	t->packets++;
	t->bytes += fi->len;
	t->class_packets[fi->cls]++;
	t->class_bytes[fi->cls] += fi->len;
	t->key_packets[key]++;
	t->key_bytes[key] += fi->len;
	if (fi->org)
		tally_org(t, fi->org);
}

int mix_generate(struct mix_state *st, size_t n, struct mix_frames *out)
{
	size_t cap = n * 128 + FRAME_MAX, used = 0;
	int len;

	memset(out, 0, sizeof(*out));
	out->data = malloc(cap);
	out->off = malloc((n ? n : 1) * sizeof(*out->off));
	out->info = malloc((n ? n : 1) * sizeof(*out->info));
	if (!out->data || !out->off || !out->info)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (cap - used < FRAME_MAX) {
			uint8_t *grown = realloc(out->data, cap * 2);

			if (!grown)
				goto nomem;
			out->data = grown;
			cap *= 2;
		}
		len = mix_next(st, out->data + used);
		if (len < 0) {
			mix_frames_free(out);
			return len;
		}
		out->off[i] = used;
		out->info[i] = st->info;
		used += (size_t)len;
	}
	out->n = n;
	return 0;
nomem:
	mix_frames_free(out);
	return -ENOMEM;
}

void mix_frames_free(struct mix_frames *f)
{
	free(f->data);
	free(f->off);
	free(f->info);
	memset(f, 0, sizeof(*f));
}
