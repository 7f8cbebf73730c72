/* darknet_sketch.h: HyperLogLog sketches of distinct sources and darknet destinations, shared by the XDP program and user space. */
#ifndef DN_SKETCH_H
#define DN_SKETCH_H

/* Fixed-width types and #defines only: every struct is a map value. The
 * design, error and memory are in docs/distinct-sources.md. */
#include <linux/types.h>
#include "darknet_counter.h"
#include "darknet_geo.h"

/* HyperLogLog (Flajolet et al., AofA 2007) with m = 2^p registers:
 * standard error 1.04 / sqrt(m) = 1.625 % at p = 12. A register is one
 * byte (a rank is at most 64 - p + 1 = 53); four registers share a 32-bit
 * word, which the datapath updates with a compare-and-exchange. Register r
 * is byte r % 4 of word r / 4, counted from the word's least significant
 * byte (so the layout is the same whatever the host's byte order). */
#define DN_SKETCH_P 12
#define DN_SKETCH_REGS (1u << DN_SKETCH_P)
#define DN_SKETCH_WORDS (DN_SKETCH_REGS / 4)
#define DN_SKETCH_MAX_RANK (64 - DN_SKETCH_P + 1)

struct dn_sketch {
	__u32 w[DN_SKETCH_WORDS];
};

/* Sketch slots of one generation. The sources of darknet traffic per
 * (family, class) come first, at family * DN_CLASS_MAX + class; the
 * interface's all-traffic sketch is their union, which HyperLogLog gives
 * exactly (registers merge by max), so the datapath keeps no separate one
 * (DN_SKETCH_ALL names it in user space). Then the sources per port with a
 * series (slots assigned by the daemon in sketch_ports), then the IPv6
 * destinations per darknet prefix (slots assigned in dst_slot). Then the
 * sources per country (by country index, 0 = unknown) and per AS series
 * slot (0 = asn="other"), written only while geo tables are loaded
 * (include/darknet_geo.h). */
#define DN_SKETCH_CLASS_SLOTS (DN_FAMILY_MAX * DN_CLASS_MAX)
#define DN_SKETCH_PORT_SLOTS 256
#define DN_SKETCH_DST6_SLOTS 16
#define DN_SKETCH_COUNTRY_SLOTS DN_GEO_COUNTRIES
#define DN_SKETCH_ASN_SLOTS DN_GEO_ASN_SLOTS
#define DN_SKETCH_PORT_BASE DN_SKETCH_CLASS_SLOTS
#define DN_SKETCH_DST6_BASE (DN_SKETCH_PORT_BASE + DN_SKETCH_PORT_SLOTS)
#define DN_SKETCH_COUNTRY_BASE (DN_SKETCH_DST6_BASE + DN_SKETCH_DST6_SLOTS)
#define DN_SKETCH_ASN_BASE (DN_SKETCH_COUNTRY_BASE + DN_SKETCH_COUNTRY_SLOTS)
#define DN_SKETCH_SLOTS (DN_SKETCH_ASN_BASE + DN_SKETCH_ASN_SLOTS)
#define DN_SKETCH_ALL DN_SKETCH_SLOTS   /* user space only: the union of the class slots */

/* Two generations of every sketch and bitmap: the datapath writes the one
 * sketch_gen names, the daemon reads the other after flipping (so counting
 * never stops for a rotation). sketches key: gen * DN_SKETCH_SLOTS + slot. */
#define DN_SKETCH_GENS 2
#define DN_SKETCH_KEYS (DN_SKETCH_GENS * DN_SKETCH_SLOTS)

/* sketch_gen value (one entry). gen is the generation written now; the
 * rest is user-side bookkeeping kept in the pinned map so that a restarted
 * daemon knows when the other generation was closed. */
struct dn_sketch_gen {
	__u32 gen;            /* 0 or 1 */
	__u32 interval_s;     /* interval the generations were rotated at */
	__u64 seq;            /* rotations so far */
	__u64 rotated_ns;     /* CLOCK_REALTIME of the last rotation, 0 = never */
};

/* sketch_ports value (one entry): slot + 1 of the port sketch of each
 * (proto, destination port), proto 0 = TCP, 1 = UDP; 0 = no sketch. has
 * holds one bit per (proto, port) with a sketch: 16 KiB that stay in cache
 * while scanners sweep every port, so that a port without a sketch (most
 * of them) costs no miss in the 256 KiB of slots. */
struct dn_sketch_ports {
	__u64 has[2][DN_NR_PORTS / 64];
	__u16 slot[2][DN_NR_PORTS];
};

/* IPv4 darknet destinations hit: one bit per address, exact, in a bitmap of
 * DN_DST_BITMAP_BITS per generation (2 MiB: a /8, or any set of prefixes
 * adding up to one). dst_bitmap key: gen * DN_DST_BITMAP_WORDS + word. */
#define DN_DST_BITMAP_BITS (1u << 24)
#define DN_DST_BITMAP_WORDS (DN_DST_BITMAP_BITS / 64)
#define DN_DST_BITMAP_KEYS (DN_SKETCH_GENS * DN_DST_BITMAP_WORDS)

/* dst_slot value, by darknet prefix id: where its destinations go. IPv4:
 * first word of its bits in the bitmap plus one, and the host mask
 * (address & mask is the bit); IPv6: DN_SKETCH_DST6_BASE-relative slot
 * plus one, mask 0. 0 = not tracked (a prefix that did not fit). */
struct dn_dst_slot {
	__u32 where;
	__u32 mask;
};

/* The daemon's window history (docs/distinct-sources.md, "What a restart
 * keeps"), pinned with the counters so that a restart, even after SIGKILL,
 * keeps the 5m, 1h and 24h windows. The XDP program never touches it.
 * sketch_hist is a pool of DN_HIST_POOL 4 KiB pieces (8 MiB, allocated
 * when the map is made); sketch_hdir (one entry) says whose piece each is.
 * A piece is one interval, 5-minute block or hour of one history: owner
 * is the history + 1 (0 = free): a sketch slot (DN_SKETCH_ALL included)
 * or DN_HIST_DST_OWNER + darknet prefix id for its destinations. */
#define DN_HIST_POOL 2048
#define DN_HIST_DST_OWNER (DN_SKETCH_ALL + 1)
#define DN_HIST_OWNERS (DN_HIST_DST_OWNER + DN_MAX_PREFIX_IDS)
#define DN_HIST_MAGIC 0x64686931u       /* "dhi1" */

enum dn_hist_level {
	DN_HIST_RECENT,     /* interval, at idx = interval % intervals per 5 min */
	DN_HIST_BLOCKS,     /* a finished 5-minute block, idx = block % 12 */
	DN_HIST_BLOCK,      /* the block in progress */
	DN_HIST_HOURS,      /* a finished hour, idx = hour % 24 */
	DN_HIST_HOUR,       /* the hour in progress */
};

struct dn_hist_ent {
	__s64 tag;          /* interval, block or hour number; -1: nothing valid */
	__u32 owner;        /* history + 1; 0: a free piece */
	__u16 level;        /* enum dn_hist_level */
	__u16 idx;
};

struct dn_hist_dir {
	__u32 magic;        /* DN_HIST_MAGIC once the daemon wrote it */
	__u32 interval_s;   /* the interval of the DN_HIST_RECENT pieces */
	__u64 saved_ns;     /* CLOCK_REALTIME of the last save */
	struct dn_hist_ent ent[DN_HIST_POOL];
};

/* The 64-bit hash of an address: David Stafford's "Mix13" variant of
 * MurmurHash3's 64-bit finaliser (Stafford, "Better Bit Mixing", 2011; the
 * finaliser of SplitMix64, Steele, Lea and Flood, OOPSLA 2014), a bijection
 * of 64 bits with better avalanche than MurmurHash3's own fmix64: with
 * fmix64, sources differing only in the low 32 bits of an IPv6 address
 * gave estimates 15 % wider than HyperLogLog's standard error
 * (docs/distinct-sources.md). IPv4 hashes its 32 bits; IPv6 chains two
 * mixes over its two 64-bit halves. The constants only separate the
 * families. Addresses as they are in the packet (network byte order),
 * loaded as host words on both sides. */
static inline __u64 dn_mix64(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline __u64 dn_sketch_hash4(__u32 addr)
{
	return dn_mix64(addr ^ 0x9e3779b97f4a7c15ULL);
}

static inline __u64 dn_sketch_hash6(__u64 hi, __u64 lo)
{
	return dn_mix64(lo ^ dn_mix64(hi ^ 0x6a09e667f3bcc909ULL));
}

/* Register of a hash: its top p bits. */
static inline __u32 dn_sketch_reg(__u64 h)
{
	return h >> (64 - DN_SKETCH_P);
}

/* Rank of a hash: leading zeros of the other 64 - p bits, plus one; all
 * zero gives DN_SKETCH_MAX_RANK. BPF has no clz, and a binary search would
 * branch six ways per packet (each a path for the verifier): smear the top
 * bit down and count the ones instead (SWAR population count, Hacker's
 * Delight 5-1), all arithmetic. */
static inline __u32 dn_sketch_rank(__u64 h)
{
	__u64 x = (h << DN_SKETCH_P) | (1ULL << (DN_SKETCH_P - 1));

	x |= x >> 1;
	x |= x >> 2;
	x |= x >> 4;
	x |= x >> 8;
	x |= x >> 16;
	x |= x >> 32;
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return 64 - (__u32)((x * 0x0101010101010101ULL) >> 56) + 1;
}

#ifndef __bpf__
_Static_assert(sizeof(struct dn_sketch) == DN_SKETCH_REGS, "one byte a register");
_Static_assert(sizeof(struct dn_sketch_gen) == 24, "dn_sketch_gen");
_Static_assert(sizeof(struct dn_sketch_ports) == 4 * DN_NR_PORTS + DN_NR_PORTS / 4,
	       "dn_sketch_ports");
_Static_assert(sizeof(struct dn_dst_slot) == 8, "dn_dst_slot");
_Static_assert(DN_SKETCH_MAX_RANK < 256, "a rank fits a byte");
_Static_assert(sizeof(struct dn_hist_ent) == 16, "dn_hist_ent");
_Static_assert(sizeof(struct dn_hist_dir) == 16 + 16 * DN_HIST_POOL, "dn_hist_dir");
#endif

#endif /* DN_SKETCH_H */
