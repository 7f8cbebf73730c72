/* test_geo_files.c: geo range CSVs and .mmdb files: what is read, and each refusal with its file:line reason. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "darknet_counter.h"
#include "geo.h"

#define WRITE_MMDB "tests/tools/write-mmdb.pl"

static char dir[] = "/tmp/dn-geo-XXXXXX";
static char path_buf[4][512];
static int next_path;
static struct geo_db db;
static char err[1024];

static void setup(void)
{
	strcpy(dir, "/tmp/dn-geo-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "setup: mkdtemp");
	next_path = 0;
	err[0] = '\0';
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	geo_db_free(&db);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(geo_files, .init = setup, .fini = teardown);

/* Writes content to dir/name; the path stays valid for the test. */
static const char *put(const char *name, const char *content)
{
	char *p = path_buf[next_path++ % 4];
	FILE *f;

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f, "cannot write %s", p);
	fputs(content, f);
	fclose(f);
	return p;
}

/* Loads one file of kind into db; returns the loader's result, message in err. */
static int load(enum geo_kind kind, const char *name, const char *content)
{
	const char *p = put(name, content);
	int ret;

	geo_db_init(&db, kind);
	ret = geo_db_load_file(&db, p, err, sizeof(err));
	return ret ?: geo_db_finish(&db, err, sizeof(err));
}

static void expect_refused(enum geo_kind kind, const char *content, const char *where,
			   const char *reason)
{
	char want[600];

	cr_assert_neq(load(kind, "t.csv", content), 0, "accepted: %s", content);
	snprintf(want, sizeof(want), "%s/t.csv:%s: %s", dir, where, reason);
	cr_assert(strstr(err, want) == err, "message '%s', want '%s...'", err, want);
}

Test(geo_files, country_csv_both_families_and_comments)
{
	cr_assert_eq(load(GEO_COUNTRY, "c.csv", "# a comment\n\n1.0.0.0,1.0.0.255,AU\r\n"
			  "1.0.1.0,1.0.3.255,CN\n"), 0, "%s", err);
	cr_assert_eq(db.len, 2);
	cr_assert(db.ranges[1].first == 0x01000100 && db.ranges[1].last == 0x010003ff);
	cr_assert_eq(db.ranges[1].value, geo_cc_index("CN"));
	cr_assert_eq(db.ranges[1].line, 4);
	geo_db_free(&db);
	cr_assert_eq(load(GEO_COUNTRY, "c6.csv", "2001:200::,2001:218:2000:51:ffff:ffff:ffff:ffff,JP\n"),
		     0, "%s", err);
	cr_assert_eq(db.ranges[0].family, DN_FAMILY_IPV6);
	cr_assert(db.ranges[0].first >> 96 == 0x20010200);
	cr_assert_eq(db.files[0].ranges, 1);
}

Test(geo_files, malformed_line)
{
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255\n", "2",
		       "malformed line: expected first,last,CC");
	geo_db_free(&db);
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.255,AU,extra\n", "1",
		       "malformed line: expected first,last,CC");
	geo_db_free(&db);
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.256,AU\n", "1", "invalid address '1.0.0.256'");
	geo_db_free(&db);
	expect_refused(GEO_ASN, "1.0.0.0,1.0.0.255,13335\n", "1",
		       "malformed line: expected first,last,ASN,org");
	geo_db_free(&db);
	expect_refused(GEO_ASN, "1.0.0.0,1.0.0.255,AS13335,x\n", "1", "invalid AS number 'AS13335'");
	geo_db_free(&db);
	expect_refused(GEO_ASN, "1.0.0.0,1.0.0.255,1,\"unterminated\n", "1",
		       "malformed line: expected first,last,ASN,org");
}

Test(geo_files, reversed_range)
{
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.255,AU\n\n10.0.0.9,10.0.0.8,US\n", "3",
		       "reversed range: last 10.0.0.8 is before first");
}

Test(geo_files, ipv6_range_in_an_ipv4_file)
{
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.255,AU\n2001:db8::,2001:db8::ff,AU\n", "2",
		       "IPv6 range in an IPv4 file (line 1 is IPv4)");
	geo_db_free(&db);
	expect_refused(GEO_COUNTRY, "1.0.0.0,2001:db8::ff,AU\n", "1",
		       "first and last address of different families");
}

Test(geo_files, unknown_country_code)
{
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,ZZ\n", "2",
		       "unknown country code 'ZZ'");
	geo_db_free(&db);
	expect_refused(GEO_COUNTRY, "1.0.0.0,1.0.0.255,au\n", "1", "unknown country code 'au'");
}

Test(geo_files, asn_csv_quoted_names)
{
	cr_assert_eq(load(GEO_ASN, "a.csv", "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
			  "2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n"
			  "1.1.1.0,1.1.1.255,13335,Cloudflare again\n"
			  "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n"), 0, "%s", err);
	cr_assert_eq(db.len, 4);
	cr_assert_eq(db.nr_names, 3, "one name per AS");
	cr_assert_str_eq(geo_db_asn_name(&db, 13335), "Cloudflare, Inc.");
	cr_assert_str_eq(geo_db_asn_name(&db, 201907), "LLC \"SPUTNIK\"");
	cr_assert_str_eq(geo_db_asn_name(&db, 38803), "Gtelecom Pty Ltd");
	cr_assert_null(geo_db_asn_name(&db, 1));
}

Test(geo_files, overlap_between_files_refused)
{
	const char *a = put("v4a.csv", "10.0.0.0,10.0.0.255,US\n10.0.2.0,10.0.2.255,DE\n");
	const char *b = put("v4b.csv", "10.0.1.0,10.0.1.255,FR\n\n10.0.2.128,10.0.3.10,FR\n");
	char want[600];

	geo_db_init(&db, GEO_COUNTRY);
	cr_assert_eq(geo_db_load_file(&db, a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_load_file(&db, b, err, sizeof(err)), 0, "%s", err);
	cr_assert_neq(geo_db_finish(&db, err, sizeof(err)), 0, "overlap accepted");
	snprintf(want, sizeof(want), "%s:3: range overlaps %s:2 (10.0.2.0-10.0.2.255)", b, a);
	cr_assert_str_eq(err, want);
}

/* The published databases nest more specific ranges in wider ones: the
 * narrowest wins where they share addresses (docs/geo.md). */
Test(geo_files, overlap_within_a_file_narrowest_wins)
{
	cr_assert_eq(load(GEO_COUNTRY, "n.csv", "2.58.196.0,2.58.197.255,DE\n"
			  "2.58.197.15,2.58.197.15,BE\n2.58.197.16,2.58.197.255,NL\n"
			  "5.182.128.0,5.182.130.255,DK\n5.182.130.120,5.182.131.255,SE\n"), 0,
		     "%s", err);
	cr_assert_eq(db.files[0].ranges, 5);
	cr_assert_eq(db.files[0].overlapping, 3);
	/* DE 196.0-197.14, BE .15, NL .16-.255; SE (392 addresses) is narrower
	 * than DK (768): DK 128.0-130.119, SE 130.120-131.255 */
	cr_assert_eq(db.len, 5);
	cr_assert(db.ranges[0].first == 0x023ac400 && db.ranges[0].last == 0x023ac50e);
	cr_assert_eq(db.ranges[0].value, geo_cc_index("DE"));
	cr_assert(db.ranges[1].first == 0x023ac50f && db.ranges[1].last == 0x023ac50f);
	cr_assert_eq(db.ranges[1].value, geo_cc_index("BE"));
	cr_assert(db.ranges[2].first == 0x023ac510 && db.ranges[2].last == 0x023ac5ff);
	cr_assert_eq(db.ranges[2].value, geo_cc_index("NL"));
	cr_assert(db.ranges[3].first == 0x05b68000 && db.ranges[3].last == 0x05b68277);
	cr_assert_eq(db.ranges[3].value, geo_cc_index("DK"));
	cr_assert(db.ranges[4].first == 0x05b68278 && db.ranges[4].last == 0x05b683ff);
	cr_assert_eq(db.ranges[4].value, geo_cc_index("SE"));
}

Test(geo_files, empty_file_refused)
{
	cr_assert_neq(load(GEO_COUNTRY, "e.csv", "# nothing\n"), 0);
	cr_assert(strstr(err, "e.csv: no ranges"), "%s", err);
}

/* .mmdb files written by MaxMind::DB::Writer (tests/tools/write-mmdb.pl). */
static const char *mmdb(const char *name, const char *args)
{
	char *p = path_buf[next_path++ % 4], cmd[1024];

	snprintf(p, 512, "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "perl %s %s %s", WRITE_MMDB, p, args);
	cr_assert_eq(system(cmd), 0, "%s failed (libmaxmind-db-writer-perl installed?)", cmd);
	return p;
}

Test(geo_files, mmdb_country)
{
	const char *p = mmdb("c.mmdb", "GeoLite2-Country 6 1.2.3.0/24=DE 10.0.0.0/8=US "
			     "10.1.0.0/16=FR 2001:db8::/32=JP");

	geo_db_init(&db, GEO_COUNTRY);
	cr_assert_eq(geo_db_load_file(&db, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_finish(&db, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(db.files[0].type, "GeoLite2-Country");
	/* IPv4 once (the ::ffff:0:0/96 and 2002::/16 aliases skipped);
	 * 10.0.0.0/8 around 10.1.0.0/16 comes out as three ranges */
	cr_assert_eq(db.len, 5, "%zu ranges", db.len);
	cr_assert(db.ranges[0].family == DN_FAMILY_IPV4 && db.ranges[0].first == 0x01020300 &&
		  db.ranges[0].last == 0x010203ff && db.ranges[0].value == geo_cc_index("DE"));
	cr_assert(db.ranges[1].first == 0x0a000000 && db.ranges[1].last == 0x0a00ffff);
	cr_assert(db.ranges[2].first == 0x0a010000 && db.ranges[2].last == 0x0a01ffff &&
		  db.ranges[2].value == geo_cc_index("FR"));
	cr_assert(db.ranges[3].first == 0x0a020000 && db.ranges[3].last == 0x0affffff);
	cr_assert(db.ranges[4].family == DN_FAMILY_IPV6 && db.ranges[4].first >> 96 == 0x20010db8 &&
		  db.ranges[4].last >> 96 == 0x20010db8 && (__u64)db.ranges[4].last == UINT64_MAX &&
		  db.ranges[4].value == geo_cc_index("JP"));
}

Test(geo_files, mmdb_asn)
{
	const char *p = mmdb("a.mmdb", "GeoLite2-ASN 4 1.2.3.0/25=13335:Cloudflare,Inc 5.0.0.0/8=3320:DTAG");

	geo_db_init(&db, GEO_ASN);
	cr_assert_eq(geo_db_load_file(&db, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_finish(&db, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db.len, 2);
	cr_assert(db.ranges[0].first == 0x01020300 && db.ranges[0].last == 0x0102037f);
	cr_assert_eq(db.ranges[0].value, 13335);
	cr_assert_str_eq(geo_db_asn_name(&db, 13335), "Cloudflare,Inc");
	cr_assert_str_eq(geo_db_asn_name(&db, 3320), "DTAG");
}

Test(geo_files, mmdb_of_the_wrong_type)
{
	const char *a = mmdb("a.mmdb", "GeoLite2-ASN 4 1.2.3.0/24=13335:x");
	const char *c = mmdb("c.mmdb", "DBIP-Country-Lite 4 1.2.3.0/24=DE");
	char want[600];

	geo_db_init(&db, GEO_COUNTRY);
	cr_assert_neq(geo_db_load_file(&db, a, err, sizeof(err)), 0, "an ASN mmdb as countries");
	snprintf(want, sizeof(want), "%s: database_type 'GeoLite2-ASN' is not a country database", a);
	cr_assert_str_eq(err, want);
	geo_db_free(&db);
	geo_db_init(&db, GEO_ASN);
	cr_assert_neq(geo_db_load_file(&db, c, err, sizeof(err)), 0, "a country mmdb as ASNs");
	snprintf(want, sizeof(want), "%s: database_type 'DBIP-Country-Lite' is not an ASN database", c);
	cr_assert_str_eq(err, want);
}

Test(geo_files, mmdb_unknown_country_code)
{
	const char *c = mmdb("c.mmdb", "GeoLite2-Country 4 1.2.3.0/24=QQ");

	geo_db_init(&db, GEO_COUNTRY);
	cr_assert_neq(geo_db_load_file(&db, c, err, sizeof(err)), 0);
	cr_assert(strstr(err, ": unknown country code 'QQ' (range from 1.2.3.0)"), "%s", err);
}
