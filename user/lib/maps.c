/* maps.c: the file descriptors of one interface's maps, from a skeleton or from pins. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "darknet_counter.skel.h"
#include "darknet_counter.h"
#include "maps.h"

int maps_size_for_cpus(struct darknet_counter_bpf *skel, int cpus)
{
	int ncpus = cpus > 0 ? cpus : libbpf_num_possible_cpus(), err;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	err = bpf_map__set_max_entries(skel->maps.tcp_port_low, ncpus * DN_PORT_KEYS);
	err = err ?: bpf_map__set_max_entries(skel->maps.udp_port_low, ncpus * DN_PORT_KEYS);
	return err ?: bpf_map__set_max_entries(skel->maps.port_touched,
					       ncpus * DN_TOUCHED_CPU_WORDS);
}

void maps_from_skel(struct dn_maps *m, const struct darknet_counter_bpf *skel)
{
#define DN_MAP_FROM_SKEL(name) m->name = bpf_map__fd(skel->maps.name);
	DN_MAPS(DN_MAP_FROM_SKEL)
#undef DN_MAP_FROM_SKEL
}

static int open_one(const char *dir, const char *name, int *fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = bpf_obj_get(path);
	return *fd < 0 ? -errno : 0;
}

int maps_open_pinned(struct dn_maps *m, const char *dir)
{
	int err = 0;

#define DN_MAP_INIT(name) m->name = -1;
	DN_MAPS(DN_MAP_INIT)
#undef DN_MAP_INIT
#define DN_MAP_OPEN(name) if (!err) err = open_one(dir, #name, &m->name);
	DN_MAPS(DN_MAP_OPEN)
#undef DN_MAP_OPEN
	if (err)
		maps_close(m);
	return err;
}

void maps_close(struct dn_maps *m)
{
#define DN_MAP_CLOSE(name) if (m->name >= 0) close(m->name); m->name = -1;
	DN_MAPS(DN_MAP_CLOSE)
#undef DN_MAP_CLOSE
}
