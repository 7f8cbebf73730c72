/* mix_addr.c: where a mix's addresses come from: darknet destinations, public, scanner and bogon sources. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mix_addr.h"
#include "array_size.h"
#include "bogons.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
/* Rejection sampling gives up after this many draws (it needs 1.2 on average
 * for public sources); a template that cannot be satisfied is a bug. */
#define MAX_DRAWS 1000

struct v4_net {
	uint32_t net;   /* host order */
	uint8_t len;
};

/* The bogon table (include/bogons.h, docs/bogons.md), as the datapath has
 * it: a source in any of these makes a packet spoofed. */
struct v6_net {
	uint32_t w[4];   /* host order, w[0] first */
	uint8_t len;
};

#define V4_NET(net, len) { (net), (len) },
#define V6_NET(w0, w1, w2, w3, len) { { (w0), (w1), (w2), (w3) }, (len) },
static const struct v4_net v4_bogons[] = { DN_BOGONS_V4(V4_NET) };
static const struct v6_net v6_bogons[] = { DN_BOGONS_V6(V6_NET) };

/* The bogons spoofed templates draw from, a subset of the table
 * (tests/unit/test_bogons.c checks every draw against it). 192.0.2.0/24 is
 * left out on purpose (the lab machine's own uplink lives there), and so are
 * the documentation nets that serve as darknets (source == destination has
 * a template of its own). */
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

static int v6_bogon(const uint8_t *a)
{
	uint32_t w[4];

	for (int i = 0; i < 4; i++)
		w[i] = mix_v4_get(a + 4 * i);
	for (size_t k = 0; k < ARRAY_SIZE(v6_bogons); k++) {
		const struct v6_net *n = &v6_bogons[k];
		int in = 1;

		for (int i = 0; i < 4 && in; i++)
			in = (w[i] & DN_BOGON_V6_MASK(n->len, i)) == n->w[i];
		if (in)
			return 1;
	}
	return 0;
}

int mix_addr_bogon(uint8_t family, const uint8_t *a)
{
	return family == DN_FAMILY_IPV4 ? v4_bogon(mix_v4_get(a)) : v6_bogon(a);
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
	uint64_t r[2] = { mix_rng_next(st), mix_rng_next(st) };
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
const char *mix_addr_scanner_org(const struct mix_state *st, uint8_t family, const uint8_t *a)
{
	const struct dn_prefix_entry *e;
	const struct mix_v4_range *r;

	if (family == DN_FAMILY_IPV4) {
		r = scanner_v4_match(st, mix_v4_get(a));
		return r ? r->org : NULL;
	}
	/* linear: IPv6 scanner lists are short (the shipped one has a dozen) */
	e = list_match(&st->scanners, st->all_v6, st->nr_all_v6, a);
	return e ? e->org : NULL;
}

const struct dn_prefix *mix_addr_darknet(const struct mix_state *st, uint8_t family,
					  const uint8_t *a)
{
	const struct dn_prefix_entry *e;

	e = list_match(&st->darknets, st->dark_idx[family], st->nr_dark[family], a);
	return e ? &e->prefix : NULL;
}

void mix_addr_dst_random(struct mix_state *st, uint8_t family, uint8_t *out)
{
	size_t k = mix_rng_below(st, st->nr_dark[family]);

	prefix_random(st, &st->darknets.entries[st->dark_idx[family][k]].prefix, out);
}

/* The n-th darknet address of the family, prefixes in list order; a prefix
 * larger than 2^32 addresses contributes its first 2^32. */
void mix_addr_dst_seq(struct mix_state *st, uint8_t family, uint8_t *out)
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
		low = mix_v4_get(out + bits / 8 - 4) + (uint32_t)k;
		low = htonl(low);
		memcpy(out + bits / 8 - 4, &low, 4);
		return;
	}
}

/* A random public source: drawn from all of IPv4, or 2000::/3 for IPv6, and
 * redrawn while it is a bogon, a scanner, or the destination. */
int mix_addr_src_public(struct mix_state *st, uint8_t family, const uint8_t *dst, uint8_t *out)
{
	static const struct dn_prefix global6 = {
		.family = DN_FAMILY_IPV6, .len = 3, .addr = { 0x20 },
	};

	for (int i = 0; i < MAX_DRAWS; i++) {
		if (family == DN_FAMILY_IPV4)
			v4_put(out, (uint32_t)mix_rng_next(st));
		else
			prefix_random(st, &global6, out);
		if (!mix_addr_bogon(family, out) && !mix_addr_scanner_org(st, family, out) &&
		    memcmp(out, dst, 16))
			return 0;
	}
	return -EAGAIN;
}

/* A research source. A cyclic mix draws nothing at random: it uses the first
 * address of the family's first scanner prefix. */
int mix_addr_src_scanner(struct mix_state *st, uint8_t family, uint8_t *out)
{
	const struct dn_prefix *p;

	p = &st->scanners.entries[st->scan_idx[family][0]].prefix;
	if (st->cyclic) {
		memcpy(out, p->addr, 16);
		return 0;
	}
	for (int i = 0; i < MAX_DRAWS; i++) {
		p = &st->scanners.entries[st->scan_idx[family][mix_rng_below(st, st->nr_scan[family])]].prefix;
		prefix_random(st, p, out);
		if (!mix_addr_bogon(family, out))
			return 0;
	}
	return -EAGAIN;
}

void mix_addr_src_bogon(struct mix_state *st, uint8_t family, uint8_t *out)
{
	const struct v4_net *n;
	uint32_t host;

	if (family == DN_FAMILY_IPV6) {
		prefix_random(st, &v6_spoof_sources[mix_rng_below(st, ARRAY_SIZE(v6_spoof_sources))], out);
		return;
	}
	n = &v4_spoof_sources[mix_rng_below(st, ARRAY_SIZE(v4_spoof_sources))];
	host = (uint32_t)mix_rng_next(st) & ~v4_mask(n->len);
	v4_put(out, n->net | host);
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
	return !mix_addr_bogon(p->family, p->addr) && !mix_addr_bogon(p->family, last);
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
			first = mix_v4_get(e->prefix.addr);
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

static int add_default_darknets(struct dn_prefix_list *l)
{
	int ret = 0;

	prefix_list_init(l);
	for (size_t i = 0; !ret && i < ARRAY_SIZE(default_darknets); i++)
		ret = prefix_list_add(l, &default_darknets[i], NULL);
	return ret;
}


int mix_addr_init(struct mix_state *st, const struct dn_prefix_list *darknets,
		  const struct dn_prefix_list *scanners)
{
	int ret;

	ret = darknets && darknets->len
		? list_copy(&st->darknets, darknets->entries, darknets->len)
		: add_default_darknets(&st->darknets);
	if (!ret)
		ret = list_copy(&st->scanners, scanners ? scanners->entries : NULL,
				scanners ? scanners->len : 0);
	for (uint8_t f = 0; !ret && f < DN_FAMILY_MAX; f++)
		ret = index_family(&st->darknets, f, &st->dark_idx[f], &st->nr_dark[f]);
	if (!ret)
		ret = index_scanners(st);
	if (!ret)
		ret = bucket_v4_scanners(st);
	return ret;
}

void mix_addr_free(struct mix_state *st)
{
	prefix_list_free(&st->darknets);
	prefix_list_free(&st->scanners);
	for (int f = 0; f < DN_FAMILY_MAX; f++) {
		free(st->scan_idx[f]);
		free(st->dark_idx[f]);
		st->scan_idx[f] = st->dark_idx[f] = NULL;
	}
	free(st->all_v6);
	free(st->v4_ranges);
	st->all_v6 = NULL;
	st->v4_ranges = NULL;
}
