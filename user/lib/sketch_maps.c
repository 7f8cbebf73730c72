/* sketch_maps.c: the distinct-count maps of one interface seen from user space: generations, slots, registers, bitmaps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "sketch_maps.h"

#define SKETCHES_BYTES ((size_t)DN_SKETCH_KEYS * sizeof(struct dn_sketch))
#define BITMAP_BYTES ((size_t)DN_DST_BITMAP_KEYS * sizeof(uint64_t))

static void *map_view(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int sketch_maps_open(struct sketch_maps *sm, const struct dn_maps *m, char *err, size_t errlen)
{
	int ret = 0;

	memset(sm, 0, sizeof(*sm));
	sm->gen_fd = m->sketch_gen;
	sm->ports_fd = m->sketch_ports;
	sm->dst_slot_fd = m->dst_slot;
	sm->prefix_info_fd = m->prefix_info;
	sm->sketches = map_view(m->sketches, SKETCHES_BYTES);
	if (!sm->sketches) {
		ret = -errno;
		snprintf(err, errlen, "mmap map sketches: %s", strerror(errno));
		goto out;
	}
	sm->dst_bitmap = map_view(m->dst_bitmap, BITMAP_BYTES);
	if (!sm->dst_bitmap) {
		ret = -errno;
		snprintf(err, errlen, "mmap map dst_bitmap: %s", strerror(errno));
	}
out:
	if (ret)
		sketch_maps_close(sm);
	return ret;
}

void sketch_maps_close(struct sketch_maps *sm)
{
	if (sm->sketches)
		munmap(sm->sketches, SKETCHES_BYTES);
	if (sm->dst_bitmap)
		munmap(sm->dst_bitmap, BITMAP_BYTES);
	sm->sketches = NULL;
	sm->dst_bitmap = NULL;
}

int sketch_maps_get_gen(const struct sketch_maps *sm, struct dn_sketch_gen *g)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(sm->gen_fd, &zero, g) ? -errno : 0;
}

int sketch_maps_set_gen(const struct sketch_maps *sm, const struct dn_sketch_gen *g)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(sm->gen_fd, &zero, g, BPF_ANY) ? -errno : 0;
}

void sketch_maps_clear(const struct sketch_maps *sm, unsigned int gen)
{
	memset(sketch_maps_at(sm, gen, 0), 0, DN_SKETCH_SLOTS * sizeof(struct dn_sketch));
	memset(sketch_maps_bitmap(sm, gen), 0, DN_DST_BITMAP_WORDS * sizeof(uint64_t));
}

static int read_prefix_info(int fd, struct dn_prefix_info *info)
{
	for (uint32_t id = 0; id < DN_MAX_PREFIX_IDS; id++)
		if (bpf_map_lookup_elem(fd, &id, &info[id]))
			return -errno;
	return 0;
}

static void place(const struct dn_prefix_info *pi, struct dn_dst_slot *d, uint32_t *next_word,
		  unsigned int *next6, unsigned int *untracked)
{
	uint64_t bits, words;

	memset(d, 0, sizeof(*d));
	if (pi->family == DN_FAMILY_IPV6) {
		if (*next6 < DN_SKETCH_DST6_SLOTS)
			d->where = ++*next6;
		else
			++*untracked;
		return;
	}
	bits = 1ull << (32 - pi->prefixlen);
	words = (bits + 63) / 64;
	if (pi->prefixlen < 8 || *next_word + words > DN_DST_BITMAP_WORDS) {
		++*untracked;
		return;
	}
	d->where = *next_word + 1;
	d->mask = (uint32_t)(bits - 1);
	*next_word += words;
}

int sketch_maps_assign_dst(const struct sketch_maps *sm, struct sketch_dst_map *out,
			   char *err, size_t errlen)
{
	struct dn_prefix_info *info = calloc(DN_MAX_PREFIX_IDS, sizeof(*info));
	struct sketch_dst_map *map = calloc(1, sizeof(*map));
	unsigned int next6 = 0;
	uint32_t next_word = 0;
	int ret = 0;

	if (!info || !map) {
		ret = -ENOMEM;
		snprintf(err, errlen, "dst_slot: out of memory");
		goto out;
	}
	ret = read_prefix_info(sm->prefix_info_fd, info);
	if (ret) {
		snprintf(err, errlen, "read map prefix_info: %s", strerror(-ret));
		goto out;
	}
	for (uint32_t id = 0; id < DN_MAX_PREFIX_IDS; id++) {
		if (info[id].in_use)
			place(&info[id], &map->slot[id], &next_word, &next6, &map->untracked);
		if (bpf_map_update_elem(sm->dst_slot_fd, &id, &map->slot[id], BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "write map dst_slot: %s", strerror(errno));
			goto out;
		}
	}
	if (out)
		*out = *map;
out:
	free(info);
	free(map);
	return ret;
}

int sketch_maps_get_ports(const struct sketch_maps *sm, struct dn_sketch_ports *out)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(sm->ports_fd, &zero, out) ? -errno : 0;
}

int sketch_maps_set_port(const struct sketch_maps *sm, unsigned int proto, unsigned int port,
			 int slot, char *err, size_t errlen)
{
	struct dn_sketch_ports *t = malloc(sizeof(*t));
	uint32_t zero = 0;
	int ret = 0;

	if (!t || proto > 1 || port >= DN_NR_PORTS || slot >= DN_SKETCH_PORT_SLOTS) {
		ret = t ? -EINVAL : -ENOMEM;
		snprintf(err, errlen, "sketch_ports: %s", t ? "bad proto, port or slot" :
			 "out of memory");
		goto out;
	}
	ret = sketch_maps_get_ports(sm, t);
	if (!ret) {
		t->slot[proto][port] = slot < 0 ? 0 : slot + 1;
		if (slot < 0)
			t->has[proto][port / 64] &= ~(1ull << (port % 64));
		else
			t->has[proto][port / 64] |= 1ull << (port % 64);
		if (bpf_map_update_elem(sm->ports_fd, &zero, t, BPF_ANY))
			ret = -errno;
	}
	if (ret)
		snprintf(err, errlen, "update map sketch_ports: %s", strerror(-ret));
out:
	free(t);
	return ret;
}
