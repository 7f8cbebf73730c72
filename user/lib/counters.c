/* counters.c: reads one interface's per-CPU maps into a snapshot, summed over CPUs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "counters.h"
#include "port_reader.h"

/* Keys fetched per batch syscall: large enough that a 65,536-port map is
 * 16 calls, small enough that the scratch buffer stays under a few MiB. */
#define BATCH_KEYS 4096u
#define MAX_VALUE_SIZE sizeof(struct dn_icmp_type)

int counters_reader_init(struct counters_reader *r)
{
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return r->ncpus ? r->ncpus : -EINVAL;
	r->scratch_size = (size_t)BATCH_KEYS * r->ncpus * MAX_VALUE_SIZE;
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
	if (!s->tcp_ports || !s->udp_ports || port_reader_new(&s->port_reader, false)) {
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
	s->tcp_ports = NULL;
	s->udp_ports = NULL;
	s->port_reader = NULL;
}

void counters_sum_percpu(__u64 *out, const __u64 *vals, __u32 nr_keys,
			 __u32 words, int ncpus)
{
	for (__u32 k = 0; k < nr_keys; k++) {
		__u64 *dst = out + (size_t)k * words;
		const __u64 *src = vals + (size_t)k * ncpus * words;

		memset(dst, 0, words * sizeof(*dst));
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (__u32 w = 0; w < words; w++)
				dst[w] += src[(size_t)cpu * words + w];
	}
}

/* Read keys [0, nr_keys) of an array map in batches. For a per-CPU map the
 * values are summed over CPUs into out; otherwise they are copied. */
static int read_array(struct counters_reader *r, int fd, __u32 nr_keys,
		      size_t value_size, int percpu, void *out)
{
	static __u32 keys[BATCH_KEYS];
	__u32 ncpus = percpu ? r->ncpus : 1, words = value_size / 8;
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
		if (percpu)
			counters_sum_percpu((__u64 *)out + (size_t)start * words,
					    r->scratch, count, words, ncpus);
		else
			memcpy((char *)out + (size_t)start * value_size, r->scratch,
			       (size_t)count * value_size);
		start += count;
		in = &next;
		if (err)   /* ENOENT: that was the last batch */
			break;
	}
	return start == nr_keys ? 0 : -EIO;
}

int counters_read_percpu(struct counters_reader *r, const struct dn_maps *m,
			 struct dn_iface_snapshot *s)
{
	int err = 0;

	err = err ?: read_array(r, m->class_counters, DN_CLASS_KEYS,
				sizeof(struct dn_count), 1, s->classes);
	err = err ?: read_array(r, m->icmp_counters, DN_FAMILY_MAX * DN_NR_ICMP_TYPES,
				sizeof(struct dn_icmp_type), 1, s->icmp);
	err = err ?: read_array(r, m->prefix_counters, DN_MAX_PREFIX_IDS,
				sizeof(struct dn_count), 1, s->prefixes);
	err = err ?: read_array(r, m->org_counters, DN_MAX_SCANNER_ORGS + 1,
				sizeof(struct dn_count), 1, s->orgs);
	return err ?: read_array(r, m->reason_counters, DN_REASON_MAX,
				 sizeof(struct dn_count), 1, s->reasons);
}

int counters_read(struct counters_reader *r, const struct dn_maps *m,
		  struct dn_iface_snapshot *s)
{
	int err = counters_read_percpu(r, m, s);

	if (!err && !s->port_reader)
		err = port_reader_new(&s->port_reader, false);
	err = err ?: port_reader_read(s->port_reader, m, s->tcp_ports, s->udp_ports);
	/* prefix_info is 20 bytes: array values are padded to 8 bytes in the
	 * map's storage but the batch API returns them at value_size stride. */
	err = err ?: read_array(r, m->prefix_info, DN_MAX_PREFIX_IDS,
				sizeof(struct dn_prefix_info), 0, s->prefix_info);
	err = err ?: read_array(r, m->org_names, DN_MAX_SCANNER_ORGS + 1,
				sizeof(struct dn_org_name), 0, s->org_names);
	return err;
}

__u64 counters_total_packets(const struct dn_iface_snapshot *s)
{
	__u64 total = 0;

	for (__u32 k = 0; k < DN_CLASS_KEYS; k++)
		total += s->classes[k].packets;
	return total;
}
