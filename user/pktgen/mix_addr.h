/* mix_addr.h: the mix module's PRNG and address drawing, shared by mix.c and mix_addr.c only. */
#ifndef DN_MIX_ADDR_H
#define DN_MIX_ADDR_H

#include <arpa/inet.h>
#include <string.h>
#include "mix.h"

/* splitmix64 (Steele, Lea, Flood 2014): one add and three mixing steps a
 * draw, passes BigCrush, and every seed, 0 included, is a good start. */
static inline uint64_t mix_rng_next(struct mix_state *st)
{
	uint64_t z = (st->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by multiply-shift (Lemire); bias below n / 2^64. */
static inline uint64_t mix_rng_below(struct mix_state *st, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)mix_rng_next(st) * n) >> 64);
}

/* Addresses are 16 bytes in network order, IPv4 in the first four and the
 * rest zero, as in struct dn_prefix. */
static inline uint32_t mix_v4_get(const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	return ntohl(v);
}

/* Copy the lists into st (NULL or empty darknets: 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32) and index them. Returns 0 or -ENOMEM;
 * mix_addr_free() releases a partial result too. */
int mix_addr_init(struct mix_state *st, const struct dn_prefix_list *darknets,
		  const struct dn_prefix_list *scanners);
void mix_addr_free(struct mix_state *st);

/* Longest-prefix matches, as the datapath decides: the org of the scanner
 * prefix holding a, and the darknet prefix holding a; NULL for none. */
const char *mix_addr_scanner_org(const struct mix_state *st, uint8_t family, const uint8_t *a);
const struct dn_prefix *mix_addr_darknet(const struct mix_state *st, uint8_t family,
					 const uint8_t *a);

/* Destinations: a random host of a random darknet prefix of the family, or
 * every darknet address in turn. The family must have a darknet. */
void mix_addr_dst_random(struct mix_state *st, uint8_t family, uint8_t *out);
void mix_addr_dst_seq(struct mix_state *st, uint8_t family, uint8_t *out);

/* Is a a bogon source (include/bogons.h), as the datapath decides? */
int mix_addr_bogon(uint8_t family, const uint8_t *a);

/* Sources. Public: neither bogon, nor scanner, nor dst. Scanner: inside a
 * usable scanner prefix (the family must have one). Both return -EAGAIN if
 * rejection sampling gives up. Bogon: never 192.0.2.0/24. */
int mix_addr_src_public(struct mix_state *st, uint8_t family, const uint8_t *dst, uint8_t *out);
int mix_addr_src_scanner(struct mix_state *st, uint8_t family, uint8_t *out);
void mix_addr_src_bogon(struct mix_state *st, uint8_t family, uint8_t *out);

#endif
