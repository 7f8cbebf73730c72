/* test_events_config.c: the event flags: defaults, values taken, ranges refused at start, the destination sampling shift. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include "config.h"
#include "darknet_events.h"
#include "maps.h"
#include "prefix.h"

static int parse(struct dn_config *cfg, int argc, char **argv)
{
	return config_parse(cfg, argc, argv);
}

Test(events_config, defaults)
{
	struct dn_config cfg;
	char *argv[] = { "darknet-counter", "eth1", NULL };

	cr_assert_eq(parse(&cfg, 2, argv), 0);
	cr_assert_not(cfg.no_events);
	cr_assert_eq(cfg.ev_th.scan_idle_s, 480);
	cr_assert_eq(cfg.ev_th.dos_idle_s, 300);
	cr_assert_eq(cfg.event_sweep_interval, 1);
	cr_assert_eq(cfg.dos_window, 60);
	cr_assert_eq(cfg.scan_table_entries, DN_SCAN_TABLE_DEFAULT);
	cr_assert_eq(cfg.dos_table_entries, DN_VICTIM_TABLE_DEFAULT);
	cr_assert_null(cfg.events_file);
	cr_assert_eq(cfg.events_file_max_bytes, 100ull << 20);
	cr_assert_eq(cfg.events_keep, 1000);
	config_free(&cfg);
}

Test(events_config, values_are_taken)
{
	struct dn_config cfg;
	char *argv[] = { "darknet-counter", "--no-events", "--scan-idle-timeout", "5",
			 "--scan-min-rate", "2.5", "--dos-min-window-packets", "7",
			 "--events-file", "/var/log/x.ndjson", "--events-file-max-bytes", "4096",
			 "--dos-window", "3", "--scan-table-entries", "1024", "eth1", NULL };

	cr_assert_eq(parse(&cfg, 17, argv), 0);
	cr_assert(cfg.no_events);
	cr_assert_eq(cfg.ev_th.scan_idle_s, 5);
	cr_assert_float_eq(cfg.ev_th.scan_min_rate, 2.5, 1e-12);
	cr_assert_eq(cfg.ev_th.dos_min_window, 7);
	cr_assert_str_eq(cfg.events_file, "/var/log/x.ndjson");
	cr_assert_eq(cfg.events_file_max_bytes, 4096);
	cr_assert_eq(cfg.dos_window, 3);
	cr_assert_eq(cfg.scan_table_entries, 1024);
	config_free(&cfg);
}

static void refused(const char *flag, const char *value, const char *says)
{
	struct dn_config cfg;
	char *argv[] = { "darknet-counter", (char *)flag, (char *)value, "eth1", NULL };
	char buf[512] = "";
	FILE *err = cr_get_redirected_stderr();

	cr_assert_eq(parse(&cfg, 4, argv), -EINVAL, "%s %s", flag, value);
	fflush(stderr);
	cr_assert_not_null(fgets(buf, sizeof(buf), err));
	cr_assert(strstr(buf, says), "%s %s: %s", flag, value, buf);
	config_free(&cfg);
}

Test(events_config, out_of_range_is_refused_with_the_flag_named, .init = cr_redirect_stderr)
{
	refused("--scan-min-destinations", "0", "--scan-min-destinations must be 1..65536");
}

Test(events_config, idle_zero_refused, .init = cr_redirect_stderr)
{
	refused("--scan-idle-timeout", "0", "--scan-idle-timeout must be 1..86400");
}

Test(events_config, negative_rate_refused, .init = cr_redirect_stderr)
{
	refused("--scan-min-rate", "-1", "--scan-min-rate");
}

Test(events_config, sweep_interval_zero_refused, .init = cr_redirect_stderr)
{
	refused("--event-sweep-interval", "0", "--event-sweep-interval must be 1..3600");
}

Test(events_config, table_too_big_refused, .init = cr_redirect_stderr)
{
	refused("--dos-table-entries", "99999999", "--dos-table-entries");
}

Test(events_config, tiny_file_size_refused, .init = cr_redirect_stderr)
{
	refused("--events-file-max-bytes", "100", "at least 4096 bytes");
}

static int parse_one(struct dn_config *cfg, char *a, char *b)
{
	char *argv[] = { "darknet-counter", a, b ? b : "eth9", "eth9", NULL };

	return config_parse(cfg, b ? 4 : 3, argv);
}

Test(events_config, defaults_and_sizes)
{
	struct dn_config cfg;

	cr_assert_eq(parse_one(&cfg, "--no-events", NULL), 0);
	cr_expect(cfg.no_events);
	cr_expect_eq(cfg.scan_table_entries, DN_SCAN_TABLE_DEFAULT);
	cr_expect_eq(cfg.dos_table_entries, DN_VICTIM_TABLE_DEFAULT);
	config_free(&cfg);
	cr_assert_eq(parse_one(&cfg, "--scan-table-entries", "1000"), 0);
	cr_expect_eq(cfg.scan_table_entries, 1000);
	cr_expect(!cfg.no_events);
	config_free(&cfg);
	cr_assert_eq(parse_one(&cfg, "--dos-table-entries", "1048576"), 0);
	cr_expect_eq(cfg.dos_table_entries, DN_EVENT_TABLE_MAX);
	config_free(&cfg);
}

Test(events_config, out_of_range_is_refused, .init = cr_redirect_stderr)
{
	struct dn_config cfg;

	cr_expect_neq(parse_one(&cfg, "--scan-table-entries", "0"), 0, "0 entries");
	config_free(&cfg);
	cr_expect_neq(parse_one(&cfg, "--dos-table-entries", "1048577"), 0, "past the maximum");
	config_free(&cfg);
	cr_expect_neq(parse_one(&cfg, "--scan-table-entries", "-5"), 0, "negative");
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
