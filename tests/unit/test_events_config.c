/* test_events_config.c: the event-table flags' range checks and the destination sampling shift. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include "darknet_events.h"
#include "config.h"
#include "maps.h"
#include "prefix.h"

static int parse(struct dn_config *cfg, char *a, char *b)
{
	char *argv[] = { "darknet-counter", a, b ? b : "eth9", "eth9", NULL };

	return config_parse(cfg, b ? 4 : 3, argv);
}

Test(events_config, defaults_and_sizes)
{
	struct dn_config cfg;

	cr_assert_eq(parse(&cfg, "--no-events", NULL), 0);
	cr_expect(cfg.no_events);
	cr_expect_eq(cfg.scan_table_entries, DN_SCAN_TABLE_DEFAULT);
	cr_expect_eq(cfg.dos_table_entries, DN_VICTIM_TABLE_DEFAULT);
	config_free(&cfg);
	cr_assert_eq(parse(&cfg, "--scan-table-entries", "1000"), 0);
	cr_expect_eq(cfg.scan_table_entries, 1000);
	cr_expect(!cfg.no_events);
	config_free(&cfg);
	cr_assert_eq(parse(&cfg, "--dos-table-entries", "1048576"), 0);
	cr_expect_eq(cfg.dos_table_entries, DN_EVENT_TABLE_MAX);
	config_free(&cfg);
}

Test(events_config, out_of_range_is_refused, .init = cr_redirect_stderr)
{
	struct dn_config cfg;

	cr_expect_neq(parse(&cfg, "--scan-table-entries", "0"), 0, "0 entries");
	config_free(&cfg);
	cr_expect_neq(parse(&cfg, "--dos-table-entries", "1048577"), 0, "past the maximum");
	config_free(&cfg);
	cr_expect_neq(parse(&cfg, "--scan-table-entries", "-5"), 0, "negative");
	config_free(&cfg);
}

Test(events_config, dst_shift_from_the_ipv4_darknet)
{
	struct dn_prefix_list l;
	struct dn_prefix p;
	char err[128];

	cr_expect_eq(dn_event_dst_shift_for(0), 0);
	cr_expect_eq(dn_event_dst_shift_for(DN_EVENT_DST_FULL), 0, "a /21 is counted whole");
	cr_expect_eq(dn_event_dst_shift_for(DN_EVENT_DST_FULL + 1), 1);
	cr_expect_eq(dn_event_dst_shift_for(1ULL << 24), 13, "a /8: 1 in 2^13");
	cr_expect_eq(dn_event_dst_shift_for(1ULL << 32), 21, "all of IPv4");
	prefix_list_init(&l);
	cr_assert_eq(prefix_parse("44.0.0.0/16", &p, err, sizeof(err)), 0);
	cr_assert_eq(prefix_list_add(&l, &p, ""), 0);
	cr_assert_eq(prefix_parse("2a0d:3dc1::/32", &p, err, sizeof(err)), 0);
	cr_assert_eq(prefix_list_add(&l, &p, ""), 0);
	cr_expect_eq(maps_events_dst_shift(&l), 5, "a /16 (IPv6 left out): 65536 / 2048 = 2^5");
	prefix_list_free(&l);
}
