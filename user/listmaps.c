/* listmaps.c: builds the darknet and scanner inner maps from prefix lists and swaps them in. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "listmaps.h"
#include "fastpath.h"

#define DIR_SLASH24S (DN_SCANNER_DIR_SLOTS * 8u)   /* one org byte per IPv4 /24 */
#define BATCH_KEYS 65536u                            /* entries per batch update */

static const char *const family_names[DN_FAMILY_MAX] = { "IPv4", "IPv6" };

/* A prefix and the id (darknet prefix id or org id) it maps to. The prefix
 * comes first so that prefix_cmp() sorts and searches these directly. */

/* Where an id stands during one install. */
enum id_state {
	ID_FREE,      /* nobody holds it */
	ID_RELEASED,  /* the installed list holds it, the new one does not */
	ID_KEPT,      /* the same prefix or org in both lists */
	ID_NEW,       /* a new entry on an id nobody held */
	ID_REUSED,    /* a new entry on a released id: zero its counters first */
};

struct id_table {
	__u8 *state;
	__u32 first, n;     /* ids handed out: first..n-1 */
	__u32 cursor[2];    /* where the search for a free / released id resumes */
};

static void vreport(char *errbuf, size_t errlen, int err, int with_errno, const char *fmt,
		    va_list ap)
{
	size_t used;

	vsnprintf(errbuf, errlen, fmt, ap);
	used = strnlen(errbuf, errlen);
	if (with_errno && used < errlen)
		snprintf(errbuf + used, errlen - used, ": %s", strerror(-err));
}

/* A failed operation: "failed to X: <strerror>". Returns err. */
static int fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(errbuf, errlen, err, 1, fmt, ap);
	va_end(ap);
	return err;
}

/* A list we refuse, with the reason only. Returns err. */
static int reject(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(errbuf, errlen, err, 0, fmt, ap);
	va_end(ap);
	return err;
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct dn_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->len != y->len)
		return x->len - y->len;
	return memcmp(x->addr, y->addr, x->family == DN_FAMILY_IPV4 ? 4 : 16);
}

/* Prefer ids nobody held, so that a released id (whose counters are still
 * being scraped until the swap) is handed out only when the table is full. */
static long id_take(struct id_table *t)
{
	static const __u8 from[2] = { ID_FREE, ID_RELEASED }, to[2] = { ID_NEW, ID_REUSED };

	for (int pass = 0; pass < 2; pass++) {
		for (__u32 *id = &t->cursor[pass]; *id < t->n; (*id)++) {
			if (*id >= t->first && t->state[*id] == from[pass]) {
				t->state[*id] = to[pass];
				return (*id)++;
			}
		}
	}
	return -ENOSPC;
}

/* Zero the per-CPU dn_count of every id in the given state. */
static int zero_counters(int fd, const struct id_table *t, enum id_state which)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	struct dn_count *zero;

	if (ncpus < 0)
		return ncpus;
	zero = calloc(ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (__u32 id = t->first; id < t->n && !err; id++) {
		if (t->state[id] == which && bpf_map_update_elem(fd, &id, zero, BPF_ANY))
			err = -errno;
	}
	free(zero);
	return err;
}

/* Replace slot 0 of outer with inner, or empty it when inner < 0. */
static int slot_swap(int outer, int inner)
{
	__u32 zero = 0;

	if (inner >= 0)
		return bpf_map_update_elem(outer, &zero, &inner, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(outer, &zero) && errno != ENOENT)
		return -errno;
	return 0;
}

/* dn_lpm_v4 is dn_lpm_v6 cut after the fourth address byte, so one key
 * buffer serves both tries; the map's key_size decides how much is read. */
static void lpm_key(const struct dn_prefix *p, struct dn_lpm_v6 *k)
{
	k->prefixlen = p->len;
	memcpy(k->addr, p->addr, sizeof(k->addr));
}

static int trie_create(const char *name, __u8 family, __u32 max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	__u32 key_size = family == DN_FAMILY_IPV4 ? sizeof(struct dn_lpm_v4)
						  : sizeof(struct dn_lpm_v6);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, key_size, sizeof(__u32),
				max_entries, &opts);

	return fd < 0 ? -errno : fd;
}

static int trie_insert(int fd, const struct dn_prefix *p, __u32 value)
{
	struct dn_lpm_v6 key;

	lpm_key(p, &key);
	return bpf_map_update_elem(fd, &key, &value, BPF_ANY) ? -errno : 0;
}

/* The installed prefixes with their ids, from prefix_info: every install
 * rewrites it in full, so it is the record of what the tries hold. Reading it
 * rather than the tries needs no CAP_SYS_ADMIN (opening an inner map by id
 * would), so reloads still work after the daemon dropped its privileges. */
static int installed_read(int info_fd, struct id_entry **v, size_t *n)
{
	struct dn_prefix_info *info = calloc(DN_MAX_PREFIX_IDS, sizeof(*info));
	__u32 *keys = calloc(DN_MAX_PREFIX_IDS, sizeof(*keys));
	__u32 count = DN_MAX_PREFIX_IDS, next = 0;
	int err = 0;

	*v = calloc(DN_MAX_PREFIX_IDS, sizeof(**v));
	*n = 0;
	if (!info || !keys || !*v) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (bpf_map_lookup_batch(info_fd, NULL, &next, keys, info, &count, NULL) &&
	    errno != ENOENT) {
		err = -errno;
		goto cleanup;
	}
	for (__u32 i = 0; i < count; i++) {
		struct id_entry *e = &(*v)[*n];

		if (!info[i].in_use || info[i].family >= DN_FAMILY_MAX)
			continue;
		e->p.family = info[i].family;
		e->p.len = info[i].prefixlen;
		memcpy(e->p.addr, info[i].addr, sizeof(e->p.addr));
		e->id = keys[i];
		(*n)++;
	}
cleanup:
	free(info);
	free(keys);
	return err;
}

/* ---- darknets ---------------------------------------------------------- */

/* The list's prefixes, sorted, duplicates dropped, within the per-family limit. */
static int darknets_collect(const struct dn_prefix_list *l, struct id_entry **out,
			    size_t *n, char *errbuf, size_t errlen)
{
	size_t per_family[DN_FAMILY_MAX] = { 0 }, k = 0;
	struct id_entry *v = calloc(l->len ? l->len : 1, sizeof(*v));

	if (!v)
		return fail(errbuf, errlen, -ENOMEM, "failed to collect darknet prefixes");
	for (size_t i = 0; i < l->len; i++)
		v[i].p = l->entries[i].prefix;
	qsort(v, l->len, sizeof(*v), prefix_cmp);
	for (size_t i = 0; i < l->len; i++) {
		if (k && !prefix_cmp(&v[k - 1], &v[i]))
			continue;
		v[k++] = v[i];
		per_family[v[i].p.family & 1]++;
	}
	*out = v;
	*n = k;
	for (int f = 0; f < DN_FAMILY_MAX; f++) {
		if (per_family[f] > DN_MAX_DARKNET_PREFIXES)
			return reject(errbuf, errlen, -E2BIG, "too many %s darknet prefixes: %zu (max %u)",
				    family_names[f], per_family[f], DN_MAX_DARKNET_PREFIXES);
	}
	return 0;
}

/* Keep the ids of prefixes already installed; give the others fresh ones. */
static int darknets_assign(struct id_entry *want, size_t n, const struct id_entry *old,
			   size_t nold, struct id_table *t)
{
	const struct id_entry *hit;
	long id;

	for (size_t i = 0; i < nold; i++) {
		if (old[i].id < t->n)
			t->state[old[i].id] = ID_RELEASED;
	}
	for (size_t i = 0; i < n; i++) {
		want[i].id = (__u32)-1;
		hit = bsearch(&want[i], old, nold, sizeof(*old), prefix_cmp);
		if (hit && hit->id < t->n && t->state[hit->id] == ID_RELEASED) {
			want[i].id = hit->id;
			t->state[hit->id] = ID_KEPT;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (want[i].id != (__u32)-1)
			continue;
		if ((id = id_take(t)) < 0)
			return id;
		want[i].id = id;
	}
	return 0;
}

static int darknets_build(const struct id_entry *want, size_t n, int fds[DN_FAMILY_MAX])
{
	static const char *const names[DN_FAMILY_MAX] = { "darknet_v4", "darknet_v6" };
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		__u8 f = want[i].p.family & 1;

		if (fds[f] < 0 &&
		    (fds[f] = trie_create(names[f], f, DN_MAX_DARKNET_PREFIXES)) < 0)
			return fds[f];
		err = trie_insert(fds[f], &want[i].p, want[i].id);
	}
	return err;
}

/* Rewrite all of prefix_info: installed ids get their prefix and in_use,
 * the rest zeroes (in_use 0), what a fresh map holds. */
static int prefix_info_write(int fd, const struct id_entry *want, size_t n)
{
	struct dn_prefix_info *info = malloc(DN_MAX_PREFIX_IDS * sizeof(*info));
	__u32 *keys = malloc(DN_MAX_PREFIX_IDS * sizeof(*keys));
	__u32 count = DN_MAX_PREFIX_IDS;
	int err = 0;

	if (!info || !keys) {
		err = -ENOMEM;
		goto cleanup;
	}
	memset(info, 0, DN_MAX_PREFIX_IDS * sizeof(*info));
	for (__u32 id = 0; id < DN_MAX_PREFIX_IDS; id++) {
		keys[id] = id;
	}
	for (size_t i = 0; i < n; i++) {
		info[want[i].id].in_use = 1;
		info[want[i].id].family = want[i].p.family;
		info[want[i].id].prefixlen = want[i].p.len;
		memcpy(info[want[i].id].addr, want[i].p.addr, sizeof(info->addr));
	}
	if (bpf_map_update_batch(fd, keys, info, &count, NULL))
		err = -errno;
cleanup:
	free(info);
	free(keys);
	return err;
}

int listmaps_install_darknets(const struct dn_maps *m, const struct dn_prefix_list *l,
			      char *errbuf, size_t errlen)
{
	__u8 state[DN_MAX_PREFIX_IDS] = { 0 };
	struct id_table ids = { .state = state, .n = DN_MAX_PREFIX_IDS };
	struct id_entry *want = NULL, *old = NULL;
	size_t nwant = 0, nold = 0;
	int fds[DN_FAMILY_MAX] = { -1, -1 }, fd_small = -1;
	int err;

	if (errlen)
		errbuf[0] = '\0';
	err = darknets_collect(l, &want, &nwant, errbuf, errlen);
	if (err)
		goto cleanup;
	err = installed_read(m->prefix_info, &old, &nold);
	if (err) {
		fail(errbuf, errlen, err, "failed to read the installed darknet list");
		goto cleanup;
	}
	qsort(old, nold, sizeof(*old), prefix_cmp);
	err = darknets_assign(want, nwant, old, nold, &ids);
	if (err) {
		fail(errbuf, errlen, err, "failed to assign darknet prefix ids");
		goto cleanup;
	}
	err = darknets_build(want, nwant, fds);
	err = err ?: darknet_small_build(want, nwant, &fd_small);
	if (err) {
		fail(errbuf, errlen, err, "failed to build the darknet tries");
		goto cleanup;
	}
	err = prefix_info_write(m->prefix_info, want, nwant);
	err = err ?: zero_counters(m->prefix_counters, &ids, ID_REUSED);
	/* The trie before the short list that hides it: a long list replacing
	 * a short one takes effect when the short list's slot empties. */
	err = err ?: slot_swap(m->darknet_v4, fds[DN_FAMILY_IPV4]);
	err = err ?: slot_swap(m->darknet_v4_small, fd_small);
	err = err ?: slot_swap(m->darknet_v6, fds[DN_FAMILY_IPV6]);
	err = err ?: zero_counters(m->prefix_counters, &ids, ID_RELEASED);
	if (err)
		fail(errbuf, errlen, err, "failed to install the darknet list");
cleanup:
	if (fd_small >= 0)
		close(fd_small);
	for (int f = 0; f < DN_FAMILY_MAX; f++) {
		if (fds[f] >= 0)
			close(fds[f]);
	}
	free(want);
	free(old);
	return err;
}

/* ---- scanners ---------------------------------------------------------- */

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
			return fail(errbuf, errlen, -errno, "failed to read org_names");
		old[k].name[DN_ORG_NAME_LEN - 1] = '\0';
		if (old[k].name[0])
			sp->state[k] = ID_RELEASED;
	}
	for (size_t i = 0; i < l->len; i++) {
		const char *org = l->entries[i].org;
		char text[DN_PREFIX_STRLEN];

		if (!org[0]) {
			prefix_format(&l->entries[i].prefix, text, sizeof(text));
			return reject(errbuf, errlen, -EINVAL, "scanner prefix %s has no organisation",
				      text);
		}
		if (org_find(sp->names, org, 1, DN_MAX_SCANNER_ORGS + 1) >= 0)
			continue;
		if ((id = org_find(old, org, 1, DN_MAX_SCANNER_ORGS + 1)) >= 0 &&
		    sp->state[id] == ID_RELEASED)
			sp->state[id] = ID_KEPT;
		else if ((id = id_take(&sp->ids)) < 0)
			return reject(errbuf, errlen, -E2BIG, "too many scanner organisations (max %u)",
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
		return fail(errbuf, errlen, -ENOMEM, "failed to collect scanner prefixes");
	for (size_t i = 0; i < l->len; i++) {
		const struct dn_prefix_entry *e = &l->entries[i];
		struct id_entry *d = e->prefix.family == DN_FAMILY_IPV4 ? &sp->v4[sp->n4++]
									: &sp->v6[sp->n6++];

		d->p = e->prefix;
		d->id = org_find(sp->names, e->org, 1, DN_MAX_SCANNER_ORGS + 1);
	}
	if (sp->n4 > DN_MAX_SCANNER_PREFIXES || sp->n6 > DN_MAX_SCANNER_PREFIXES)
		return reject(errbuf, errlen, -E2BIG, "too many %s scanner prefixes: %zu (max %u)",
			    family_names[sp->n4 > DN_MAX_SCANNER_PREFIXES ? 0 : 1],
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

/* Entry e of the table: eight /24 bytes packed little-endian (as the
 * datapath reads them), then the /24 bitmap, then the /16 summary. */
static __u64 dir_entry(const __u8 *dir, __u32 e)
{
	size_t span = e < DN_SCANNER_DIR_SUMMARY ? 1 : 256;   /* /24s per bit */
	size_t first;
	__u64 v = 0;

	if (e < DN_SCANNER_DIR_BITMAP) {
		for (int b = 7; b >= 0; b--)
			v = v << 8 | dir[(size_t)e * 8 + b];
		return v;
	}
	first = e < DN_SCANNER_DIR_SUMMARY ? (size_t)(e - DN_SCANNER_DIR_BITMAP) * 64
					   : (size_t)(e - DN_SCANNER_DIR_SUMMARY) * 64 * 256;
	for (__u32 bit = 0; bit < 64; bit++)
		if (any_byte(dir + first + bit * span, span))
			v |= 1ull << bit;
	return v;
}

/* Write the nonzero entries into the fresh, all-zero array map fd. */
static int dir_write(int fd, const __u8 *dir)
{
	__u32 *keys = malloc(BATCH_KEYS * sizeof(*keys)), count, k = 0;
	__u64 *vals = malloc(BATCH_KEYS * sizeof(*vals)), v;
	int err = 0;

	if (!keys || !vals)
		err = -ENOMEM;
	for (__u32 e = 0; e < DN_SCANNER_DIR_ENTRIES && !err; e++) {
		v = dir_entry(dir, e);
		if (v) {
			keys[k] = e;
			vals[k++] = v;
		}
		if (k == BATCH_KEYS || (k && e == DN_SCANNER_DIR_ENTRIES - 1)) {
			count = k;
			if (bpf_map_update_batch(fd, keys, vals, &count, NULL))
				err = -errno;
			k = 0;
		}
	}
	free(keys);
	free(vals);
	return err;
}

static int scanners_build_v4(struct scanner_plan *sp)
{
	__u8 *dir;
	int err = 0;

	if (!sp->n4)
		return 0;
	qsort(sp->v4, sp->n4, sizeof(*sp->v4), prefix_cmp);   /* by length */
	if ((sp->fd_long = trie_create("scanner_v4_long", DN_FAMILY_IPV4,
				       DN_MAX_SCANNER_PREFIXES)) < 0)
		return sp->fd_long;
	for (size_t i = 0; i < sp->n4 && !err; i++)
		err = trie_insert(sp->fd_long, &sp->v4[i].p, sp->v4[i].id);
	if (err)
		return err;
	sp->fd_dir = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scanner_v4_dir", sizeof(__u32),
				    sizeof(__u64), DN_SCANNER_DIR_ENTRIES, NULL);
	if (sp->fd_dir < 0)
		return -errno;
	dir = calloc(DIR_SLASH24S, 1);
	if (!dir)
		return -ENOMEM;
	dir_fill(dir, sp->v4, sp->n4);
	err = scanner_chunks_build(dir, sp->v4, sp->n4, &sp->fd_chunks);
	err = err ?: dir_write(sp->fd_dir, dir);
	free(dir);
	return err;
}

static int scanners_build_v6(struct scanner_plan *sp)
{
	int err = 0;

	if (!sp->n6)
		return 0;
	if ((sp->fd_v6 = trie_create("scanner_v6", DN_FAMILY_IPV6,
				     DN_MAX_SCANNER_PREFIXES)) < 0)
		return sp->fd_v6;
	for (size_t i = 0; i < sp->n6 && !err; i++)
		err = trie_insert(sp->fd_v6, &sp->v6[i].p, sp->v6[i].id);
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
		return fail(errbuf, errlen, -ENOMEM, "failed to plan the scanner list");
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
		fail(errbuf, errlen, err, "failed to build the scanner maps");
		goto cleanup;
	}
	/* New names before the swap, so that counts under a new id always
	 * have a name; released names after it (cleared to ""). The trie and
	 * the chunks go in before the table whose DN_SCANNER_LONGER bytes send
	 * lookups to them, the IPv6 trie and buckets before the filter that
	 * sends lookups to them. */
	err = org_names_write(m->org_names, sp, ID_NEW, ID_REUSED);
	err = err ?: zero_counters(m->org_counters, &sp->ids, ID_REUSED);
	err = err ?: slot_swap(m->scanner_v4_long, sp->fd_long);
	err = err ?: slot_swap(m->scanner_v4_chunks, sp->fd_chunks);
	err = err ?: slot_swap(m->scanner_v4_dir, sp->fd_dir);
	err = err ?: slot_swap(m->scanner_v6, sp->fd_v6);
	err = err ?: slot_swap(m->scanner_v6_buckets, sp->fd_v6_buckets);
	err = err ?: slot_swap(m->scanner_v6_filter, sp->fd_v6_filter);
	err = err ?: org_names_write(m->org_names, sp, ID_RELEASED, ID_RELEASED);
	err = err ?: zero_counters(m->org_counters, &sp->ids, ID_RELEASED);
	if (err)
		fail(errbuf, errlen, err, "failed to install the scanner list");
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
