/* test_geo_series.c: AS series promotion: bounded, watched first, sticky across updates and restarts, other the exact remainder. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "geo_series.h"

static struct geo_series *gs;
static __u64 *totals;
static __u32 *asn_of;          /* AS index -> AS number */
static struct geo_promotion out[DN_GEO_ASN_SLOTS];
static char err[256];

static void setup(void)
{
	gs = calloc(1, sizeof(*gs));
	totals = calloc(DN_GEO_MAX_ASNS, sizeof(*totals));
	asn_of = calloc(DN_GEO_MAX_ASNS, sizeof(*asn_of));
	cr_assert(gs && totals && asn_of);
	for (__u32 a = 1; a <= 1000; a++)
		asn_of[a] = 64000 + a;
}

static void teardown(void)
{
	free(gs);
	free(totals);
	free(asn_of);
}

TestSuite(geo_series, .init = setup, .fini = teardown);

Test(geo_series, heaviest_first_up_to_max_and_sticky)
{
	size_t n;

	cr_assert_eq(geo_series_init(gs, 3, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_series_update(gs, totals, asn_of, out), 0, "first update: a baseline");
	totals[5] = 1000;
	totals[6] = 3000;
	totals[7] = 2000;
	totals[8] = 500;
	totals[9] = 5;           /* below the minimum delta */
	n = geo_series_update(gs, totals, asn_of, out);
	cr_assert_eq(n, 3, "promoted %zu", n);
	cr_expect_eq(out[0].index, 6);
	cr_expect_eq(out[1].index, 7);
	cr_expect_eq(out[2].index, 5);
	cr_expect_eq(out[0].slot, 1);
	cr_expect_eq(out[2].slot, 3);
	/* 6 goes quiet, 8 turns heavy: 6 keeps its series, 8 gets none (max reached) */
	totals[8] += 100000;
	n = geo_series_update(gs, totals, asn_of, out);
	cr_expect_eq(n, 0, "max 3 reached, yet %zu promoted", n);
	cr_expect_eq(gs->slot_of[6], 1, "never demoted");
	cr_expect_eq(gs->slot_of[8], 0);
}

Test(geo_series, share_threshold)
{
	cr_assert_eq(geo_series_init(gs, 100, NULL, err, sizeof(err)), 0, "%s", err);
	geo_series_update(gs, totals, asn_of, out);
	totals[1] = 100000;
	totals[2] = 900;         /* 0.9 % of the interval: not heavy */
	totals[3] = 1100;        /* 1.1 % */
	cr_assert_eq(geo_series_update(gs, totals, asn_of, out), 2);
	cr_expect_eq(gs->slot_of[2], 0);
	cr_expect_neq(gs->slot_of[3], 0);
}

Test(geo_series, watched_at_once_and_not_counted)
{
	cr_assert_eq(geo_series_init(gs, 1, "64010,64020,99999", err, sizeof(err)), 0, "%s", err);
	/* AS 99999 has no index yet: no series until the database names it */
	cr_assert_eq(geo_series_update(gs, totals, asn_of, out), 2);
	cr_expect_neq(gs->slot_of[10], 0);
	cr_expect_neq(gs->slot_of[20], 0);
	totals[30] = 50;
	cr_expect_eq(geo_series_update(gs, totals, asn_of, out), 1, "max 1 is on top of watched");
	cr_expect_neq(gs->slot_of[30], 0);
	asn_of[1001] = 99999;
	cr_expect_eq(geo_series_update(gs, totals, asn_of, out), 1);
	cr_expect_eq(out[0].index, 1001);
}

Test(geo_series, bounds_and_bad_lists)
{
	cr_expect_eq(geo_series_init(gs, DN_GEO_ASN_SLOTS - 1, NULL, err, sizeof(err)), 0);
	cr_expect_eq(geo_series_init(gs, DN_GEO_ASN_SLOTS - 1, "1", err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "more than"), "%s", err);
	cr_expect_eq(geo_series_init(gs, 10, "13335,x", err, sizeof(err)), -EINVAL);
	cr_expect_eq(geo_series_init(gs, 10, "13335,,1", err, sizeof(err)), -EINVAL);
	cr_expect_eq(geo_series_init(gs, 10, "-5", err, sizeof(err)), -EINVAL);
	cr_expect_eq(geo_series_init(gs, 10, "none", err, sizeof(err)), 0);
}

/* A restart reads the slots back from the pinned map: the same series,
 * the count of traffic promotions kept, new ones after the last slot. */
Test(geo_series, restart_keeps_slots)
{
	__u16 *slots = calloc(DN_GEO_MAX_ASNS, sizeof(*slots));

	cr_assert(slots);
	cr_assert_eq(geo_series_init(gs, 2, "64050", err, sizeof(err)), 0, "%s", err);
	geo_series_update(gs, totals, asn_of, out);
	totals[3] = 100;
	geo_series_update(gs, totals, asn_of, out);
	memcpy(slots, gs->slot_of, DN_GEO_MAX_ASNS * sizeof(*slots));
	cr_assert_eq(geo_series_init(gs, 2, "64050", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_series_restore(gs, slots, asn_of), 0);
	cr_expect_eq(gs->promoted, 1);
	cr_expect_eq(gs->slot_of[50], 1);
	cr_expect_eq(gs->slot_of[3], 2);
	geo_series_update(gs, totals, asn_of, out);
	totals[4] = 100;
	totals[5] = 100;
	cr_expect_eq(geo_series_update(gs, totals, asn_of, out), 1, "one left of max 2");
	cr_expect_eq(out[0].slot, 3);
	slots[3] = 1;   /* two ASes on one slot: a corrupt map */
	cr_assert_eq(geo_series_init(gs, 2, NULL, err, sizeof(err)), 0);
	cr_expect_eq(geo_series_restore(gs, slots, asn_of), -EINVAL);
	free(slots);
}

/* The datapath's side of the rule, modelled: each packet counts in its
 * AS's slot at the time. Over seeded random traffic with promotions, every
 * series and other only grow, and series + other = all packets, exactly. */
Test(geo_series, other_is_the_exact_remainder)
{
	__u64 series[DN_GEO_ASN_SLOTS] = { 0 }, prev[DN_GEO_ASN_SLOTS] = { 0 }, all = 0;

	cr_assert_eq(geo_series_init(gs, 20, "64007", err, sizeof(err)), 0, "%s", err);
	srandom(7);
	for (int round = 0; round < 50; round++) {
		__u64 sum = 0;

		for (int p = 0; p < 20000; p++) {
			/* a skewed mix: low indices heavy */
			__u32 a = 1 + (random() % 1000) * (random() % 1000) / 1000;

			totals[a]++;
			series[gs->slot_of[a]]++;
			all++;
		}
		geo_series_update(gs, totals, asn_of, out);
		for (unsigned int s = 0; s < DN_GEO_ASN_SLOTS; s++) {
			cr_assert_geq(series[s], prev[s], "slot %u went back", s);
			prev[s] = series[s];
			sum += series[s];
		}
		cr_assert_eq(sum, all, "round %d: series + other %llu, packets %llu", round,
			     (unsigned long long)sum, (unsigned long long)all);
	}
	cr_expect(gs->promoted > 0 && gs->promoted <= 20, "promoted %u", gs->promoted);
	cr_expect_neq(gs->slot_of[7], 0);
}
