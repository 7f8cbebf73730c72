/* port_read.c: reads the split port counters (low byte + high part, struct dn_port_low) consistently. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "darknet_counter.h"
#include "port_read.h"

/* Retries of one port before yielding the CPU, and the longest a carry may
 * stay under way: the program carries in a few instructions with
 * preemption off, so only a vCPU the hypervisor stopped takes longer. */
#define SPINS_BEFORE_YIELD 64
#define CARRY_TIMEOUT_NS 1000000000ll

static __u64 load(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

int port_read_one(const __u64 *high, const __u64 *low, unsigned int slots, __u64 *sum)
{
	__u64 before[DN_TCP_PORT_SLOTS], word;
	__u8 bytes[sizeof(word)];

	/* high, then low, then high again: the program marks the byte busy,
	 * grows high, then clears the byte, so an unchanged high around a
	 * byte that is not busy means the two belong together. */
	for (unsigned int s = 0; s < slots; s++)
		before[s] = load(&high[s]);
	word = load(low);
	memcpy(bytes, &word, sizeof(bytes));
	for (unsigned int s = 0; s < slots; s++)
		if (bytes[s] == DN_PORT_LOW_BUSY || load(&high[s]) != before[s])
			return -EAGAIN;
	for (unsigned int s = 0; s < slots; s++)
		sum[s] += before[s] + bytes[s];
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int read_port(const __u64 *high, const __u64 *low, unsigned int slots, __u64 *sum)
{
	long long deadline = 0;

	for (unsigned int tries = 0; port_read_one(high, low, slots, sum); tries++) {
		if (tries < SPINS_BEFORE_YIELD)
			continue;
		if (!deadline)
			deadline = now_ns() + CARRY_TIMEOUT_NS;
		else if (now_ns() > deadline)
			return -EBUSY;
		sched_yield();
	}
	return 0;
}

/* The whole array, mapped read-only; its size from the kernel, so that a
 * pinned map made for another CPU count is read as it is. */
static void *map_array(int fd, size_t *len, __u32 *entries)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return NULL;
	*entries = info.max_entries;
	*len = ((size_t)info.max_entries * ((info.value_size + 7) & ~7u) + page - 1) & ~(page - 1);
	mem = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

int port_tables_read(int low_fd, int high_fd, size_t high_size, unsigned int slots, void *out)
{
	size_t low_len = 0, high_len = 0, words = high_size / sizeof(__u64);
	__u32 low_entries = 0, high_entries = 0;
	const __u64 *low, *high;
	__u64 *sum = out;
	int err = 0;

	if (slots > DN_TCP_PORT_SLOTS || slots > words)
		return -EINVAL;
	low = map_array(low_fd, &low_len, &low_entries);
	high = map_array(high_fd, &high_len, &high_entries);
	if (!low || !high)
		err = -errno;
	else if (low_entries != high_entries || low_entries % DN_PORT_KEYS)
		err = -EINVAL;
	memset(out, 0, (size_t)DN_PORT_KEYS * high_size);
	for (__u32 k = 0; !err && k < high_entries; k++)
		err = read_port(high + (size_t)k * words, low + k, slots,
				sum + (size_t)(k % DN_PORT_KEYS) * words);
	if (low)
		munmap((void *)low, low_len);
	if (high)
		munmap((void *)high, high_len);
	return err;
}
