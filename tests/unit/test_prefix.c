/* test_prefix.c: CIDR parsing (every error path), formatting, sizes, equality. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "prefix.h"
#include "array_size.h"

struct good_case {
	const char *text;
	uint8_t family, len;
	const char *formatted;
	double addresses;
};

static const struct good_case good[] = {
	{ "203.0.113.0/24", DN_FAMILY_IPV4, 24, "203.0.113.0/24", 256 },
	{ "0.0.0.0/0", DN_FAMILY_IPV4, 0, "0.0.0.0/0", 4294967296.0 },
	{ "198.51.100.7", DN_FAMILY_IPV4, 32, "198.51.100.7/32", 1 },
	{ "198.51.100.7/32", DN_FAMILY_IPV4, 32, "198.51.100.7/32", 1 },
	{ "10.0.0.4/30", DN_FAMILY_IPV4, 30, "10.0.0.4/30", 4 },
	{ "10.0.0.0/024", DN_FAMILY_IPV4, 24, "10.0.0.0/24", 256 },
	{ "2001:db8:dead::/48", DN_FAMILY_IPV6, 48, "2001:db8:dead::/48", 1208925819614629174706176.0 },
	{ "2001:DB8:0000::/32", DN_FAMILY_IPV6, 32, "2001:db8::/32", 79228162514264337593543950336.0 },
	{ "::/0", DN_FAMILY_IPV6, 0, "::/0", 340282366920938463463374607431768211456.0 },
	{ "::1", DN_FAMILY_IPV6, 128, "::1/128", 1 },
	{ "2001:db8:8000::/33", DN_FAMILY_IPV6, 33, "2001:db8:8000::/33", 39614081257132168796771975168.0 },
	{ "::ffff:192.0.2.0/120", DN_FAMILY_IPV6, 120, "::ffff:192.0.2.0/120", 256 },
};

Test(prefix, parses_good_prefixes)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const struct good_case *c = &good[i];
		char err[128] = "", text[DN_PREFIX_STRLEN];
		struct dn_prefix p;

		cr_assert_eq(prefix_parse(c->text, &p, err, sizeof(err)), 0,
			     "%s: parse failed: %s", c->text, err);
		cr_expect_eq(p.family, c->family, "%s: family", c->text);
		cr_expect_eq(p.len, c->len, "%s: length", c->text);
		prefix_format(&p, text, sizeof(text));
		cr_expect_str_eq(text, c->formatted, "%s: formatted", c->text);
		cr_expect_eq(prefix_addresses(&p), c->addresses, "%s: addresses %g", c->text,
			     prefix_addresses(&p));
	}
}

Test(prefix, ipv4_uses_first_four_bytes_and_zeroes_the_rest)
{
	struct dn_prefix p;
	char err[128];
	static const uint8_t want[16] = { 203, 0, 113, 0 };

	memset(&p, 0xaa, sizeof(p));
	cr_assert_eq(prefix_parse("203.0.113.0/24", &p, err, sizeof(err)), 0, "v4 bytes: %s", err);
	cr_expect_arr_eq(p.addr, want, sizeof(want), "v4 bytes: network order, zero tail");
}

struct bad_case {
	const char *text;
	const char *err;
};

static const struct bad_case bad[] = {
	{ "", "empty prefix" },
	{ "10.0.0.0/33", "invalid prefix length 33" },
	{ "2001:db8::/129", "invalid prefix length 129" },
	{ "10.0.0.0/1000", "invalid prefix length 1000" },
	{ "10.0.0.0/", "missing prefix length after '/'" },
	{ "/24", "missing address before '/'" },
	{ "10.0.0.0/-1", "invalid prefix length -1" },
	{ "10.0.0.0/+8", "invalid prefix length +8" },
	{ "10.0.0.0/ 8", "invalid prefix length  8" },
	{ "10.0.0.0/0x8", "invalid prefix length 0x8" },
	{ "10.0.0.0/8/8", "invalid prefix length 8/8" },
	{ "198.51.100.1/24", "host bits set in 198.51.100.1/24 (network is 198.51.100.0/24)" },
	{ "10.0.1.0/23", "host bits set in 10.0.1.0/23 (network is 10.0.0.0/23)" },
	{ "10.0.0.1/31", "host bits set in 10.0.0.1/31 (network is 10.0.0.0/31)" },
	{ "2001:db8::1/64", "host bits set in 2001:db8::1/64 (network is 2001:db8::/64)" },
	{ "2001:db8:4000::/33", "host bits set in 2001:db8:4000::/33 (network is 2001:db8::/33)" },
	{ "256.0.0.0/8", "invalid IPv4 address 256.0.0.0" },
	{ "10/8", "invalid IPv4 address 10" },
	{ "1.2.3.4.5", "invalid IPv4 address 1.2.3.4.5" },
	{ " 10.0.0.0/8", "invalid IPv4 address  10.0.0.0" },
	{ "example.org/24", "invalid IPv4 address example.org" },
	{ "2001:db8:::/48", "invalid IPv6 address 2001:db8:::" },
	{ "fe80::1%eth0", "invalid IPv6 address fe80::1%eth0" },
	{ "2001:db8::g/64", "invalid IPv6 address 2001:db8::g" },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999/128",
	  "invalid IPv6 address 1111:2222:3333:4444:5555:6666:7777:8888:9999" },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/128",
	  "invalid prefix 1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/... (too long)" },
};

Test(prefix, rejects_bad_prefixes_with_their_reason)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct bad_case *c = &bad[i];
		struct dn_prefix p, before;
		char err[128] = "";

		memset(&p, 0x5a, sizeof(p));
		before = p;
		cr_expect_eq(prefix_parse(c->text, &p, err, sizeof(err)), -EINVAL,
			     "\"%s\": must fail with -EINVAL", c->text);
		cr_expect_str_eq(err, c->err, "\"%s\": message", c->text);
		cr_expect_arr_eq(&p, &before, sizeof(p), "\"%s\": out untouched on error", c->text);
	}
}

Test(prefix, short_error_buffer_is_terminated)
{
	struct dn_prefix p;
	char err[8];

	memset(err, 'x', sizeof(err));
	cr_assert_eq(prefix_parse("10.0.0.0/33", &p, err, sizeof(err)), -EINVAL, "short err: fails");
	cr_expect_str_eq(err, "invalid", "short err: truncated and terminated");
}

Test(prefix, format_truncates_into_small_buffers)
{
	struct dn_prefix p;
	char err[64], buf[6];

	cr_assert_eq(prefix_parse("203.0.113.0/24", &p, err, sizeof(err)), 0, "small buf: %s", err);
	prefix_format(&p, buf, sizeof(buf));
	cr_expect_str_eq(buf, "203.0", "small buf: truncated and terminated");
}

Test(prefix, longest_text_fits_prefix_strlen)
{
	struct dn_prefix p;
	char err[64], buf[DN_PREFIX_STRLEN];
	const char *longest = "1111:2222:3333:4444:5555:6666:7777:8888/128";

	cr_assert_eq(prefix_parse(longest, &p, err, sizeof(err)), 0, "longest: %s", err);
	prefix_format(&p, buf, sizeof(buf));
	cr_expect_str_eq(buf, longest, "longest: formatted whole");
}

Test(prefix, equality)
{
	struct dn_prefix a, b;
	char err[64];

	prefix_parse("203.0.113.0/24", &a, err, sizeof(err));
	prefix_parse("203.0.113.0/24", &b, err, sizeof(err));
	cr_expect(prefix_equal(&a, &b), "equal: same prefix");
	/* Bytes past an IPv4 address are not part of it. */
	b.addr[7] = 1;
	cr_expect(prefix_equal(&a, &b), "equal: IPv4 ignores addr[4..15]");
	prefix_parse("203.0.113.0/25", &b, err, sizeof(err));
	cr_expect(!prefix_equal(&a, &b), "equal: length differs");
	prefix_parse("203.0.112.0/24", &b, err, sizeof(err));
	cr_expect(!prefix_equal(&a, &b), "equal: address differs");
	prefix_parse("::/0", &a, err, sizeof(err));
	prefix_parse("0.0.0.0/0", &b, err, sizeof(err));
	cr_expect(!prefix_equal(&a, &b), "equal: family differs");
	prefix_parse("2001:db8::/32", &a, err, sizeof(err));
	prefix_parse("2001:db8::/32", &b, err, sizeof(err));
	cr_expect(prefix_equal(&a, &b), "equal: same IPv6 prefix");
	b.addr[15] = 1;
	cr_expect(!prefix_equal(&a, &b), "equal: IPv6 compares all 16 bytes");
}

Test(prefix, addresses_of_extremes)
{
	struct dn_prefix p = { .family = DN_FAMILY_IPV6, .len = 64 };

	cr_expect_eq(prefix_addresses(&p), ldexp(1, 64), "addresses: ::/64 is 2^64");
	p.len = 128;
	cr_expect_eq(prefix_addresses(&p), 1.0, "addresses: /128 is 1");
	p.family = DN_FAMILY_IPV4;
	p.len = 32;
	cr_expect_eq(prefix_addresses(&p), 1.0, "addresses: /32 is 1");
}
