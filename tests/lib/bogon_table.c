/* bogon_table.c: the bogon table of include/bogons.h as prefixes, with a plain bit-by-bit matcher, for tests. */
#include <string.h>
#include "bogons.h"
#include "bogon_table.h"
#include "array_size.h"

#define BYTES4(w) (uint8_t)((w) >> 24), (uint8_t)((w) >> 16), (uint8_t)((w) >> 8), (uint8_t)(w)
#define V4(net, l) { .family = DN_FAMILY_IPV4, .len = (l), .addr = { BYTES4(net) } },
#define V6(w0, w1, w2, w3, l) \
	{ .family = DN_FAMILY_IPV6, .len = (l), \
	  .addr = { BYTES4(w0), BYTES4(w1), BYTES4(w2), BYTES4(w3) } },

static const struct dn_prefix v4[] = { DN_BOGONS_V4(V4) };
static const struct dn_prefix v6[] = { DN_BOGONS_V6(V6) };

const struct dn_prefix *bogon_table(uint8_t family, size_t *n)
{
	*n = family == DN_FAMILY_IPV4 ? ARRAY_SIZE(v4) : ARRAY_SIZE(v6);
	return family == DN_FAMILY_IPV4 ? v4 : v6;
}

static int bit(const uint8_t *a, unsigned int i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

int bogon_table_has(uint8_t family, const uint8_t *a)
{
	size_t n;
	const struct dn_prefix *t = bogon_table(family, &n);

	for (size_t k = 0; k < n; k++) {
		unsigned int i = 0;

		while (i < t[k].len && bit(a, i) == bit(t[k].addr, i))
			i++;
		if (i == t[k].len)
			return 1;
	}
	return 0;
}

static void prefix_ends(const struct dn_prefix *p, uint8_t *first, uint8_t *last)
{
	unsigned int bits = p->family == DN_FAMILY_IPV4 ? 32 : 128;

	memset(first, 0, 16);
	memset(last, 0, 16);
	for (unsigned int i = 0; i < bits; i++) {
		uint8_t m = 0x80 >> (i % 8);

		if (i < p->len) {
			first[i / 8] |= p->addr[i / 8] & m;
			last[i / 8] |= p->addr[i / 8] & m;
		} else {
			last[i / 8] |= m;
		}
	}
}

/* a + 1 or a - 1 as a big-endian number of bytes bytes; 0 when it wraps. */
static int step(uint8_t *a, unsigned int bytes, int up)
{
	for (int i = (int)bytes - 1; i >= 0; i--)
		if (up ? a[i]++ != 0xff : a[i]-- != 0x00)
			return 1;
	return 0;
}

void bogon_table_edges(uint8_t family, bogon_edge_fn fn, void *ctx)
{
	unsigned int bytes = family == DN_FAMILY_IPV4 ? 4 : 16;
	uint8_t first[16], last[16];
	char cidr[DN_PREFIX_STRLEN];
	size_t n;
	const struct dn_prefix *t = bogon_table(family, &n);

	for (size_t i = 0; i < n; i++) {
		prefix_format(&t[i], cidr, sizeof(cidr));
		prefix_ends(&t[i], first, last);
		fn(ctx, family, first, "first of", cidr);
		fn(ctx, family, last, "last of", cidr);
		if (step(first, bytes, 0))
			fn(ctx, family, first, "just before", cidr);
		if (step(last, bytes, 1))
			fn(ctx, family, last, "just after", cidr);
	}
}
