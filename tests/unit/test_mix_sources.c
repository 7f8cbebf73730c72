/* test_mix_sources.c: --sources pools: class rules kept, at most N per family, distinct counts equal a count over the frames' bytes. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"
#include "mix_sources.h"
#include "array_size.h"
#include "lib/bogon_table.h"

/* A scanner list of our own (a /32 among them: its pool share must still
 * fill from the other prefixes). */
static const char *const scanner_lines[][2] = {
	{ "162.142.125.0/24", "censys" }, { "71.6.233.0/24", "rapid7" },
	{ "45.79.190.10/32", "rapid7" }, { "64.62.156.0/24", "shadowserver" },
	{ "2602:80d:1000::/48", "censys" },
};

static struct dn_prefix_list scanners;

static void load_scanners(void)
{
	prefix_list_init(&scanners);
	for (size_t i = 0; i < ARRAY_SIZE(scanner_lines); i++) {
		struct dn_prefix p;
		char err[128];

		cr_assert_eq(prefix_parse(scanner_lines[i][0], &p, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(prefix_list_add(&scanners, &p, scanner_lines[i][1]), 0);
	}
}

static void free_scanners(void)
{
	prefix_list_free(&scanners);
}

TestSuite(mix_sources, .init = load_scanners, .fini = free_scanners);

/* What the bytes say: family, source, destination, and the TCP/UDP
 * destination port of frames that carry one (key 0 otherwise). */
struct rec {
	uint32_t key;          /* 1 + family * DN_CLASS_MAX + class, or port key */
	uint8_t family;
	uint8_t src[16];
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Returns the port key ((udp << 16 | port) + 1) or 0. */
static uint32_t parse(const uint8_t *f, uint8_t *family, uint8_t *src, uint8_t *dst)
{
	const uint8_t *ip = f + 14, *l4;
	uint8_t proto;

	memset(src, 0, 16);
	memset(dst, 0, 16);
	if (get16(f + 12) == 0x0800) {
		*family = DN_FAMILY_IPV4;
		memcpy(src, ip + 12, 4);
		memcpy(dst, ip + 16, 4);
		proto = ip[9];
		if (get16(ip + 6) & 0x1fff)
			return 0;
		l4 = ip + (ip[0] & 0xf) * 4;
	} else {
		cr_assert_eq(get16(f + 12), 0x86dd, "ethertype");
		*family = DN_FAMILY_IPV6;
		memcpy(src, ip + 8, 16);
		memcpy(dst, ip + 24, 16);
		proto = ip[6];
		l4 = ip + 40;
		if (proto == IPPROTO_FRAGMENT) {
			proto = l4[0];
			if (get16(l4 + 2) >> 3)
				return 0;
			l4 += 8;
		}
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	return ((uint32_t)(proto == IPPROTO_UDP) << 16 | get16(l4 + 2)) + 1;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x->src, y->src, 16);
}

static int in_scanners(uint8_t family, const uint8_t *a)
{
	for (size_t i = 0; i < scanners.len; i++) {
		const struct dn_prefix *p = &scanners.entries[i].prefix;
		unsigned int b;

		if (p->family != family)
			continue;
		for (b = 0; b < p->len; b++)
			if ((a[b / 8] ^ p->addr[b / 8]) & (0x80 >> (b % 8)))
				break;
		if (b == p->len)
			return 1;
	}
	return 0;
}

/* The source keeps the rule of its class. */
static void check_class_rule(size_t i, uint8_t cls, uint8_t family, const uint8_t *src,
			     const uint8_t *dst)
{
	int bogon = bogon_table_has(family, src), same = !memcmp(src, dst, 16);

	if (cls == DN_CLASS_SPOOFED) {
		cr_assert(bogon || same, "frame %zu: spoofed from a non-bogon", i);
		return;
	}
	cr_assert(!bogon && !same, "frame %zu (class %u): source is a bogon or its destination",
		  i, cls);
	cr_assert_eq(in_scanners(family, src), cls == DN_CLASS_RESEARCH,
		     "frame %zu (class %u): scanner source iff research", i, cls);
}

#define FRAMES 20000
#define POOL 500

Test(mix_sources, counts_equal_the_frames_and_stay_within_the_pool)
{
	struct mix_config cfg = { .name = "nicter", .seed = 7, .scanners = &scanners,
				  .sources = POOL };
	struct mix_state st;
	struct mix_frames fr;
	struct mix_distinct d;
	struct rec *recs = calloc(2 * FRAMES, sizeof(*recs)), *fam = calloc(FRAMES, sizeof(*fam));
	uint64_t cls[DN_FAMILY_MAX][DN_CLASS_MAX] = { { 0 } }, per_family[DN_FAMILY_MAX] = { 0 };
	size_t n = 0, ports = 0;
	/* the tracker takes the first MIX_DISTINCT_PORTS ports it sees */
	uint8_t *tracked = calloc(2 << 16, 1), *seen = calloc(2 << 16, 1);
	unsigned int nr_seen = 0;
	uint64_t untracked = 0;
	char err[256] = "";

	cr_assert(recs && fam && tracked && seen);
	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), 0, "mix_init: %s", err);
	cr_assert_eq(mix_generate(&st, FRAMES, &fr), 0);
	mix_distinct_init(&d);
	for (size_t i = 0; i < fr.n; i++) {
		uint8_t family, dst[16];
		struct rec r = { 0 };
		uint32_t pk;

		pk = parse(mix_frame(&fr, i), &family, r.src, dst);
		cr_assert_eq(family, fr.info[i].family, "frame %zu: family", i);
		check_class_rule(i, fr.info[i].cls, family, r.src, dst);
		cr_assert_eq(mix_distinct_add(&d, &fr.info[i]), 0);
		r.family = family;
		r.key = 1 + family * DN_CLASS_MAX + fr.info[i].cls;
		recs[n++] = r;
		fam[i] = r;
		fam[i].key = 0;
		if (pk && !seen[pk - 1]) {
			seen[pk - 1] = 1;
			tracked[pk - 1] = nr_seen++ < MIX_DISTINCT_PORTS;
		}
		if (pk && !tracked[pk - 1])
			untracked++;
		if (pk && tracked[pk - 1]) {
			r.key = 0x1000000 + pk;
			recs[n++] = r;
		}
	}
	qsort(recs, n, sizeof(*recs), rec_cmp);
	qsort(fam, fr.n, sizeof(*fam), rec_cmp);
	for (size_t i = 0; i < fr.n; i++)
		if (!i || rec_cmp(&fam[i], &fam[i - 1]))
			per_family[fam[i].family]++;
	for (size_t i = 0; i < n; i++) {
		if (i && !rec_cmp(&recs[i], &recs[i - 1]))
			continue;
		if (recs[i].key < 0x1000000) {
			cls[(recs[i].key - 1) / DN_CLASS_MAX][(recs[i].key - 1) % DN_CLASS_MAX]++;
			continue;
		}
		/* a new (port, source): the tracker must have the port, with the
		 * same count once every source of the port has been seen */
		uint32_t idx = recs[i].key - 0x1000000 - 1;
		uint64_t want = 1;

		for (size_t j = i + 1; j < n && recs[j].key == recs[i].key; j++)
			want += rec_cmp(&recs[j], &recs[j - 1]) != 0;
		cr_assert_neq(d.port_slot[idx], 0, "port %u/%u not tracked", idx >> 16, idx & 0xffff);
		cr_assert_eq(d.port_n[d.port_slot[idx] - 1], want, "port %u/%u: %llu, frames %llu",
			     idx >> 16, idx & 0xffff,
			     (unsigned long long)d.port_n[d.port_slot[idx] - 1],
			     (unsigned long long)want);
		ports++;
		while (i + 1 < n && recs[i + 1].key == recs[i].key)
			i++;
	}
	cr_assert_eq(ports, d.nr_ports, "ports tracked: %u, in the frames: %zu", d.nr_ports, ports);
	cr_assert_eq(d.untracked, untracked, "frames to untracked ports: %llu, want %llu",
		     (unsigned long long)d.untracked, (unsigned long long)untracked);
	cr_assert_gt(untracked, 0, "the nicter mix's random ports go past the tracked ones");
	for (unsigned int f = 0; f < DN_FAMILY_MAX; f++) {
		/* classes share the public pool: the union is what N bounds */
		for (unsigned int c = 0; c < DN_CLASS_MAX; c++)
			cr_assert_eq(d.cls[f][c], cls[f][c], "family %u class %u: %llu, frames %llu",
				     f, c, (unsigned long long)d.cls[f][c],
				     (unsigned long long)cls[f][c]);
		cr_assert_leq(per_family[f], POOL, "family %u: %llu distinct sources > %d", f,
			      (unsigned long long)per_family[f], POOL);
	}
	/* 19,000 IPv4 frames over 500 addresses: nearly all are used */
	cr_assert_geq(per_family[DN_FAMILY_IPV4], POOL * 9 / 10, "IPv4: only %llu distinct",
		      (unsigned long long)per_family[DN_FAMILY_IPV4]);
	mix_distinct_free(&d);
	mix_frames_free(&fr);
	mix_free(&st);
	free(recs);
	free(fam);
	free(tracked);
	free(seen);
}

Test(mix_sources, same_seed_same_pool)
{
	struct mix_config cfg = { .name = "nicter", .seed = 3, .scanners = &scanners,
				  .sources = 100 };
	struct mix_state a, b;
	struct mix_frames fa, fb;
	char err[256] = "";

	cr_assert_eq(mix_init(&a, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mix_init(&b, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mix_generate(&a, 2000, &fa), 0);
	cr_assert_eq(mix_generate(&b, 2000, &fb), 0);
	for (size_t i = 0; i < fa.n; i++)
		cr_assert_eq(memcmp(fa.info[i].src, fb.info[i].src, 16), 0, "frame %zu", i);
	mix_frames_free(&fa);
	mix_frames_free(&fb);
	mix_free(&a);
	mix_free(&b);
}

Test(mix_sources, too_few_sources_or_a_cyclic_mix_are_refused)
{
	struct mix_config cfg = { .name = "nicter", .seed = 1, .scanners = &scanners,
				  .sources = 3 };
	struct mix_state st;
	char err[256] = "";

	/* IPv4 sources are drawn four ways (public, scanner, bogon, same) */
	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "too few"), "%s", err);
	cfg.sources = 4;
	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), 0, "%s", err);
	mix_free(&st);
	cfg.name = "exact";
	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), -EINVAL);
}
