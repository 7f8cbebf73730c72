/* test_geo_config.c: --geo-country and --geo-asn take repeated options and comma lists, in order. */
#include <criterion/criterion.h>
#include <getopt.h>
#include <string.h>

#include "config.h"

static struct dn_config cfg;

static int parse(int argc, const char **argv)
{
	optind = 0;   /* glibc: a fresh scan */
	return config_parse(&cfg, argc, (char **)argv);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(geo_config, .fini = teardown);

Test(geo_config, lists_and_repeats)
{
	const char *argv[] = { "darknet-counter", "--geo-country", "c4.csv,c6.csv",
			       "--geo-asn", "a4.csv", "--geo-country", "extra.mmdb",
			       "--geo-asn", "a6.csv", "eth1" };

	cr_assert_eq(parse(10, argv), 0);
	cr_assert_eq(cfg.nr_geo_country_files, 3);
	cr_assert_str_eq(cfg.geo_country_files[0], "c4.csv");
	cr_assert_str_eq(cfg.geo_country_files[1], "c6.csv");
	cr_assert_str_eq(cfg.geo_country_files[2], "extra.mmdb");
	cr_assert_eq(cfg.nr_geo_asn_files, 2);
	cr_assert_str_eq(cfg.geo_asn_files[0], "a4.csv");
	cr_assert_str_eq(cfg.geo_asn_files[1], "a6.csv");
	cr_assert_eq(cfg.nr_ifaces, 1);
}

Test(geo_config, none_given_is_off)
{
	const char *argv[] = { "darknet-counter", "eth1" };

	cr_assert_eq(parse(2, argv), 0);
	cr_assert_eq(cfg.nr_geo_country_files + cfg.nr_geo_asn_files, 0);
}

Test(geo_config, empty_list_refused)
{
	const char *argv[] = { "darknet-counter", "--geo-asn", ",", "eth1" };

	cr_assert_neq(parse(4, argv), 0);
}
