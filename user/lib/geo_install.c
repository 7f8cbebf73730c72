/* geo_install.c: geo table images made into BPF maps and swapped into the geo_v4 / geo_v6 slots. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "geo_install.h"

#define BATCH_ROWS 4096u    /* 4 MiB of rows a batch */
#define BATCH_PREFIXES 8192u
#ifndef ENOTSUPP
#define ENOTSUPP 524        /* the kernel's, not in libc's errno.h */
#endif

size_t geo_map_memory(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int put_rows(int fd, __u32 first_key, const struct dn_geo_v4_row *rows, __u32 n)
{
	__u32 *keys = malloc(BATCH_ROWS * sizeof(*keys));
	int ret = 0;

	if (!keys)
		return -ENOMEM;
	for (__u32 done = 0; done < n && !ret; done += BATCH_ROWS) {
		__u32 count = n - done < BATCH_ROWS ? n - done : BATCH_ROWS;

		for (__u32 i = 0; i < count; i++)
			keys[i] = first_key + done + i;
		if (bpf_map_update_batch(fd, keys, rows + done, &count, NULL))
			ret = -errno;
	}
	free(keys);
	return ret;
}

/* The directory (include/darknet_geo.h) and the mixed /16 rows, in map
 * order, from the image's logical rows. */
static int compact_v4(const struct geo_image *img, struct dn_geo_v4_row *dir,
		      struct dn_geo_v4_row **mixed, __u32 *nr_mixed)
{
	*nr_mixed = 0;
	*mixed = malloc(DN_GEO_V4_DIRECT_ROWS * sizeof(**mixed));
	if (!*mixed)
		return -ENOMEM;
	for (__u32 r = 0; r < DN_GEO_V4_DIRECT_ROWS; r++) {
		__u32 *word = &dir[r / DN_GEO_V4_ROW].e[r % DN_GEO_V4_ROW];

		if (geo_row_uniform(&img->direct[r])) {
			*word = img->direct[r].e[0];
			continue;
		}
		*word = DN_GEO_SPLIT | (DN_GEO_V4_DIR_ROWS + img->nr_blocks + *nr_mixed);
		(*mixed)[(*nr_mixed)++] = img->direct[r];
	}
	return 0;
}

static int make_v4(const struct geo_image *img, struct geo_tables *t, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	struct dn_geo_v4_row *dir = calloc(DN_GEO_V4_DIR_ROWS, sizeof(*dir)), *mixed = NULL;
	__u32 rows, nr_mixed = 0;
	int ret = dir ? compact_v4(img, dir, &mixed, &nr_mixed) : -ENOMEM;

	if (ret) {
		free(dir);
		snprintf(err, errlen, "failed to lay out the IPv4 geo table: %s", strerror(-ret));
		return ret;
	}
	rows = DN_GEO_V4_DIR_ROWS + img->nr_blocks + nr_mixed;

	t->fd_v4 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "geo_v4_table", sizeof(__u32),
				  sizeof(struct dn_geo_v4_row), rows, &opts);
	if (t->fd_v4 < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to create the IPv4 geo table (%u rows): %s", rows,
			 strerror(errno));
		free(mixed);
		free(dir);
		return ret;
	}
	ret = put_rows(t->fd_v4, 0, dir, DN_GEO_V4_DIR_ROWS);
	ret = ret ?: put_rows(t->fd_v4, DN_GEO_V4_DIR_ROWS, img->blocks, img->nr_blocks);
	ret = ret ?: put_rows(t->fd_v4, DN_GEO_V4_DIR_ROWS + img->nr_blocks, mixed, nr_mixed);
	if (ret)
		snprintf(err, errlen, "failed to fill the IPv4 geo table: %s", strerror(-ret));
	t->v4_bytes = geo_map_memory(t->fd_v4);
	t->v4_mixed = nr_mixed;
	free(mixed);
	free(dir);
	return ret;
}

/* In batches where the kernel takes them for an LPM trie (a third faster
 * at full size, docs/geo.md), else one element a call. */
static int fill_v6(int fd, const struct geo_image *img)
{
	struct dn_geo_lpm6 *keys = malloc(BATCH_PREFIXES * sizeof(*keys));
	__u32 *vals = malloc(BATCH_PREFIXES * sizeof(*vals));
	int ret = 0, batch = 1;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t done = 0; done < img->nr_v6 && !ret; done += BATCH_PREFIXES) {
		__u32 n = img->nr_v6 - done < BATCH_PREFIXES ? img->nr_v6 - done : BATCH_PREFIXES;

		for (__u32 i = 0; i < n; i++) {
			const struct geo_v6_prefix *p = &img->v6[done + i];

			keys[i].prefixlen = p->len;
			for (int b = 0; b < 8; b++)
				keys[i].addr[b] = p->addr >> (56 - 8 * b);
			vals[i] = p->entry;
		}
		if (batch) {
			__u32 count = n;

			if (!bpf_map_update_batch(fd, keys, vals, &count, NULL))
				continue;
			if (errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP) {
				ret = -errno;
				break;
			}
			batch = 0;   /* this kernel has no batch for tries: the rest singly */
		}
		for (__u32 i = 0; i < n && !ret; i++)
			if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY))
				ret = -errno;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

static int make_v6(const struct geo_image *img, struct geo_tables *t, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int ret = 0;

	t->fd_v6 = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "geo_v6_table", sizeof(struct dn_geo_lpm6),
				  sizeof(__u32), DN_GEO_V6_MAX_PREFIXES, &opts);
	if (t->fd_v6 < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to create the IPv6 geo table: %s", strerror(errno));
		return ret;
	}
	ret = fill_v6(t->fd_v6, img);
	if (ret)
		snprintf(err, errlen, "failed to fill the IPv6 geo table: %s", strerror(-ret));
	t->v6_prefixes = img->nr_v6;
	t->v6_bytes = geo_map_memory(t->fd_v6);
	return ret;
}

int geo_tables_prepare(const struct geo_image *img, struct geo_tables *t,
		       char *err, size_t errlen)
{
	int ret = 0;

	memset(t, 0, sizeof(*t));
	t->fd_v4 = t->fd_v6 = -1;
	if (img->direct)
		ret = make_v4(img, t, err, errlen);
	if (!ret && img->nr_v6)
		ret = make_v6(img, t, err, errlen);
	if (ret)
		geo_tables_free(t);
	return ret;
}

static int swap(int outer, int inner)
{
	__u32 zero = 0;

	if (inner >= 0)
		return bpf_map_update_elem(outer, &zero, &inner, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(outer, &zero) && errno != ENOENT)
		return -errno;
	return 0;
}

int geo_tables_commit(int outer_v4, int outer_v6, const struct geo_tables *t,
		      char *err, size_t errlen)
{
	int ret = swap(outer_v4, t->fd_v4);

	if (ret) {
		snprintf(err, errlen, "failed to swap in the IPv4 geo table: %s", strerror(-ret));
		return ret;
	}
	ret = swap(outer_v6, t->fd_v6);
	if (ret)
		snprintf(err, errlen, "failed to swap in the IPv6 geo table: %s", strerror(-ret));
	return ret;
}

void geo_tables_free(struct geo_tables *t)
{
	if (t->fd_v4 >= 0)
		close(t->fd_v4);
	if (t->fd_v6 >= 0)
		close(t->fd_v6);
	t->fd_v4 = t->fd_v6 = -1;
}
