/* listmaps_util.h: what the darknet and scanner halves of listmaps share (internal). */
#ifndef DN_LISTMAPS_UTIL_H
#define DN_LISTMAPS_UTIL_H

#include <stddef.h>
#include <linux/types.h>
#include "darknet_counter.h"
#include "fastpath.h"

#define BATCH_KEYS 65536u    /* entries per batch update */

extern const char *const listmaps_family_names[DN_FAMILY_MAX];

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

/* errbuf gets "what: strerror" (listmaps_fail) or just the reason (listmaps_reject); both
 * return err. */
int listmaps_fail(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int listmaps_reject(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int listmaps_prefix_cmp(const void *a, const void *b);
long listmaps_id_take(struct id_table *t);
int listmaps_zero_counters(int fd, __u32 keys_per_cpu, const struct id_table *t,
			   enum id_state which);
int listmaps_slot_swap(int outer, int inner);
int listmaps_trie_create(const char *name, __u8 family, __u32 max_entries);
int listmaps_trie_insert(int fd, const struct dn_prefix *p, __u32 value);

#endif
