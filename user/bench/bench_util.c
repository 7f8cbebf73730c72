/* bench_util.c: clocks, medians, CPU pinning, counter sums and generated scanner lists for the bench. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "cpu_blocks.h"
#include "array_size.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* Packets of keys [0, n) of a small counter map of struct dn_count (one
 * block of keys_per_cpu per CPU), summed over CPUs. */
static int sum_counts(int fd, __u32 keys_per_cpu, __u32 n, uint64_t *out)
{
	struct dn_count *v = calloc(n, sizeof(*v));
	int err = v ? cpu_blocks_read(fd, keys_per_cpu, n, sizeof(*v), v) : -ENOMEM;

	for (__u32 k = 0; !err && k < n; k++)
		out[k] = v[k].packets;
	free(v);
	return err;
}

int bench_counter_totals(struct bench *b, uint64_t class_pkts[DN_CLASS_MAX],
			 uint64_t *reason_pkts)
{
	static uint64_t keys[DN_CLASS_KEYS];
	uint64_t reasons[DN_REASON_MAX];
	int err;

	err = sum_counts(b->maps.class_counters, DN_CLASS_CPU_KEYS, DN_CLASS_KEYS, keys);
	err = err ?: sum_counts(b->maps.reason_counters, DN_REASON_CPU_KEYS, DN_REASON_MAX,
				reasons);
	if (err)
		return err;
	memset(class_pkts, 0, DN_CLASS_MAX * sizeof(*class_pkts));
	for (__u32 k = 0; k < DN_CLASS_KEYS; k++)
		class_pkts[k % DN_CLASS_MAX] += keys[k];
	*reason_pkts = 0;
	for (int r = 0; r < DN_REASON_MAX; r++)
		*reason_pkts += reasons[r];
	return 0;
}

/* The harness and generator replay a stream from its first frame and wrap:
 * `count` frames are count / n whole passes and the first count % n. */
void bench_expected(const struct bench_mix *m, uint64_t count,
		    uint64_t class_pkts[DN_CLASS_MAX])
{
	uint64_t n = m->frames.n, passes = n ? count / n : 0, rest = n ? count % n : 0;

	memset(class_pkts, 0, DN_CLASS_MAX * sizeof(*class_pkts));
	for (uint64_t i = 0; i < n; i++)
		class_pkts[m->frames.info[i].cls] += passes + (i < rest);
}

/* splitmix64, as in mix.c: reproducible lists from a seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Prefix lengths as published scanner lists have them: mostly single
 * addresses and /24s, some blocks. IPv4 ones <= /24 land in the direct
 * table; /25../32 mark their /24 for the trie. */
static const uint8_t v4_lens[] = { 32, 32, 32, 24, 24, 24, 24, 23, 22, 20, 28, 29 };
static const uint8_t v6_lens[] = { 128, 64, 64, 48, 48, 48, 44, 40, 32, 56 };

static void random_prefix(uint64_t *s, struct dn_prefix *p, int v6)
{
	uint64_t r = rng_next(s);
	uint8_t len = v6 ? v6_lens[r % sizeof(v6_lens)] : v4_lens[r % sizeof(v4_lens)];
	int bytes = v6 ? 16 : 4;

	memset(p, 0, sizeof(*p));
	p->family = v6 ? DN_FAMILY_IPV6 : DN_FAMILY_IPV4;
	p->len = len;
	for (int i = 0; i < bytes; i += 8) {
		r = rng_next(s);
		memcpy(p->addr + i, &r, bytes - i < 8 ? bytes - i : 8);
	}
	if (v6)
		p->addr[0] = 0x20 | (p->addr[0] & 0x1f);   /* 2000::/3, global unicast */
	else if (p->addr[0] == 0 || p->addr[0] >= 224 || p->addr[0] == 10 ||
		 p->addr[0] == 127)
		p->addr[0] = 1 + p->addr[0] % 200;        /* no obvious bogons */
	/* clear host bits, as prefix_parse() would insist */
	for (int bit = len; bit < bytes * 8; bit++)
		p->addr[bit / 8] &= ~(0x80 >> (bit % 8));
}

/* A set of prefixes (open addressing, FNV-1a), so that a generated list
 * holds each prefix once, as list files must. */
struct prefix_set {
	struct dn_prefix *slots;   /* len 0 and family 0xff: empty */
	size_t mask;
};

static uint64_t prefix_hash(const struct dn_prefix *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *b = (const uint8_t *)p;

	for (size_t i = 0; i < sizeof(*p); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* 1 if p was added, 0 if it was there already. */
static int prefix_set_add(struct prefix_set *set, const struct dn_prefix *p)
{
	for (size_t i = prefix_hash(p) & set->mask;; i = (i + 1) & set->mask) {
		if (set->slots[i].family == 0xff) {
			set->slots[i] = *p;
			return 1;
		}
		if (!memcmp(&set->slots[i], p, sizeof(*p)))
			return 0;
	}
}

static void append(struct dn_prefix_list *l, const struct dn_prefix *p, const char *org)
{
	struct dn_prefix_entry *e = &l->entries[l->len++];

	e->prefix = *p;
	snprintf(e->org, sizeof(e->org), "%s", org);
}

/* Entries are written directly rather than through prefix_list_add(),
 * whose duplicate check is linear (it serves command lines): the set here
 * keeps the list free of duplicates in O(1) per prefix. */
int bench_gen_scanners(const struct dn_prefix_list *base, size_t n, uint64_t seed,
		       struct dn_prefix_list *out)
{
	struct prefix_set set = { 0 };
	struct dn_prefix p;
	char org[DN_ORG_NAME_LEN];
	uint64_t s = seed;
	size_t size = 16;

	prefix_list_init(out);
	while (size < 2 * (n + base->len))
		size *= 2;
	set.slots = malloc(size * sizeof(*set.slots));
	out->entries = calloc(n ? n : 1, sizeof(*out->entries));
	if (!set.slots || !out->entries) {
		free(set.slots);
		return -ENOMEM;
	}
	out->cap = n ? n : 1;
	memset(set.slots, 0xff, size * sizeof(*set.slots));
	set.mask = size - 1;
	for (size_t i = 0; i < base->len && out->len < n; i++)
		if (prefix_set_add(&set, &base->entries[i].prefix))
			append(out, &base->entries[i].prefix, base->entries[i].org);
	/* One in five generated prefixes is IPv6; 200 organisations, leaving
	 * room under DN_MAX_SCANNER_ORGS for the base list's. */
	for (size_t i = 0; out->len < n; i++) {
		random_prefix(&s, &p, i % 5 == 4);
		snprintf(org, sizeof(org), "bench-org-%zu", i % 200);
		if (prefix_set_add(&set, &p))
			append(out, &p, org);
	}
	free(set.slots);
	return 0;
}

/* memlock of one map fd, from /proc/self/fdinfo: what the kernel charges. */
uint64_t bench_map_memlock(int fd)
{
	char path[64], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

bool bench_map_per_cpu(const struct bpf_map *map)
{
	static const char *const blocks[] = { "tcp_port_low", "udp_port_low", "port_touched",
					      "class_counters", "icmp_counters", "prefix_counters",
					      "org_counters", "reason_counters" };
	const char *name = bpf_map__name(map);

	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		if (!strcmp(name, blocks[i]))
			return true;
	return false;
}
