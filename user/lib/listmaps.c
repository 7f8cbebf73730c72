/* listmaps.c: builds the darknet inner maps from a prefix list and swaps them in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "listmaps.h"
#include "listmaps_util.h"

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



/* The list's prefixes, sorted, duplicates dropped, within the per-family limit. */
static int darknets_collect(const struct dn_prefix_list *l, struct id_entry **out,
			    size_t *n, char *errbuf, size_t errlen)
{
	size_t per_family[DN_FAMILY_MAX] = { 0 }, k = 0;
	struct id_entry *v = calloc(l->len ? l->len : 1, sizeof(*v));

	if (!v)
		return listmaps_fail(errbuf, errlen, -ENOMEM, "failed to collect darknet prefixes");
	for (size_t i = 0; i < l->len; i++)
		v[i].p = l->entries[i].prefix;
	qsort(v, l->len, sizeof(*v), listmaps_prefix_cmp);
	for (size_t i = 0; i < l->len; i++) {
		if (k && !listmaps_prefix_cmp(&v[k - 1], &v[i]))
			continue;
		v[k++] = v[i];
		per_family[v[i].p.family & 1]++;
	}
	*out = v;
	*n = k;
	for (int f = 0; f < DN_FAMILY_MAX; f++) {
		if (per_family[f] > DN_MAX_DARKNET_PREFIXES)
			return listmaps_reject(errbuf, errlen, -E2BIG, "too many %s darknet prefixes: %zu (max %u)",
				    listmaps_family_names[f], per_family[f], DN_MAX_DARKNET_PREFIXES);
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
		hit = bsearch(&want[i], old, nold, sizeof(*old), listmaps_prefix_cmp);
		if (hit && hit->id < t->n && t->state[hit->id] == ID_RELEASED) {
			want[i].id = hit->id;
			t->state[hit->id] = ID_KEPT;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (want[i].id != (__u32)-1)
			continue;
		if ((id = listmaps_id_take(t)) < 0)
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
		    (fds[f] = listmaps_trie_create(names[f], f, DN_MAX_DARKNET_PREFIXES)) < 0)
			return fds[f];
		err = listmaps_trie_insert(fds[f], &want[i].p, want[i].id);
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

/* A darknet list built into inner maps, its ids assigned: nothing of the
 * installed list has changed yet. */
struct listmaps_darknets {
	__u8 state[DN_MAX_PREFIX_IDS];
	struct id_table ids;
	struct id_entry *want;
	size_t nwant;
	int fds[DN_FAMILY_MAX], fd_small;
};

void listmaps_darknets_free(struct listmaps_darknets *p)
{
	if (!p)
		return;
	if (p->fd_small >= 0)
		close(p->fd_small);
	for (int f = 0; f < DN_FAMILY_MAX; f++) {
		if (p->fds[f] >= 0)
			close(p->fds[f]);
	}
	free(p->want);
	free(p);
}

int listmaps_prepare_darknets(const struct dn_maps *m, const struct dn_prefix_list *l,
			      struct listmaps_darknets **out, char *errbuf, size_t errlen)
{
	struct listmaps_darknets *p = calloc(1, sizeof(*p));
	struct id_entry *old = NULL;
	size_t nold = 0;
	int err;

	*out = NULL;
	if (errlen)
		errbuf[0] = '\0';
	if (!p)
		return listmaps_fail(errbuf, errlen, -ENOMEM, "failed to plan the darknet list");
	p->ids = (struct id_table){ .state = p->state, .n = DN_MAX_PREFIX_IDS };
	p->fds[0] = p->fds[1] = p->fd_small = -1;
	err = darknets_collect(l, &p->want, &p->nwant, errbuf, errlen);
	if (err)
		goto cleanup;
	err = installed_read(m->prefix_info, &old, &nold);
	if (err) {
		listmaps_fail(errbuf, errlen, err, "failed to read the installed darknet list");
		goto cleanup;
	}
	qsort(old, nold, sizeof(*old), listmaps_prefix_cmp);
	err = darknets_assign(p->want, p->nwant, old, nold, &p->ids);
	if (err) {
		listmaps_fail(errbuf, errlen, err, "failed to assign darknet prefix ids");
		goto cleanup;
	}
	err = darknets_build(p->want, p->nwant, p->fds);
	err = err ?: darknet_small_build(p->want, p->nwant, &p->fd_small);
	if (err)
		listmaps_fail(errbuf, errlen, err, "failed to build the darknet tries");
cleanup:
	free(old);
	if (err)
		listmaps_darknets_free(p);
	else
		*out = p;
	return err;
}

int listmaps_commit_darknets(const struct dn_maps *m, const struct listmaps_darknets *p,
			     char *errbuf, size_t errlen)
{
	int err;

	if (errlen)
		errbuf[0] = '\0';
	err = prefix_info_write(m->prefix_info, p->want, p->nwant);
	err = err ?: listmaps_zero_counters(m->prefix_counters, DN_PREFIX_CPU_KEYS, &p->ids, ID_REUSED);
	/* The trie before the short list that hides it: a long list replacing
	 * a short one takes effect when the short list's slot empties. */
	err = err ?: listmaps_slot_swap(m->darknet_v4, p->fds[DN_FAMILY_IPV4]);
	err = err ?: listmaps_slot_swap(m->darknet_small, p->fd_small);
	err = err ?: listmaps_slot_swap(m->darknet_v6, p->fds[DN_FAMILY_IPV6]);
	err = err ?: listmaps_zero_counters(m->prefix_counters, DN_PREFIX_CPU_KEYS, &p->ids, ID_RELEASED);
	if (err)
		listmaps_fail(errbuf, errlen, err, "failed to install the darknet list");
	return err;
}

int listmaps_install_darknets(const struct dn_maps *m, const struct dn_prefix_list *l,
			      char *errbuf, size_t errlen)
{
	struct listmaps_darknets *p;
	int err = listmaps_prepare_darknets(m, l, &p, errbuf, errlen);

	err = err ?: listmaps_commit_darknets(m, p, errbuf, errlen);
	listmaps_darknets_free(p);
	return err;
}
