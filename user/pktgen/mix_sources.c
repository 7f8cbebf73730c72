/* mix_sources.c: fixed source pools for a mix (--sources) and an exact count of the distinct sources sent. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktgen_err.h"
#include "mix_addr.h"
#include "mix_sources.h"

/* A pool address is redrawn while it repeats one already in: give up after
 * this many draws per address (only a too-small prefix list needs more). */
#define POOL_DRAWS 64
#define POOL_MAX (1u << 24)     /* addresses per family: 400 MiB of tracking at most */
#define PORT_KEY 0x100000u      /* set keys: classes below, ports from here */

static const char *const kind_names[] = {
	[MIX_SRC_PUBLIC] = "public", [MIX_SRC_SCANNER] = "scanner",
	[MIX_SRC_BOGON] = "bogon", [MIX_SRC_SAME] = "source-is-destination",
};

/* ---- the set: (key, family, address) triples, open addressing ---- */

/* splitmix64's finaliser (docs/distinct-sources.md names it): good enough
 * to spread addresses that differ in a few bits only. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t entry_hash(uint32_t key, uint8_t family, const uint8_t *a)
{
	uint64_t w[2];

	memcpy(w, a, 16);
	return mix64(mix64(w[0] ^ ((uint64_t)key << 8 | family)) ^ w[1]);
}

static struct mix_distinct_entry *set_slot(struct mix_distinct_entry *set, size_t cap,
					   uint32_t key, uint8_t family, const uint8_t *a)
{
	size_t i = entry_hash(key, family, a) & (cap - 1);

	while (set[i].key && (set[i].key != key || set[i].family != family ||
			      memcmp(set[i].addr, a, 16)))
		i = (i + 1) & (cap - 1);
	return &set[i];
}

/* Double the table (first: 1024 slots) and put every entry back. */
static int set_grow(struct mix_distinct *d)
{
	size_t cap = d->cap ? d->cap * 2 : 1024;
	struct mix_distinct_entry *set = calloc(cap, sizeof(*set));

	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < d->cap; i++)
		if (d->set[i].key)
			*set_slot(set, cap, d->set[i].key, d->set[i].family, d->set[i].addr) =
				d->set[i];
	free(d->set);
	d->set = set;
	d->cap = cap;
	return 0;
}

/* 1 if the triple is new (now in), 0 if it was in, -ENOMEM. */
static int set_insert(struct mix_distinct *d, uint32_t key, uint8_t family, const uint8_t *a)
{
	struct mix_distinct_entry *e;

	/* at most half full: probes stay short */
	if (2 * (d->used + 1) > d->cap && set_grow(d))
		return -ENOMEM;
	e = set_slot(d->set, d->cap, key, family, a);
	if (e->key)
		return 0;
	e->key = key;
	e->family = family;
	memcpy(e->addr, a, 16);
	d->used++;
	return 1;
}

void mix_distinct_init(struct mix_distinct *d)
{
	memset(d, 0, sizeof(*d));
}

void mix_distinct_free(struct mix_distinct *d)
{
	free(d->set);
	free(d->port_slot);
	memset(d, 0, sizeof(*d));
}

/* The slot + 1 of (udp, port), given one if there is room; 0 for none. */
static unsigned int port_slot(struct mix_distinct *d, unsigned int idx)
{
	if (d->port_slot[idx])
		return d->port_slot[idx];
	if (d->nr_ports == MIX_DISTINCT_PORTS)
		return 0;
	d->port_key[d->nr_ports] = idx;
	d->port_slot[idx] = (uint16_t)++d->nr_ports;
	return d->nr_ports;
}

int mix_distinct_add(struct mix_distinct *d, const struct mix_frame_info *fi)
{
	unsigned int slot;
	int ret;

	ret = set_insert(d, 1 + fi->family * DN_CLASS_MAX + fi->cls, fi->family, fi->src);
	if (ret < 0)
		return ret;
	d->cls[fi->family][fi->cls] += (uint64_t)ret;
	if (!fi->has_port || (fi->proto != IPPROTO_TCP && fi->proto != IPPROTO_UDP))
		return 0;
	if (!d->port_slot && !(d->port_slot = calloc(2 << 16, sizeof(*d->port_slot))))
		return -ENOMEM;
	slot = port_slot(d, (unsigned int)(fi->proto == IPPROTO_UDP) << 16 | fi->dport);
	if (!slot) {
		d->untracked++;
		return 0;
	}
	ret = set_insert(d, PORT_KEY + slot, fi->family, fi->src);
	if (ret < 0)
		return ret;
	d->port_n[slot - 1] += (uint64_t)ret;
	return 0;
}

/* ---- pools ---- */

/* One candidate address of the kind; 0 if it keeps the kind's rules. */
static int pool_draw(struct mix_state *st, uint8_t family, unsigned int kind, uint8_t *out)
{
	static const uint8_t none[16];

	switch (kind) {
	case MIX_SRC_PUBLIC:
		/* not a darknet address either: no frame may go from its destination */
		if (mix_addr_src_public(st, family, none, out))
			return -EAGAIN;
		return mix_addr_darknet(st, family, out) ? -EAGAIN : 0;
	case MIX_SRC_SCANNER:
		return mix_addr_src_scanner(st, family, out);
	case MIX_SRC_BOGON:
		mix_addr_src_bogon(st, family, out);
		return 0;
	default:
		mix_addr_dst_random(st, family, out);
		return 0;
	}
}

static int pool_fill(struct mix_state *st, struct mix_distinct *seen, uint8_t family,
		     unsigned int kind, uint32_t n, char *err, size_t errlen)
{
	uint64_t draws = 0;
	uint8_t a[16];
	int ret;

	st->pool[family][kind] = malloc(n * sizeof(*st->pool[family][kind]));
	if (!st->pool[family][kind])
		return -ENOMEM;
	while (st->nr_pool[family][kind] < n) {
		if (draws++ > (uint64_t)n * POOL_DRAWS) {
			pktgen_err(err, errlen, "--sources: could not find %u distinct %s %s sources "
				"(the prefixes they come from are too small)", n,
				kind_names[kind], family == DN_FAMILY_IPV4 ? "IPv4" : "IPv6");
			return -EINVAL;
		}
		if (pool_draw(st, family, kind, a))
			continue;
		ret = set_insert(seen, 1 + family * 8 + kind, family, a);
		if (ret < 0)
			return ret;
		if (ret)
			memcpy(st->pool[family][kind][st->nr_pool[family][kind]++], a, 16);
	}
	return 0;
}

/* Split avail addresses among the kinds by weight, at least one each. */
static void pool_split(const uint64_t *w, uint64_t wsum, uint64_t avail, uint64_t *size)
{
	uint64_t sum = 0;
	unsigned int big = 0;

	for (unsigned int k = 0; k <= MIX_SRC_SAME; k++) {
		size[k] = w[k] ? avail * w[k] / wsum : 0;
		if (w[k] && !size[k])
			size[k] = 1;
		sum += size[k];
		if (size[k] > size[big])
			big = k;
	}
	/* the minimum of one may overshoot: take it back from the largest */
	for (; sum > avail; sum--) {
		for (unsigned int k = 0; k <= MIX_SRC_SAME; k++)
			if (size[k] > size[big])
				big = k;
		size[big]--;
	}
	size[big] += avail - sum;
}

static int pool_family(struct mix_state *st, struct mix_distinct *seen, uint8_t family,
		       uint64_t n, char *err, size_t errlen)
{
	uint64_t w[MIX_SRC_SAME + 1] = { 0 }, size[MIX_SRC_SAME + 1], wsum = 0, fixed = 0;
	unsigned int kinds = 0;
	int ret = 0;

	for (size_t i = 0; i < st->nr_tmpl; i++) {
		const struct mix_template *t = &st->tmpl[i];
		uint64_t wi = st->cum[i] - (i ? st->cum[i - 1] : 0);

		if (!wi || t->family != family)
			continue;
		if (t->src == MIX_SRC_FIXED) {
			fixed++;
			continue;
		}
		kinds += !w[t->src];
		w[t->src] += wi;
		wsum += wi;
	}
	if (!kinds)
		return 0;
	if (n < fixed + kinds) {
		pktgen_err(err, errlen, "--sources %llu is too few: %s sources are drawn %u ways "
			"and %llu are fixed", (unsigned long long)n,
			family == DN_FAMILY_IPV4 ? "IPv4" : "IPv6", kinds,
			(unsigned long long)fixed);
		return -EINVAL;
	}
	pool_split(w, wsum, n - fixed, size);
	for (unsigned int k = 0; !ret && k <= MIX_SRC_SAME; k++)
		if (size[k])
			ret = pool_fill(st, seen, family, k, (uint32_t)size[k], err, errlen);
	return ret;
}

int mix_pool_init(struct mix_state *st, uint64_t n, char *err, size_t errlen)
{
	struct mix_distinct seen;
	int ret = 0;

	if (st->cyclic || n > POOL_MAX) {
		pktgen_err(err, errlen, st->cyclic ? "--sources: the mix draws no sources"
						: "--sources: at most %u", POOL_MAX);
		return -EINVAL;
	}
	mix_distinct_init(&seen);
	for (uint8_t f = 0; !ret && f < DN_FAMILY_MAX; f++)
		ret = pool_family(st, &seen, f, n, err, errlen);
	mix_distinct_free(&seen);
	if (ret == -ENOMEM)
		pktgen_err(err, errlen, "--sources: out of memory for %llu addresses",
			(unsigned long long)n);
	st->pooled = !ret;
	return ret;
}

void mix_pool_free(struct mix_state *st)
{
	for (int f = 0; f < DN_FAMILY_MAX; f++)
		for (int k = 0; k <= MIX_SRC_SAME; k++) {
			free(st->pool[f][k]);
			st->pool[f][k] = NULL;
			st->nr_pool[f][k] = 0;
		}
	st->pooled = 0;
}

int mix_pool_pick(struct mix_state *st, const struct mix_template *t, uint8_t *src,
		  uint8_t *dst)
{
	uint32_t n;

	if (!st->pooled || t->src == MIX_SRC_FIXED)
		return 0;
	n = st->nr_pool[t->family][t->src];
	memcpy(src, st->pool[t->family][t->src][mix_rng_below(st, n)], 16);
	if (t->src == MIX_SRC_SAME)
		memcpy(dst, src, 16);
	return 1;
}
