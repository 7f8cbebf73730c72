/* counters.c: reads one interface's counter maps into a snapshot, summed over CPUs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counters.h"
#include "cpu_blocks.h"
#include "port_reader.h"

/* Keys fetched per batch syscall of the id maps (prefix_info, org_names). */
#define BATCH_KEYS 4096u
#define MAX_VALUE_SIZE sizeof(struct dn_org_name)

/* The small counters, mapped: what a snapshot keeps between reads. */
enum { CB_CLASS, CB_ICMP, CB_PREFIX, CB_ORG, CB_REASON, CB_NR };
struct counter_blocks {
	struct cpu_blocks maps[CB_NR];
};

int counters_reader_init(struct counters_reader *r)
{
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return r->ncpus ? r->ncpus : -EINVAL;
	r->scratch_size = (size_t)BATCH_KEYS * MAX_VALUE_SIZE;
	r->scratch = malloc(r->scratch_size);
	return r->scratch ? 0 : -ENOMEM;
}

void counters_reader_free(struct counters_reader *r)
{
	free(r->scratch);
	r->scratch = NULL;
}

int counters_snapshot_alloc(struct dn_iface_snapshot *s)
{
	s->tcp_ports = calloc(DN_PORT_KEYS, sizeof(*s->tcp_ports));
	s->udp_ports = calloc(DN_PORT_KEYS, sizeof(*s->udp_ports));
	s->port_reader = NULL;
	s->blocks = calloc(1, sizeof(*s->blocks));
	if (!s->tcp_ports || !s->udp_ports || !s->blocks ||
	    port_reader_new(&s->port_reader, false)) {
		counters_snapshot_free(s);
		return -ENOMEM;
	}
	return 0;
}

int counters_snapshot_track_ports(struct dn_iface_snapshot *s)
{
	port_reader_free(s->port_reader);
	s->port_reader = NULL;
	return port_reader_new(&s->port_reader, true);
}

void counters_snapshot_free(struct dn_iface_snapshot *s)
{
	free(s->tcp_ports);
	free(s->udp_ports);
	port_reader_free(s->port_reader);
	if (s->blocks)
		for (int i = 0; i < CB_NR; i++)
			cpu_blocks_unmap(&s->blocks->maps[i]);
	free(s->blocks);
	s->tcp_ports = NULL;
	s->udp_ports = NULL;
	s->port_reader = NULL;
	s->blocks = NULL;
}

/* Read keys [0, nr_keys) of a plain array map in batches, into out. */
static int read_array(struct counters_reader *r, int fd, __u32 nr_keys, size_t value_size,
		      void *out)
{
	static __u32 keys[BATCH_KEYS];
	__u32 start = 0, next = 0, count;
	void *in = NULL;
	int err;

	while (start < nr_keys) {
		count = BATCH_KEYS;
		if (count > nr_keys - start)
			count = nr_keys - start;
		err = bpf_map_lookup_batch(fd, in, &next, keys, r->scratch, &count, NULL);
		if (err && errno != ENOENT)
			return -errno;
		memcpy((char *)out + (size_t)start * value_size, r->scratch,
		       (size_t)count * value_size);
		start += count;
		in = &next;
		if (err)   /* ENOENT: that was the last batch */
			break;
	}
	return start == nr_keys ? 0 : -EIO;
}

/* One small counter map: keys [0, used) summed over CPUs from its mapping,
 * keys [used, nr_keys) zero (ids nobody holds: no series shows them). */
static int read_blocks(struct cpu_blocks *b, int fd, __u32 keys_per_cpu, __u32 nr_keys,
		       __u32 used, size_t value_size, void *out)
{
	int err = cpu_blocks_map(b, fd, keys_per_cpu, value_size);

	if (err)
		return err;
	cpu_blocks_read_mapped(b, used, out);
	memset((char *)out + (size_t)used * value_size, 0, (size_t)(nr_keys - used) * value_size);
	return 0;
}

/* One past the highest darknet prefix id and org id in use: the ids a
 * scrape shows. A list swapped in after the id maps were read shows from
 * the next scrape on, its ids and counters together. */
static __u32 prefix_ids_used(const struct dn_iface_snapshot *s)
{
	__u32 n = DN_MAX_PREFIX_IDS;

	while (n && !s->prefix_info[n - 1].in_use)
		n--;
	return n;
}

static __u32 org_ids_used(const struct dn_iface_snapshot *s)
{
	__u32 n = DN_ORG_KEYS;

	while (n && !s->org_names[n - 1].name[0])
		n--;
	return n;
}

/* The small counters, through their mappings: no syscall per key or per
 * CPU, and prefixes and orgs only up to the highest id in use. */
static int read_small(const struct dn_maps *m, struct dn_iface_snapshot *s)
{
	struct cpu_blocks *b;
	int err = 0;

	if (!s->blocks)
		s->blocks = calloc(1, sizeof(*s->blocks));
	if (!s->blocks)
		return -ENOMEM;
	b = s->blocks->maps;
	err = err ?: read_blocks(&b[CB_CLASS], m->class_counters, DN_CLASS_CPU_KEYS, DN_CLASS_KEYS,
				 DN_CLASS_KEYS, sizeof(struct dn_count), s->classes);
	err = err ?: read_blocks(&b[CB_ICMP], m->icmp_counters, DN_ICMP_CPU_KEYS, DN_ICMP_KEYS,
				 DN_ICMP_KEYS, sizeof(struct dn_icmp_type), s->icmp);
	err = err ?: read_blocks(&b[CB_PREFIX], m->prefix_counters, DN_PREFIX_CPU_KEYS,
				 DN_MAX_PREFIX_IDS, prefix_ids_used(s), sizeof(struct dn_count),
				 s->prefixes);
	err = err ?: read_blocks(&b[CB_ORG], m->org_counters, DN_ORG_CPU_KEYS, DN_ORG_KEYS,
				 org_ids_used(s), sizeof(struct dn_count), s->orgs);
	return err ?: read_blocks(&b[CB_REASON], m->reason_counters, DN_REASON_CPU_KEYS,
				  DN_REASON_MAX, DN_REASON_MAX, sizeof(struct dn_count), s->reasons);
}

int counters_read(struct counters_reader *r, const struct dn_maps *m,
		  struct dn_iface_snapshot *s)
{
	int err = 0;

	/* the ids first: they say which prefix and org counters to read.
	 * prefix_info is 20 bytes: array values are padded to 8 bytes in the
	 * map's storage but the batch API returns them at value_size stride. */
	err = err ?: read_array(r, m->prefix_info, DN_MAX_PREFIX_IDS,
				sizeof(struct dn_prefix_info), s->prefix_info);
	err = err ?: read_array(r, m->org_names, DN_ORG_KEYS, sizeof(struct dn_org_name),
				s->org_names);
	err = err ?: read_small(m, s);
	if (!err && !s->port_reader)
		err = port_reader_new(&s->port_reader, false);
	return err ?: port_reader_read(s->port_reader, m, s->tcp_ports, s->udp_ports);
}

__u64 counters_total_packets(const struct dn_iface_snapshot *s)
{
	__u64 total = 0;

	for (__u32 k = 0; k < DN_CLASS_KEYS; k++)
		total += s->classes[k].packets;
	return total;
}
