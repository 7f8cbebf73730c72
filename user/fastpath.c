/* fastpath.c: lookup accelerators beside the lists' tries: the short IPv4 darknet list, IPv4 /24 chunks, the IPv6 filter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "darknet_counter.h"
#include "fastpath.h"

static __u32 v4_host(const struct dn_prefix *p)
{
	return (__u32)p->addr[0] << 24 | p->addr[1] << 16 | p->addr[2] << 8 | p->addr[3];
}

int darknet_small_build(const struct id_entry *want, size_t n, int *fd)
{
	struct dn_darknet_small t = { 0 };
	__u32 zero = 0;

	*fd = -1;
	/* longest first: the first match of the datapath's scan is the longest */
	for (size_t i = n; i-- > 0;) {
		const struct dn_prefix *p = &want[i].p;

		if (p->family != DN_FAMILY_IPV4)
			continue;
		if (t.count == DN_DARKNET_SMALL_MAX)
			return 0;   /* a long list: the trie alone */
		t.e[t.count].net = htonl(v4_host(p));
		t.e[t.count].mask = p->len ? htonl(~0u << (32 - p->len)) : 0;
		t.e[t.count].id = want[i].id;
		t.e[t.count++].len = p->len;
	}
	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "darknet_v4_small", sizeof(__u32),
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

static int chunks_insert(int fd, __u8 *dir, const struct id_entry **longs, size_t n)
{
	struct dn_scanner_chunk chunk;
	size_t i = 0, j;

	while (i < n) {
		__u32 slash24 = v4_host(&longs[i]->p) >> 8;

		memset(chunk.org, dir[slash24], sizeof(chunk.org));
		for (j = i; j < n && v4_host(&longs[j]->p) >> 8 == slash24; j++) {
			__u32 first = v4_host(&longs[j]->p) & 0xff;

			memset(chunk.org + first, longs[j]->id, (size_t)1 << (32 - longs[j]->p.len));
		}
		if (bpf_map_update_elem(fd, &slash24, &chunk, BPF_ANY))
			return -errno;
		dir[slash24] = DN_SCANNER_LONGER;
		i = j;
	}
	return 0;
}

int scanner_chunks_build(__u8 *dir, const struct id_entry *v4, size_t n, int *fd)
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
	*fd = bpf_map_create(BPF_MAP_TYPE_HASH, "scanner_chunks", sizeof(__u32),
			     sizeof(struct dn_scanner_chunk), DN_MAX_SCANNER_PREFIXES, &opts);
	err = *fd < 0 ? -errno : chunks_insert(*fd, dir, longs, k);
	free(longs);
	return err;
}

int scanner_v6_filter_build(const struct id_entry *v6, size_t n, int *fd)
{
	__u64 *bits;
	__u32 *keys, count = DN_V6_FILTER_ENTRIES;
	int err = 0;

	*fd = -1;
	for (size_t i = 0; i < n; i++)
		if (v6[i].p.len < DN_V6_FILTER_MIN_LEN)
			return 0;   /* too many /32s to list: the trie for every source */
	if (!n)
		return 0;
	bits = calloc(DN_V6_FILTER_ENTRIES, sizeof(*bits));
	keys = calloc(DN_V6_FILTER_ENTRIES, sizeof(*keys));
	if (!bits || !keys) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		__u32 top = v4_host(&v6[i].p);   /* the first 32 bits */
		__u32 span = v6[i].p.len >= 32 ? 1 : 1u << (32 - v6[i].p.len);

		for (__u32 k = 0; k < span; k++) {
			__u32 h = dn_v6_filter_hash(top + k);

			bits[h / 64] |= 1ull << (h % 64);
		}
	}
	for (__u32 k = 0; k < DN_V6_FILTER_ENTRIES; k++)
		keys[k] = k;
	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scanner_v6_filter", sizeof(__u32),
			     sizeof(__u64), DN_V6_FILTER_ENTRIES, NULL);
	if (*fd < 0 || bpf_map_update_batch(*fd, keys, bits, &count, NULL))
		err = -errno;
cleanup:
	free(bits);
	free(keys);
	return err;
}
