/* test_sketch.c: HyperLogLog registers, merge and estimate against known registers; windows of interval sketches. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <criterion/criterion.h>
#include "distinct_window.h"
#include "sketch.h"

static struct dn_sketch a, b;

Test(sketch, rank_and_register_of_known_hashes)
{
	cr_assert_eq(dn_sketch_rank(0), DN_SKETCH_MAX_RANK, "all zero: the largest rank");
	cr_assert_eq(dn_sketch_rank(1ull << 51), 1, "first bit after the index set: rank 1");
	cr_assert_eq(dn_sketch_rank(1ull << 50), 2, "one zero then a one: rank 2");
	cr_assert_eq(dn_sketch_rank(1), 52, "only the last bit: 51 zeros");
	cr_assert_eq(dn_sketch_rank(~0ull), 1, "all ones");
	cr_assert_eq(dn_sketch_reg(0xabcull << 52), 0xabc, "top 12 bits");
	for (int z = 0; z < 52; z++)
		cr_assert_eq(dn_sketch_rank((1ull << 51) >> z), (unsigned)z + 1, "%d zeros", z);
}

Test(sketch, register_layout_is_bytes_of_words)
{
	sketch_clear(&a);
	sketch_raise(&a, 5, 7);
	cr_assert_eq(a.w[1], 7u << 8, "register 5 is byte 1 of word 1");
	sketch_raise(&a, 5, 3);
	cr_assert_eq(sketch_get(&a, 5), 7, "a register never goes down");
}

Test(sketch, empty_is_zero_and_linear_range_matches_linear_counting)
{
	sketch_clear(&a);
	cr_assert_eq(sketch_estimate(&a), 0);
	/* k registers at rank 1: linear counting gives m ln(m / (m - k)) */
	for (unsigned int k = 1; k <= 400; k++) {
		double want = DN_SKETCH_REGS * log((double)DN_SKETCH_REGS / (DN_SKETCH_REGS - k));

		sketch_raise(&a, k * 2 - 1, 1);
		cr_assert_leq(fabs(sketch_estimate(&a) - want), 0.01 * want + 0.5,
			      "%u registers at 1: %.2f, linear counting %.2f", k,
			      sketch_estimate(&a), want);
	}
}

Test(sketch, every_register_at_rank_r_estimates_m_2_to_the_r)
{
	/* all registers at r (none at 0 or at the top): Ertl's estimate is
	 * then m^2 / (2 ln 2 * m 2^-r) = m 2^r / (2 ln 2), twice the one at r - 1 */
	double prev = 0;

	for (unsigned int r = 4; r < 20; r++) {
		double e;

		sketch_clear(&a);
		for (unsigned int i = 0; i < DN_SKETCH_REGS; i++)
			sketch_raise(&a, i, r);
		e = sketch_estimate(&a);
		cr_assert_float_eq(e, DN_SKETCH_REGS * ldexp(1, r) / (2 * log(2)), 1e-6 * e,
				   "rank %u: %.0f", r, e);
		if (prev)
			cr_assert_float_eq(e / prev, 2.0, 1e-6, "rank %u: %.0f vs %.0f", r, e, prev);
		prev = e;
	}
}

Test(sketch, merge_takes_the_larger_register_and_is_the_union)
{
	sketch_clear(&a);
	sketch_clear(&b);
	sketch_raise(&a, 0, 3);
	sketch_raise(&a, 1, 9);
	sketch_raise(&b, 0, 5);
	sketch_raise(&b, 2, 1);
	sketch_merge(&a, &b);
	cr_assert_eq(sketch_get(&a, 0), 5);
	cr_assert_eq(sketch_get(&a, 1), 9);
	cr_assert_eq(sketch_get(&a, 2), 1);
	cr_assert_eq(sketch_get(&a, 3), 0);
	/* 20,000 + 20,000 sources with 10,000 in common: union 30,000 */
	sketch_clear(&a);
	sketch_clear(&b);
	for (uint32_t i = 0; i < 20000; i++) {
		sketch_add_hash(&a, dn_sketch_hash4(i));
		sketch_add_hash(&b, dn_sketch_hash4(i + 10000));
	}
	sketch_merge(&a, &b);
	cr_assert_leq(fabs(sketch_estimate(&a) - 30000), 3 * SKETCH_STD_ERROR * 30000, "%.0f",
		      sketch_estimate(&a));
}

static struct dwin w;

static void with_source(struct dn_sketch *s, uint32_t addr)
{
	sketch_clear(s);
	sketch_add_hash(s, dn_sketch_hash4(addr));
}

static double in_window(int64_t next, enum dwin_window win)
{
	dwin_query(&w, next, win, &b);
	return sketch_estimate(&b);
}

Test(dwin, intervals_must_divide_five_minutes)
{
	cr_assert(dwin_interval_ok(60) && dwin_interval_ok(1) && dwin_interval_ok(300));
	cr_assert(!dwin_interval_ok(0) && !dwin_interval_ok(7) && !dwin_interval_ok(600));
	cr_assert_eq(dwin_init(&w, 7), -EINVAL);
}

/* A source seen only in the interval that ended 10 minutes ago counts in
 * 1h and 24h but not in 5m; two hours ago only in 24h; 26 hours ago nowhere. */
Test(dwin, a_source_ten_minutes_ago)
{
	const int64_t start = 1000000;   /* any interval number: 60 s intervals */
	struct dn_sketch empty;

	sketch_clear(&empty);
	cr_assert_eq(dwin_init(&w, 60), 0);
	with_source(&a, 0x0b000001);
	dwin_push(&w, start, &a);
	for (int64_t k = start + 1; k <= start + 4; k++)
		dwin_push(&w, k, &empty);
	cr_assert_float_eq(in_window(start + 5, DWIN_5M), 1, 0.01, "5 intervals back: inside 5m");
	dwin_push(&w, start + 5, &empty);
	cr_assert_eq(in_window(start + 6, DWIN_5M), 0, "6 intervals back: out of 5m");
	for (int64_t k = start + 6; k <= start + 10; k++)
		dwin_push(&w, k, &empty);
	cr_assert_eq(in_window(start + 11, DWIN_5M), 0, "10 minutes ago is outside 5m");
	cr_assert_float_eq(in_window(start + 11, DWIN_1H), 1, 0.01, "inside 1h");
	cr_assert_float_eq(in_window(start + 11, DWIN_24H), 1, 0.01, "inside 24h");
	for (int64_t k = start + 11; k <= start + 120; k++)
		dwin_push(&w, k, &empty);
	cr_assert_eq(in_window(start + 121, DWIN_1H), 0, "2 hours ago is outside 1h");
	cr_assert_float_eq(in_window(start + 121, DWIN_24H), 1, 0.01, "inside 24h");
	cr_assert_eq(in_window(start + 26 * 60, DWIN_24H), 0, "26 hours ago: gone");
	dwin_free(&w);
}

/* Windows are unions: sources in several intervals count once. */
Test(dwin, windows_are_unions)
{
	struct dn_sketch s;

	cr_assert_eq(dwin_init(&w, 60), 0);
	for (int64_t k = 0; k < 24 * 60; k++) {
		sketch_clear(&s);
		/* interval k: sources k .. k + 99, so the last n intervals
		 * hold n + 99 distinct sources */
		for (uint32_t i = 0; i < 100; i++)
			sketch_add_hash(&s, dn_sketch_hash4(k + i));
		dwin_push(&w, k, &s);
	}
	cr_assert_leq(fabs(in_window(24 * 60, DWIN_5M) - 104), 3 * SKETCH_STD_ERROR * 104);
	/* last completed block ends exactly at the last interval: 12 blocks + 1 */
	cr_assert_leq(fabs(in_window(24 * 60, DWIN_1H) - (65 + 99)), 3 * SKETCH_STD_ERROR * 164,
		      "%.0f", in_window(24 * 60, DWIN_1H));
	cr_assert_leq(fabs(in_window(24 * 60, DWIN_24H) - (24 * 60 + 99)),
		      3 * SKETCH_STD_ERROR * 1539, "%.0f", in_window(24 * 60, DWIN_24H));
	dwin_free(&w);
}

/* A history of exact bitmaps (IPv4 destinations) unites by OR and counts
 * ones: 3 addresses in one interval and 2 (one again) in the next are 4. */
Test(dwin, bitmap_history_is_exact)
{
	struct dn_sketch s;

	cr_assert_eq(dwin_init(&w, 60), 0);
	w.bits = true;
	sketch_clear(&s);
	s.w[0] = 0x7;
	dwin_push(&w, 100, &s);
	s.w[0] = 0x1;
	s.w[700] = 0x80000000u;
	dwin_push(&w, 101, &s);
	dwin_query(&w, 102, DWIN_5M, &b);
	cr_assert_eq(dwin_count(&w, &b), 4, "%.0f", dwin_count(&w, &b));
	dwin_query(&w, 102, DWIN_24H, &b);
	cr_assert_eq(dwin_count(&w, &b), 4, "%.0f", dwin_count(&w, &b));
	dwin_free(&w);
}

/* Saved pieces come back by (level, idx); a piece from after the clock
 * went back, or older than 24 hours, is dropped. */
Test(dwin, slots_round_trip_and_trim)
{
	struct dn_sketch s;
	int n;

	cr_assert_eq(dwin_init(&w, 60), 0);
	with_source(&s, 0x0b000001);
	dwin_push(&w, 1000, &s);
	n = dwin_slot_number(&w, DN_HIST_RECENT, 1000 % 5);
	cr_assert_eq(dwin_slot_at(&w, n), &w.recent[0], "interval 1000 in recent[0]");
	cr_assert_eq(dwin_slot_at(&w, dwin_slot_number(&w, DN_HIST_HOUR, 0)), &w.hour);
	cr_assert_eq(dwin_slot_number(&w, DN_HIST_RECENT, 5), -1, "only 5 intervals");
	cr_assert_eq(dwin_nr_slots(&w), 5 + 12 + 1 + 24 + 1);
	cr_assert(dwin_slot_valid(&w, n, 1000));
	cr_assert(!dwin_slot_valid(&w, n, 999), "a piece from the future");
	cr_assert(!dwin_slot_valid(&w, n, 1005), "out of the 5 minutes");
	dwin_trim(&w, 1000 + 10);
	cr_assert_eq(w.recent[0].tag, -1, "recent piece expired");
	cr_assert_eq(w.hour.tag, 1000 / 60, "the hour stays");
	dwin_trim(&w, 1000 + 26 * 60);
	cr_assert_eq(w.hour.tag, -1, "26 hours later the hour is gone");
	dwin_push(&w, 2000, &s);
	dwin_trim(&w, 1500);
	for (unsigned int i = 0; i < dwin_nr_slots(&w); i++)
		cr_assert_lt(dwin_slot_at(&w, i)->tag, 2000 / 5 + 1, "after a clock jump back, "
			     "slot %u keeps tag %lld", i, (long long)dwin_slot_at(&w, i)->tag);
	dwin_query(&w, 1501, DWIN_24H, &b);
	cr_assert(sketch_empty(&b), "nothing from the future in 24h");
	dwin_free(&w);
}
