/* listmaps_util.c: what the darknet and scanner halves of listmaps share. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cpu_blocks.h"
#include "listmaps_util.h"

const char *const listmaps_family_names[DN_FAMILY_MAX] = { "IPv4", "IPv6" };

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
int listmaps_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(errbuf, errlen, err, 1, fmt, ap);
	va_end(ap);
	return err;
}

/* A list we refuse, with the reason only. Returns err. */
int listmaps_reject(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(errbuf, errlen, err, 0, fmt, ap);
	va_end(ap);
	return err;
}

int listmaps_prefix_cmp(const void *a, const void *b)
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
long listmaps_id_take(struct id_table *t)
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

/* Zero the dn_count of every id in the given state, in every CPU's block
 * (blocks of keys_per_cpu values). */
int listmaps_zero_counters(int fd, __u32 keys_per_cpu, const struct id_table *t,
			   enum id_state which)
{
	__u32 *ids = malloc((size_t)t->n * sizeof(*ids)), n = 0;
	int err;

	if (!ids)
		return -ENOMEM;
	for (__u32 id = t->first; id < t->n; id++)
		if (t->state[id] == which)
			ids[n++] = id;
	err = cpu_blocks_zero(fd, keys_per_cpu, sizeof(struct dn_count), ids, n);
	free(ids);
	return err;
}

/* Replace slot 0 of outer with inner, or empty it when inner < 0. */
int listmaps_slot_swap(int outer, int inner)
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

int listmaps_trie_create(const char *name, __u8 family, __u32 max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	__u32 key_size = family == DN_FAMILY_IPV4 ? sizeof(struct dn_lpm_v4)
						  : sizeof(struct dn_lpm_v6);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, key_size, sizeof(__u32),
				max_entries, &opts);

	return fd < 0 ? -errno : fd;
}

int listmaps_trie_insert(int fd, const struct dn_prefix *p, __u32 value)
{
	struct dn_lpm_v6 key;

	lpm_key(p, &key);
	return bpf_map_update_elem(fd, &key, &value, BPF_ANY) ? -errno : 0;
}
