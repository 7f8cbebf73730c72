/* listmaps_scanners.c: builds the scanner inner maps from a prefix list and swaps them in. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "listmaps.h"
#include "listmaps_util.h"

#define DIR_SLASH24S (DN_SCANNER_DIR_SLOTS * 8u)   /* one org byte per IPv4 /24 */

struct scanner_plan {
	struct dn_org_name names[DN_MAX_SCANNER_ORGS + 1];  /* new org_names */
	__u8 state[DN_MAX_SCANNER_ORGS + 1];
	struct id_table ids;
	struct id_entry *v4, *v6;     /* prefixes with their org ids */
	size_t n4, n6;
	int fd_dir, fd_long, fd_chunks, fd_v6, fd_v6_filter, fd_v6_buckets;
};

static int org_find(const struct dn_org_name *names, const char *org, __u32 lo, __u32 hi)
{
	for (__u32 id = lo; id < hi; id++) {
		if (names[id].name[0] && !strncmp(names[id].name, org, DN_ORG_NAME_LEN))
			return id;
	}
	return -ENOENT;
}

/* Org ids: names already in org_names keep theirs, new names take free ids. */
static int scanners_assign_orgs(int org_names, const struct dn_prefix_list *l,
				struct scanner_plan *sp, char *errbuf, size_t errlen)
{
	struct dn_org_name old[DN_MAX_SCANNER_ORGS + 1];
	long id;

	memset(old, 0, sizeof(old));
	for (__u32 k = 1; k <= DN_MAX_SCANNER_ORGS; k++) {
		if (bpf_map_lookup_elem(org_names, &k, &old[k]))
			return listmaps_fail(errbuf, errlen, -errno, "failed to read org_names");
		old[k].name[DN_ORG_NAME_LEN - 1] = '\0';
		if (old[k].name[0])
			sp->state[k] = ID_RELEASED;
	}
	for (size_t i = 0; i < l->len; i++) {
		const char *org = l->entries[i].org;
		char text[DN_PREFIX_STRLEN];

		if (!org[0]) {
			prefix_format(&l->entries[i].prefix, text, sizeof(text));
			return listmaps_reject(errbuf, errlen, -EINVAL, "scanner prefix %s has no organisation",
				      text);
		}
		if (org_find(sp->names, org, 1, DN_MAX_SCANNER_ORGS + 1) >= 0)
			continue;
		if ((id = org_find(old, org, 1, DN_MAX_SCANNER_ORGS + 1)) >= 0 &&
		    sp->state[id] == ID_RELEASED)
			sp->state[id] = ID_KEPT;
		else if ((id = listmaps_id_take(&sp->ids)) < 0)
			return listmaps_reject(errbuf, errlen, -E2BIG, "too many scanner organisations (max %u)",
				    DN_MAX_SCANNER_ORGS);
		snprintf(sp->names[id].name, DN_ORG_NAME_LEN, "%s", org);
	}
	return 0;
}

/* The list split by family, each entry with its org id, within the limits. */
static int scanners_collect(const struct dn_prefix_list *l, struct scanner_plan *sp,
			    char *errbuf, size_t errlen)
{
	sp->v4 = calloc(l->len ? l->len : 1, sizeof(*sp->v4));
	sp->v6 = calloc(l->len ? l->len : 1, sizeof(*sp->v6));
	if (!sp->v4 || !sp->v6)
		return listmaps_fail(errbuf, errlen, -ENOMEM, "failed to collect scanner prefixes");
	for (size_t i = 0; i < l->len; i++) {
		const struct dn_prefix_entry *e = &l->entries[i];
		struct id_entry *d = e->prefix.family == DN_FAMILY_IPV4 ? &sp->v4[sp->n4++]
									: &sp->v6[sp->n6++];

		d->p = e->prefix;
		d->id = org_find(sp->names, e->org, 1, DN_MAX_SCANNER_ORGS + 1);
	}
	if (sp->n4 > DN_MAX_SCANNER_PREFIXES || sp->n6 > DN_MAX_SCANNER_PREFIXES)
		return listmaps_reject(errbuf, errlen, -E2BIG, "too many %s scanner prefixes: %zu (max %u)",
			    listmaps_family_names[sp->n4 > DN_MAX_SCANNER_PREFIXES ? 0 : 1],
			    sp->n4 > DN_MAX_SCANNER_PREFIXES ? sp->n4 : sp->n6,
			    DN_MAX_SCANNER_PREFIXES);
	return 0;
}

/* One org byte per /24: prefixes up to /24 fill their /24s, shortest first
 * so that longer ones overwrite (prefixes of one length are disjoint, the
 * list holds no duplicates). v4 is sorted by length. The /24s of longer
 * prefixes become DN_SCANNER_LONGER in scanner_chunks_build(). */
static void dir_fill(__u8 *dir, const struct id_entry *v4, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		__u32 a = (__u32)v4[i].p.addr[0] << 16 | v4[i].p.addr[1] << 8 | v4[i].p.addr[2];

		if (v4[i].p.len <= 24)
			memset(dir + a, v4[i].id, (size_t)1 << (24 - v4[i].p.len));
	}
}

/* Whether any of the n bytes at p is nonzero. */
static bool any_byte(const __u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return true;
	return false;
}

/* Filter entry e of the table (e >= DN_SCANNER_DIR_BITMAP): the /24
 * bitmap, the /20 bitmap or the /16 summary word, from the bytes. */
static __u64 filter_entry(const __u8 *dir, __u32 e)
{
	/* each filter region: its first entry and the /24s one bit stands for */
	static const struct { __u32 base, span; } regions[] = {
		{ DN_SCANNER_DIR_SUMMARY, 256 },
		{ DN_SCANNER_DIR_BITMAP20, 16 },
		{ DN_SCANNER_DIR_BITMAP, 1 },
	};
	size_t first;
	__u64 v = 0;
	int r = 0;

	while (e < regions[r].base)
		r++;
	first = (size_t)(e - regions[r].base) * 64 * regions[r].span;
	for (__u32 bit = 0; bit < 64; bit++)
		if (any_byte(dir + first + (size_t)bit * regions[r].span, regions[r].span))
			v |= 1ull << bit;
	return v;
}

/* Write the blocks into the fresh, all-zero array map fd: the bytes as they
 * are (the datapath reads bytes), all-zero ones left out, then the filter
 * block: the filters, computed here, after the chunk slots already in it. */
static int dir_write(int fd, const __u8 *dir, __u8 *filter_block)
{
	__u64 *words = (__u64 *)filter_block;
	const void *value;
	int err = 0;

	for (__u32 b = 0; b < DN_SCANNER_DIR_BLOCKS && !err; b++) {
		if (b < DN_SCANNER_DIR_FILTER_BLOCK) {
			value = dir + (size_t)b * DN_SCANNER_DIR_BLOCK_BYTES;
			if (!any_byte(value, DN_SCANNER_DIR_BLOCK_BYTES))
				continue;
		} else {
			for (__u32 w = 0; w < DN_SCANNER_FILTER_WORDS; w++)
				words[w] = filter_entry(dir, DN_SCANNER_DIR_BITMAP + w);
			value = words;
		}
		if (bpf_map_update_elem(fd, &b, value, 0))
			err = -errno;
	}
	return err;
}

static int scanners_build_v4(struct scanner_plan *sp)
{
	__u8 *dir, *filter_block;
	int err = 0;

	if (!sp->n4)
		return 0;
	qsort(sp->v4, sp->n4, sizeof(*sp->v4), listmaps_prefix_cmp);   /* by length */
	if ((sp->fd_long = listmaps_trie_create("scanner_v4_long", DN_FAMILY_IPV4,
				       DN_MAX_SCANNER_PREFIXES)) < 0)
		return sp->fd_long;
	for (size_t i = 0; i < sp->n4 && !err; i++)
		err = listmaps_trie_insert(sp->fd_long, &sp->v4[i].p, sp->v4[i].id);
	if (err)
		return err;
	sp->fd_dir = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scanner_v4_dir", sizeof(__u32),
				    DN_SCANNER_DIR_BLOCK_BYTES, DN_SCANNER_DIR_BLOCKS, NULL);
	if (sp->fd_dir < 0)
		return -errno;
	dir = calloc(DIR_SLASH24S, 1);
	filter_block = calloc(DN_SCANNER_DIR_BLOCK_BYTES, 1);
	if (dir && filter_block) {
		dir_fill(dir, sp->v4, sp->n4);
		err = scanner_chunks_build(dir, sp->v4, sp->n4, &sp->fd_chunks, filter_block);
		err = err ?: dir_write(sp->fd_dir, dir, filter_block);
	} else {
		err = -ENOMEM;
	}
	free(dir);
	free(filter_block);
	return err;
}

static int scanners_build_v6(struct scanner_plan *sp)
{
	int err = 0;

	if (!sp->n6)
		return 0;
	if ((sp->fd_v6 = listmaps_trie_create("scanner_v6", DN_FAMILY_IPV6,
				     DN_MAX_SCANNER_PREFIXES)) < 0)
		return sp->fd_v6;
	for (size_t i = 0; i < sp->n6 && !err; i++)
		err = listmaps_trie_insert(sp->fd_v6, &sp->v6[i].p, sp->v6[i].id);
	return err ?: scanner_v6_fast_build(sp->v6, sp->n6, &sp->fd_v6_filter,
					    &sp->fd_v6_buckets);
}

/* Write the names of ids in the given state (cleared names are empty). */
static int org_names_write(int fd, const struct scanner_plan *sp, enum id_state a,
			   enum id_state b)
{
	for (__u32 id = 1; id <= DN_MAX_SCANNER_ORGS; id++) {
		if ((sp->state[id] == a || sp->state[id] == b) &&
		    bpf_map_update_elem(fd, &id, &sp->names[id], BPF_ANY))
			return -errno;
	}
	return 0;
}

int listmaps_install_scanners(const struct dn_maps *m, const struct dn_prefix_list *l,
			      char *errbuf, size_t errlen)
{
	struct scanner_plan *sp = calloc(1, sizeof(*sp));
	int err;

	if (!sp)
		return listmaps_fail(errbuf, errlen, -ENOMEM, "failed to plan the scanner list");
	sp->ids = (struct id_table){ .state = sp->state, .first = 1, .n = DN_MAX_SCANNER_ORGS + 1 };
	sp->fd_dir = sp->fd_long = sp->fd_chunks = -1;
	sp->fd_v6 = sp->fd_v6_filter = sp->fd_v6_buckets = -1;
	if (errlen)
		errbuf[0] = '\0';
	err = scanners_assign_orgs(m->org_names, l, sp, errbuf, errlen);
	err = err ?: scanners_collect(l, sp, errbuf, errlen);
	if (err)
		goto cleanup;
	err = scanners_build_v4(sp);
	err = err ?: scanners_build_v6(sp);
	if (err) {
		listmaps_fail(errbuf, errlen, err, "failed to build the scanner maps");
		goto cleanup;
	}
	/* New names before the swap, so that counts under a new id always
	 * have a name; released names after it (cleared to ""). The trie and
	 * the chunks go in before the table whose DN_SCANNER_LONGER bytes send
	 * lookups to them, the IPv6 trie and buckets before the filter that
	 * sends lookups to them. */
	err = org_names_write(m->org_names, sp, ID_NEW, ID_REUSED);
	err = err ?: listmaps_zero_counters(m->org_counters, &sp->ids, ID_REUSED);
	err = err ?: listmaps_slot_swap(m->scanner_v4_long, sp->fd_long);
	err = err ?: listmaps_slot_swap(m->scanner_chunks, sp->fd_chunks);
	err = err ?: listmaps_slot_swap(m->scanner_v4_dir, sp->fd_dir);
	err = err ?: listmaps_slot_swap(m->scanner_v6, sp->fd_v6);
	err = err ?: listmaps_slot_swap(m->scanner_buckets, sp->fd_v6_buckets);
	err = err ?: listmaps_slot_swap(m->scanner_v6_bits, sp->fd_v6_filter);
	err = err ?: org_names_write(m->org_names, sp, ID_RELEASED, ID_RELEASED);
	err = err ?: listmaps_zero_counters(m->org_counters, &sp->ids, ID_RELEASED);
	if (err)
		listmaps_fail(errbuf, errlen, err, "failed to install the scanner list");
cleanup:
	if (sp->fd_dir >= 0)
		close(sp->fd_dir);
	if (sp->fd_long >= 0)
		close(sp->fd_long);
	if (sp->fd_v6 >= 0)
		close(sp->fd_v6);
	if (sp->fd_chunks >= 0)
		close(sp->fd_chunks);
	if (sp->fd_v6_filter >= 0)
		close(sp->fd_v6_filter);
	if (sp->fd_v6_buckets >= 0)
		close(sp->fd_v6_buckets);
	free(sp->v4);
	free(sp->v6);
	free(sp);
	return err;
}
