/* test_counters.c: summing the small counters' per-CPU blocks as the program lays them out. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "counters.h"
#include "cpu_blocks.h"

/* blocks of keys_per_cpu values, one per CPU: value of (cpu, key, word) =
 * key * 1000 + cpu * 10 + word */
static void fill(__u64 *mem, __u32 keys_per_cpu, __u32 words, __u32 ncpus)
{
	for (__u32 c = 0; c < ncpus; c++)
		for (__u32 k = 0; k < keys_per_cpu; k++)
			for (__u32 w = 0; w < words; w++)
				mem[((size_t)c * keys_per_cpu + k) * words + w] = k * 1000 + c * 10 + w;
}

Test(counters, cpu_blocks_sum_adds_each_word_over_cpus)
{
	enum { KEYS = 3, PER_CPU = 4, WORDS = 2, CPUS = 4 };
	__u64 mem[PER_CPU * CPUS * WORDS], out[KEYS * WORDS];

	fill(mem, PER_CPU, WORDS, CPUS);
	memset(out, 0xab, sizeof(out));   /* the sum must overwrite, not add to, out */
	cpu_blocks_sum(out, mem, CPUS, PER_CPU, KEYS, WORDS);
	for (__u32 k = 0; k < KEYS; k++)
		for (__u32 w = 0; w < WORDS; w++)
			cr_expect_eq(out[k * WORDS + w], 4 * (k * 1000 + w) + 10 * (0 + 1 + 2 + 3),
				     "sum: key %u word %u = %llu", k, w,
				     (unsigned long long)out[k * WORDS + w]);
}

Test(counters, cpu_blocks_sum_reads_each_block_at_its_stride)
{
	/* keys 0 and 1 of two CPUs, blocks of 3 keys: the pad key 2 is never read */
	__u64 mem[6] = { 1, 2, 1000, 10, 20, 2000 }, out[2];

	cpu_blocks_sum(out, mem, 2, 3, 2, 1);
	cr_expect_eq(out[0], 11, "key 0: CPU 0's 1 + CPU 1's 10, got %llu",
		     (unsigned long long)out[0]);
	cr_expect_eq(out[1], 22, "key 1: CPU 0's 2 + CPU 1's 20, got %llu",
		     (unsigned long long)out[1]);
}

Test(counters, cpu_blocks_sum_single_cpu_is_a_copy)
{
	__u64 mem[8], out[8];

	fill(mem, 4, 2, 1);
	cpu_blocks_sum(out, mem, 1, 4, 4, 2);
	cr_expect_arr_eq(out, mem, sizeof(out), "one CPU: the values themselves");
}

Test(counters, cpu_blocks_sum_keeps_64_bits)
{
	__u64 mem[2] = { 0xffffffffull, 0x100000001ull }, out[1];

	cpu_blocks_sum(out, mem, 2, 1, 1, 1);
	cr_expect_eq(out[0], 0x200000000ull, "no 32-bit truncation: %llx",
		     (unsigned long long)out[0]);
}

Test(counters, total_packets_sums_every_class_key)
{
	struct dn_iface_snapshot *s = calloc(1, sizeof(*s));

	cr_assert_not_null(s, "snapshot");
	s->classes[dn_class_key(DN_FAMILY_IPV4, 6, DN_CLASS_SCAN)].packets = 5;
	s->classes[dn_class_key(DN_FAMILY_IPV6, 17, DN_CLASS_UDP_PROBE)].packets = 7;
	s->classes[DN_CLASS_KEYS - 1].packets = 1;
	s->reasons[DN_REASON_NOT_DARKNET].packets = 100;   /* not darknet traffic */
	cr_expect_eq(counters_total_packets(s), 13, "total: %llu",
		     (unsigned long long)counters_total_packets(s));
	free(s);
}
