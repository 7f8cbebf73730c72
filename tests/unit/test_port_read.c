/* test_port_read.c: split port counters (shared high + per-CPU low bytes) read as a whole, and only the touched groups re-read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "darknet_counter.h"
#include "port_read.h"

/* Eight low bytes as the program stores them: byte s is slot s. */
static __u64 low_word(const __u8 bytes[8])
{
	__u64 w;

	memcpy(&w, bytes, sizeof(w));
	return w;
}

Test(port_read, adds_high_and_low_per_slot)
{
	__u64 high[DN_TCP_PORT_SLOTS] = { 255, 0, 510, 0, 0, 0, 7650, 0 };
	__u8 bytes[8] = { 1, 2, 0, 0, 0, 0, 254, 0 };
	__u64 low = low_word(bytes), sum[DN_TCP_PORT_SLOTS] = { 10 };

	cr_assert_eq(port_read_one(high, &low, 1, 1, DN_TCP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[0], 10 + 256, "slot 0 adds to what sum held");
	cr_expect_eq(sum[1], 2);
	cr_expect_eq(sum[2], 510);
	cr_expect_eq(sum[6], 7650 + 254);
}

Test(port_read, one_high_part_and_every_cpus_low_bytes)
{
	__u64 high[DN_TCP_PORT_SLOTS] = { 510 }, sum[DN_TCP_PORT_SLOTS] = { 0 };
	__u8 b0[8] = { 7, 0, 0, 0, 0, 0, 0, 1 }, b1[8] = { 254, 0, 0, 0, 0, 0, 0, 2 };
	/* two CPUs' words of one port, a CPU's block apart as in the map */
	__u64 *low = calloc(DN_PORT_LOW_CPU_KEYS + 1, sizeof(*low));

	cr_assert_not_null(low);
	low[0] = low_word(b0);
	low[DN_PORT_LOW_CPU_KEYS] = low_word(b1);
	cr_assert_eq(port_read_one(high, low, DN_PORT_LOW_CPU_KEYS, 2, DN_TCP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[0], 510 + 7 + 254);
	cr_expect_eq(sum[7], 3);
	free(low);
}

Test(port_read, a_busy_byte_on_any_cpu_is_read_again)
{
	__u64 high[DN_TCP_PORT_SLOTS] = { 255 }, sum[DN_TCP_PORT_SLOTS] = { 0 };
	__u8 ok[8] = { 3 }, busy[8] = { 3, 0, 0, DN_PORT_LOW_BUSY, 0, 0, 0, 0 };
	__u64 low[2] = { low_word(ok), low_word(busy) };

	cr_assert_eq(port_read_one(high, low, 1, 2, DN_TCP_PORT_SLOTS, sum), -EAGAIN);
	for (int s = 0; s < DN_TCP_PORT_SLOTS; s++)
		cr_expect_eq(sum[s], 0, "a refused read leaves slot %d of sum alone", s);
}

Test(port_read, only_the_slots_asked_for)
{
	/* UDP has five slots: bytes past them are not counters */
	__u64 high[DN_UDP_PORT_SLOTS] = { 0, 0, 0, 0, 255 }, sum[DN_UDP_PORT_SLOTS] = { 0 };
	__u8 bytes[8] = { 0, 0, 0, 0, 9, DN_PORT_LOW_BUSY, 77, 77 };
	__u64 low = low_word(bytes);

	cr_assert_eq(port_read_one(high, &low, 1, 1, DN_UDP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[DN_UDP_SLOT_UDP_PROBE], 264);
}

/* A TCP table of ncpus CPUs in plain memory, laid out as the maps are. */
struct fake {
	struct port_table t;
	struct port_groups g;
	__u64 *low, *high, *touched, *sums;
};

static void fake_new(struct fake *f, unsigned int ncpus)
{
	memset(f, 0, sizeof(*f));
	f->low = calloc((size_t)ncpus * DN_PORT_LOW_CPU_KEYS, 8);
	f->high = calloc((size_t)DN_PORT_KEYS * DN_TCP_PORT_SLOTS, 8);
	f->touched = calloc((size_t)ncpus * DN_TOUCHED_CPU_WORDS, 8);
	f->sums = calloc((size_t)DN_PORT_KEYS * DN_TCP_PORT_SLOTS, 8);
	cr_assert(f->low && f->high && f->touched && f->sums, "fake tables");
	f->t = (struct port_table){ .low = f->low, .high = f->high, .touched = f->touched,
				    .ncpus = ncpus, .words = DN_TCP_PORT_SLOTS,
				    .slots = DN_TCP_PORT_SLOTS, .base = DN_TOUCHED_TCP };
	f->g.track = true;
}

static void fake_free(struct fake *f)
{
	free(f->low);
	free(f->high);
	free(f->touched);
	free(f->sums);
}

/* What the program does for one packet of slot on cpu: the byte (no carry
 * in these tests), then its group's bit unless touch is false. */
static void packet(struct fake *f, unsigned int cpu, __u32 port, unsigned int slot, bool touch)
{
	__u8 *b = (__u8 *)&f->low[(size_t)cpu * DN_PORT_LOW_CPU_KEYS + port] + slot;
	__u32 group = port / DN_PORT_GROUP_PORTS;

	(*b)++;
	if (touch)
		f->touched[(size_t)cpu * DN_TOUCHED_CPU_WORDS + DN_TOUCHED_TCP + group / 64] |=
			1ull << (group % 64);
}

static __u64 sum_of(const struct fake *f, __u32 port, unsigned int slot)
{
	return f->sums[(size_t)port * DN_TCP_PORT_SLOTS + slot];
}

Test(port_groups, first_read_reads_every_group_then_only_touched_ones)
{
	struct fake f;

	fake_new(&f, 2);
	f.high[80 * DN_TCP_PORT_SLOTS + 6] = 255;
	packet(&f, 0, 80, 6, false);
	packet(&f, 1, DN_PORT_NONE, 0, false);
	/* a fresh reader (a restarted daemon) trusts no bit: reads them all */
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(f.g.groups_read, DN_PORT_GROUPS);
	cr_expect_eq(sum_of(&f, 80, 6), 256);
	cr_expect_eq(sum_of(&f, DN_PORT_NONE, 0), 1);
	/* a count without its bit is not read (what the bit saves) ... */
	packet(&f, 1, 80, 6, false);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(f.g.groups_read, 0, "untouched groups read: %u", f.g.groups_read);
	cr_expect_eq(sum_of(&f, 80, 6), 256);
	/* ... a count with it is, over every CPU of the port */
	packet(&f, 1, 83, 2, true);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(f.g.groups_read, 1);
	cr_expect_eq(sum_of(&f, 80, 6), 257, "port 80 shares port 83's group");
	cr_expect_eq(sum_of(&f, 83, 2), 1);
	for (unsigned int c = 0; c < 2; c++)
		for (unsigned int w = 0; w < DN_TOUCHED_CPU_WORDS; w++)
			cr_expect_eq(f.touched[c * DN_TOUCHED_CPU_WORDS + w], 0,
				     "the reader clears the bits it took (cpu %u word %u)", c, w);
	/* the group cleared last time is read once more, then no more */
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(f.g.groups_read, 1, "the previous read's groups again");
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(f.g.groups_read, 0);
	fake_free(&f);
}

/* The case the second read is for: the program found its bit set, the
 * reader took the bit, and the count reached memory only afterwards. */
Test(port_groups, a_count_behind_a_taken_bit_is_read_next_time)
{
	struct fake f;

	fake_new(&f, 2);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	packet(&f, 0, 443, 1, true);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);   /* takes the bit */
	packet(&f, 0, 443, 1, false);                           /* late count, bit was set */
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(sum_of(&f, 443, 1), 2, "the late count: %llu",
		     (unsigned long long)sum_of(&f, 443, 1));
	fake_free(&f);
}

Test(port_groups, an_untracked_reader_reads_all_and_clears_nothing)
{
	struct fake f;

	fake_new(&f, 2);
	f.g.track = false;
	packet(&f, 1, 22, 3, true);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(f.g.groups_read, DN_PORT_GROUPS);
	cr_expect_eq(sum_of(&f, 22, 3), 1);
	cr_expect_neq(f.touched[DN_TOUCHED_CPU_WORDS + 22 / DN_PORT_GROUP_PORTS / 64], 0,
		      "the bit is the tracking reader's");
	fake_free(&f);
}

/* More CPUs than a 16-bit lane holds bytes of 255: the lanes are flushed. */
Test(port_groups, sums_over_more_than_256_cpus)
{
	enum { CPUS = 300 };
	struct fake f;

	fake_new(&f, CPUS);
	for (unsigned int c = 0; c < CPUS; c++)
		for (int i = 0; i < 254; i++)
			packet(&f, c, 65535, 7, true);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	cr_expect_eq(sum_of(&f, 65535, 7), CPUS * 254ull, "%llu",
		     (unsigned long long)sum_of(&f, 65535, 7));
	cr_expect_eq(sum_of(&f, 65535, 6), 0, "a slot takes nothing from its neighbour");
	fake_free(&f);
}

/* A byte that stays busy (a carry that never ends) fails the read after a
 * second, and the next read starts over from every group. */
Test(port_groups, a_carry_stuck_for_a_second_fails_the_read, .timeout = 10)
{
	struct fake f;

	fake_new(&f, 2);
	cr_assert_eq(port_table_read(&f.t, &f.g, f.sums), 0);
	((__u8 *)&f.low[DN_PORT_LOW_CPU_KEYS + 9])[0] = DN_PORT_LOW_BUSY;
	packet(&f, 1, 9, 1, true);
	cr_expect_eq(port_table_read(&f.t, &f.g, f.sums), -EBUSY);
	cr_expect_not(f.g.primed, "after a failed read every group is read again");
	fake_free(&f);
}
