/* test_counters.c: summing per-CPU values as the kernel's batch lookup lays them out. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "counters.h"

/* [key][cpu][word], value = key * 1000 + cpu * 10 + word */
static void fill(__u64 *vals, __u32 keys, __u32 words, int ncpus)
{
	for (__u32 k = 0; k < keys; k++)
		for (int c = 0; c < ncpus; c++)
			for (__u32 w = 0; w < words; w++)
				vals[((size_t)k * ncpus + c) * words + w] = k * 1000 + c * 10 + w;
}

Test(counters, sum_percpu_adds_each_word_over_cpus)
{
	enum { KEYS = 3, WORDS = 2, CPUS = 4 };
	__u64 vals[KEYS * CPUS * WORDS], out[KEYS * WORDS];

	fill(vals, KEYS, WORDS, CPUS);
	memset(out, 0xab, sizeof(out));   /* the sum must overwrite, not add to, out */
	counters_sum_percpu(out, vals, KEYS, WORDS, CPUS);
	for (__u32 k = 0; k < KEYS; k++)
		for (__u32 w = 0; w < WORDS; w++)
			cr_expect_eq(out[k * WORDS + w], 4 * (k * 1000 + w) + 10 * (0 + 1 + 2 + 3),
				     "sum: key %u word %u = %llu", k, w,
				     (unsigned long long)out[k * WORDS + w]);
}

Test(counters, sum_percpu_single_cpu_is_a_copy)
{
	__u64 vals[8], out[8];

	fill(vals, 4, 2, 1);
	counters_sum_percpu(out, vals, 4, 2, 1);
	cr_expect_arr_eq(out, vals, sizeof(out), "one CPU: the values themselves");
}

Test(counters, sum_percpu_keeps_64_bits)
{
	__u64 vals[2] = { 0xffffffffull, 0x100000001ull }, out[1];

	counters_sum_percpu(out, vals, 1, 1, 2);
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
