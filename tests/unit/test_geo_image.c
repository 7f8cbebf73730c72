/* test_geo_image.c: the country table, AS indices and the geo table images: aligned and unaligned ranges, range ends, IPv6. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include "darknet_counter.h"
#include "darknet_geo.h"
#include "geo.h"
#include "geo_asn.h"
#include "geo_image.h"

static struct geo_db cc, as;
static struct geo_asn_ids ids;
static struct geo_image img;
static char err[512];

static void setup(void)
{
	geo_db_init(&cc, GEO_COUNTRY);
	geo_db_init(&as, GEO_ASN);
	cr_assert_eq(geo_asn_ids_init(&ids), 0);
	memset(&img, 0, sizeof(img));
}

static void teardown(void)
{
	geo_image_free(&img);
	geo_db_free(&cc);
	geo_db_free(&as);
	geo_asn_ids_free(&ids);
}

TestSuite(geo_image, .init = setup, .fini = teardown);

static unsigned __int128 addr(const char *text, __u8 *family)
{
	unsigned char b[16];
	unsigned __int128 v = 0;

	if (inet_pton(AF_INET, text, b) == 1) {
		*family = DN_FAMILY_IPV4;
		for (int i = 0; i < 4; i++)
			v = v << 8 | b[i];
		return v;
	}
	cr_assert_eq(inet_pton(AF_INET6, text, b), 1, "bad test address %s", text);
	*family = DN_FAMILY_IPV6;
	for (int i = 0; i < 16; i++)
		v = v << 8 | b[i];
	return v;
}

static void add(struct geo_db *db, const char *first, const char *last, __u32 value)
{
	struct geo_range r = { .value = value, .line = db->len + 1 };
	__u8 f2;

	r.first = addr(first, &r.family);
	r.last = addr(last, &f2);
	if (!db->nr_files) {   /* geo_db_finish names files in messages */
		db->files = calloc(1, sizeof(*db->files));
		db->files[0].path = strdup("test");
		db->nr_files = 1;
	}
	cr_assert_eq(geo_db_add(db, &r), 0);
}

static void build(int with_cc, int with_as)
{
	cr_assert_eq(geo_db_finish(&cc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_finish(&as, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_image_build(&img, with_cc ? &cc : NULL, with_as ? &as : NULL, &ids, err,
				     sizeof(err)), 0, "%s", err);
}

/* The entry the datapath would find for an address, by text. */
static __u32 at(const char *text)
{
	unsigned char b[16];
	__u8 family;
	unsigned __int128 a = addr(text, &family);

	if (family == DN_FAMILY_IPV4)
		return geo_image_lookup_v4(&img, (__u32)a);
	inet_pton(AF_INET6, text, b);
	return geo_image_lookup_v6(&img, b);
}

static __u32 C(const char *code)
{
	__u32 i = geo_cc_index(code);

	cr_assert_neq(i, 0, "%s not in the table", code);
	return i;
}

Test(geo_image, country_table_sorted_stable_and_complete)
{
	unsigned n = geo_cc_count();

	cr_assert_eq(n, 253, "249 ISO codes + AN, AP, EU, XK");
	cr_assert_lt(n, DN_GEO_COUNTRIES);
	for (unsigned i = 2; i <= n; i++)
		cr_assert_lt(strcmp(geo_cc_code(i - 1), geo_cc_code(i)), 0, "not sorted at %u", i);
	for (unsigned i = 1; i <= n; i++)
		cr_assert_eq(geo_cc_index(geo_cc_code(i)), i);
	/* indices are part of the map layout: these must never move */
	cr_assert_eq(geo_cc_index("AD"), 1);
	cr_assert_eq(geo_cc_index("US"), 236);
	cr_assert_eq(geo_cc_index("ZW"), 253);
	cr_assert_neq(geo_cc_index("XK"), 0);
	cr_assert_neq(geo_cc_index("AN"), 0);
	cr_assert_eq(geo_cc_index("ZZ"), 0);
	cr_assert_eq(geo_cc_index("us"), 0);
	cr_assert_eq(geo_cc_index("USA"), 0);
	cr_assert_str_eq(geo_cc_code(0), "--");
	cr_assert_str_eq(geo_cc_code(n + 1), "--");
}

Test(geo_image, asn_indices_append_only)
{
	__u32 a = geo_asn_ids_assign(&ids, 13335), b = geo_asn_ids_assign(&ids, 3320);

	cr_assert_eq(a, 1);
	cr_assert_eq(b, 2);
	cr_assert_eq(geo_asn_ids_assign(&ids, 13335), 1, "an AS keeps its index");
	cr_assert_eq(geo_asn_ids_find(&ids, 3320), 2);
	cr_assert_eq(geo_asn_ids_find(&ids, 64512), 0);
	cr_assert_eq(geo_asn_ids_assign(&ids, 0), 0, "AS 0 is no AS");
	for (__u32 asn = 100000; ids.next < DN_GEO_MAX_ASNS; asn++)
		geo_asn_ids_assign(&ids, asn);
	cr_assert_eq(geo_asn_ids_assign(&ids, 7), 0, "full: unknown, not a reused index");
	cr_assert_eq(ids.refused, 1);
	cr_assert_eq(geo_asn_ids_assign(&ids, 13335), 1);
}

Test(geo_image, aligned_ranges_take_no_split_block)
{
	add(&cc, "10.0.0.0", "10.0.255.255", C("DE"));
	add(&cc, "10.1.0.0", "10.1.0.255", C("FR"));
	build(1, 0);
	cr_assert_eq(img.nr_blocks, 0);
	cr_assert_eq(at("10.0.0.0"), C("DE"));
	cr_assert_eq(at("10.0.255.255"), C("DE"));
	cr_assert_eq(at("10.1.0.0"), C("FR"));
	cr_assert_eq(at("10.1.0.255"), C("FR"));
	cr_assert_eq(at("10.1.1.0"), 0);
	cr_assert_eq(at("9.255.255.255"), 0);
	/* the directory and one mixed /16 (10.1: one /24 of FR, the rest none) */
	cr_assert_eq(geo_image_v4_rows(&img), DN_GEO_V4_DIR_ROWS + 1);
	cr_assert_eq(geo_image_v4_bytes(&img), (DN_GEO_V4_DIR_ROWS + 1) * 1024);
}

Test(geo_image, unaligned_ranges_first_and_last_address)
{
	/* boundaries inside 10.0.0.0/24 and 10.0.3.0/24; 10.0.1-2 whole */
	add(&cc, "10.0.0.7", "10.0.0.130", C("DE"));
	add(&cc, "10.0.0.131", "10.0.3.9", C("NL"));
	add(&cc, "10.0.3.200", "10.0.3.200", C("XK"));
	build(1, 0);
	cr_assert_eq(img.nr_blocks, 2, "one block per split /24");
	cr_assert_eq(at("10.0.0.6"), 0);
	cr_assert_eq(at("10.0.0.7"), C("DE"));
	cr_assert_eq(at("10.0.0.130"), C("DE"));
	cr_assert_eq(at("10.0.0.131"), C("NL"));
	cr_assert_eq(at("10.0.1.0"), C("NL"));
	cr_assert_eq(at("10.0.2.255"), C("NL"));
	cr_assert_eq(at("10.0.3.9"), C("NL"));
	cr_assert_eq(at("10.0.3.10"), 0);
	cr_assert_eq(at("10.0.3.199"), 0);
	cr_assert_eq(at("10.0.3.200"), C("XK"));
	cr_assert_eq(at("10.0.3.201"), 0);
	cr_assert(img.direct[(0x0a0000 >> 8)].e[0x0a0000 & 0xff] & DN_GEO_SPLIT);
	cr_assert_eq(img.direct[0x0a0001 / 256].e[0x0a0001 % 256], C("NL"), "10.0.1.0/24 direct");
}

Test(geo_image, whole_space_ends)
{
	add(&cc, "0.0.0.0", "0.0.0.0", C("US"));
	add(&cc, "255.255.255.255", "255.255.255.255", C("JP"));
	add(&cc, "::", "::ffff:ffff:ffff:ffff", C("US"));
	add(&cc, "ffff:ffff:ffff:ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", C("JP"));
	build(1, 0);
	cr_assert_eq(at("0.0.0.0"), C("US"));
	cr_assert_eq(at("0.0.0.1"), 0);
	cr_assert_eq(at("255.255.255.254"), 0);
	cr_assert_eq(at("255.255.255.255"), C("JP"));
	cr_assert_eq(at("::1"), C("US"));
	cr_assert_eq(at("ffff:ffff:ffff:ffff::1"), C("JP"));
	cr_assert_eq(at("ffff:ffff:ffff:fffe::"), 0);
}

Test(geo_image, country_and_asn_merged)
{
	add(&cc, "1.0.0.0", "1.0.0.255", C("AU"));
	add(&as, "1.0.0.0", "1.0.0.127", 13335);
	add(&as, "1.0.0.200", "1.0.1.255", 38803);
	build(1, 1);
	__u32 cf = geo_asn_ids_find(&ids, 13335), gt = geo_asn_ids_find(&ids, 38803);

	cr_assert(cf && gt && cf != gt);
	cr_assert_eq(at("1.0.0.0"), dn_geo_entry(C("AU"), cf));
	cr_assert_eq(at("1.0.0.127"), dn_geo_entry(C("AU"), cf));
	cr_assert_eq(at("1.0.0.128"), dn_geo_entry(C("AU"), 0));
	cr_assert_eq(at("1.0.0.199"), dn_geo_entry(C("AU"), 0));
	cr_assert_eq(at("1.0.0.200"), dn_geo_entry(C("AU"), gt));
	cr_assert_eq(at("1.0.0.255"), dn_geo_entry(C("AU"), gt));
	cr_assert_eq(at("1.0.1.0"), dn_geo_entry(0, gt));
	cr_assert_eq(at("1.0.1.255"), dn_geo_entry(0, gt));
	cr_assert_eq(at("1.0.2.0"), 0);
	cr_assert_eq(dn_geo_asn(at("1.0.1.7")), gt);
	/* country only: the AS part stays 0 */
	geo_image_free(&img);
	cr_assert_eq(geo_image_build(&img, &cc, NULL, &ids, err, sizeof(err)), 0);
	cr_assert_eq(at("1.0.0.0"), C("AU"));
	cr_assert_eq(at("1.0.1.0"), 0);
}

Test(geo_image, ipv6_prefixes_and_range_ends)
{
	add(&cc, "2001:db8::", "2001:db8:0:2:ffff:ffff:ffff:ffff", C("DE"));   /* 3 x /64 */
	add(&cc, "2001:db8:0:3::", "2001:db8:0:3::ff", C("FR"));           /* inside a /64 */
	add(&cc, "2001:db8:0:3::100", "2001:db8:0:4:ffff:ffff:ffff:ffff", C("NL"));
	add(&cc, "2001:dc0::", "2001:dcf:ffff:ffff:ffff:ffff:ffff:ffff", C("AU"));   /* /28 */
	build(1, 0);
	cr_assert_eq(at("2001:db8::"), C("DE"));
	cr_assert_eq(at("2001:db8:0:2:ffff:ffff:ffff:ffff"), C("DE"));
	/* a /64 that two ranges share goes to the one holding its first address */
	cr_assert_eq(at("2001:db8:0:3::"), C("FR"));
	cr_assert_eq(at("2001:db8:0:3::100"), C("FR"));
	cr_assert_eq(at("2001:db8:0:4::"), C("NL"));
	cr_assert_eq(at("2001:db8:0:4:ffff:ffff:ffff:ffff"), C("NL"));
	cr_assert_eq(at("2001:db8:0:5::"), 0);
	cr_assert_eq(at("2001:dc0::"), C("AU"));
	cr_assert_eq(at("2001:dcf:ffff:ffff:ffff:ffff:ffff:ffff"), C("AU"));
	cr_assert_eq(at("2001:dd0::"), 0);
	cr_assert_eq(at("2001:dbf:ffff:ffff::"), 0);
	/* 2001:db8::/63 + 2001:db8:0:2::/64, FR 3::/64, NL 4::/64, AU /28 */
	cr_assert_eq(img.nr_v6, 5, "%zu prefixes", img.nr_v6);
	for (size_t i = 0; i < img.nr_v6; i++)
		cr_assert_leq(img.v6[i].len, DN_GEO_V6_MAX_LEN);
	cr_assert_null(img.direct, "no IPv4 range: no IPv4 table");
}
