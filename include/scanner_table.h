/* scanner_table.h: research-scanner table layouts; included by darknet_counter.h, so by the XDP program and user space. */
#ifndef DN_SCANNER_TABLE_H
#define DN_SCANNER_TABLE_H

/* Fixed-width UAPI types and #defines only, as in darknet_counter.h: every
 * struct here is a map value, the same bytes on both sides; fields are host
 * byte order unless a comment says otherwise, and padding is explicit. */
#include <linux/types.h>

/* --- IPv4: scanner_v4_dir, a direct table in the spirit of DIR-24-8 ---
 *
 * One org byte per /24: 0 = no scanner, 1..254 = org id, DN_SCANNER_LONGER
 * = this /24 holds a prefix longer than /24, its chunk has the answer.
 * Darknet sources are scattered over all of IPv4 and a random byte of the
 * 16 MiB costs a cache and a TLB miss, so three filters sit in front: one
 * bit per /24 saying whether its byte is nonzero, one per /20 (128 KiB,
 * stays in L2) and one per /16 (8 KiB, stays in L1) saying whether any /24
 * bit under them is set. A source that no scanner prefix touches stops at
 * the first filter that says so (the /20 level keeps that true for lists
 * of 100,000 scattered prefixes, which set most /16 bits); only scanner
 * sources, which are few and hot, read their byte.
 *
 * The map is an array of 4 MiB values, the largest value an array takes:
 * one lookup gives the datapath a whole block it then indexes itself,
 * instead of one bounds-checked lookup per level. Blocks 0..3 are struct
 * dn_scanner_bytes (the /24 s at block s >> 22, index s % 2^22), block 4 is
 * struct dn_scanner_filter. */
#define DN_SCANNER_DIR_BLOCK_BYTES (1u << 22)   /* one array value: 4 MiB */
#define DN_SCANNER_SLASH24S (1u << 24)          /* org bytes in all */
#define DN_SCANNER_DIR_BYTE_BLOCKS (DN_SCANNER_SLASH24S / DN_SCANNER_DIR_BLOCK_BYTES)
#define DN_SCANNER_DIR_FILTER_BLOCK DN_SCANNER_DIR_BYTE_BLOCKS
#define DN_SCANNER_DIR_BLOCKS (DN_SCANNER_DIR_FILTER_BLOCK + 1)
#define DN_SCANNER_LONGER 255

/* scanner_chunks value, and a chunk slot: the org byte of each address of
 * one /24 marked DN_SCANNER_LONGER, keyed by the /24 (address >> 8, host
 * order); the second level of DIR-24-8, so that such sources need no trie
 * walk. 256 bytes. */
struct dn_scanner_chunk {
	__u8 org[256];
};

/* The filter block's free space holds up to DN_SCANNER_SLOTS chunks
 * directly: the chunk of /24 s sits in slot dn_scanner_slot(s) if that
 * slot's key is s + 1 (0: empty), so a curated list's few chunks cost two
 * loads, not a hash lookup; a /24 that finds its slot taken is only in
 * scanner_chunks. */
#define DN_SCANNER_SLOT_BITS 12
#define DN_SCANNER_SLOTS (1u << DN_SCANNER_SLOT_BITS)
static inline __u32 dn_scanner_slot(__u32 slash24)
{
	/* Fibonacci hashing: the top bits of a multiplicative hash */
	return (slash24 * 2654435761u) >> (32 - DN_SCANNER_SLOT_BITS);
}

/* Blocks 0..3: org[s % 2^22] is the org byte of /24 s of block s >> 22
 * (a quarter of IPv4, a /2, per block). 4 MiB. */
struct dn_scanner_bytes {
	__u8 org[DN_SCANNER_DIR_BLOCK_BYTES];
};

/* Block 4: the filters, then the chunk slots. A bit of a filter is
 * bits[n / 64] >> (n % 64) & 1 for prefix number n (address >> 8, >> 12,
 * >> 16, host order). The datapath reads one word of each filter it
 * passes, then for a DN_SCANNER_LONGER /24 one key and one byte of a slot. */
#define DN_SCANNER_FILTER_PAD (DN_SCANNER_DIR_BLOCK_BYTES - \
	((1u << 24) + (1u << 20) + (1u << 16)) / 8 - DN_SCANNER_SLOTS * (4 + 256))
struct dn_scanner_filter {
	__u64 bits24[(1u << 24) / 64];    /* 2 MiB: /24 s has a nonzero org byte */
	__u64 bits20[(1u << 20) / 64];    /* 128 KiB: a /24 bit under /20 s is set */
	__u64 bits16[(1u << 16) / 64];    /* 8 KiB: the summary, a /20 bit under /16 s is set */
	__u32 slot_keys[DN_SCANNER_SLOTS];              /* 16 KiB: /24 + 1 of each slot, 0 = empty */
	struct dn_scanner_chunk slots[DN_SCANNER_SLOTS]; /* 1 MiB: the chunks of those /24s */
	__u8 pad[DN_SCANNER_FILTER_PAD];  /* 872 KiB, zero: the rest of the array value */
};

/* The whole map as user space builds and reads it: the five array values in
 * a row, 20 MiB. The datapath takes one value at a time. */
struct dn_scanner_v4_table {
	struct dn_scanner_bytes bytes[DN_SCANNER_DIR_BYTE_BLOCKS];   /* blocks 0..3 */
	struct dn_scanner_filter filter;                             /* block 4 */
};

/* The org byte of /24 s (address >> 8, host order) in t. */
static inline __u8 *dn_scanner_byte(struct dn_scanner_v4_table *t, __u32 slash24)
{
	return &t->bytes[slash24 / DN_SCANNER_DIR_BLOCK_BYTES].org[slash24 % DN_SCANNER_DIR_BLOCK_BYTES];
}

/* --- IPv6: the filter and buckets beside the scanner_v6 trie ---
 *
 * scanner_v6_bits: one bit per hash of an IPv6 source's first 32 bits,
 * set for every /32 a scanner prefix touches. A clear bit means no scanner
 * prefix holds the source and the lookup ends there. A set one may be a
 * hash collision: scanner_buckets, keyed by the /32 itself, holds every
 * prefix touching that /32 (longest first), at most DN_V6_BUCKET_MAX; a
 * missing bucket means no scanner, a full one (count DN_V6_BUCKET_FULL)
 * sends the lookup to the trie. Lists with IPv6 prefixes shorter than
 * DN_V6_FILTER_MIN_LEN get neither (empty slots: always the trie). */
#define DN_V6_FILTER_BITS 20
#define DN_V6_FILTER_ENTRIES ((1u << DN_V6_FILTER_BITS) / 64)
#define DN_V6_FILTER_MIN_LEN 20
#define DN_V6_BUCKET_MAX 8
#define DN_V6_BUCKET_FULL 0xffffffffu
static inline __u32 dn_v6_filter_hash(__u32 top32_host_order)
{
	/* Fibonacci hashing: the top bits of a multiplicative hash */
	return (top32_host_order * 2654435761u) >> (32 - DN_V6_FILTER_BITS);
}

/* scanner_buckets value: 8 + 40 bytes per entry. */
struct dn_scanner_v6_bucket {
	__u32 count;               /* entries used, or DN_V6_BUCKET_FULL */
	__u32 pad;
	struct {
		__u32 net[4];      /* network byte order, host bits zero */
		__u32 mask[4];     /* network byte order */
		__u32 org;
		__u32 len;
	} e[DN_V6_BUCKET_MAX];
};

_Static_assert(DN_SCANNER_DIR_BYTE_BLOCKS == 4, "four byte blocks of 2^22 /24s");
_Static_assert(sizeof(struct dn_scanner_chunk) == 256, "a chunk: one byte per address of a /24");
_Static_assert(sizeof(struct dn_scanner_bytes) == DN_SCANNER_DIR_BLOCK_BYTES,
	       "a byte block is one array value");
_Static_assert(sizeof(((struct dn_scanner_filter *)0)->bits24) == 2u << 20, "/24 bitmap: 2 MiB");
_Static_assert(sizeof(((struct dn_scanner_filter *)0)->bits20) == 128u << 10, "/20 bitmap: 128 KiB");
_Static_assert(sizeof(((struct dn_scanner_filter *)0)->bits16) == 8u << 10, "/16 summary: 8 KiB");
_Static_assert(sizeof(((struct dn_scanner_filter *)0)->slot_keys) == 16u << 10, "slot keys: 16 KiB");
_Static_assert(sizeof(((struct dn_scanner_filter *)0)->slots) == 1u << 20, "chunk slots: 1 MiB");
_Static_assert(sizeof(((struct dn_scanner_filter *)0)->pad) == 872u << 10, "filter block padding");
_Static_assert(sizeof(struct dn_scanner_filter) == DN_SCANNER_DIR_BLOCK_BYTES,
	       "the filters and the chunk slots fill the last array value exactly");
_Static_assert(sizeof(struct dn_scanner_v4_table) == DN_SCANNER_DIR_BLOCKS * DN_SCANNER_DIR_BLOCK_BYTES,
	       "the table is the map's values in a row");
_Static_assert(sizeof(struct dn_scanner_v6_bucket) == 8 + 40 * DN_V6_BUCKET_MAX,
	       "dn_scanner_v6_bucket");

#endif /* DN_SCANNER_TABLE_H */
