/* port_series.c: bounded, never-demoted port series; the rest folds into "other". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "port_series.h"

#define NR_SLOTS_ALL (DN_TCP_PORT_SLOTS + DN_UDP_PORT_SLOTS) /* one port, both protos */
#define NR_SERIES (DN_NR_PORTS * NR_SLOTS_ALL)                /* per interface */

/* Per interface, one entry per (proto, port, slot): TCP ports first, then
 * UDP, each port's slots together (series_index()). */
struct ps_iface {
	uint64_t *prev;      /* raw count at the previous update, for deltas */
	uint8_t *tracked;    /* bitmap */
};

/* Baseline of a promoted series; watched series have none (they count
 * from zero). Sorted by key for bsearch: lookups are per scrape and per
 * tracked series, insertions rare. */
struct ps_base {
	uint64_t key;        /* iface << 32 | series index */
	uint64_t base;
};

struct ps_candidate {
	uint64_t delta, raw;
	uint32_t iface, idx;
};

struct port_series {
	struct port_series_config cfg;
	int nr_ifaces;
	unsigned int count;
	struct ps_iface *ifaces;
	struct ps_base *bases;
	size_t nr_bases;
	port_series_promote_fn on_promote;
	void *on_promote_ctx;
};

unsigned int port_proto_slots(unsigned int proto)
{
	return proto == PORT_PROTO_TCP ? DN_TCP_PORT_SLOTS : DN_UDP_PORT_SLOTS;
}

unsigned int port_proto_class(unsigned int proto, unsigned int slot)
{
	return proto == PORT_PROTO_TCP ? slot : (unsigned int)names_udp_slot_class(slot);
}

const char *port_proto_name(unsigned int proto)
{
	return proto == PORT_PROTO_TCP ? "tcp" : "udp";
}

uint64_t port_series_raw(const struct dn_iface_snapshot *s, unsigned int proto,
			 unsigned int port, unsigned int slot)
{
	if (proto == PORT_PROTO_TCP)
		return s->tcp_ports ? s->tcp_ports[port].packets[slot] : 0;
	return s->udp_ports ? s->udp_ports[port].packets[slot] : 0;
}

static uint32_t series_index(unsigned int proto, unsigned int port, unsigned int slot)
{
	if (proto == PORT_PROTO_TCP)
		return port * DN_TCP_PORT_SLOTS + slot;
	return DN_NR_PORTS * DN_TCP_PORT_SLOTS + port * DN_UDP_PORT_SLOTS + slot;
}

static bool bit_test(const uint8_t *map, uint32_t i)
{
	return map[i / 8] & (1u << (i % 8));
}

static void bit_set(uint8_t *map, uint32_t i)
{
	map[i / 8] |= (uint8_t)(1u << (i % 8));
}

void port_series_config_init(struct port_series_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_series = PORT_SERIES_DEFAULT_MAX;
	cfg->min_delta = PORT_SERIES_DEFAULT_MIN_DELTA;
	cfg->min_share_pct = PORT_SERIES_DEFAULT_MIN_SHARE_PCT;
}

/* "80" or "8000-8010", 0..65535 each, digits only. */
static int parse_port(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= DN_NR_PORTS)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_watch_item(struct port_series_config *cfg, char *item, char *err, size_t errlen)
{
	unsigned int lo, hi;
	char *dash = strchr(item, '-');

	if (dash)
		*dash = '\0';
	if (parse_port(item, &lo) || (dash && parse_port(dash + 1, &hi))) {
		if (dash)
			*dash = '-';
		snprintf(err, errlen, "invalid port \"%s\" (ports are 0-65535, ranges LO-HI)", item);
		return -EINVAL;
	}
	if (!dash)
		hi = lo;
	if (lo > hi) {
		snprintf(err, errlen, "invalid port range %u-%u (empty)", lo, hi);
		return -EINVAL;
	}
	for (unsigned int p = lo; p <= hi; p++)
		bit_set(cfg->watch, p);
	return 0;
}

int port_series_parse_watch(struct port_series_config *cfg, const char *list,
			    char *err, size_t errlen)
{
	struct port_series_config tmp = *cfg;
	char *copy, *item, *save = NULL;
	int ret = 0;

	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	if (!strpbrk(copy, "0123456789")) {
		snprintf(err, errlen, "empty port list \"%s\"", list);
		ret = -EINVAL;
	}
	for (item = strtok_r(copy, ", \t", &save); item && !ret;
	     item = strtok_r(NULL, ", \t", &save))
		ret = parse_watch_item(&tmp, item, err, errlen);
	free(copy);
	if (!ret)
		*cfg = tmp; /* all or nothing, like the list files */
	return ret;
}

unsigned int port_series_watch_count(const struct port_series_config *cfg)
{
	unsigned int n = 0;

	for (unsigned int p = 0; p < DN_NR_PORTS; p++)
		n += bit_test(cfg->watch, p);
	return n;
}

static int iface_init(struct port_series *ps, struct ps_iface *pi)
{
	pi->prev = calloc(NR_SERIES, sizeof(*pi->prev));
	pi->tracked = calloc(NR_SERIES / 8, 1);
	if (!pi->prev || !pi->tracked)
		return -ENOMEM;
	for (unsigned int port = 0; port < DN_NR_PORTS; port++) {
		if (!bit_test(ps->cfg.watch, port))
			continue;
		for (unsigned int proto = 0; proto < PORT_PROTO_MAX; proto++) {
			for (unsigned int slot = 0; slot < port_proto_slots(proto); slot++)
				bit_set(pi->tracked, series_index(proto, port, slot));
		}
	}
	return 0;
}

int port_series_new(struct port_series **out, const struct port_series_config *cfg,
		    int nr_ifaces, char *err, size_t errlen)
{
	unsigned long long reserved;
	struct port_series *ps;
	int ret = 0;

	/* Watched series are reserved up front, so that the bound holds
	 * whatever traffic later arrives on them. */
	reserved = (unsigned long long)port_series_watch_count(cfg) * NR_SLOTS_ALL * nr_ifaces;
	if (reserved > cfg->max_series) {
		snprintf(err, errlen, "%u watched ports need %llu port series (%d per port and "
			 "interface), more than the limit of %u", port_series_watch_count(cfg),
			 reserved, NR_SLOTS_ALL, cfg->max_series);
		return -EINVAL;
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->cfg = *cfg;
	ps->nr_ifaces = nr_ifaces;
	ps->count = (unsigned int)reserved;
	ps->ifaces = calloc(nr_ifaces ? nr_ifaces : 1, sizeof(*ps->ifaces));
	if (!ps->ifaces)
		ret = -ENOMEM;
	for (int i = 0; i < nr_ifaces && !ret; i++)
		ret = iface_init(ps, &ps->ifaces[i]);
	if (ret) {
		snprintf(err, errlen, "out of memory for port series state");
		port_series_free(ps);
		return ret;
	}
	*out = ps;
	return 0;
}

void port_series_free(struct port_series *ps)
{
	if (!ps)
		return;
	for (int i = 0; ps->ifaces && i < ps->nr_ifaces; i++) {
		free(ps->ifaces[i].prev);
		free(ps->ifaces[i].tracked);
	}
	free(ps->ifaces);
	free(ps->bases);
	free(ps);
}

static int base_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct ps_base *)a)->key, y = ((const struct ps_base *)b)->key;

	return x < y ? -1 : x > y;
}

static struct ps_base *base_find(const struct port_series *ps, int iface, uint32_t idx)
{
	struct ps_base key = { .key = (uint64_t)iface << 32 | idx };

	if (!ps->nr_bases)
		return NULL;
	return bsearch(&key, ps->bases, ps->nr_bases, sizeof(key), base_cmp);
}

bool port_series_tracked(const struct port_series *ps, int iface, unsigned int proto,
			 unsigned int port, unsigned int slot, uint64_t *baseline)
{
	uint32_t idx = series_index(proto, port, slot);
	struct ps_base *b;

	if (iface < 0 || iface >= ps->nr_ifaces || !bit_test(ps->ifaces[iface].tracked, idx))
		return false;
	b = base_find(ps, iface, idx);
	*baseline = b ? b->base : 0;
	return true;
}

unsigned int port_series_count(const struct port_series *ps)
{
	return ps->count;
}

unsigned int port_series_limit(const struct port_series *ps)
{
	return ps->cfg.max_series;
}

/* A growable array of candidates for promotion. */
struct cand_vec {
	struct ps_candidate *v;
	size_t len, cap;
};

static int cand_push(struct cand_vec *c, const struct ps_candidate *x)
{
	if (c->len == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct ps_candidate *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->len++] = *x;
	return 0;
}

/* One (iface, proto): records deltas, then keeps as candidates the untracked
 * series heavy enough, i.e. with min_delta packets and min_share_pct of the
 * packets this (iface, proto) got since the previous update. */
static int scan_proto(struct port_series *ps, int i, const struct dn_iface_snapshot *s,
		      unsigned int proto, struct cand_vec *c)
{
	struct ps_iface *pi = &ps->ifaces[i];
	size_t first = c->len, kept;
	uint64_t total = 0;
	int ret = 0;

	for (unsigned int port = 0; port < DN_NR_PORTS; port++) {
		for (unsigned int slot = 0; slot < port_proto_slots(proto); slot++) {
			uint32_t idx = series_index(proto, port, slot);
			uint64_t raw = port_series_raw(s, proto, port, slot);
			/* Below the previous value: the maps were recreated. */
			uint64_t delta = raw >= pi->prev[idx] ? raw - pi->prev[idx] : raw;
			struct ps_candidate x = { delta, raw, (uint32_t)i, idx };

			pi->prev[idx] = raw;
			total += delta;
			if (!ret && delta >= ps->cfg.min_delta && delta &&
			    !bit_test(pi->tracked, idx))
				ret = cand_push(c, &x);
		}
	}
	kept = first;
	for (size_t k = first; k < c->len; k++) {
		if (c->v[k].delta * 100 >= total * ps->cfg.min_share_pct)
			c->v[kept++] = c->v[k];
	}
	c->len = kept;
	return ret;
}

/* Heaviest first; ties by position so that runs are reproducible. */
static int cand_cmp(const void *a, const void *b)
{
	const struct ps_candidate *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta > y->delta ? -1 : 1;
	if (x->iface != y->iface)
		return x->iface < y->iface ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int promote(struct port_series *ps, struct cand_vec *c)
{
	/* Restored series may exceed a bound lowered since the last run. */
	size_t room = ps->count < ps->cfg.max_series ? ps->cfg.max_series - ps->count : 0;
	size_t n = c->len < room ? c->len : room;
	struct ps_base *bases;

	if (!n)
		return 0;
	qsort(c->v, c->len, sizeof(*c->v), cand_cmp);
	bases = realloc(ps->bases, (ps->nr_bases + n) * sizeof(*bases));
	if (!bases)
		return -ENOMEM;
	ps->bases = bases;
	for (size_t k = 0; k < n; k++) {
		const struct ps_candidate *x = &c->v[k];

		bit_set(ps->ifaces[x->iface].tracked, x->idx);
		/* The count so far stays in "other"; the series starts at 0. */
		bases[ps->nr_bases++] = (struct ps_base){ (uint64_t)x->iface << 32 | x->idx, x->raw };
		if (ps->on_promote)
			ps->on_promote(ps->on_promote_ctx, (int)x->iface, x->idx, x->raw);
	}
	ps->count += (unsigned int)n;
	qsort(ps->bases, ps->nr_bases, sizeof(*bases), base_cmp);
	return 0;
}

void port_series_on_promote(struct port_series *ps, port_series_promote_fn fn, void *ctx)
{
	ps->on_promote = fn;
	ps->on_promote_ctx = ctx;
}

int port_series_restore(struct port_series *ps, int iface, uint32_t series,
			uint64_t baseline)
{
	struct ps_base *bases;

	bool watched;

	if (iface < 0 || iface >= ps->nr_ifaces || series >= NR_SERIES)
		return -EINVAL;
	if (base_find(ps, iface, series))
		return 0;
	/* A series watched now keeps the baseline it was promoted with: what
	 * came before it is in "other", and counting it again would make
	 * "other" go backwards. */
	watched = bit_test(ps->ifaces[iface].tracked, series);
	bases = realloc(ps->bases, (ps->nr_bases + 1) * sizeof(*bases));
	if (!bases)
		return -ENOMEM;
	ps->bases = bases;
	bit_set(ps->ifaces[iface].tracked, series);
	bases[ps->nr_bases++] = (struct ps_base){ (uint64_t)iface << 32 | series, baseline };
	qsort(ps->bases, ps->nr_bases, sizeof(*bases), base_cmp);
	if (!watched)
		ps->count++;
	return 0;
}

/* A tracked series whose counter fell below its baseline was reset with
 * its map: count it from zero rather than from a baseline it never reaches. */
static void drop_stale_bases(struct port_series *ps)
{
	for (size_t k = 0; k < ps->nr_bases; k++) {
		struct ps_base *b = &ps->bases[k];
		uint32_t idx = (uint32_t)b->key;

		if (b->base > ps->ifaces[b->key >> 32].prev[idx])
			b->base = 0;
	}
}

int port_series_update(struct port_series *ps, const struct dn_snapshot *snap)
{
	struct cand_vec c = { 0 };
	int ret = 0;

	if (snap->nr_ifaces != ps->nr_ifaces)
		return -EINVAL;
	for (int i = 0; i < snap->nr_ifaces && !ret; i++) {
		for (unsigned int proto = 0; proto < PORT_PROTO_MAX && !ret; proto++)
			ret = scan_proto(ps, i, &snap->ifaces[i], proto, &c);
	}
	drop_stale_bases(ps);
	if (!ret)
		ret = promote(ps, &c);
	free(c.v);
	return ret;
}
