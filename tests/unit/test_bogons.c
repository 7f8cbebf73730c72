/* test_bogons.c: the bogon table is well formed, its first-octet sets match it, and the generator's bogon and public sources agree with it. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "bogons.h"
#include "mix_addr.h"
#include "lib/bogon_table.h"

#define DRAWS 100000

static const uint8_t families[] = { DN_FAMILY_IPV4, DN_FAMILY_IPV6 };

static const char *family_name(uint8_t family)
{
	return family == DN_FAMILY_IPV4 ? "IPv4" : "IPv6";
}

static void text_of(uint8_t family, const uint8_t *a, char *buf)
{
	inet_ntop(family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Every entry parses back to itself: prefix_parse() refuses host bits, so a
 * mistyped network ("172.16.0.0/11") fails here. */
Test(bogons, entries_have_no_host_bits)
{
	for (size_t f = 0; f < sizeof(families); f++) {
		size_t n;
		const struct dn_prefix *t = bogon_table(families[f], &n);

		cr_assert_gt(n, 0, "%s table empty", family_name(families[f]));
		for (size_t i = 0; i < n; i++) {
			char text[DN_PREFIX_STRLEN], err[128] = "";
			struct dn_prefix p;

			prefix_format(&t[i], text, sizeof(text));
			cr_expect_eq(prefix_parse(text, &p, err, sizeof(err)), 0, "entry %s: %s",
				     text, err);
			cr_expect(prefix_equal(&p, &t[i]), "entry %s does not read back", text);
		}
	}
}

/* The first-octet sets the datapath tests before its compare chain: bit o
 * set exactly when some entry's first 8 bits can be o. */
static void check_octets(uint8_t family, const uint64_t set[4])
{
	size_t n;
	const struct dn_prefix *t = bogon_table(family, &n);

	for (unsigned int o = 0; o < 256; o++) {
		int want = 0, have = set[o / 64] >> (o % 64) & 1;

		for (size_t i = 0; i < n && !want; i++) {
			unsigned int bits = t[i].len < 8 ? t[i].len : 8;
			uint8_t mask = (uint8_t)(0xff00u >> bits);

			want = ((o ^ t[i].addr[0]) & mask) == 0;
		}
		cr_expect_eq(have, want, "%s first-octet set, octet %u: %d, the table says %d",
			     family_name(family), o, have, want);
	}
}

Test(bogons, first_octet_sets_match_the_table)
{
	static const uint64_t v4[4] = DN_BOGON_V4_OCTETS, v6[4] = DN_BOGON_V6_OCTETS;

	check_octets(DN_FAMILY_IPV4, v4);
	check_octets(DN_FAMILY_IPV6, v6);
}

static void edge(void *ctx, uint8_t family, const uint8_t *a, const char *what, const char *cidr)
{
	char text[INET6_ADDRSTRLEN];
	int want = bogon_table_has(family, a);

	text_of(family, a, text);
	cr_expect_eq(mix_addr_bogon(family, a), want, "%s (%s %s): the generator says %s",
		     text, what, cidr, want ? "routable, the table bogon" : "bogon, the table not");
	(*(int *)ctx)++;
}

/* The generator's matcher, which keeps bogons out of public and scanner
 * sources, at every edge of the table. */
Test(bogons, generator_matcher_agrees_at_every_edge)
{
	int probes = 0;

	bogon_table_edges(DN_FAMILY_IPV4, edge, &probes);
	bogon_table_edges(DN_FAMILY_IPV6, edge, &probes);
	cr_expect_gt(probes, 0, "no edges");
}

/* Spoofed templates draw their sources from a subset of the table. */
Test(bogons, generator_bogon_sources_are_in_the_table)
{
	struct mix_state st = { .rng = 2018 };
	uint8_t a[16];
	char text[INET6_ADDRSTRLEN];

	cr_assert_eq(mix_addr_init(&st, NULL, NULL), 0, "mix_addr_init");
	for (size_t f = 0; f < sizeof(families); f++) {
		for (int i = 0; i < DRAWS; i++) {
			mix_addr_src_bogon(&st, families[f], a);
			text_of(families[f], a, text);
			cr_assert(bogon_table_has(families[f], a),
				  "draw %d: bogon source %s is not in the table", i, text);
			cr_assert(families[f] != DN_FAMILY_IPV4 || a[0] != 192 || a[1] != 0 ||
				  a[2] != 2, "draw %d: bogon source %s in 192.0.2.0/24", i, text);
		}
	}
	mix_addr_free(&st);
}

/* Public sources are redrawn while the generator's own copy of the table
 * calls them bogons: none may be in the table. */
Test(bogons, generator_public_sources_are_not)
{
	struct mix_state st = { .rng = 2018 };
	uint8_t a[16], dst[16] = { 0 };
	char text[INET6_ADDRSTRLEN];

	cr_assert_eq(mix_addr_init(&st, NULL, NULL), 0, "mix_addr_init");
	for (size_t f = 0; f < sizeof(families); f++) {
		for (int i = 0; i < DRAWS; i++) {
			cr_assert_eq(mix_addr_src_public(&st, families[f], dst, a), 0, "draw %d", i);
			text_of(families[f], a, text);
			cr_assert(!bogon_table_has(families[f], a),
				  "draw %d: public source %s is in the bogon table", i, text);
		}
	}
	mix_addr_free(&st);
}
