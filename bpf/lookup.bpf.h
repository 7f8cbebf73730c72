/* lookup.bpf.h: BPF-only list lookups: the darknet prefix of a destination, the research org of a source. */
#ifndef DN_LOOKUP_BPF_H
#define DN_LOOKUP_BPF_H

#include "parsing.bpf.h"
#include "maps.bpf.h"

/* How a lookup ended. The answer goes through an out-parameter, which
 * means something on DN_LOOKUP_HIT only. */
enum dn_lookup {
	DN_LOOKUP_HIT,        /* the address is listed: *id holds its prefix or org id */
	DN_LOOKUP_MISS,       /* no entry holds the address */
	DN_LOOKUP_ASK_TRIE,   /* a fast path that cannot tell: the list's trie decides */
};

/* Look the address up in the trie in slot 0 of outer; *val gets the value
 * (prefix or org id) on a hit. The outer lookup is inlined by the verifier,
 * so an empty slot costs no helper call. */
static __always_inline enum dn_lookup slot_lookup(void *outer, void *key, __u32 *val)
{
	__u32 zero = 0, *v;
	void *inner = bpf_map_lookup_elem(outer, &zero);

	if (!inner)
		return DN_LOOKUP_MISS;
	v = bpf_map_lookup_elem(inner, key);
	if (!v)
		return DN_LOOKUP_MISS;
	*val = *v;
	return DN_LOOKUP_HIT;
}

/* The short lists, or NULL when the tries answer. */
static __always_inline struct dn_darknet_small *darknet_small_lists(void)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&darknet_small, &zero);

	return inner ? bpf_map_lookup_elem(inner, &zero) : NULL;
}

/* One entry of a short list, without a branch on whether it matches:
 * destinations scatter over the darknet, and a compare per entry would
 * mispredict every other packet. x is the masked address xor the net, 0
 * for a match (x - 1 wraps only then); the first match wins, entries being
 * sorted longest first. id + 1 accumulates, so 0 means none. */
static __always_inline void take_first(__u64 x, __u32 id, __u64 *id1, __u64 *found)
{
	__u64 match = ((x - 1) >> 63) & ~*found;

	*id1 += match * (id + 1);
	*found |= match;
}

/* take_first's found (0 or 1) as a hit or a miss, without a branch:
 * BPF has no conditional move, and a branch here would be a second one on
 * the same outcome before the caller's. */
static __always_inline enum dn_lookup found_to_lookup(__u64 found)
{
	_Static_assert(DN_LOOKUP_MISS - DN_LOOKUP_HIT == 1, "found 1 is a hit, 0 a miss");
	return (enum dn_lookup)(DN_LOOKUP_MISS - found);
}

/* The prefix id from the short IPv4 list into *id, or DN_LOOKUP_ASK_TRIE
 * when the list is long and lives in the trie only. */
static __always_inline enum dn_lookup darknet_small4(const struct dn_darknet_small *t,
						     __be32 daddr, __u32 *id)
{
	__u64 id1 = 0, found = 0;

	if (t->count == DN_DARKNET_SMALL_TRIE)
		return DN_LOOKUP_ASK_TRIE;
	for (int i = 0; i < DN_DARKNET_SMALL_MAX; i++) {
		if (i >= t->count)
			break;
		take_first((daddr & t->e[i].mask) ^ t->e[i].net, t->e[i].id, &id1, &found);
	}
	*id = id1 - 1;
	return found_to_lookup(found);
}

/* The same for IPv6: the four words' differences or-ed together. */
static __always_inline enum dn_lookup darknet_small6(const struct dn_darknet_small *t,
						     const struct ipv6hdr *ip6, __u32 *id)
{
	const __u32 *d = ip6->daddr.in6_u.u6_addr32;
	__u64 id1 = 0, found = 0;

	if (t->count6 == DN_DARKNET_SMALL_TRIE)
		return DN_LOOKUP_ASK_TRIE;
	for (int i = 0; i < DN_DARKNET_SMALL_MAX; i++) {
		if (i >= t->count6)
			break;
		take_first(((d[0] & t->e6[i].mask[0]) ^ t->e6[i].net[0]) |
			   ((d[1] & t->e6[i].mask[1]) ^ t->e6[i].net[1]) |
			   ((d[2] & t->e6[i].mask[2]) ^ t->e6[i].net[2]) |
			   ((d[3] & t->e6[i].mask[3]) ^ t->e6[i].net[3]), t->e6[i].id, &id1, &found);
	}
	*id = id1 - 1;
	return found_to_lookup(found);
}

/* The darknet prefix id of the destination into *id: the short list, or
 * the trie when there is none or it is long. DN_LOOKUP_HIT or _MISS. */
static __always_inline enum dn_lookup darknet_prefix(const struct pkt *p, __u32 *id)
{
	const struct dn_darknet_small *t = darknet_small_lists();
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	struct dn_lpm_v6 k6 = { .prefixlen = 128 };
	struct dn_lpm_v4 k4 = { .prefixlen = 32 };
	enum dn_lookup r;

	if (p->family == DN_FAMILY_IPV4) {
		r = t ? darknet_small4(t, ip->daddr, id) : DN_LOOKUP_ASK_TRIE;
		if (r != DN_LOOKUP_ASK_TRIE)
			return r;
		k4.addr = ip->daddr;
		return slot_lookup(&darknet_v4, &k4, id);
	}
	r = t ? darknet_small6(t, ip6, id) : DN_LOOKUP_ASK_TRIE;
	if (r != DN_LOOKUP_ASK_TRIE)
		return r;
	__builtin_memcpy(k6.addr, &ip6->daddr, sizeof(k6.addr));
	return slot_lookup(&darknet_v6, &k6, id);
}

/* Research-scanner org of an IPv4 source, 0 for none: the /16 summary bit,
 * the /20 and /24 bits, then the /24 byte of the direct table: two array
 * lookups in all, the filter block and the byte's block, indexed here
 * (include/scanner_table.h). The trie is asked only for the /24s that hold
 * a longer prefix whose chunk is missing. */
static __always_inline __u32 scanner_org_v4(__be32 saddr)
{
	struct dn_lpm_v4 k4 = { .prefixlen = 32, .addr = saddr };
	__u32 a = bpf_ntohl(saddr), zero = 0, block, key, slot, org;
	const struct dn_scanner_filter *f;
	const struct dn_scanner_bytes *bytes;
	const struct dn_scanner_chunk *chunk;
	void *dir, *inner;

	dir = bpf_map_lookup_elem(&scanner_v4_dir, &zero);
	if (!dir)
		return 0;
	block = DN_SCANNER_DIR_FILTER_BLOCK;
	f = bpf_map_lookup_elem(dir, &block);
	if (!f)
		return 0;
	/* The /16 summary, the /20 and the /24 bitmaps: for most sources one
	 * of them ends the lookup in a cache-resident part of the table. */
	if (!((f->bits16[a >> 22] >> ((a >> 16) & 63)) & 1) ||
	    !((f->bits20[a >> 18] >> ((a >> 12) & 63)) & 1) ||
	    !((f->bits24[a >> 14] >> ((a >> 8) & 63)) & 1))
		return 0;
	block = a >> 30;
	bytes = bpf_map_lookup_elem(dir, &block);
	if (!bytes)
		return 0;
	org = bytes->org[(a >> 8) & (DN_SCANNER_DIR_BLOCK_BYTES - 1)];
	if (org != DN_SCANNER_LONGER)
		return org;
	/* A /24 with longer prefixes: its chunk has every address's org, in
	 * its slot of the filter block or else in the hash map. A chunk can be
	 * missing from the map only while a reload swaps the maps: then the
	 * trie, which holds every prefix, decides. */
	key = a >> 8;
	slot = dn_scanner_slot(key);
	if (f->slot_keys[slot] == key + 1)
		return f->slots[slot].org[a & 0xff];
	inner = bpf_map_lookup_elem(&scanner_chunks, &zero);
	chunk = inner ? bpf_map_lookup_elem(inner, &key) : NULL;
	if (chunk)
		return chunk->org[a & 0xff];
	return slot_lookup(&scanner_v4_long, &k4, &org) == DN_LOOKUP_HIT ? org : 0;
}

/* The org of an IPv6 source into *org from the filter and its /32's
 * bucket, or DN_LOOKUP_ASK_TRIE when there is no filter or the bucket is
 * full. A clear filter bit or a missing bucket is a miss. */
static __always_inline enum dn_lookup scanner_org_v6_fast(const struct ipv6hdr *ip6, __u32 *org)
{
	const __u32 *src = ip6->saddr.in6_u.u6_addr32;
	__u32 zero = 0, top = bpf_ntohl(src[0]), h = dn_v6_filter_hash(top), word = h / 64;
	struct dn_scanner_v6_bucket *b;
	void *inner = bpf_map_lookup_elem(&scanner_v6_bits, &zero);
	__u64 *bits;

	if (!inner)
		return DN_LOOKUP_ASK_TRIE;
	bits = bpf_map_lookup_elem(inner, &word);
	if (!bits || !(*bits & (1ull << (h & 63))))
		return DN_LOOKUP_MISS;
	inner = bpf_map_lookup_elem(&scanner_buckets, &zero);
	b = inner ? bpf_map_lookup_elem(inner, &top) : NULL;
	if (!inner)
		return DN_LOOKUP_ASK_TRIE;
	if (!b)
		return DN_LOOKUP_MISS;   /* a filter collision */
	if (b->count == DN_V6_BUCKET_FULL)
		return DN_LOOKUP_ASK_TRIE;
	for (int i = 0; i < DN_V6_BUCKET_MAX; i++) {
		if (i >= b->count)
			break;
		if ((src[0] & b->e[i].mask[0]) == b->e[i].net[0] &&
		    (src[1] & b->e[i].mask[1]) == b->e[i].net[1] &&
		    (src[2] & b->e[i].mask[2]) == b->e[i].net[2] &&
		    (src[3] & b->e[i].mask[3]) == b->e[i].net[3]) {
			*org = b->e[i].org;
			return DN_LOOKUP_HIT;
		}
	}
	return DN_LOOKUP_MISS;
}

/* The research org of the source, 0 for none. */
static __always_inline __u32 scanner_org(const struct pkt *p)
{
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	struct dn_lpm_v6 k6 = { .prefixlen = 128 };
	enum dn_lookup r;
	__u32 org;

	if (p->family == DN_FAMILY_IPV4)
		return scanner_org_v4(ip->saddr);
	r = scanner_org_v6_fast(ip6, &org);
	if (r == DN_LOOKUP_ASK_TRIE) {
		__builtin_memcpy(k6.addr, &ip6->saddr, sizeof(k6.addr));
		r = slot_lookup(&scanner_v6, &k6, &org);
	}
	return r == DN_LOOKUP_HIT ? org : 0;
}

#endif /* DN_LOOKUP_BPF_H */
