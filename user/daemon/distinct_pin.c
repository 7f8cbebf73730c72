/* distinct_pin.c: the daemon's window histories saved in and restored from the pinned sketch_hist and sketch_hdir maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "log.h"
#include "distinct_pin.h"

#define POOL_BYTES ((size_t)DN_HIST_POOL * sizeof(struct dn_sketch))

static void *map_view(int fd, size_t len)
{
	void *v = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return v == MAP_FAILED ? NULL : v;
}

static void free_ent(struct dn_hist_ent *e)
{
	__atomic_store_n(&e->tag, -1, __ATOMIC_RELEASE);
	e->owner = 0;
}

/* (level, idx) of slot n of a history whose 5 minutes hold per_block intervals. */
static void slot_level(unsigned int per_block, unsigned int n, struct dn_hist_ent *e)
{
	static const struct { unsigned int level, len; } parts[] = {
		{ DN_HIST_BLOCKS, DWIN_BLOCKS }, { DN_HIST_BLOCK, 1 },
		{ DN_HIST_HOURS, DWIN_HOURS }, { DN_HIST_HOUR, 1 },
	};

	e->level = DN_HIST_RECENT;
	if (n < per_block) {
		e->idx = n;
		return;
	}
	n -= per_block;
	for (unsigned int i = 0; i < sizeof(parts) / sizeof(parts[0]); n -= parts[i++].len) {
		if (n < parts[i].len) {
			e->level = parts[i].level;
			e->idx = n;
			return;
		}
	}
}

static int32_t *where_of(struct distinct_pin *p, unsigned int owner, struct dwin *shape)
{
	unsigned int n = shape->per_block + DWIN_BLOCKS + 1 + DWIN_HOURS + 1;

	if (!p->where[owner]) {
		p->where[owner] = malloc(n * sizeof(int32_t));
		if (!p->where[owner])
			return NULL;
		for (unsigned int i = 0; i < n; i++)
			p->where[owner][i] = -1;
	}
	return p->where[owner];
}

/* Index the pieces: a piece of another interval's 5 minutes, of no slot,
 * or a second copy of a slot is freed. */
static void index_dir(struct distinct_pin *p, unsigned int interval_s)
{
	struct dwin shape = { .per_block = DWIN_BLOCK_S / interval_s };
	bool same = p->dir->magic == DN_HIST_MAGIC && p->dir->interval_s == interval_s;

	if (p->dir->magic != DN_HIST_MAGIC)
		memset(p->dir, 0, sizeof(*p->dir));
	for (uint32_t i = 0; i < DN_HIST_POOL; i++) {
		struct dn_hist_ent *e = &p->dir->ent[i];
		int n = dwin_slot_number(&shape, e->level, e->idx);
		int32_t *w;

		if (!e->owner)
			continue;
		if (e->owner > DN_HIST_OWNERS || n < 0 || (e->level == DN_HIST_RECENT && !same)) {
			free_ent(e);
			continue;
		}
		w = where_of(p, e->owner - 1, &shape);
		if (!w || w[n] >= 0) {
			free_ent(e);
			continue;
		}
		w[n] = i;
	}
	p->dir->magic = DN_HIST_MAGIC;
	p->dir->interval_s = interval_s;
}

int dpin_open(struct distinct_pin *p, const struct dn_maps *m, unsigned int interval_s,
	      char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->per_block = DWIN_BLOCK_S / interval_s;
	p->pool = map_view(m->sketch_hist, POOL_BYTES);
	if (!p->pool) {
		snprintf(err, errlen, "mmap map sketch_hist: %s", strerror(errno));
		return -errno;
	}
	p->dir = map_view(m->sketch_hdir, sizeof(*p->dir));
	if (!p->dir) {
		int ret = -errno;

		snprintf(err, errlen, "mmap map sketch_hdir: %s", strerror(errno));
		dpin_close(p);
		return ret;
	}
	index_dir(p, interval_s);
	return 0;
}

void dpin_close(struct distinct_pin *p)
{
	if (p->pool)
		munmap(p->pool, POOL_BYTES);
	if (p->dir)
		munmap(p->dir, sizeof(*p->dir));
	for (unsigned int i = 0; i < DN_HIST_OWNERS; i++)
		free(p->where[i]);
	memset(p, 0, sizeof(*p));
}

bool dpin_has(const struct distinct_pin *p, unsigned int owner)
{
	return owner < DN_HIST_OWNERS && p->where[owner];
}

bool dpin_restore(struct distinct_pin *p, unsigned int owner, struct dwin *w, int64_t k)
{
	bool any = false;

	if (!dpin_has(p, owner))
		return false;
	for (unsigned int n = 0; n < dwin_nr_slots(w); n++) {
		int32_t i = p->where[owner][n];
		struct dwin_slot *s = dwin_slot_at(w, n);
		struct dn_hist_ent *e;

		if (i < 0)
			continue;
		e = &p->dir->ent[i];
		s->tag = __atomic_load_n(&e->tag, __ATOMIC_ACQUIRE);
		s->s = p->pool[i];
		if (dwin_slot_valid(w, n, k)) {
			any = true;
			continue;
		}
		/* expired, or from a clock that has since gone back */
		s->tag = -1;
		sketch_clear(&s->s);
		free_ent(e);
		p->where[owner][n] = -1;
	}
	return any;
}

static int32_t alloc_piece(struct distinct_pin *p, unsigned int owner, unsigned int n)
{
	for (uint32_t i = 0; i < DN_HIST_POOL; i++) {
		struct dn_hist_ent *e = &p->dir->ent[i];

		if (e->owner)
			continue;
		e->tag = -1;
		slot_level(p->per_block, n, e);
		e->owner = owner + 1;
		return i;
	}
	if (!p->full_logged)
		pr_warn("distinct sources: the pinned window history is full (%u pieces): "
			"further windows are not kept across a restart\n", DN_HIST_POOL);
	p->full_logged = true;
	return -1;
}

void dpin_save(struct distinct_pin *p, unsigned int owner, struct dwin *w, int64_t k)
{
	unsigned int hot[3] = { k % w->per_block, w->per_block + DWIN_BLOCKS,
				w->per_block + DWIN_BLOCKS + 1 + DWIN_HOURS };
	int32_t *where = where_of(p, owner, w);

	if (!where || w->per_block != p->per_block)
		return;
	for (unsigned int n = 0; n < dwin_nr_slots(w); n++) {
		const struct dwin_slot *s = dwin_slot_at(w, n);
		struct dn_hist_ent *e;

		if (where[n] < 0 && s->tag < 0)
			continue;
		if (where[n] < 0 && (where[n] = alloc_piece(p, owner, n)) < 0)
			return;
		e = &p->dir->ent[where[n]];
		if (e->tag == s->tag && n != hot[0] && n != hot[1] && n != hot[2])
			continue;
		/* a reader after a SIGKILL half-way sees no tag, not a torn piece */
		__atomic_store_n(&e->tag, -1, __ATOMIC_RELEASE);
		p->pool[where[n]] = s->s;
		__atomic_store_n(&e->tag, s->tag, __ATOMIC_RELEASE);
	}
}

void dpin_stamp(struct distinct_pin *p, double now)
{
	p->dir->saved_ns = (uint64_t)(now * 1e9);
}
