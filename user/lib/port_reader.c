/* port_reader.c: one interface's port tables mapped, and what its reader keeps between scrapes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "port_read.h"
#include "port_reader.h"

enum { TCP_LOW, TCP_HIGH, UDP_LOW, UDP_HIGH, TOUCHED, NR_MAPS };

struct mapping {
	__u32 id;                 /* the map's id: another id is another map */
	__u32 entries, value_size;
	void *mem;
	size_t len;
};

struct port_reader {
	struct mapping maps[NR_MAPS];
	struct port_table tcp, udp;
	struct port_groups tcp_g, udp_g;
};

int port_reader_new(struct port_reader **out, bool track)
{
	struct port_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->tcp_g.track = r->udp_g.track = track;
	*out = r;
	return 0;
}

static void unmap_all(struct port_reader *r)
{
	for (int i = 0; i < NR_MAPS; i++) {
		if (r->maps[i].mem)
			munmap(r->maps[i].mem, r->maps[i].len);
		memset(&r->maps[i], 0, sizeof(r->maps[i]));
	}
}

void port_reader_free(struct port_reader *r)
{
	if (!r)
		return;
	unmap_all(r);
	free(r);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* The whole array; its size from the kernel, so that a pinned map made for
 * another CPU count is read as it is. Only the touched bits are written. */
static int map_one(struct mapping *mp, int fd, const struct bpf_map_info *info, bool write)
{
	long page = sysconf(_SC_PAGESIZE);

	mp->len = ((size_t)info->max_entries * ((info->value_size + 7) & ~7u) + page - 1) &
		  ~(page - 1);
	mp->mem = mmap(NULL, mp->len, write ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
		       fd, 0);
	if (mp->mem == MAP_FAILED) {
		mp->mem = NULL;
		return -errno;
	}
	mp->id = info->id;
	mp->entries = info->max_entries;
	mp->value_size = info->value_size;
	return 0;
}

static int check_layout(const struct port_reader *r)
{
	const struct mapping *mp = r->maps;
	__u32 ncpus = mp[TCP_LOW].entries / DN_PORT_LOW_CPU_KEYS;

	if (!ncpus || mp[TCP_LOW].entries % DN_PORT_LOW_CPU_KEYS || mp[UDP_LOW].entries != mp[TCP_LOW].entries ||
	    mp[TOUCHED].entries != ncpus * DN_TOUCHED_CPU_WORDS ||
	    mp[TCP_HIGH].entries != DN_PORT_KEYS || mp[UDP_HIGH].entries != DN_PORT_KEYS ||
	    mp[TCP_LOW].value_size != sizeof(struct dn_port_low) ||
	    mp[UDP_LOW].value_size != sizeof(struct dn_port_low) ||
	    mp[TCP_HIGH].value_size != sizeof(struct dn_tcp_port) ||
	    mp[UDP_HIGH].value_size != sizeof(struct dn_udp_port) || mp[TOUCHED].value_size != 8)
		return -EINVAL;
	return 0;
}

/* Map m's tables unless they are the ones mapped already. */
static int remap(struct port_reader *r, const struct dn_maps *m)
{
	const int fds[NR_MAPS] = { m->tcp_port_low, m->tcp_port_high, m->udp_port_low,
				   m->udp_port_high, m->port_touched };
	struct bpf_map_info info[NR_MAPS];
	bool same = true;
	int err = 0;

	for (int i = 0; !err && i < NR_MAPS; i++) {
		err = map_info(fds[i], &info[i]);
		same = same && !err && info[i].id == r->maps[i].id;
	}
	if (err || same)
		return err;
	unmap_all(r);
	for (int i = 0; !err && i < NR_MAPS; i++)
		err = map_one(&r->maps[i], fds[i], &info[i], i == TOUCHED);
	err = err ?: check_layout(r);
	if (err) {
		unmap_all(r);
		return err;
	}
	r->tcp = (struct port_table){
		.low = r->maps[TCP_LOW].mem, .high = r->maps[TCP_HIGH].mem,
		.touched = r->maps[TOUCHED].mem, .ncpus = r->maps[TCP_LOW].entries / DN_PORT_LOW_CPU_KEYS,
		.words = sizeof(struct dn_tcp_port) / 8, .slots = DN_TCP_PORT_SLOTS,
		.base = DN_TOUCHED_TCP,
	};
	r->udp = r->tcp;
	r->udp.low = r->maps[UDP_LOW].mem;
	r->udp.high = r->maps[UDP_HIGH].mem;
	r->udp.words = sizeof(struct dn_udp_port) / 8;
	r->udp.slots = DN_UDP_PORT_SLOTS;
	r->udp.base = DN_TOUCHED_UDP;
	/* the sums were of other maps: read every group once */
	r->tcp_g.primed = r->udp_g.primed = false;
	return 0;
}

int port_reader_read(struct port_reader *r, const struct dn_maps *m,
		     struct dn_tcp_port *tcp, struct dn_udp_port *udp)
{
	int err = remap(r, m);

	err = err ?: port_table_read(&r->tcp, &r->tcp_g, (__u64 *)tcp);
	return err ?: port_table_read(&r->udp, &r->udp_g, (__u64 *)udp);
}

unsigned int port_reader_groups_read(const struct port_reader *r)
{
	return r->tcp_g.groups_read + r->udp_g.groups_read;
}
