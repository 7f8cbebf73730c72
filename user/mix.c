/* mix.c: draws frames from a mix's templates with a seeded PRNG and says how each must count. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mix.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#define ZMAP_IP_ID 54321
#define EPHEMERAL_FIRST 32768   /* Linux ip_local_port_range defaults */
#define EPHEMERAL_LAST 60999
/* Rejection sampling gives up after this many draws (it needs 1.2 on average
 * for public sources); a template that cannot be satisfied is a bug. */
#define MAX_DRAWS 1000

struct v4_net {
	uint32_t net;   /* host order */
	uint8_t len;
};

/* DOMAIN.md's IPv4 bogons: a source in any of them makes a packet spoofed. */
static const struct v4_net v4_bogons[] = {
	{ IP4(0, 0, 0, 0), 8 }, { IP4(10, 0, 0, 0), 8 }, { IP4(100, 64, 0, 0), 10 },
	{ IP4(127, 0, 0, 0), 8 }, { IP4(169, 254, 0, 0), 16 }, { IP4(172, 16, 0, 0), 12 },
	{ IP4(192, 0, 0, 0), 24 }, { IP4(192, 0, 2, 0), 24 }, { IP4(192, 88, 99, 0), 24 },
	{ IP4(192, 168, 0, 0), 16 }, { IP4(198, 18, 0, 0), 15 },
	{ IP4(198, 51, 100, 0), 24 }, { IP4(203, 0, 113, 0), 24 },
	{ IP4(224, 0, 0, 0), 4 }, { IP4(240, 0, 0, 0), 4 },
};

/* The bogons spoofed templates draw from. 192.0.2.0/24 is left out on
 * purpose (the lab machine's own uplink lives there), and so are the
 * documentation nets that serve as darknets (source == destination has a
 * template of its own). */
static const struct v4_net v4_spoof_sources[] = {
	{ IP4(10, 0, 0, 0), 8 }, { IP4(172, 16, 0, 0), 12 }, { IP4(192, 168, 0, 0), 16 },
	{ IP4(100, 64, 0, 0), 10 }, { IP4(127, 0, 0, 0), 8 }, { IP4(169, 254, 0, 0), 16 },
	{ IP4(0, 0, 0, 0), 8 }, { IP4(198, 18, 0, 0), 15 }, { IP4(224, 0, 0, 0), 4 },
	{ IP4(240, 0, 0, 0), 4 },
};

/* IPv6 spoofed sources: unique local fc00::/7 and link local fe80::/10. */
static const struct dn_prefix v6_spoof_sources[] = {
	{ .family = DN_FAMILY_IPV6, .len = 7, .addr = { 0xfc } },
	{ .family = DN_FAMILY_IPV6, .len = 10, .addr = { 0xfe, 0x80 } },
};

/* Darknets when the caller gives none: the documentation nets. */
static const struct dn_prefix default_darknets[] = {
	{ .family = DN_FAMILY_IPV4, .len = 24, .addr = { 198, 51, 100, 0 } },
	{ .family = DN_FAMILY_IPV4, .len = 24, .addr = { 203, 0, 113, 0 } },
	{ .family = DN_FAMILY_IPV6, .len = 32, .addr = { 0x20, 0x01, 0x0d, 0xb8 } },
};

/* splitmix64 (Steele, Lea, Flood 2014): one add and three mixing steps a
 * draw, passes BigCrush, and every seed, 0 included, is a good start. */
static uint64_t rng_next(struct mix_state *st)
{
	uint64_t z = (st->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift (Lemire); bias below n / 2^64. */
static uint64_t rng_below(struct mix_state *st, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(st) * n) >> 64);
}

static uint32_t v4_get(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	return ntohl(v);
}

static void v4_put(uint8_t *a, uint32_t host)
{
	uint32_t v = htonl(host);

	memset(a, 0, 16);
	memcpy(a, &v, 4);
}

static uint32_t v4_mask(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static int v4_in(uint32_t a, const struct v4_net *n)
{
	return (a & v4_mask(n->len)) == n->net;
}

static int v4_bogon(uint32_t a)
{
	for (size_t i = 0; i < ARRAY_SIZE(v4_bogons); i++)
		if (v4_in(a, &v4_bogons[i]))
			return 1;
	return 0;
}

/* DOMAIN.md's IPv6 bogons. */
static int v6_bogon(const uint8_t *a)
{
	static const uint8_t zero[16];

	if (!memcmp(a, zero, 15) && a[15] <= 1)
		return 1;                                  /* ::, ::1 */
	if (!memcmp(a, zero, 10) && a[10] == 0xff && a[11] == 0xff)
		return 1;                                  /* ::ffff:0:0/96 */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return 1;                                  /* 2001:db8::/32 */
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       a[0] == 0xff;                       /* fc00::/7, fe80::/10, ff00::/8 */
}

static int addr_bogon(uint8_t family, const uint8_t *a)
{
	return family == DN_FAMILY_IPV4 ? v4_bogon(v4_get(a)) : v6_bogon(a);
}

/* Does prefix p (of a's family) contain a? Compares whole bytes, then the
 * leading bits of the next one. */
static int prefix_has(const struct dn_prefix *p, const uint8_t *a)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr, a, full))
		return 0;
	return !rest || !((p->addr[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest)));
}

/* A random address of prefix p: network bits from p, host bits random. */
static void prefix_random(struct mix_state *st, const struct dn_prefix *p, uint8_t *out)
{
	uint64_t r[2] = { rng_next(st), rng_next(st) };
	const uint8_t *rb = (const uint8_t *)r;
	unsigned int bytes = p->family == DN_FAMILY_IPV4 ? 4 : 16;

	memset(out, 0, 16);
	for (unsigned int i = 0; i < bytes; i++) {
		int net_bits = (int)p->len - (int)(8 * i);
		uint8_t mask = net_bits >= 8 ? 0xff : net_bits <= 0 ? 0 : 0xff << (8 - net_bits);

		out[i] = (p->addr[i] & mask) | (rb[i] & ~mask);
	}
}

/* Longest entry of the family's index list that holds a (LPM, as the
 * datapath decides), or NULL. */
static const struct dn_prefix_entry *list_match(const struct dn_prefix_list *l,
						const size_t *idx, size_t n, const uint8_t *a)
{
	const struct dn_prefix_entry *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct dn_prefix_entry *e = &l->entries[idx[i]];

		if (prefix_has(&e->prefix, a) && (!best || e->prefix.len > best->prefix.len))
			best = e;
	}
	return best;
}

static const struct mix_v4_range *scanner_v4_match(const struct mix_state *st, uint32_t a)
{
	const struct mix_v4_range *best = NULL;

	for (uint32_t i = st->v4_bucket[a >> 24]; i < st->v4_bucket[(a >> 24) + 1]; i++) {
		const struct mix_v4_range *r = &st->v4_ranges[i];

		if (a >= r->first && a <= r->last && (!best || r->len > best->len))
			best = r;
	}
	return best;
}

/* The org of the longest scanner prefix holding a, or NULL for none. */
static const char *scanner_org(const struct mix_state *st, uint8_t family, const uint8_t *a)
{
	const struct dn_prefix_entry *e;
	const struct mix_v4_range *r;

	if (family == DN_FAMILY_IPV4) {
		r = scanner_v4_match(st, v4_get(a));
		return r ? r->org : NULL;
	}
	/* linear: IPv6 scanner lists are short (the shipped one has a dozen) */
	e = list_match(&st->scanners, st->all_v6, st->nr_all_v6, a);
	return e ? e->org : NULL;
}

static const struct dn_prefix *darknet_of(const struct mix_state *st, uint8_t family,
					  const uint8_t *a)
{
	const struct dn_prefix_entry *e;

	e = list_match(&st->darknets, st->dark_idx[family], st->nr_dark[family], a);
	return e ? &e->prefix : NULL;
}

/* ---- sources, destinations, ports, fingerprints ---- */

static void dst_random(struct mix_state *st, uint8_t family, uint8_t *out)
{
	size_t k = rng_below(st, st->nr_dark[family]);

	prefix_random(st, &st->darknets.entries[st->dark_idx[family][k]].prefix, out);
}

/* The n-th darknet address of the family, prefixes in list order; a prefix
 * larger than 2^32 addresses contributes its first 2^32. */
static void dst_seq(struct mix_state *st, uint8_t family, uint8_t *out)
{
	uint64_t total = 0, k;
	unsigned int bits = family == DN_FAMILY_IPV4 ? 32 : 128;

	for (size_t i = 0; i < st->nr_dark[family]; i++) {
		unsigned int host = bits - st->darknets.entries[st->dark_idx[family][i]].prefix.len;

		total += host >= 32 ? 1ull << 32 : 1ull << host;
	}
	k = st->dst_seq[family]++ % total;
	for (size_t i = 0; i < st->nr_dark[family]; i++) {
		const struct dn_prefix *p = &st->darknets.entries[st->dark_idx[family][i]].prefix;
		unsigned int host = bits - p->len;
		uint64_t size = host >= 32 ? 1ull << 32 : 1ull << host;
		uint32_t low;

		if (k >= size) {
			k -= size;
			continue;
		}
		/* add k to the last four bytes; the host part is zero there */
		memcpy(out, p->addr, 16);
		low = v4_get(out + bits / 8 - 4) + (uint32_t)k;
		low = htonl(low);
		memcpy(out + bits / 8 - 4, &low, 4);
		return;
	}
}

/* A random public source: drawn from all of IPv4, or 2000::/3 for IPv6, and
 * redrawn while it is a bogon, a scanner, or the destination. */
static int src_public(struct mix_state *st, uint8_t family, const uint8_t *dst, uint8_t *out)
{
	static const struct dn_prefix global6 = {
		.family = DN_FAMILY_IPV6, .len = 3, .addr = { 0x20 },
	};

	for (int i = 0; i < MAX_DRAWS; i++) {
		if (family == DN_FAMILY_IPV4)
			v4_put(out, (uint32_t)rng_next(st));
		else
			prefix_random(st, &global6, out);
		if (!addr_bogon(family, out) && !scanner_org(st, family, out) &&
		    memcmp(out, dst, 16))
			return 0;
	}
	return -EAGAIN;
}

/* A research source. A cyclic mix draws nothing at random: it uses the first
 * address of the family's first scanner prefix. */
static int src_scanner(struct mix_state *st, uint8_t family, uint8_t *out)
{
	const struct dn_prefix *p;

	p = &st->scanners.entries[st->scan_idx[family][0]].prefix;
	if (st->cyclic) {
		memcpy(out, p->addr, 16);
		return 0;
	}
	for (int i = 0; i < MAX_DRAWS; i++) {
		p = &st->scanners.entries[st->scan_idx[family][rng_below(st, st->nr_scan[family])]].prefix;
		prefix_random(st, p, out);
		if (!addr_bogon(family, out))
			return 0;
	}
	return -EAGAIN;
}

static void src_bogon(struct mix_state *st, uint8_t family, uint8_t *out)
{
	const struct v4_net *n;
	uint32_t host;

	if (family == DN_FAMILY_IPV6) {
		prefix_random(st, &v6_spoof_sources[rng_below(st, ARRAY_SIZE(v6_spoof_sources))], out);
		return;
	}
	n = &v4_spoof_sources[rng_below(st, ARRAY_SIZE(v4_spoof_sources))];
	host = (uint32_t)rng_next(st) & ~v4_mask(n->len);
	v4_put(out, n->net | host);
}

static uint16_t pick_port(struct mix_state *st, uint8_t mode, const uint16_t *list,
			  uint16_t n, uint16_t fixed)
{
	switch (mode) {
	case MIX_PORT_LIST:
		return list[rng_below(st, n)];
	case MIX_PORT_UNIFORM:
		return (uint16_t)rng_next(st);   /* low 16 bits: exactly uniform */
	case MIX_PORT_EPHEMERAL:
		return EPHEMERAL_FIRST + rng_below(st, EPHEMERAL_LAST - EPHEMERAL_FIRST + 1);
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
	uint32_t daddr = t->family == DN_FAMILY_IPV4 ? v4_get(dst) : 0;
	int syn = s->proto == IPPROTO_TCP && s->tcp_flags == TH_SYN;

	if (t->fp == MIX_FP_FIXED)
		return;
	s->ip_id = t->fp == MIX_FP_ZMAP ? ZMAP_IP_ID : (uint16_t)rng_next(st);
	s->seq = (uint32_t)rng_next(st);
	if (s->tcp_flags & TH_ACK)
		s->ack = (uint32_t)rng_next(st);
	if (t->family != DN_FAMILY_IPV4)
		return;
	switch (t->fp) {
	case MIX_FP_MIRAI:
		s->seq = daddr;
		return;
	case MIX_FP_MASSCAN:
		while (s->seq == daddr)
			s->seq = (uint32_t)rng_next(st);
		s->ip_id = masscan_id(daddr, s->dport, s->seq);
		return;
	default:
		if (s->ip_id == ZMAP_IP_ID && t->fp != MIX_FP_ZMAP)
			s->ip_id++;
		while (syn && (s->seq == daddr || masscan_id(daddr, s->dport, s->seq) == s->ip_id))
			s->seq = (uint32_t)rng_next(st);
	}
}

/* ---- init ---- */

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg);
}

/* Copy a list wholesale: prefix_list_add() checks duplicates linearly, too
 * slow for a bench's 100,000 scanner prefixes. */
static int list_copy(struct dn_prefix_list *dst, const struct dn_prefix_entry *src, size_t n)
{
	prefix_list_init(dst);
	if (!n)
		return 0;
	dst->entries = malloc(n * sizeof(*src));
	if (!dst->entries)
		return -ENOMEM;
	memcpy(dst->entries, src, n * sizeof(*src));
	dst->len = dst->cap = n;
	return 0;
}

static int index_family(const struct dn_prefix_list *l, uint8_t family, size_t **idx, size_t *n)
{
	*n = 0;
	*idx = malloc((l->len ? l->len : 1) * sizeof(**idx));
	if (!*idx)
		return -ENOMEM;
	for (size_t i = 0; i < l->len; i++)
		if (l->entries[i].prefix.family == family)
			(*idx)[(*n)++] = i;
	return 0;
}

/* A scanner prefix is a research source only if neither end of it is a bogon
 * (a list naming 10.0.0.0/8 would make "research" frames spoofed). */
static int scanner_usable(const struct dn_prefix *p)
{
	uint8_t last[16];
	unsigned int bytes = p->family == DN_FAMILY_IPV4 ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		int net_bits = (int)p->len - (int)(8 * i);
		uint8_t mask = net_bits >= 8 ? 0xff : net_bits <= 0 ? 0 : 0xff << (8 - net_bits);

		last[i] = p->addr[i] | ~mask;
	}
	return !addr_bogon(p->family, p->addr) && !addr_bogon(p->family, last);
}

static int index_scanners(struct mix_state *st)
{
	int err = index_family(&st->scanners, DN_FAMILY_IPV6, &st->all_v6, &st->nr_all_v6);

	if (err)
		return err;
	for (uint8_t f = 0; f < DN_FAMILY_MAX; f++) {
		size_t kept = 0;

		err = index_family(&st->scanners, f, &st->scan_idx[f], &st->nr_scan[f]);
		if (err)
			return err;
		for (size_t i = 0; i < st->nr_scan[f]; i++)
			if (scanner_usable(&st->scanners.entries[st->scan_idx[f][i]].prefix))
				st->scan_idx[f][kept++] = st->scan_idx[f][i];
		st->nr_scan[f] = kept;
	}
	return 0;
}

/* Bucket every v4 scanner range (usable as a source or not: any of them
 * makes a packet research) by the first octets it covers. */
static int bucket_v4_scanners(struct mix_state *st)
{
	uint32_t count[256] = { 0 }, fill[256];
	size_t total = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < st->scanners.len; i++) {
			const struct dn_prefix_entry *e = &st->scanners.entries[i];
			uint32_t first, last;

			if (e->prefix.family != DN_FAMILY_IPV4)
				continue;
			first = v4_get(e->prefix.addr);
			last = first | ~v4_mask(e->prefix.len);
			for (uint32_t b = first >> 24; b <= last >> 24; b++) {
				if (pass == 0) {
					count[b]++;
					total++;
					continue;
				}
				st->v4_ranges[fill[b]++] = (struct mix_v4_range){
					.first = first, .last = last,
					.len = e->prefix.len, .org = e->org };
			}
		}
		if (pass == 1)
			break;
		st->v4_ranges = malloc((total ? total : 1) * sizeof(*st->v4_ranges));
		if (!st->v4_ranges)
			return -ENOMEM;
		st->v4_bucket[0] = 0;
		for (int b = 0; b < 256; b++) {
			st->v4_bucket[b + 1] = st->v4_bucket[b] + count[b];
			fill[b] = st->v4_bucket[b];
		}
	}
	return 0;
}

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
		set_err(err, errlen, "mix template %s: bad fixed address", t->name);
		return -EINVAL;
	}
	if (t->dst == MIX_DST_FIXED)
		fx->darknet = darknet_of(st, t->family, fx->dst);
	if (t->src == MIX_SRC_FIXED && research_overrides(t->cls) &&
	    scanner_org(st, t->family, fx->src)) {
		set_err(err, errlen, "mix template %s: its source is in the scanner list", t->name);
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

static int add_default_darknets(struct dn_prefix_list *l)
{
	int ret = 0;

	prefix_list_init(l);
	for (size_t i = 0; !ret && i < ARRAY_SIZE(default_darknets); i++)
		ret = prefix_list_add(l, &default_darknets[i], NULL);
	return ret;
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
	const struct dn_prefix_list *dl = cfg->darknets, *sl = cfg->scanners;
	int ret;

	memset(st, 0, sizeof(*st));
	if (!def) {
		set_err(err, errlen, "unknown mix '%s'", cfg->name ? cfg->name : "");
		return -EINVAL;
	}
	st->tmpl = def->tmpl;
	st->nr_tmpl = def->nr_tmpl;
	st->cyclic = def->cyclic;
	st->rng = cfg->seed;
	ret = dl && dl->len ? list_copy(&st->darknets, dl->entries, dl->len)
			    : add_default_darknets(&st->darknets);
	if (!ret)
		ret = list_copy(&st->scanners, sl ? sl->entries : NULL, sl ? sl->len : 0);
	for (uint8_t f = 0; !ret && f < DN_FAMILY_MAX; f++)
		ret = index_family(&st->darknets, f, &st->dark_idx[f], &st->nr_dark[f]);
	if (!ret)
		ret = index_scanners(st);
	if (!ret)
		ret = bucket_v4_scanners(st);
	if (!ret)
		ret = prepare_templates(st, err, errlen);
	if (!ret && !st->total) {
		set_err(err, errlen, "mix %s: no template has a darknet to send to", def->name);
		ret = -EINVAL;
	}
	if (ret == -ENOMEM)
		set_err(err, errlen, "mix %s: out of memory", def->name);
	if (ret)
		mix_free(st);
	return ret;
}

void mix_free(struct mix_state *st)
{
	prefix_list_free(&st->darknets);
	prefix_list_free(&st->scanners);
	for (int f = 0; f < DN_FAMILY_MAX; f++) {
		free(st->scan_idx[f]);
		free(st->dark_idx[f]);
	}
	free(st->all_v6);
	free(st->v4_ranges);
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
		dst_seq(st, t->family, dst);
	else
		dst_random(st, t->family, dst);
	*org = NULL;
	switch (t->src) {
	case MIX_SRC_FIXED:
		memcpy(src, st->fixed[i].src, 16);
		return 0;
	case MIX_SRC_SCANNER:
		if (src_scanner(st, t->family, src))
			return -EAGAIN;
		*org = scanner_org(st, t->family, src);
		return 0;
	case MIX_SRC_BOGON:
		src_bogon(st, t->family, src);
		return 0;
	case MIX_SRC_SAME:
		memcpy(src, dst, 16);
		return 0;
	default:
		return src_public(st, t->family, dst, src);
	}
}

static void fill_info(struct mix_state *st, size_t i, const struct frame_spec *s,
		      const uint8_t *dst, const char *org, int len)
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
						   : darknet_of(st, t->family, dst),
		.org = org,
	};
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
	uint64_t r = st->cyclic ? st->seq % st->total : rng_below(st, st->total);
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
	fill_info(st, i, &s, dst, org, len);
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
