/* cpu_blocks.c: counters in plain arrays with one block per CPU, mapped and summed over CPUs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "cpu_blocks.h"

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static int check_shape(const struct bpf_map_info *info, __u32 keys_per_cpu, __u32 value_size)
{
	if (info->type != BPF_MAP_TYPE_ARRAY || !(info->map_flags & BPF_F_MMAPABLE) ||
	    info->value_size != value_size || value_size % 8 || !keys_per_cpu ||
	    !info->max_entries || info->max_entries % keys_per_cpu)
		return -EINVAL;
	return 0;
}

int cpu_blocks_map(struct cpu_blocks *b, int fd, __u32 keys_per_cpu, __u32 value_size)
{
	long page = sysconf(_SC_PAGESIZE);
	struct bpf_map_info info;
	void *mem;
	int err = map_info(fd, &info);

	if (err)
		return err;
	if (b->mem && info.id == b->id)
		return 0;
	cpu_blocks_unmap(b);
	err = check_shape(&info, keys_per_cpu, value_size);
	if (err)
		return err;
	b->len = ((size_t)info.max_entries * value_size + page - 1) & ~(size_t)(page - 1);
	mem = mmap(NULL, b->len, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		memset(b, 0, sizeof(*b));
		return err;
	}
	b->mem = mem;
	b->id = info.id;
	b->ncpus = info.max_entries / keys_per_cpu;
	b->keys_per_cpu = keys_per_cpu;
	b->value_size = value_size;
	return 0;
}

void cpu_blocks_unmap(struct cpu_blocks *b)
{
	if (b->mem)
		munmap((void *)b->mem, b->len);
	memset(b, 0, sizeof(*b));
}

void cpu_blocks_sum(__u64 *out, const __u64 *mem, __u32 ncpus, __u32 keys_per_cpu,
		    __u32 nr_keys, __u32 words)
{
	size_t n = (size_t)nr_keys * words;

	memset(out, 0, n * sizeof(*out));
	/* block by block: each CPU's block is read in order, out stays in cache */
	for (__u32 cpu = 0; cpu < ncpus; cpu++) {
		const __u64 *src = mem + (size_t)cpu * keys_per_cpu * words;

		for (size_t i = 0; i < n; i++)
			out[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}

void cpu_blocks_read_mapped(const struct cpu_blocks *b, __u32 nr_keys, void *out)
{
	if (nr_keys > b->keys_per_cpu)
		nr_keys = b->keys_per_cpu;
	cpu_blocks_sum(out, b->mem, b->ncpus, b->keys_per_cpu, nr_keys, b->value_size / 8);
}

int cpu_blocks_read(int fd, __u32 keys_per_cpu, __u32 nr_keys, __u32 value_size, void *out)
{
	struct cpu_blocks b = { 0 };
	int err = cpu_blocks_map(&b, fd, keys_per_cpu, value_size);

	if (!err)
		cpu_blocks_read_mapped(&b, nr_keys, out);
	cpu_blocks_unmap(&b);
	return err;
}

int cpu_blocks_zero(int fd, __u32 keys_per_cpu, __u32 value_size, const __u32 *keys, __u32 n)
{
	struct bpf_map_info info;
	__u32 ncpus, count, *all = NULL;
	void *zero = NULL;
	int err = map_info(fd, &info);

	err = err ?: check_shape(&info, keys_per_cpu, value_size);
	if (err || !n)
		return err;
	ncpus = info.max_entries / keys_per_cpu;
	count = ncpus * n;
	all = malloc((size_t)count * sizeof(*all));
	zero = calloc(count, value_size);
	if (!all || !zero) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 c = 0; c < ncpus; c++)
		for (__u32 i = 0; i < n; i++)
			all[c * n + i] = c * keys_per_cpu + keys[i];
	if (bpf_map_update_batch(fd, all, zero, &count, NULL))
		err = -errno;
out:
	free(all);
	free(zero);
	return err;
}
