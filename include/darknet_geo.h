/* darknet_geo.h: source country and origin AS tables and counters, shared by the XDP program and user space. */
#ifndef DARKNET_GEO_H
#define DARKNET_GEO_H

/* Fixed-width types and #defines only: every struct is a map key or value.
 * The design, the memory at full database size and the series rules are in
 * docs/geo.md. */
#include <linux/types.h>
#include "darknet_counter.h"

/* Country index: position in the sorted ISO 3166-1 alpha-2 table compiled
 * into user/lib (stable across restarts and reloads), 1..DN_GEO_COUNTRIES-1;
 * 0 = unknown (not in the database, or no country file). */
#define DN_GEO_COUNTRIES 256
#define DN_GEO_COUNTRY_UNKNOWN 0

/* AS index: 1..DN_GEO_MAX_ASNS-1, assigned append-only by the daemon and
 * kept in the pinned geo_asn_ids (index -> AS number), so that an index
 * names the same AS across reloads and restarts; 0 = unknown. */
#define DN_GEO_MAX_ASNS (1u << 17)
#define DN_GEO_ASN_UNKNOWN 0

/* Table entry, u32. Bit 31 set: a split IPv4 /24 (a range boundary inside
 * it), bits 0..30 its block. Else bits 0..7 the country index and bits
 * 8..30 the AS index. 0 = nothing known. */
#define DN_GEO_SPLIT (1u << 31)
#define DN_GEO_COUNTRY_MASK 0xffu
#define DN_GEO_ASN_SHIFT 8
#define DN_GEO_ASN_MASK 0x7fffffu

static inline __u32 dn_geo_entry(__u32 country, __u32 asn)
{
	return (country & DN_GEO_COUNTRY_MASK) | (asn & DN_GEO_ASN_MASK) << DN_GEO_ASN_SHIFT;
}

static inline __u32 dn_geo_country(__u32 entry)
{
	return entry & DN_GEO_COUNTRY_MASK;
}

static inline __u32 dn_geo_asn(__u32 entry)
{
	return (entry >> DN_GEO_ASN_SHIFT) & DN_GEO_ASN_MASK;
}

/* IPv4 table, logically an array of u32 entries (what user space builds,
 * user/lib/geo_image.h): entries [0, DN_GEO_V4_DIRECT) are the source's /24
 * (host-order address >> 8); a split /24's entry is DN_GEO_SPLIT | b, and
 * its 256 addresses are entries DN_GEO_V4_DIRECT + b * 256 + last octet.
 * Entry i is word i % 256 of logical row i / 256: row r <
 * DN_GEO_V4_DIRECT_ROWS is the /16 r by third octet, row
 * DN_GEO_V4_DIRECT_ROWS + b is split block b by last octet.
 *
 * The inner map of geo_v4 holds those rows compacted, rows of 1 KiB
 * because an array map keeps each value in 8 bytes at least:
 * - rows [0, DN_GEO_V4_DIR_ROWS): the directory, one word per /16 (word
 *   r % 256 of row r / 256, i.e. row = first octet, word = second): the
 *   /16's entry when all its 65,536 addresses have that one entry (about
 *   71 % of /16s with the full databases), else DN_GEO_SPLIT | the map row
 *   holding its logical row;
 * - rows [DN_GEO_V4_DIR_ROWS, + blocks): split block b at
 *   DN_GEO_V4_DIR_ROWS + b (so a /16 row's split entries need no rewrite);
 * - then the /16 rows that are not uniform, in any order.
 * A lookup reads the 256 KiB directory (cache-resident), and only for a
 * source in a mixed /16 its row, and for a split /24 its block. The
 * template carries BPF_F_INNER_MAP so that each table is made with
 * max_entries = DN_GEO_V4_DIR_ROWS + blocks + mixed /16s (blocks <=
 * DN_GEO_V4_MAX_BLOCKS). */
#define DN_GEO_V4_DIRECT (1u << 24)
#define DN_GEO_V4_ROW 256
#define DN_GEO_V4_DIRECT_ROWS (DN_GEO_V4_DIRECT / DN_GEO_V4_ROW)
#define DN_GEO_V4_MAX_BLOCKS (1u << 16)
#define DN_GEO_V4_DIR_ROWS (DN_GEO_V4_DIRECT_ROWS / DN_GEO_V4_ROW)
#define DN_GEO_V4_MAX_ROWS (DN_GEO_V4_DIR_ROWS + DN_GEO_V4_MAX_BLOCKS + DN_GEO_V4_DIRECT_ROWS)

struct dn_geo_v4_row {
	__u32 e[DN_GEO_V4_ROW];
};

/* Entry index of address addr_host (host order) in split block b. */
static inline __u32 dn_geo_v4_split_index(__u32 block, __u32 addr_host)
{
	return DN_GEO_V4_DIRECT + block * DN_GEO_V4_ROW + (addr_host & 0xff);
}

/* IPv6 table (inner map of geo_v6): an LPM trie of prefixes no longer than
 * /64 (ranges decomposed), value a u32 entry that is never split. addr is
 * the first 64 bits of the address, network byte order. */
#define DN_GEO_V6_MAX_PREFIXES (1u << 20)
#define DN_GEO_V6_MAX_LEN 64
struct dn_geo_lpm6 {
	__u32 prefixlen;
	__u8 addr[8];
};

/* dn_geo_enabled bits (a const volatile of the XDP program, set before
 * load): with neither bit the verifier drops every geo instruction. */
#define DN_GEO_ON_COUNTRY 1u
#define DN_GEO_ON_ASN 2u

/* AS series slots: slot 0 is asn="other", 1..DN_GEO_ASN_SLOTS-1 promoted
 * series (--max-asn-series plus --watch-asns). geo_asn_slot maps an AS
 * index to its slot (u16; 0 = counted in "other"). */
#define DN_GEO_ASN_SLOTS 256
#define DN_GEO_ASN_OTHER 0

/* Counters, CPU blocks as in darknet_counter.h (docs/memory.md):
 * geo_cc_counts key country * DN_CLASS_MAX + class, geo_asn_counts
 * key slot * DN_CLASS_MAX + class, value struct dn_count. */
#define DN_GEO_COUNTRY_CPU_KEYS (DN_GEO_COUNTRIES * DN_CLASS_MAX)   /* 48 KiB per CPU */
#define DN_GEO_ASN_CPU_KEYS (DN_GEO_ASN_SLOTS * DN_CLASS_MAX)       /* 48 KiB per CPU */

static inline __u32 dn_geo_key(__u32 index, __u32 cls)
{
	return index * DN_CLASS_MAX + cls;
}

/* Per-AS packet totals of the ASes without a series (slot 0), for
 * promotion, split like the port counters:
 * geo_asn_low holds one byte per AS per CPU (eight ASes a u64 value, key
 * cpu * DN_GEO_ASN_LOW_CPU_KEYS + index / 8, byte index % 8 from the least
 * significant), 128 KiB per CPU; at DN_GEO_ASN_CARRY the packet adds that
 * much to geo_asn_high[index] (u64, one table for all CPUs, 1 MiB) with a
 * fetching atomic add and clears the byte, which holds DN_GEO_ASN_BUSY
 * meanwhile. An AS's total is high + the sum of its low bytes. */
#define DN_GEO_ASN_LOW_CPU_KEYS (DN_GEO_MAX_ASNS / 8)
#define DN_GEO_ASN_CARRY 255
#define DN_GEO_ASN_BUSY 255

#ifndef __bpf__
_Static_assert(sizeof(struct dn_geo_lpm6) == 12, "dn_geo_lpm6 is a map key");
_Static_assert(sizeof(struct dn_geo_v4_row) == 1024, "dn_geo_v4_row is a map value");
_Static_assert(DN_GEO_MAX_ASNS - 1 <= DN_GEO_ASN_MASK, "an AS index fits an entry");
_Static_assert(DN_GEO_V4_MAX_BLOCKS < DN_GEO_SPLIT, "a block fits an entry");
_Static_assert(DN_GEO_ASN_SLOTS <= 65536, "a slot fits a u16");
_Static_assert(DN_GEO_COUNTRY_CPU_KEYS * 16 % 64 == 0 && DN_GEO_ASN_CPU_KEYS * 16 % 64 == 0,
	       "CPU blocks are whole cache lines");
#endif

#endif /* DARKNET_GEO_H */
