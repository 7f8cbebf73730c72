/* bogon_table.h: the bogon table of include/bogons.h as prefixes, with a plain bit-by-bit matcher, for tests. */
#ifndef DN_TEST_BOGON_TABLE_H
#define DN_TEST_BOGON_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "prefix.h"

/* The family's entries in table order; *n gets their number. */
const struct dn_prefix *bogon_table(uint8_t family, size_t *n);

/* Is a (16 bytes, network order, IPv4 in the first four) inside an entry of
 * the family's table? Compares bit by bit, sharing no code with the
 * datapath or the generator. */
int bogon_table_has(uint8_t family, const uint8_t *a);

/* Calls fn for the first and the last address of every entry of the
 * family, and for the addresses just before and just after them (none past
 * either end of the address space); what says which ("first of", "just
 * after", ...) and cidr the entry. */
typedef void (*bogon_edge_fn)(void *ctx, uint8_t family, const uint8_t *a, const char *what,
			      const char *cidr);
void bogon_table_edges(uint8_t family, bogon_edge_fn fn, void *ctx);

#endif
