/* landing_stats.c: the NICTER figures of a counter snapshot that the landing page shows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "port_series.h"
#include "prefix.h"
#include "landing_stats.h"

static bool info_prefix(const struct dn_prefix_info *pi, struct dn_prefix *p)
{
	unsigned int bits = pi->family == DN_FAMILY_IPV4 ? 32 : 128;

	if (!pi->in_use || pi->family >= DN_FAMILY_MAX || pi->prefixlen > bits)
		return false;
	memset(p, 0, sizeof(*p));
	p->family = pi->family;
	p->len = pi->prefixlen;
	memcpy(p->addr, pi->addr, bits / 8);
	return true;
}

static int prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct dn_prefix));
}

/* Sorted, repeats are adjacent: count each distinct prefix once. Overlapping
 * prefixes (a /24 and a /25 in it) would count twice; darknet lists do not
 * overlap in practice, and the page says "configured prefixes". */
static int count_addresses(const struct dn_iface_snapshot *s, int n, double out[DN_FAMILY_MAX])
{
	struct dn_prefix *all = calloc((size_t)DN_MAX_PREFIX_IDS * (n > 0 ? (unsigned int)n : 1),
				       sizeof(*all));
	size_t k = 0;

	if (!all)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		for (unsigned int id = 0; id < DN_MAX_PREFIX_IDS; id++)
			k += info_prefix(&s[i].prefix_info[id], &all[k]);
	qsort(all, k, sizeof(*all), prefix_cmp);
	for (size_t j = 0; j < k; j++)
		if (j == 0 || prefix_cmp(&all[j - 1], &all[j]))
			out[all[j].family] += prefix_addresses(&all[j]);
	free(all);
	return 0;
}

static void sums_add(struct landing_sums *t, const struct dn_iface_snapshot *s)
{
	struct dn_prefix p;

	for (unsigned int f = 0; f < DN_FAMILY_MAX; f++)
		for (unsigned int proto = 0; proto < DN_NR_IPPROTO; proto++)
			for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
				const struct dn_count *n = &s->classes[dn_class_key(f, proto, c)];

				t->packets += n->packets;
				t->bytes += n->bytes;
				t->family[f] += n->packets;
				t->classes[c] += n->packets;
			}
	for (unsigned int r = 0; r < DN_REASON_MAX; r++) {
		uint64_t *sum = names_reason_is_malformed(r) ? &t->malformed : &t->passed;

		*sum += s->reasons[r].packets;
	}
	for (unsigned int id = 0; id < DN_MAX_PREFIX_IDS; id++)
		if (info_prefix(&s->prefix_info[id], &p))
			t->prefix_packets[p.family] += s->prefixes[id].packets;
}

int landing_sum(struct landing_sums *t, const struct dn_iface_snapshot *s, int n)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++)
		sums_add(t, &s[i]);
	return count_addresses(s, n, t->addresses);
}

static uint64_t port_packets(const struct dn_snapshot *snap, unsigned int proto, unsigned int port)
{
	uint64_t sum = 0;

	for (int i = 0; i < snap->nr_ifaces; i++)
		for (unsigned int slot = 0; slot < port_proto_slots(proto); slot++)
			if (port_proto_class(proto, slot) != DN_CLASS_RESEARCH)
				sum += port_series_raw(&snap->ifaces[i], proto, port, slot);
	return sum;
}

/* Keeps top[] sorted by packets, descending; on a tie the port seen first
 * (TCP before UDP, lower port first) stays ahead. */
static int top_insert(struct landing_port *top, int n, const struct landing_port *r)
{
	int i = n < LANDING_TOP_PORTS ? n : LANDING_TOP_PORTS - 1;

	if (n == LANDING_TOP_PORTS && r->packets <= top[i].packets)
		return n;
	for (; i > 0 && top[i - 1].packets < r->packets; i--)
		top[i] = top[i - 1];
	top[i] = *r;
	return n < LANDING_TOP_PORTS ? n + 1 : n;
}

int landing_top_ports(const struct dn_snapshot *snap,
		      struct landing_port top[LANDING_TOP_PORTS], uint64_t *total)
{
	int n = 0;

	*total = 0;
	for (unsigned int proto = 0; proto < PORT_PROTO_MAX; proto++)
		for (unsigned int port = 0; port < DN_NR_PORTS; port++) {
			struct landing_port r = { port_packets(snap, proto, port), proto, port };

			*total += r.packets;
			if (r.packets)
				n = top_insert(top, n, &r);
		}
	return n;
}

void landing_distinct_fill(struct landing_distinct *ld, const struct distinct *d)
{
	struct dn_sketch s;

	memset(ld, 0, sizeof(*ld));
	ld->on = d->on;
	for (int i = 0; i < d->nr && i < LANDING_MAX_IFACES; i++) {
		double all = 0;

		for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
			double n = 0;

			/* the families' sources are disjoint: they add up */
			for (unsigned int f = 0; f < DN_FAMILY_MAX; f++)
				if (distinct_window(d, i, f * DN_CLASS_MAX + c, DWIN_24H, &s))
					n += round(sketch_estimate(&s));
			if (n > ld->sources[c])
				ld->sources[c] = n;
		}
		if (distinct_window(d, i, DN_SKETCH_ALL, DWIN_24H, &s))
			all = round(sketch_estimate(&s));
		if (all > ld->all)
			ld->all = all;
		snprintf(ld->cov[i].name, sizeof(ld->cov[i].name), "%s", d->ifaces[i].name);
		distinct_dst_hit(d, i, DWIN_24H, &ld->cov[i].hit, &ld->cov[i].addresses);
		ld->nr_ifaces = i + 1;
	}
}
