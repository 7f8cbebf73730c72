/* geo_tables.h: test-side builder of geo tables straight from the layout in include/darknet_geo.h. */
#ifndef DN_TEST_GEO_TABLES_H
#define DN_TEST_GEO_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* An IPv4 range, both ends included, host order, and its entry. */
struct geo_test_range {
	uint32_t first, last;
	uint32_t entry;          /* dn_geo_entry(country, AS index) */
};

/* An IPv6 prefix (up to /64) and its entry. */
struct geo_test_prefix6 {
	const char *addr;        /* e.g. "2001:db8:100::" */
	uint32_t len;
	uint32_t entry;
};

/* The entry the table must give addr: the range holding it, else 0. */
uint32_t geo_test_expect_v4(const struct geo_test_range *r, size_t n, uint32_t addr);

/* Build an IPv4 table of the n ranges (sorted, not overlapping) and swap
 * it into the outer map geo_v4; the number of split /24s into *splits.
 * Criterion-asserts on failure. */
void geo_test_install_v4(int outer, const struct geo_test_range *r, size_t n, size_t *splits);
/* Build an IPv6 trie of the prefixes and swap it into geo_v6. */
void geo_test_install_v6(int outer, const struct geo_test_prefix6 *p, size_t n);

#endif
