/* fastpath.c: lookup accelerators beside the lists' tries: the short darknet lists, IPv4 /24 chunks, the IPv6 filter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "darknet_counter.h"
#include "fastpath.h"

/* The 32 bits of a prefix's address from byte at, host order. */
static __u32 v4_host_at(const struct dn_prefix *p, int at)
{
	return (__u32)p->addr[at] << 24 | p->addr[at + 1] << 16 | p->addr[at + 2] << 8 |
	       p->addr[at + 3];
}

static __u32 v4_host(const struct dn_prefix *p)
{
	return v4_host_at(p, 0);
}

int darknet_small_build(const struct id_entry *want, size_t n, int *fd)
{
	struct dn_darknet_small t = { 0 };
	__u32 zero = 0, *count;

	*fd = -1;
	/* longest first: the first match of the datapath's scan is the longest */
	for (size_t i = n; i-- > 0;) {
		const struct dn_prefix *p = &want[i].p;

		count = p->family == DN_FAMILY_IPV4 ? &t.count : &t.count6;
		if (*count == DN_DARKNET_SMALL_MAX)
			*count = DN_DARKNET_SMALL_TRIE;   /* a long list: the trie */
		if (*count == DN_DARKNET_SMALL_TRIE)
			continue;
		if (p->family == DN_FAMILY_IPV4) {
			t.e[t.count].net = htonl(v4_host(p));
			t.e[t.count].mask = p->len ? htonl(~0u << (32 - p->len)) : 0;
			t.e[t.count].id = want[i].id;
			t.e[t.count++].len = p->len;
			continue;
		}
		for (int w = 0; w < 4; w++) {
			int bits = p->len - 32 * w;
			__u32 mask = bits >= 32 ? ~0u : bits <= 0 ? 0 : ~0u << (32 - bits);

			t.e6[t.count6].mask[w] = htonl(mask);
			t.e6[t.count6].net[w] = htonl(v4_host_at(p, 4 * w) & mask);
		}
		t.e6[t.count6].id = want[i].id;
		t.e6[t.count6++].len = p->len;
	}
	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "darknet_small", sizeof(__u32),
			     sizeof(t), 1, NULL);
	if (*fd < 0 || bpf_map_update_elem(*fd, &zero, &t, BPF_ANY))
		return -errno;
	return 0;
}

/* By /24, then by length: a chunk's prefixes together, longer ones last so
 * that they overwrite the shorter ones they sit in. */
static int by_slash24_then_len(const void *a, const void *b)
{
	const struct id_entry *x = *(const struct id_entry *const *)a;
	const struct id_entry *y = *(const struct id_entry *const *)b;
	__u32 sx = v4_host(&x->p) >> 8, sy = v4_host(&y->p) >> 8;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->p.len - y->p.len;
}

/* Chunk of /24 s into its slot of the filter block, if the slot is free. */
static void chunk_slot(struct dn_scanner_filter *f, __u32 slash24,
		       const struct dn_scanner_chunk *chunk)
{
	__u32 slot = dn_scanner_slot(slash24);

	if (f->slot_keys[slot])
		return;
	f->slot_keys[slot] = slash24 + 1;
	f->slots[slot] = *chunk;
}

static int chunks_insert(int fd, struct dn_scanner_v4_table *t, const struct id_entry **longs,
			 size_t n)
{
	struct dn_scanner_chunk chunk;
	size_t i = 0, j;

	while (i < n) {
		__u32 slash24 = v4_host(&longs[i]->p) >> 8;
		__u8 *byte = dn_scanner_byte(t, slash24);

		memset(chunk.org, *byte, sizeof(chunk.org));
		for (j = i; j < n && v4_host(&longs[j]->p) >> 8 == slash24; j++) {
			__u32 first = v4_host(&longs[j]->p) & 0xff;

			memset(chunk.org + first, longs[j]->id, (size_t)1 << (32 - longs[j]->p.len));
		}
		if (bpf_map_update_elem(fd, &slash24, &chunk, BPF_ANY))
			return -errno;
		chunk_slot(&t->filter, slash24, &chunk);
		*byte = DN_SCANNER_LONGER;
		i = j;
	}
	return 0;
}

int scanner_chunks_build(struct dn_scanner_v4_table *t, const struct id_entry *v4, size_t n,
			 int *fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	const struct id_entry **longs = calloc(n ? n : 1, sizeof(*longs));
	size_t k = 0;
	int err;

	if (!longs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (v4[i].p.len > 24)
			longs[k++] = &v4[i];
	*fd = -1;
	if (!k) {
		free(longs);
		return 0;
	}
	qsort(longs, k, sizeof(*longs), by_slash24_then_len);
	/* A hash map's bucket array is sized by max_entries even without
	 * preallocation: size it to this list (k prefixes, at most k /24s). */
	*fd = bpf_map_create(BPF_MAP_TYPE_HASH, "scanner_chunks", sizeof(__u32),
			     sizeof(struct dn_scanner_chunk), k, &opts);
	err = *fd < 0 ? -errno : chunks_insert(*fd, t, longs, k);
	free(longs);
	return err;
}

static __u32 v6_top(const struct dn_prefix *p)
{
	return v4_host(p);   /* the first 32 bits, host order */
}

/* Number of /32s a prefix touches (len >= DN_V6_FILTER_MIN_LEN). */
static __u32 v6_span(const struct dn_prefix *p)
{
	return p->len >= 32 ? 1 : 1u << (32 - p->len);
}

static int filter_write(int fd, const __u64 *bits)
{
	__u32 *keys = calloc(DN_V6_FILTER_ENTRIES, sizeof(*keys)), count = DN_V6_FILTER_ENTRIES;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (__u32 k = 0; k < DN_V6_FILTER_ENTRIES; k++)
		keys[k] = k;
	if (bpf_map_update_batch(fd, keys, bits, &count, NULL))
		err = -errno;
	free(keys);
	return err;
}

/* Insert e keeping the bucket longest first: the datapath takes the first
 * match, which must be the longest. */
static void bucket_add(struct dn_scanner_v6_bucket *b, const struct id_entry *e)
{
	__u32 len = e->p.len, at;

	if (b->count == DN_V6_BUCKET_FULL)
		return;
	if (b->count == DN_V6_BUCKET_MAX) {
		b->count = DN_V6_BUCKET_FULL;   /* the trie decides for this /32 */
		return;
	}
	for (at = b->count; at > 0 && b->e[at - 1].len < len; at--)
		b->e[at] = b->e[at - 1];
	for (__u32 w = 0; w < 4; w++) {
		__u32 bits = len >= 32 * (w + 1) ? 32 : len <= 32 * w ? 0 : len - 32 * w;
		__u32 m = bits ? ~0u << (32 - bits) : 0;

		memcpy(&b->e[at].net[w], e->p.addr + 4 * w, 4);
		b->e[at].mask[w] = htonl(m);
	}
	b->e[at].org = e->id;
	b->e[at].len = len;
	b->count++;
}

/* One bucket per /32: looked up, grown and written back per prefix; lists
 * are loaded rarely. */
static int buckets_write(int fd, const struct id_entry *v6, size_t n)
{
	struct dn_scanner_v6_bucket b;

	for (size_t i = 0; i < n; i++) {
		for (__u32 k = 0, top = v6_top(&v6[i].p); k < v6_span(&v6[i].p); k++, top++) {
			if (bpf_map_lookup_elem(fd, &top, &b))
				memset(&b, 0, sizeof(b));
			bucket_add(&b, &v6[i]);
			if (bpf_map_update_elem(fd, &top, &b, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

int scanner_v6_fast_build(const struct id_entry *v6, size_t n, int *fd_filter,
			  int *fd_buckets)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	__u32 spans = 0;
	__u64 *bits;
	int err = 0;

	*fd_filter = *fd_buckets = -1;
	for (size_t i = 0; i < n; i++)
		if (v6[i].p.len < DN_V6_FILTER_MIN_LEN)
			return 0;   /* too many /32s to list: the trie for every source */
	if (!n)
		return 0;
	bits = calloc(DN_V6_FILTER_ENTRIES, sizeof(*bits));
	if (!bits)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		spans += v6_span(&v6[i].p);
		for (__u32 k = 0, top = v6_top(&v6[i].p); k < v6_span(&v6[i].p); k++, top++) {
			__u32 h = dn_v6_filter_hash(top);

			bits[h / 64] |= 1ull << (h % 64);
		}
	}
	*fd_filter = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scanner_v6_bits", sizeof(__u32),
				    sizeof(__u64), DN_V6_FILTER_ENTRIES, NULL);
	/* sized to this list: at most one bucket per /32 a prefix touches */
	*fd_buckets = bpf_map_create(BPF_MAP_TYPE_HASH, "scanner_v6_bkts", sizeof(__u32),
				     sizeof(struct dn_scanner_v6_bucket), spans, &opts);
	if (*fd_filter < 0 || *fd_buckets < 0)
		err = -errno;
	err = err ?: filter_write(*fd_filter, bits);
	err = err ?: buckets_write(*fd_buckets, v6, n);
	free(bits);
	return err;
}
