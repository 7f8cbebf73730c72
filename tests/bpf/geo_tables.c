/* geo_tables.c: test-side builder of geo tables straight from the layout in include/darknet_geo.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include "darknet_geo.h"
#include "geo_tables.h"

#define TEST_MAX_BLOCKS 1024

/* Written without the daemon's builder, from the header alone, so that a
 * datapath test checks the program against the layout, not against the
 * builder it shares a misreading with. Linear searches: tests are small. */
uint32_t geo_test_expect_v4(const struct geo_test_range *r, size_t n, uint32_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (addr >= r[i].first && addr <= r[i].last)
			return r[i].entry;
	return 0;
}

static void put_row(int fd, uint32_t key, const struct dn_geo_v4_row *row)
{
	cr_assert_eq(bpf_map_update_elem(fd, &key, row, BPF_ANY), 0, "geo row %u: %s", key,
		     strerror(errno));
}

static void get_row(int fd, uint32_t key, struct dn_geo_v4_row *row)
{
	cr_assert_eq(bpf_map_lookup_elem(fd, &key, row), 0, "geo row %u: %s", key,
		     strerror(errno));
}

static void swap_in(int outer, int inner)
{
	uint32_t zero = 0;

	cr_assert_eq(bpf_map_update_elem(outer, &zero, &inner, BPF_ANY), 0, "geo swap: %s",
		     strerror(errno));
	close(inner);
}

/* The /16 rows the ranges touch, and the split blocks, built from the
 * logical layout; then laid out as the map holds them: directory, blocks,
 * mixed /16 rows. */
#define TEST_MAX_ROWS 64

struct test_rows {
	uint32_t r16[TEST_MAX_ROWS];            /* which /16 */
	struct dn_geo_v4_row row[TEST_MAX_ROWS];
	size_t n;
	struct dn_geo_v4_row block[TEST_MAX_BLOCKS];
	uint32_t nr_blocks;
};

static struct dn_geo_v4_row *row16(struct test_rows *t, uint32_t r16)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->r16[i] == r16)
			return &t->row[i];
	cr_assert_lt(t->n, TEST_MAX_ROWS, "test table: too many /16s");
	t->r16[t->n] = r16;
	memset(&t->row[t->n], 0, sizeof(t->row[0]));
	return &t->row[t->n++];
}

static int uniform(const struct dn_geo_v4_row *r)
{
	for (int i = 0; i < DN_GEO_V4_ROW; i++)
		if (r->e[i] != r->e[0] || (r->e[i] & DN_GEO_SPLIT))
			return 0;
	return 1;
}

void geo_test_install_v4(int outer, const struct geo_test_range *r, size_t n, size_t *splits)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_INNER_MAP);
	struct test_rows *t = calloc(1, sizeof(*t));
	struct dn_geo_v4_row dir;
	uint32_t e, last24 = UINT32_MAX, mixed = 0, key;
	int fd;

	cr_assert_not_null(t);
	for (size_t i = 0; i < n; i++) {
		for (uint64_t s24 = r[i].first >> 8; s24 <= r[i].last >> 8; s24++) {
			uint32_t a0 = (uint32_t)s24 << 8, *b;
			int same = 1;

			if (s24 == last24)
				continue;   /* done for the range before */
			last24 = s24;
			cr_assert_lt(t->nr_blocks, TEST_MAX_BLOCKS, "test table: too many splits");
			b = t->block[t->nr_blocks].e;
			e = geo_test_expect_v4(r, n, a0);
			for (uint32_t o8 = 0; o8 < 256; o8++) {
				b[o8] = geo_test_expect_v4(r, n, a0 | o8);
				same &= b[o8] == e;
			}
			if (!same)
				e = DN_GEO_SPLIT | t->nr_blocks++;
			row16(t, a0 >> 16)->e[(a0 >> 8) & 0xff] = e;
		}
	}
	*splits = t->nr_blocks;
	for (size_t i = 0; i < t->n; i++)
		mixed += !uniform(&t->row[i]);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "geo_v4_test", 4, sizeof(dir),
			    DN_GEO_V4_DIR_ROWS + t->nr_blocks + mixed, &o);
	cr_assert_geq(fd, 0, "geo_v4 table: %s", strerror(errno));
	for (uint32_t b = 0; b < t->nr_blocks; b++)
		put_row(fd, DN_GEO_V4_DIR_ROWS + b, &t->block[b]);
	key = DN_GEO_V4_DIR_ROWS + t->nr_blocks;
	for (size_t i = 0; i < t->n; i++) {
		uint32_t w = t->r16[i];

		get_row(fd, w >> 8, &dir);
		if (uniform(&t->row[i])) {
			dir.e[w & 0xff] = t->row[i].e[0];
		} else {
			dir.e[w & 0xff] = DN_GEO_SPLIT | key;
			put_row(fd, key++, &t->row[i]);
		}
		put_row(fd, w >> 8, &dir);
	}
	free(t);
	swap_in(outer, fd);
}

void geo_test_install_v6(int outer, const struct geo_test_prefix6 *p, size_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	struct dn_geo_lpm6 key;
	uint8_t a[16];
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "geo_v6_test", sizeof(key), sizeof(__u32),
			    DN_GEO_V6_MAX_PREFIXES, &o);
	cr_assert_geq(fd, 0, "geo_v6 table: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(inet_pton(AF_INET6, p[i].addr, a), 1, "%s", p[i].addr);
		key.prefixlen = p[i].len;
		memcpy(key.addr, a, sizeof(key.addr));
		cr_assert_eq(bpf_map_update_elem(fd, &key, &p[i].entry, BPF_ANY), 0,
			     "geo_v6 %s/%u: %s", p[i].addr, p[i].len, strerror(errno));
	}
	swap_in(outer, fd);
}
