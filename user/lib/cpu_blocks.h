/* cpu_blocks.h: counters in plain arrays with one block per CPU, mapped and summed over CPUs. */
#ifndef DN_CPU_BLOCKS_H
#define DN_CPU_BLOCKS_H

#include <stddef.h>
#include <linux/types.h>

/* One mapped map of the small counters (class_counters, icmp_counters,
 * prefix_counters, org_counters, reason_counters): key k of CPU c is value
 * c * keys_per_cpu + k, each value a whole number of u64 words. */
struct cpu_blocks {
	__u32 id;            /* the map's id: another id is another map */
	__u32 ncpus, keys_per_cpu, value_size;
	const __u64 *mem;
	size_t len;
};

/* Map fd read-only unless b maps that map already (the same id). Its CPU
 * count comes from its size, so that pinned maps made for another count
 * are read as they are. 0 or -errno; -EINVAL when the map is not whole
 * blocks of keys_per_cpu values of value_size bytes. */
int cpu_blocks_map(struct cpu_blocks *b, int fd, __u32 keys_per_cpu, __u32 value_size);
void cpu_blocks_unmap(struct cpu_blocks *b);

/* out[k] = the sum over ncpus blocks of key k, word by word, for keys
 * [0, nr_keys) of values of `words` u64 each; mem holds ncpus blocks of
 * keys_per_cpu values. Each word is loaded once, whole (the program
 * stores it whole), so a sum never holds half a word. */
void cpu_blocks_sum(__u64 *out, const __u64 *mem, __u32 ncpus, __u32 keys_per_cpu,
		    __u32 nr_keys, __u32 words);

/* Keys [0, nr_keys) of b, summed over its CPUs into out. */
void cpu_blocks_read_mapped(const struct cpu_blocks *b, __u32 nr_keys, void *out);

/* One-shot reader: map fd, sum keys [0, nr_keys) into out, unmap. 0 or -errno. */
int cpu_blocks_read(int fd, __u32 keys_per_cpu, __u32 nr_keys, __u32 value_size, void *out);

/* Zero keys[0, n) in every CPU's block of fd, in one batch update. 0 or -errno. */
int cpu_blocks_zero(int fd, __u32 keys_per_cpu, __u32 value_size, const __u32 *keys, __u32 n);

#endif
