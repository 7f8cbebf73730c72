/* maps.c: the file descriptors of one interface's maps, from a skeleton or from pins. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "darknet_counter.skel.h"
#include "darknet_counter.h"
#include "darknet_events.h"
#include "darknet_geo.h"
#include "maps.h"
#include "prefix.h"
#include "array_size.h"

int maps_size_for_cpus(struct darknet_counter_bpf *skel, int cpus)
{
	const struct {
		struct bpf_map *map;
		__u32 per_cpu;
	} blocks[] = {
		{ skel->maps.tcp_port_low, DN_PORT_LOW_CPU_KEYS },
		{ skel->maps.udp_port_low, DN_PORT_LOW_CPU_KEYS },
		{ skel->maps.port_touched, DN_TOUCHED_CPU_WORDS },
		{ skel->maps.class_counters, DN_CLASS_CPU_KEYS },
		{ skel->maps.icmp_counters, DN_ICMP_CPU_KEYS },
		{ skel->maps.prefix_counters, DN_PREFIX_CPU_KEYS },
		{ skel->maps.org_counters, DN_ORG_CPU_KEYS },
		{ skel->maps.reason_counters, DN_REASON_CPU_KEYS },
		{ skel->maps.event_stats, DN_EVENT_STAT_CPU_KEYS },
		{ skel->maps.geo_cc_counts, DN_GEO_COUNTRY_CPU_KEYS },
		{ skel->maps.geo_asn_counts, DN_GEO_ASN_CPU_KEYS },
		{ skel->maps.geo_asn_low, DN_GEO_ASN_LOW_CPU_KEYS },
	};
	int ncpus = cpus > 0 ? cpus : libbpf_num_possible_cpus(), err = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	for (size_t i = 0; !err && i < ARRAY_SIZE(blocks); i++)
		err = bpf_map__set_max_entries(blocks[i].map, ncpus * blocks[i].per_cpu);
	return err;
}

void maps_events_defaults(struct dn_events_opts *o)
{
	o->scan_entries = DN_SCAN_TABLE_DEFAULT;
	o->victim_entries = DN_VICTIM_TABLE_DEFAULT;
	o->dst_shift = 0;
	o->enabled = 1;
}

unsigned int maps_events_dst_shift(const struct dn_prefix_list *darknets)
{
	__u64 addrs = 0;

	for (size_t i = 0; i < darknets->len; i++) {
		const struct dn_prefix *p = &darknets->entries[i].prefix;

		if (p->family == DN_FAMILY_IPV4)
			addrs += 1ULL << (32 - p->len);
	}
	return dn_event_dst_shift_for(addrs);
}

int maps_size_events(struct darknet_counter_bpf *skel, const struct dn_events_opts *o)
{
	__u32 scan = o->enabled ? o->scan_entries : 1, victim = o->enabled ? o->victim_entries : 1;
	int err;

	if (!scan || !victim || scan > DN_EVENT_TABLE_MAX || victim > DN_EVENT_TABLE_MAX ||
	    o->dst_shift > DN_EVENT_DST_MAX_SHIFT)
		return -ERANGE;
	skel->rodata->dn_events_enabled = !!o->enabled;
	skel->rodata->dn_event_dst_shift = o->dst_shift;
	err = bpf_map__set_max_entries(skel->maps.scan_events, scan);
	return err ?: bpf_map__set_max_entries(skel->maps.dos_victims, victim);
}

void maps_from_skel(struct dn_maps *m, const struct darknet_counter_bpf *skel)
{
#define DN_MAP_FROM_SKEL(name) m->name = bpf_map__fd(skel->maps.name);
	DN_MAPS(DN_MAP_FROM_SKEL)
#undef DN_MAP_FROM_SKEL
}

static int open_one(const char *dir, const char *name, int *fd, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = bpf_obj_get(path);
	if (*fd >= 0)
		return 0;
	ret = -errno;
	snprintf(err, errlen, "cannot open pinned map %s: %s", path, strerror(-ret));
	return ret;
}

int maps_open_pinned_err(struct dn_maps *m, const char *dir, char *err, size_t errlen)
{
	int ret = 0;

#define DN_MAP_INIT(name) m->name = -1;
	DN_MAPS(DN_MAP_INIT)
#undef DN_MAP_INIT
#define DN_MAP_OPEN(name) if (!ret) ret = open_one(dir, #name, &m->name, err, errlen);
	DN_MAPS(DN_MAP_OPEN)
#undef DN_MAP_OPEN
	if (ret)
		maps_close(m);
	return ret;
}

int maps_open_pinned(struct dn_maps *m, const char *dir)
{
	char err[16];   /* the caller reports on its own */

	return maps_open_pinned_err(m, dir, err, sizeof(err));
}

void maps_close(struct dn_maps *m)
{
#define DN_MAP_CLOSE(name) if (m->name >= 0) close(m->name); m->name = -1;
	DN_MAPS(DN_MAP_CLOSE)
#undef DN_MAP_CLOSE
}
