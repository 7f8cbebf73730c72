/* darknet_counter.bpf.c: XDP program that counts darknet packets by protocol, port and source class. */
#include "parsing.bpf.h"
#include "classify.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Verdict for counted darknet packets (XDP_DROP, or XDP_PASS with --action
 * pass); fixed at load, so the verifier sees a constant. */
const volatile __u32 dn_action = XDP_DROP;

/* All counters are per-CPU arrays: an XDP program runs to completion on one
 * CPU without preemption by itself, so plain increments of this CPU's slot
 * cannot race, and user space sums the CPUs. No atomics, no shared lines. */
#define PERCPU_ARRAY(name, entries, value_type)            \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);   \
		__uint(max_entries, entries);              \
		__type(key, __u32);                        \
		__type(value, value_type);                 \
	} name SEC(".maps")

/* dn_class_key(family, proto, class) -> packets, bytes */
PERCPU_ARRAY(class_counters, DN_CLASS_KEYS, struct dn_count);
/* Port tables: one block of DN_PORT_KEYS values per possible CPU, at
 * cpu * DN_PORT_KEYS + port; user space sizes them before load
 * (maps_size_for_cpus()). Plain arrays rather than per-CPU ones: a per-CPU
 * lookup first loads the value's per-CPU pointer, a dependent load that
 * misses for scattered ports (13-18 ns a packet, measured with make bench).
 * Each CPU writes only its own block, so plain increments stay race-free.
 * mmap-able, because user space reads a counter's two parts word by word
 * (see struct dn_port_low). */
#define PORT_TABLE(name, value_type)                        \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY);          \
		__uint(max_entries, DN_PORT_KEYS);         \
		__uint(map_flags, BPF_F_MMAPABLE);         \
		__type(key, __u32);                        \
		__type(value, value_type);                 \
	} name SEC(".maps")

/* cpu block + TCP destination port -> low byte per class */
PORT_TABLE(tcp_port_low, struct dn_port_low);
/* cpu block + TCP destination port -> high part per class: one cache line */
PORT_TABLE(tcp_port_counters, struct dn_tcp_port);
/* cpu block + UDP destination port -> low byte per enum dn_udp_slot */
PORT_TABLE(udp_port_low, struct dn_port_low);
/* cpu block + UDP destination port -> high part per enum dn_udp_slot */
PORT_TABLE(udp_port_counters, struct dn_udp_port);
/* family * 256 + ICMP(v6) type -> packets per class */
PERCPU_ARRAY(icmp_counters, DN_FAMILY_MAX * DN_NR_ICMP_TYPES, struct dn_icmp_type);
/* darknet prefix id -> packets, bytes */
PERCPU_ARRAY(prefix_counters, DN_MAX_PREFIX_IDS, struct dn_count);
/* research-scanner org id -> packets, bytes (id 0 unused) */
PERCPU_ARRAY(org_counters, DN_MAX_SCANNER_ORGS + 1, struct dn_count);
/* enum dn_reason -> packets, bytes of frames not counted as darknet traffic */
PERCPU_ARRAY(reason_counters, DN_REASON_MAX, struct dn_count);

/* Inner maps. User space (user/listmaps.c) builds a new one per list load
 * and swaps it into slot 0 of the outer array, so a packet sees one whole
 * list or the other. LPM tries must be NO_PREALLOC; their max_entries is
 * not part of the inner-map compatibility check, the dir array's is. */
#define LPM_TRIE(key_type, entries)                        \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);       \
		__uint(max_entries, entries);              \
		__uint(map_flags, BPF_F_NO_PREALLOC);      \
		__uint(key_size, sizeof(key_type));        \
		__uint(value_size, sizeof(__u32));         \
	}

/* One byte per IPv4 /24 and three filters, in 4 MiB blocks (see
 * darknet_counter.h). */
#define SCANNER_DIR                                        \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY);          \
		__uint(max_entries, DN_SCANNER_DIR_BLOCKS); \
		__uint(key_size, sizeof(__u32));           \
		__uint(value_size, DN_SCANNER_DIR_BLOCK_BYTES); \
	}

/* Inner tries give key_size rather than a key type: a struct reached only
 * through the pointers of __array() gets a BTF forward declaration, and
 * libbpf could not size it. */
#define LIST_SLOT(name, inner)                             \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);  \
		__uint(max_entries, 1);                    \
		__type(key, __u32);                        \
		__array(values, inner);                    \
	} name SEC(".maps")

/* slot 0: destination -> darknet prefix id; empty = no darknet */
LIST_SLOT(darknet_v4, LPM_TRIE(struct dn_lpm_v4, DN_MAX_DARKNET_PREFIXES));
LIST_SLOT(darknet_v6, LPM_TRIE(struct dn_lpm_v6, DN_MAX_DARKNET_PREFIXES));
/* slot 0: each family's darknet as a short list, when it is one; empty = the tries */
LIST_SLOT(darknet_small, struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_darknet_small));
});
/* slot 0: source /24 -> org byte; empty = no IPv4 scanner list */
LIST_SLOT(scanner_v4_dir, SCANNER_DIR);
/* slot 0: source -> org id, every IPv4 scanner prefix */
LIST_SLOT(scanner_v4_long, LPM_TRIE(struct dn_lpm_v4, DN_MAX_SCANNER_PREFIXES));
/* slot 0: source /24 -> org byte per address, for DN_SCANNER_LONGER /24s */
LIST_SLOT(scanner_v4_chunks, struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);   /* a template: user space sizes each list's map */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_scanner_chunk));
});
/* slot 0: source -> org id */
LIST_SLOT(scanner_v6, LPM_TRIE(struct dn_lpm_v6, DN_MAX_SCANNER_PREFIXES));
/* slot 0: first 32 bits of a source -> the scanner prefixes touching them */
LIST_SLOT(scanner_v6_buckets, struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);   /* a template: user space sizes each list's map */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_scanner_v6_bucket));
});
/* slot 0: hash of a source's first 32 bits -> may be a scanner; empty = ask the trie */
LIST_SLOT(scanner_v6_filter, struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_V6_FILTER_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
});

/* org id -> name, and prefix id -> prefix: written and read by user space
 * only, kept here so that they live (and are pinned) with the counters. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_SCANNER_ORGS + 1);
	__type(key, __u32);
	__type(value, struct dn_org_name);
} org_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_PREFIX_IDS);
	__type(key, __u32);
	__type(value, struct dn_prefix_info);
} prefix_info SEC(".maps");

/* Never read here: promoted port series and their baselines, pinned with
 * the counters so that series stay monotonic across daemon restarts. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_PORT_SERIES_STATE);
	__type(key, __u32);
	__type(value, struct dn_port_series_entry);
} port_series_state SEC(".maps");

static __always_inline void count(void *map, __u32 key, __u32 bytes)
{
	struct dn_count *c = bpf_map_lookup_elem(map, &key);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline int pass(__u32 reason, __u32 bytes)
{
	count(&reason_counters, reason, bytes);
	return XDP_PASS;
}

/* Look the address up in the trie in slot 0 of outer. Returns the value
 * (prefix or org id) or -1. The outer lookup is inlined by the verifier,
 * so an empty slot costs no helper call. */
static __always_inline long slot_lookup(void *outer, void *key)
{
	__u32 zero = 0, *val;
	void *inner = bpf_map_lookup_elem(outer, &zero);

	if (!inner)
		return -1;
	val = bpf_map_lookup_elem(inner, key);
	return val ? (long)*val : -1;   /* not u32: -1 must stay negative */
}

#define DARKNET_NOT_SMALL (-2)

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

/* The prefix id from the short IPv4 list, -1 if none matches, or
 * DARKNET_NOT_SMALL when the list is long and lives in the trie only. */
static __always_inline long darknet_small4(const struct dn_darknet_small *t, __be32 daddr)
{
	__u64 id1 = 0, found = 0;

	if (t->count == DN_DARKNET_SMALL_TRIE)
		return DARKNET_NOT_SMALL;
	for (int i = 0; i < DN_DARKNET_SMALL_MAX; i++) {
		if (i >= t->count)
			break;
		take_first((daddr & t->e[i].mask) ^ t->e[i].net, t->e[i].id, &id1, &found);
	}
	return (long)id1 - 1;
}

/* The same for IPv6: the four words' differences or-ed together. */
static __always_inline long darknet_small6(const struct dn_darknet_small *t,
					   const struct ipv6hdr *ip6)
{
	const __u32 *d = ip6->daddr.in6_u.u6_addr32;
	__u64 id1 = 0, found = 0;

	if (t->count6 == DN_DARKNET_SMALL_TRIE)
		return DARKNET_NOT_SMALL;
	for (int i = 0; i < DN_DARKNET_SMALL_MAX; i++) {
		if (i >= t->count6)
			break;
		take_first(((d[0] & t->e6[i].mask[0]) ^ t->e6[i].net[0]) |
			   ((d[1] & t->e6[i].mask[1]) ^ t->e6[i].net[1]) |
			   ((d[2] & t->e6[i].mask[2]) ^ t->e6[i].net[2]) |
			   ((d[3] & t->e6[i].mask[3]) ^ t->e6[i].net[3]), t->e6[i].id, &id1, &found);
	}
	return (long)id1 - 1;
}

static __always_inline long darknet_prefix(const struct pkt *p)
{
	const struct dn_darknet_small *t = darknet_small_lists();
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	struct dn_lpm_v6 k6 = { .prefixlen = 128 };
	struct dn_lpm_v4 k4 = { .prefixlen = 32 };
	long id;

	if (p->family == DN_FAMILY_IPV4) {
		id = t ? darknet_small4(t, ip->daddr) : DARKNET_NOT_SMALL;
		if (id != DARKNET_NOT_SMALL)
			return id;
		k4.addr = ip->daddr;
		return slot_lookup(&darknet_v4, &k4);
	}
	id = t ? darknet_small6(t, ip6) : DARKNET_NOT_SMALL;
	if (id != DARKNET_NOT_SMALL)
		return id;
	__builtin_memcpy(k6.addr, &ip6->daddr, sizeof(k6.addr));
	return slot_lookup(&darknet_v6, &k6);
}

/* Filter words relative to the filter block. */
#define DIR_F_BITMAP (DN_SCANNER_DIR_BITMAP - DN_SCANNER_DIR_FILTER_BLOCK * DN_SCANNER_DIR_BLOCK_WORDS)
#define DIR_F_BITMAP20 (DN_SCANNER_DIR_BITMAP20 - DN_SCANNER_DIR_FILTER_BLOCK * DN_SCANNER_DIR_BLOCK_WORDS)
#define DIR_F_SUMMARY (DN_SCANNER_DIR_SUMMARY - DN_SCANNER_DIR_FILTER_BLOCK * DN_SCANNER_DIR_BLOCK_WORDS)

/* Research-scanner org of an IPv4 source: the /16 summary bit, the /20 and
 * /24 bits, then the /24 byte of the direct table: two array lookups in
 * all, the filter block and the byte's block, indexed here. The trie is
 * asked only for the /24s that hold a longer prefix. */
static __always_inline __u32 scanner_org_v4(__be32 saddr)
{
	struct dn_lpm_v4 k4 = { .prefixlen = 32, .addr = saddr };
	__u32 a = bpf_ntohl(saddr), zero = 0, block, key, slot;
	struct dn_scanner_chunk *chunk;
	const __u64 *f;
	const __u8 *bytes;
	void *dir, *inner;
	__u32 org;
	long id;

	dir = bpf_map_lookup_elem(&scanner_v4_dir, &zero);
	if (!dir)
		return 0;
	block = DN_SCANNER_DIR_FILTER_BLOCK;
	f = bpf_map_lookup_elem(dir, &block);
	if (!f)
		return 0;
	/* The /16 summary, the /20 and the /24 bitmaps: for most sources one
	 * of them ends the lookup in a cache-resident part of the table. */
	if (!((f[DIR_F_SUMMARY + (a >> 22)] >> ((a >> 16) & 63)) & 1) ||
	    !((f[DIR_F_BITMAP20 + (a >> 18)] >> ((a >> 12) & 63)) & 1) ||
	    !((f[DIR_F_BITMAP + (a >> 14)] >> ((a >> 8) & 63)) & 1))
		return 0;
	block = a >> 30;
	bytes = bpf_map_lookup_elem(dir, &block);
	if (!bytes)
		return 0;
	org = bytes[(a >> 8) & (DN_SCANNER_DIR_BLOCK_BYTES - 1)];
	if (org != DN_SCANNER_LONGER)
		return org;
	/* A /24 with longer prefixes: its chunk has every address's org, in
	 * its slot of the filter block or else in the hash map. A chunk can be
	 * missing from the map only while a reload swaps the maps: then the
	 * trie, which holds every prefix, decides. */
	key = a >> 8;
	slot = dn_scanner_slot(key);
	if (*(const __u32 *)((const __u8 *)f + DN_SCANNER_SLOT_KEYS_OFF + slot * 4) == key + 1)
		return ((const __u8 *)f)[DN_SCANNER_SLOT_CHUNKS_OFF + slot * 256 + (a & 0xff)];
	inner = bpf_map_lookup_elem(&scanner_v4_chunks, &zero);
	chunk = inner ? bpf_map_lookup_elem(inner, &key) : NULL;
	if (chunk)
		return chunk->org[a & 0xff];
	id = slot_lookup(&scanner_v4_long, &k4);
	return id < 0 ? 0 : id;
}

#define V6_ASK_TRIE (-2)

/* The org of an IPv6 source from the filter and its /32's bucket: 0 for
 * none, or V6_ASK_TRIE when there is no filter or the bucket is full. */
static __always_inline long scanner_org_v6_fast(const struct ipv6hdr *ip6)
{
	const __u32 *src = ip6->saddr.in6_u.u6_addr32;
	__u32 zero = 0, top = bpf_ntohl(src[0]), h = dn_v6_filter_hash(top), word = h / 64;
	struct dn_scanner_v6_bucket *b;
	void *inner = bpf_map_lookup_elem(&scanner_v6_filter, &zero);
	__u64 *bits;

	if (!inner)
		return V6_ASK_TRIE;
	bits = bpf_map_lookup_elem(inner, &word);
	if (!bits || !(*bits & (1ull << (h & 63))))
		return 0;
	inner = bpf_map_lookup_elem(&scanner_v6_buckets, &zero);
	b = inner ? bpf_map_lookup_elem(inner, &top) : NULL;
	if (!inner)
		return V6_ASK_TRIE;
	if (!b)
		return 0;   /* a filter collision */
	if (b->count == DN_V6_BUCKET_FULL)
		return V6_ASK_TRIE;
	for (int i = 0; i < DN_V6_BUCKET_MAX; i++) {
		if (i >= b->count)
			break;
		if ((src[0] & b->e[i].mask[0]) == b->e[i].net[0] &&
		    (src[1] & b->e[i].mask[1]) == b->e[i].net[1] &&
		    (src[2] & b->e[i].mask[2]) == b->e[i].net[2] &&
		    (src[3] & b->e[i].mask[3]) == b->e[i].net[3])
			return b->e[i].org;
	}
	return 0;
}

static __always_inline __u32 scanner_org(const struct pkt *p)
{
	const struct ipv6hdr *ip6 = p->l3;
	const struct iphdr *ip = p->l3;
	struct dn_lpm_v6 k6 = { .prefixlen = 128 };
	long id;

	if (p->family == DN_FAMILY_IPV4)
		return scanner_org_v4(ip->saddr);
	id = scanner_org_v6_fast(ip6);
	if (id != V6_ASK_TRIE)
		return id;
	__builtin_memcpy(k6.addr, &ip6->saddr, sizeof(k6.addr));
	id = slot_lookup(&scanner_v6, &k6);
	return id < 0 ? 0 : id;
}

/* Source class, first match wins, in the order of issue 2. *org is set for
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

/* The classes a UDP packet can have map onto enum dn_udp_slot: the first
 * four share their numbers, udp_probe is the last slot. */
_Static_assert(DN_UDP_SLOT_SPOOFED == DN_CLASS_SPOOFED &&
	       DN_UDP_SLOT_BACKSCATTER == DN_CLASS_BACKSCATTER &&
	       DN_UDP_SLOT_RESEARCH == DN_CLASS_RESEARCH &&
	       DN_UDP_SLOT_ZMAP == DN_CLASS_ZMAP, "UDP slots follow classes");
_Static_assert(DN_CLASS_TCP_OTHER < DN_TCP_PORT_SLOTS, "TCP classes fit a port line");

/* One packet on a port counter: its low byte, and once per DN_PORT_CARRY
 * packets the carry into the high part (value slot of high_map at key),
 * ordered as struct dn_port_low describes. The fetch-and-add is a full
 * barrier on every JIT (a plain atomic add is not, on arm64): the busy mark
 * is visible before the sum grows, and the sum before the byte clears. */
static __always_inline void count_port(void *high_map, __u32 key, __u8 *low, __u32 slot)
{
	volatile __u8 *byte = low;
	__u64 *high;
	__u8 v = *low;

	if (v < DN_PORT_CARRY - 1) {
		*low = v + 1;
		return;
	}
	*byte = DN_PORT_LOW_BUSY;
	high = bpf_map_lookup_elem(high_map, &key);
	if (high) {
		__u64 before = __sync_fetch_and_add(&high[slot], DN_PORT_CARRY);

		/* used, so that clang keeps the fetching (ordered) form */
		asm volatile("" : : "r"(before));
	}
	*byte = 0;
}

/* Per-port or per-type packets. A port costs one byte of a table that
 * stays in cache (struct dn_port_low); the high part is looked up only to
 * carry. */
static __always_inline void count_l4(const struct pkt *p, __u32 cls)
{
	struct dn_icmp_type *it;
	struct dn_port_low *low;
	__u32 key = DN_PORT_NONE, slot;

	/* A non-first fragment has no transport header. A spoofed one still
	 * counts in its protocol's port table, under DN_PORT_NONE, so that the
	 * port tables sum to the class counters; class fragment has no slot. */
	if (p->frag && cls != DN_CLASS_SPOOFED)
		return;
	if (p->tcp || (p->frag && p->proto == IPPROTO_TCP)) {
		if (p->tcp)
			key = bpf_ntohs(p->tcp->dest);
		key += bpf_get_smp_processor_id() * DN_PORT_KEYS;
		low = bpf_map_lookup_elem(&tcp_port_low, &key);
		/* A TCP class is < DN_TCP_PORT_SLOTS; the mask shows the verifier. */
		slot = cls & (DN_TCP_PORT_SLOTS - 1);
		if (low)
			count_port(&tcp_port_counters, key, &low->packets[slot], slot);
	} else if (p->udp || (p->frag && p->proto == IPPROTO_UDP)) {
		if (p->udp)
			key = bpf_ntohs(p->udp->dest);
		key += bpf_get_smp_processor_id() * DN_PORT_KEYS;
		low = bpf_map_lookup_elem(&udp_port_low, &key);
		slot = cls == DN_CLASS_UDP_PROBE ? DN_UDP_SLOT_UDP_PROBE : cls;
		if (low && slot < DN_UDP_PORT_SLOTS)
			count_port(&udp_port_counters, key, &low->packets[slot], slot);
	} else if (p->icmp) {
		key = p->family * DN_NR_ICMP_TYPES + p->icmp[0];
		it = bpf_map_lookup_elem(&icmp_counters, &key);
		if (it && cls < DN_CLASS_MAX)
			it->packets[cls]++;
	}
}

/* Parse, decide darknet membership, classify, count, verdict. Every frame
 * lands in exactly one place: a class counter (with its prefix, port or
 * type, org) or a reason counter. L4 is parsed only for darknet packets. */
SEC("xdp")
int darknet_counter(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct pkt p = { .len = c.end - c.pos };
	__u32 cls, org = 0;
	long prefix;
	int r;

	r = parse_eth(&c);
	if (r == bpf_htons(ETH_P_IP))
		r = parse_ipv4(&c, &p);
	else if (r == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(&c, &p);
	else if (r >= 0)
		return pass(DN_REASON_NOT_IP, p.len);
	if (r < 0)
		return pass(-r, p.len);

	prefix = darknet_prefix(&p);
	if (prefix < 0)
		return pass(DN_REASON_NOT_DARKNET, p.len);
	r = parse_l4(&c, &p);
	if (r < 0)
		return pass(-r, p.len);

	cls = classify(&p, &org);
	count(&class_counters, dn_class_key(p.family, p.proto, cls), p.len);
	count(&prefix_counters, prefix, p.len);
	if (cls == DN_CLASS_RESEARCH)
		count(&org_counters, org, p.len);
	count_l4(&p, cls);
	return dn_action;
}
