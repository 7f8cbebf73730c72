/* test_campaign_frames.c: the XDP program classifies every campaign frame as the generator says (tools, backscatter with quotes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "campaign.h"
#include "darknet_counter.h"
#include "harness.h"
#include "names.h"

static const char *const darknets[] = { "198.51.100.0/24", "203.0.113.0/24", NULL };
static const char *const scanner_lines[] = { "71.6.233.0/24 rapid7", NULL };

/* Every frame of a campaign run through the program: the class counters
 * must be the generator's tally, key by key (family, protocol, class). */
Test(campaign_frames, every_frame_gets_the_class_the_truth_names)
{
	struct dn_prefix_list sc;
	struct dn_prefix p;
	struct campaign_config cfg;
	struct campaign_state st;
	struct mix_tally want = { 0 };
	struct dp_counts *got = calloc(1, sizeof(*got));
	uint8_t buf[FRAME_MAX];
	char err[256] = "";
	struct dp d;
	uint64_t t;
	int len;

	cr_assert_not_null(got);
	prefix_list_init(&sc);
	cr_assert_eq(prefix_parse("71.6.233.0/24", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(prefix_list_add(&sc, &p, "rapid7"), 0);
	campaign_config_defaults(&cfg);
	cfg.seed = 21;
	cfg.scanners = &sc;
	cr_assert_eq(campaign_init(&st, &cfg, err, sizeof(err)), 0, "%s", err);

	dp_open(&d, XDP_DROP);
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp_install_scanners(&d, scanner_lines, err, sizeof(err)), 0, "%s", err);
	while ((len = campaign_next(&st, buf, &t)) > 0) {
		cr_assert_eq(dp_run(&d, buf, (uint32_t)len), XDP_DROP,
			     "packet %zu: not counted as darknet traffic", st.next - 1);
		mix_tally_add(&want, &st.info);
	}
	cr_assert_eq(len, 0, "campaign_next: %d", len);
	dp_counts_read(&d, got, 0);
	for (uint32_t k = 0; k < DN_CLASS_KEYS; k++) {
		uint32_t cls = k % DN_CLASS_MAX;

		cr_expect_eq(got->classes[k].packets, want.key_packets[k],
			     "class key %u (%s): %llu packets counted, the generator says %llu", k,
			     names_class(cls), (unsigned long long)got->classes[k].packets,
			     (unsigned long long)want.key_packets[k]);
		cr_expect_eq(got->classes[k].bytes, want.key_bytes[k], "class key %u: bytes", k);
	}
	cr_assert_gt(want.class_packets[DN_CLASS_BACKSCATTER], 0);
	cr_assert_gt(want.class_packets[DN_CLASS_RESEARCH], 0);
	dp_close(&d);
	campaign_free(&st);
	prefix_list_free(&sc);
	free(got);
}
