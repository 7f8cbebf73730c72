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

/* The first and last address of p, in the same 16-byte form. */
void bogon_prefix_ends(const struct dn_prefix *p, uint8_t *first, uint8_t *last);

#endif
