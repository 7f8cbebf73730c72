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

struct listmaps_scanners {
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
				struct listmaps_scanners *sp, char *errbuf, size_t errlen)
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
static int scanners_collect(const struct dn_prefix_list *l, struct listmaps_scanners *sp,
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
 * prefixes become DN_SCANNER_LONGER in scanner_chunks_build(). A prefix
 * shorter than /2 spans byte blocks. */
static void dir_fill(struct dn_scanner_v4_table *t, const struct id_entry *v4, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		__u32 s = (__u32)v4[i].p.addr[0] << 16 | v4[i].p.addr[1] << 8 | v4[i].p.addr[2];
		__u32 left = v4[i].p.len <= 24 ? 1u << (24 - v4[i].p.len) : 0;

		while (left) {
			__u32 at = s % DN_SCANNER_DIR_BLOCK_BYTES;
			__u32 k = left < DN_SCANNER_DIR_BLOCK_BYTES - at ? left
									: DN_SCANNER_DIR_BLOCK_BYTES - at;

			memset(dn_scanner_byte(t, s), v4[i].id, k);
			s += k;
			left -= k;
		}
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

/* One bit of to per 16 bits of from (a /20 holds 16 /24s, a /16 16 /20s):
 * set when any of them is. n: bits of to. */
static void bits_summarise(const __u64 *from, __u64 *to, __u32 n)
{
	for (__u32 b = 0; b < n; b++)
		if ((from[b / 4] >> (b % 4 * 16)) & 0xffff)
			to[b / 64] |= 1ull << (b % 64);
}

/* The filters from the bytes: the /24 bitmap, then the /20 bitmap from it
 * and the /16 summary from that. */
static void filters_fill(struct dn_scanner_v4_table *t)
{
	struct dn_scanner_filter *f = &t->filter;

	for (__u32 s = 0; s < DN_SCANNER_SLASH24S; s++)
		if (*dn_scanner_byte(t, s))
			f->bits24[s / 64] |= 1ull << (s % 64);
	bits_summarise(f->bits24, f->bits20, 1u << 20);
	bits_summarise(f->bits20, f->bits16, 1u << 16);
}

/* Write the blocks into the fresh, all-zero array map fd: the byte blocks,
 * all-zero ones left out, then the filter block. */
static int dir_write(int fd, const struct dn_scanner_v4_table *t)
{
	const void *value;

	for (__u32 b = 0; b < DN_SCANNER_DIR_BLOCKS; b++) {
		if (b < DN_SCANNER_DIR_FILTER_BLOCK) {
			value = &t->bytes[b];
			if (!any_byte(t->bytes[b].org, sizeof(t->bytes[b].org)))
				continue;
		} else {
			value = &t->filter;
		}
		if (bpf_map_update_elem(fd, &b, value, 0))
			return -errno;
	}
	return 0;
}

static int scanners_build_v4(struct listmaps_scanners *sp)
{
	struct dn_scanner_v4_table *t;
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
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	dir_fill(t, sp->v4, sp->n4);
	err = scanner_chunks_build(t, sp->v4, sp->n4, &sp->fd_chunks);
	if (!err) {
		filters_fill(t);
		err = dir_write(sp->fd_dir, t);
	}
	free(t);
	return err;
}

static int scanners_build_v6(struct listmaps_scanners *sp)
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
static int org_names_write(int fd, const struct listmaps_scanners *sp, enum id_state a,
			   enum id_state b)
{
	for (__u32 id = 1; id <= DN_MAX_SCANNER_ORGS; id++) {
		if ((sp->state[id] == a || sp->state[id] == b) &&
		    bpf_map_update_elem(fd, &id, &sp->names[id], BPF_ANY))
			return -errno;
	}
	return 0;
}

void listmaps_scanners_free(struct listmaps_scanners *sp)
{
	if (!sp)
		return;
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
}

int listmaps_prepare_scanners(const struct dn_maps *m, const struct dn_prefix_list *l,
			      struct listmaps_scanners **out, char *errbuf, size_t errlen)
{
	struct listmaps_scanners *sp = calloc(1, sizeof(*sp));
	int err;

	*out = NULL;
	if (errlen)
		errbuf[0] = '\0';
	if (!sp)
		return listmaps_fail(errbuf, errlen, -ENOMEM, "failed to plan the scanner list");
	sp->ids = (struct id_table){ .state = sp->state, .first = 1, .n = DN_MAX_SCANNER_ORGS + 1 };
	sp->fd_dir = sp->fd_long = sp->fd_chunks = -1;
	sp->fd_v6 = sp->fd_v6_filter = sp->fd_v6_buckets = -1;
	err = scanners_assign_orgs(m->org_names, l, sp, errbuf, errlen);
	err = err ?: scanners_collect(l, sp, errbuf, errlen);
	if (!err) {
		err = scanners_build_v4(sp);
		err = err ?: scanners_build_v6(sp);
		if (err)
			listmaps_fail(errbuf, errlen, err, "failed to build the scanner maps");
	}
	if (err)
		listmaps_scanners_free(sp);
	else
		*out = sp;
	return err;
}

int listmaps_commit_scanners(const struct dn_maps *m, const struct listmaps_scanners *sp,
			     char *errbuf, size_t errlen)
{
	int err;

	if (errlen)
		errbuf[0] = '\0';
	/* New names before the swap, so that counts under a new id always
	 * have a name; released names after it (cleared to ""). The trie and
	 * the chunks go in before the table whose DN_SCANNER_LONGER bytes send
	 * lookups to them, the IPv6 trie and buckets before the filter that
	 * sends lookups to them. */
	err = org_names_write(m->org_names, sp, ID_NEW, ID_REUSED);
	err = err ?: listmaps_zero_counters(m->org_counters, DN_ORG_CPU_KEYS, &sp->ids, ID_REUSED);
	err = err ?: listmaps_slot_swap(m->scanner_v4_long, sp->fd_long);
	err = err ?: listmaps_slot_swap(m->scanner_chunks, sp->fd_chunks);
	err = err ?: listmaps_slot_swap(m->scanner_v4_dir, sp->fd_dir);
	err = err ?: listmaps_slot_swap(m->scanner_v6, sp->fd_v6);
	err = err ?: listmaps_slot_swap(m->scanner_buckets, sp->fd_v6_buckets);
	err = err ?: listmaps_slot_swap(m->scanner_v6_bits, sp->fd_v6_filter);
	err = err ?: org_names_write(m->org_names, sp, ID_RELEASED, ID_RELEASED);
	err = err ?: listmaps_zero_counters(m->org_counters, DN_ORG_CPU_KEYS, &sp->ids, ID_RELEASED);
	if (err)
		listmaps_fail(errbuf, errlen, err, "failed to install the scanner list");
	return err;
}

int listmaps_install_scanners(const struct dn_maps *m, const struct dn_prefix_list *l,
			      char *errbuf, size_t errlen)
{
	struct listmaps_scanners *sp;
	int err = listmaps_prepare_scanners(m, l, &sp, errbuf, errlen);

	err = err ?: listmaps_commit_scanners(m, sp, errbuf, errlen);
	listmaps_scanners_free(sp);
	return err;
}
