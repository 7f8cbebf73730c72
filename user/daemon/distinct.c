/* distinct.c: the daemon's distinct counts: rotates the sketch generations each interval, keeps windows, renders the gauges. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "log.h"
#include "names.h"
#include "prefix.h"
#include "distinct.h"
#include "distinct_pin.h"

/* Histories by sketch slot (DN_SKETCH_ALL: the union of the classes) and
 * by darknet prefix id, allocated when first non-empty: most port and
 * prefix slots never are (docs/distinct-sources.md, "Memory"). */
struct distinct_iface {
	struct sketch_maps sm;
	struct dwin *hist[DN_SKETCH_SLOTS + 1];
	struct dwin *dst[DN_MAX_PREFIX_IDS];
	struct sketch_dst_map dstmap;
	struct dn_prefix_info info[DN_MAX_PREFIX_IDS];
	uint32_t port_of_slot[DN_SKETCH_PORT_SLOTS];   /* (proto << 16 | port) + 1; 0 = free */
	unsigned int nr_ports;
	struct dn_sketch scratch;
	struct distinct_pin pin;       /* the histories saved for a restart */
};

/* The IPv4 destinations of prefix id in generation gen as a sketch. */
static void bitmap_sketch(struct distinct_iface *f, unsigned int gen, uint32_t id,
			  struct dn_sketch *out)
{
	const struct dn_dst_slot *slot = &f->dstmap.slot[id];
	const uint64_t *bits = sketch_maps_bitmap(&f->sm, gen) + slot->where - 1;
	uint32_t net;

	sketch_clear(out);
	memcpy(&net, f->info[id].addr, 4);
	net = ntohl(net);
	for (uint64_t host = 0; host <= slot->mask; host += 64) {
		uint64_t w = bits[host / 64];

		for (; w; w &= w - 1)
			sketch_add_hash(out, dn_sketch_hash4(htonl(net + host + __builtin_ctzll(w))));
	}
}

/* Whether prefix id's destinations are kept as an exact bitmap in the
 * windows: an IPv4 prefix whose bits fit a sketch's 4 KiB (/17 or longer). */
static bool exact_dst(const struct distinct_iface *f, uint32_t id)
{
	return f->info[id].family == DN_FAMILY_IPV4 &&
	       f->dstmap.slot[id].mask < DN_SKETCH_REGS * 8;
}

static struct dwin *new_hist(struct distinct *d, bool bits)
{
	struct dwin *h = malloc(sizeof(*h));

	if (!h || dwin_init(h, d->interval)) {
		free(h);
		pr_warn("distinct sources: out of memory for a window history\n");
		return NULL;
	}
	h->bits = bits;
	return h;
}

/* History owner (a sketch slot, or DN_HIST_DST_OWNER + prefix id) of
 * interface f gets interval k, and the pinned copy what changed. */
static void push(struct distinct *d, struct distinct_iface *f, unsigned int owner, int64_t k,
		 const struct dn_sketch *s)
{
	struct dwin **h = owner < DN_HIST_DST_OWNER ? &f->hist[owner]
						     : &f->dst[owner - DN_HIST_DST_OWNER];

	if (!*h) {
		if (sketch_empty(s))
			return;
		*h = new_hist(d, owner >= DN_HIST_DST_OWNER &&
			      exact_dst(f, owner - DN_HIST_DST_OWNER));
		if (!*h)
			return;
	}
	dwin_push(*h, k, s);
	dpin_save(&f->pin, owner, *h, k);
}

/* The IPv4 destinations of prefix id in generation gen as the bitmap
 * itself (exact_dst) or as a sketch. */
static void bitmap_piece(struct distinct_iface *f, unsigned int gen, uint32_t id,
			 struct dn_sketch *out)
{
	const struct dn_dst_slot *slot = &f->dstmap.slot[id];
	const uint64_t *bits = sketch_maps_bitmap(&f->sm, gen) + slot->where - 1;

	if (!exact_dst(f, id)) {
		bitmap_sketch(f, gen, id, out);
		return;
	}
	sketch_clear(out);
	memcpy(out->w, bits, ((size_t)slot->mask / 64 + 1) * sizeof(uint64_t));
}

/* File generation gen of interface f as interval k. */
static void file_gen(struct distinct *d, struct distinct_iface *f, unsigned int gen, int64_t k)
{
	struct dn_sketch *all = &f->scratch;

	sketch_clear(all);
	for (unsigned int s = 0; s < DN_SKETCH_CLASS_SLOTS; s++) {
		push(d, f, s, k, sketch_maps_at(&f->sm, gen, s));
		sketch_merge(all, sketch_maps_at(&f->sm, gen, s));
	}
	push(d, f, DN_SKETCH_ALL, k, all);
	for (unsigned int s = 0; s < f->nr_ports; s++)
		push(d, f, DN_SKETCH_PORT_BASE + s, k,
		     sketch_maps_at(&f->sm, gen, DN_SKETCH_PORT_BASE + s));
	/* countries and AS series: empty ones (all, with geo off) cost a scan */
	for (unsigned int s = DN_SKETCH_COUNTRY_BASE; s < DN_SKETCH_SLOTS; s++)
		push(d, f, s, k, sketch_maps_at(&f->sm, gen, s));
	for (uint32_t id = 0; id < DN_MAX_PREFIX_IDS; id++) {
		const struct dn_dst_slot *slot = &f->dstmap.slot[id];

		if (!slot->where || !f->info[id].in_use)
			continue;
		if (f->info[id].family == DN_FAMILY_IPV6) {
			push(d, f, DN_HIST_DST_OWNER + id, k,
			     sketch_maps_at(&f->sm, gen, DN_SKETCH_DST6_BASE + slot->where - 1));
		} else {
			bitmap_piece(f, gen, id, all);
			push(d, f, DN_HIST_DST_OWNER + id, k, all);
		}
	}
}

int distinct_assign_dst(struct distinct *d, int i, char *err, size_t errlen)
{
	struct distinct_iface *f;
	int ret;

	if (!d->on || i >= d->nr)
		return 0;
	f = &d->ifc[i];
	ret = sketch_maps_assign_dst(&f->sm, &f->dstmap, err, errlen);
	for (uint32_t id = 0; !ret && id < DN_MAX_PREFIX_IDS; id++)
		if (bpf_map_lookup_elem(d->ifaces[i].maps.prefix_info, &id, &f->info[id]))
			ret = -errno;
	if (!ret && f->dstmap.untracked)
		pr_warn("%s: %u darknet prefixes get no count of destinations (over 2^24 IPv4 "
			"addresses or 16 IPv6 prefixes, or shorter than /8)\n", d->ifaces[i].name,
			f->dstmap.untracked);
	return ret;
}

static int64_t interval_of(double t, unsigned int interval)
{
	return (int64_t)floor(t / interval);
}

/* A predecessor's port slots (sketch_ports) and window histories. */
static int restore(struct distinct *d, struct distinct_iface *f, int64_t k, char *err,
		   size_t errlen)
{
	struct dn_sketch_ports *ports = malloc(sizeof(*ports));
	int ret = ports ? sketch_maps_get_ports(&f->sm, ports) : -ENOMEM;

	if (ret) {
		snprintf(err, errlen, "cannot read map sketch_ports: %s", strerror(-ret));
		free(ports);
		return ret;
	}
	for (unsigned int proto = 0; proto < 2; proto++)
		for (unsigned int port = 0; port < DN_NR_PORTS; port++) {
			unsigned int v = ports->slot[proto][port];

			if (!v || v > DN_SKETCH_PORT_SLOTS)
				continue;
			f->port_of_slot[v - 1] = (proto << 16 | port) + 1;
			if (v > f->nr_ports)
				f->nr_ports = v;
		}
	free(ports);
	for (unsigned int o = 0; o < DN_HIST_OWNERS; o++) {
		bool dst = o >= DN_HIST_DST_OWNER;
		struct dwin **h = dst ? &f->dst[o - DN_HIST_DST_OWNER] : &f->hist[o];

		if (!dpin_has(&f->pin, o))
			continue;
		if (!*h && !(*h = new_hist(d, dst && exact_dst(f, o - DN_HIST_DST_OWNER))))
			return -ENOMEM;
		if (!dpin_restore(&f->pin, o, *h, k)) {
			dwin_free(*h);
			free(*h);
			*h = NULL;
		}
	}
	return 0;
}

int distinct_init(struct distinct *d, struct dn_iface *ifaces, int nr,
		  const struct dn_config *cfg, double now, char *err, size_t errlen)
{
	struct dn_sketch_gen g;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->on = !cfg->no_distinct;
	d->interval = cfg->distinct_interval;
	d->ifaces = ifaces;
	d->next = interval_of(now, d->interval);
	if (!d->on)
		return 0;
	d->ifc = calloc(nr, sizeof(*d->ifc));
	if (!d->ifc)
		return -ENOMEM;
	d->nr = nr;
	for (int i = 0; i < nr && !ret; i++) {
		struct distinct_iface *f = &d->ifc[i];

		ret = sketch_maps_open(&f->sm, &ifaces[i].maps, err, errlen);
		ret = ret ?: distinct_assign_dst(d, i, err, errlen);
		if (ret)
			break;
		ret = dpin_open(&f->pin, &ifaces[i].maps, d->interval, err, errlen);
		ret = ret ?: restore(d, f, interval_of(now, d->interval) - 1, err, errlen);
		if (ret)
			break;
		/* the interval the predecessor closed last is still there */
		if (!sketch_maps_get_gen(&f->sm, &g) && g.rotated_ns && g.interval_s == d->interval)
			file_gen(d, f, g.gen ^ 1, interval_of(g.rotated_ns / 1e9, d->interval) - 1);
	}
	return ret;
}

void distinct_free(struct distinct *d)
{
	for (int i = 0; i < d->nr; i++) {
		struct distinct_iface *f = &d->ifc[i];

		for (unsigned int s = 0; s <= DN_SKETCH_SLOTS; s++)
			if (f->hist[s])
				dwin_free(f->hist[s]);
		for (unsigned int s = 0; s <= DN_SKETCH_SLOTS; s++)
			free(f->hist[s]);
		for (uint32_t id = 0; id < DN_MAX_PREFIX_IDS; id++) {
			if (f->dst[id])
				dwin_free(f->dst[id]);
			free(f->dst[id]);
		}
		sketch_maps_close(&f->sm);
		dpin_close(&f->pin);
	}
	free(d->ifc);
	d->ifc = NULL;
}

/* Ports with any series on interface i get a port sketch, first come
 * first served, while slots last; a slot is never taken back. */
static void assign_ports(struct distinct *d, int i, const struct port_series *ps)
{
	struct distinct_iface *f = &d->ifc[i];
	char err[128];
	uint64_t base;

	for (unsigned int proto = 0; proto < PORT_PROTO_MAX; proto++) {
		for (unsigned int port = 0; port < DN_NR_PORTS; port++) {
			uint32_t key = (proto << 16 | port) + 1;
			bool tracked = false, have = false;

			for (unsigned int s = 0; s < port_proto_slots(proto) && !tracked; s++)
				tracked = port_series_tracked(ps, i, proto, port, s, &base);
			for (unsigned int s = 0; s < f->nr_ports && tracked && !have; s++)
				have = f->port_of_slot[s] == key;
			if (!tracked || have || f->nr_ports >= DN_SKETCH_PORT_SLOTS)
				continue;
			if (sketch_maps_set_port(&f->sm, proto, port, f->nr_ports, err, sizeof(err))) {
				pr_warn("%s: %s\n", d->ifaces[i].name, err);
				return;
			}
			f->port_of_slot[f->nr_ports++] = key;
		}
	}
}

static void trim_all(struct distinct_iface *f, int64_t k)
{
	for (unsigned int s = 0; s <= DN_SKETCH_SLOTS; s++)
		if (f->hist[s])
			dwin_trim(f->hist[s], k);
	for (uint32_t id = 0; id < DN_MAX_PREFIX_IDS; id++)
		if (f->dst[id])
			dwin_trim(f->dst[id], k);
}

void distinct_tick(struct distinct *d, double now, const struct port_series *ps)
{
	int64_t k = interval_of(now, d->interval);

	if (!d->on)
		return;
	for (int i = 0; i < d->nr; i++) {
		struct distinct_iface *f = &d->ifc[i];
		struct dn_sketch_gen g;

		if (sketch_maps_get_gen(&f->sm, &g))
			continue;
		int64_t last = interval_of(g.rotated_ns / 1e9, d->interval);

		if (g.rotated_ns && g.interval_s == d->interval && last >= k && last <= k + 1)
			continue;
		if (g.rotated_ns && last > k + 1) {
			/* The clock went back: forget what now lies in the future
			 * rather than wait for the clock to catch up. */
			pr_warn("%s: the clock went back %.0f s; distinct-count windows "
				"restart from now\n", d->ifaces[i].name,
				(last - k) * (double)d->interval);
			trim_all(f, k - 1);
		}
		if (ps)
			assign_ports(d, i, ps);
		/* The other generation held the interval filed last time: clear
		 * it, then send the datapath there; the one it leaves is the
		 * interval that just ended (kept until the next flip, so that a
		 * restarted daemon can take it back). */
		sketch_maps_clear(&f->sm, g.gen ^ 1);
		g.gen ^= 1;
		g.seq++;
		g.interval_s = d->interval;
		g.rotated_ns = (uint64_t)(now * 1e9);
		if (sketch_maps_set_gen(&f->sm, &g)) {
			pr_warn("%s: cannot flip the sketch generation: %s\n", d->ifaces[i].name,
				strerror(errno));
			continue;
		}
		file_gen(d, f, g.gen ^ 1, k - 1);
		dpin_stamp(&f->pin, now);
	}
	d->next = k;
}

static double window_estimate(const struct distinct *d, const struct dwin *h,
			      enum dwin_window w, struct dn_sketch *tmp)
{
	if (!h)
		return 0;
	dwin_query(h, d->next, w, tmp);
	return round(dwin_count(h, tmp));
}

bool distinct_window(const struct distinct *d, int i, unsigned int slot, enum dwin_window w,
		     struct dn_sketch *out)
{
	const struct dwin *h;

	if (!d->on || i >= d->nr || slot > DN_SKETCH_ALL || !(h = d->ifc[i].hist[slot]))
		return false;
	dwin_query(h, d->next, w, out);
	return true;
}

void distinct_dst_hit(const struct distinct *d, int i, enum dwin_window w, double *hit,
		      double *addresses)
{
	struct dn_sketch tmp;

	*hit = *addresses = 0;
	for (uint32_t id = 0; d->on && i < d->nr && id < DN_MAX_PREFIX_IDS; id++) {
		const struct dn_prefix_info *pi = &d->ifc[i].info[id];

		if (!pi->in_use || pi->family != DN_FAMILY_IPV4 || !d->ifc[i].dstmap.slot[id].where)
			continue;
		*addresses += ldexp(1, 32 - pi->prefixlen);
		*hit += window_estimate(d, d->ifc[i].dst[id], w, &tmp);
	}
}

static void header(struct strbuf *sb, const char *name, const char *help)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

void distinct_render(struct strbuf *sb, const struct distinct *d)
{
	struct dn_sketch tmp;
	char text[DN_PREFIX_STRLEN];

	if (!d->on)
		return;
	header(sb, "darknet_unique_sources", "Distinct sources of darknet packets per family and "
	       "class in the window (HyperLogLog, 1.6% standard error; not additive).");
	for (int i = 0; i < d->nr; i++)
		for (unsigned int s = 0; s < DN_SKETCH_CLASS_SLOTS; s++)
			for (int w = 0; w < DWIN_MAX; w++)
				strbuf_printf(sb, "darknet_unique_sources{iface=\"%s\",family=\"%s\","
					      "class=\"%s\",window=\"%s\"} %.0f\n",
					      d->ifaces[i].name, names_family(s / DN_CLASS_MAX),
					      names_class(s % DN_CLASS_MAX), dwin_name(w),
					      window_estimate(d, d->ifc[i].hist[s], w, &tmp));
	header(sb, "darknet_unique_sources_all", "Distinct sources of all darknet packets of "
	       "the interface in the window (the union over families and classes).");
	for (int i = 0; i < d->nr; i++)
		for (int w = 0; w < DWIN_MAX; w++)
			strbuf_printf(sb, "darknet_unique_sources_all{iface=\"%s\",window=\"%s\"} "
				      "%.0f\n", d->ifaces[i].name, dwin_name(w),
				      window_estimate(d, d->ifc[i].hist[DN_SKETCH_ALL], w, &tmp));
	header(sb, "darknet_port_unique_sources", "Distinct sources of darknet packets to a "
	       "destination port with a series, in the window.");
	for (int i = 0; i < d->nr; i++)
		for (unsigned int s = 0; s < d->ifc[i].nr_ports; s++) {
			uint32_t key = d->ifc[i].port_of_slot[s] - 1;

			if (!d->ifc[i].port_of_slot[s])
				continue;
			for (int w = 0; w < DWIN_MAX; w++)
				strbuf_printf(sb, "darknet_port_unique_sources{iface=\"%s\","
					      "proto=\"%s\",port=\"%u\",window=\"%s\"} %.0f\n",
					      d->ifaces[i].name, port_proto_name(key >> 16),
					      key & 0xffff, dwin_name(w),
					      window_estimate(d, d->ifc[i].hist[DN_SKETCH_PORT_BASE + s],
							      w, &tmp));
		}
	header(sb, "darknet_unique_destinations", "Distinct darknet addresses of a darknet "
	       "prefix hit in the window.");
	for (int i = 0; i < d->nr; i++)
		for (uint32_t id = 0; id < DN_MAX_PREFIX_IDS; id++) {
			const struct dn_prefix_info *pi = &d->ifc[i].info[id];
			struct dn_prefix p = { .family = pi->family, .len = pi->prefixlen };

			if (!pi->in_use || !d->ifc[i].dstmap.slot[id].where)
				continue;
			memcpy(p.addr, pi->addr, sizeof(p.addr));
			prefix_format(&p, text, sizeof(text));
			for (int w = 0; w < DWIN_MAX; w++)
				strbuf_printf(sb, "darknet_unique_destinations{iface=\"%s\","
					      "prefix=\"%s\",window=\"%s\"} %.0f\n", d->ifaces[i].name,
					      text, dwin_name(w),
					      window_estimate(d, d->ifc[i].dst[id], w, &tmp));
		}
}
