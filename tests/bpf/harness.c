/* harness.c: loads the XDP program for BPF_PROG_TEST_RUN tests, installs lists, snapshots counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "darknet_counter.skel.h"
#include "cpu_blocks.h"
#include "frame.h"
#include "listmaps.h"
#include "prefix.h"
#include "harness.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

void dp_open(struct dp *d, uint32_t action)
{
	dp_open_full(d, action, 0, NULL);
}

void dp_open_with(struct dp *d, uint32_t action, void (*setup)(struct darknet_counter_bpf *))
{
	dp_open_full(d, action, 0, setup);
}

void dp_open_geo(struct dp *d, uint32_t action, uint32_t geo)
{
	dp_open_full(d, action, geo, NULL);
}

void dp_open_full(struct dp *d, uint32_t action, uint32_t geo,
		  void (*setup)(struct darknet_counter_bpf *))
{
	int err;

	libbpf_set_print(quiet);
	memset(d, 0, sizeof(*d));
	d->skel = darknet_counter_bpf__open();
	cr_assert_not_null(d->skel, "open skeleton: %s", strerror(errno));
	d->skel->rodata->dn_action = action;
	d->skel->rodata->dn_geo_enabled = geo;
	cr_assert_eq(maps_size_for_cpus(d->skel, 0), 0, "size the port tables");
	if (setup)
		setup(d->skel);
	err = darknet_counter_bpf__load(d->skel);
	cr_assert_eq(err, 0, "load skeleton (verifier): %s", strerror(-err));
	maps_from_skel(&d->maps, d->skel);
	d->prog_fd = bpf_program__fd(d->skel->progs.darknet_counter);
	cr_assert_eq(counters_reader_init(&d->reader), 0, "counters reader");
}

void dp_close(struct dp *d)
{
	counters_reader_free(&d->reader);
	darknet_counter_bpf__destroy(d->skel);
	d->skel = NULL;
}

static int build_list(struct dn_prefix_list *l, const char *const *lines, int with_org,
		      char *err, size_t errlen)
{
	char cidr[64], org[64] = "";
	struct dn_prefix p;
	int ret;

	for (; lines && *lines; lines++) {
		if (with_org ? sscanf(*lines, "%63s %63s", cidr, org) != 2
			     : sscanf(*lines, "%63s", cidr) != 1)
			return -EINVAL;
		ret = prefix_parse(cidr, &p, err, errlen);
		ret = ret ?: prefix_list_add(l, &p, with_org ? org : "");
		if (ret)
			return ret;
	}
	return 0;
}

static int install(struct dp *d, const char *const *lines, int scanners, char *err,
		   size_t errlen)
{
	struct dn_prefix_list l;
	int ret;

	prefix_list_init(&l);
	ret = build_list(&l, lines, scanners, err, errlen);
	cr_assert_eq(ret, 0, "test list does not parse: %s", err);
	ret = scanners ? listmaps_install_scanners(&d->maps, &l, err, errlen)
		       : listmaps_install_darknets(&d->maps, &l, err, errlen);
	prefix_list_free(&l);
	return ret;
}

int dp_install_darknets(struct dp *d, const char *const *lines, char *err, size_t errlen)
{
	return install(d, lines, 0, err, errlen);
}

int dp_install_scanners(struct dp *d, const char *const *lines, char *err, size_t errlen)
{
	return install(d, lines, 1, err, errlen);
}

int dp_slot_fd(int outer)
{
	uint32_t zero = 0, id;
	int fd;

	if (bpf_map_lookup_elem(outer, &zero, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	cr_assert_geq(fd, 0, "inner map id %u: %s", id, strerror(errno));
	return fd;
}

uint32_t dp_run(struct dp *d, const uint8_t *frame, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(d->prog_fd, &opts);

	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	return opts.retval;
}

struct dn_iface_snapshot *dp_snapshot_new(void)
{
	struct dn_iface_snapshot *s = calloc(1, sizeof(*s));

	cr_assert_not_null(s, "snapshot");
	cr_assert_eq(counters_snapshot_alloc(s), 0, "snapshot ports");
	return s;
}

struct dn_iface_snapshot *dp_snapshot_new_tracked(void)
{
	struct dn_iface_snapshot *s = dp_snapshot_new();

	cr_assert_eq(counters_snapshot_track_ports(s), 0, "tracking port reader");
	return s;
}

void dp_snapshot_free(struct dn_iface_snapshot *s)
{
	if (!s)
		return;
	counters_snapshot_free(s);
	free(s);
}

void dp_snapshot(struct dp *d, struct dn_iface_snapshot *s)
{
	int err = counters_read(&d->reader, &d->maps, s);

	cr_assert_eq(err, 0, "read counters: %s", strerror(-err));
}

void dp_snapshot_copy(struct dn_iface_snapshot *dst, const struct dn_iface_snapshot *src)
{
	struct dn_tcp_port *tcp = dst->tcp_ports;
	struct dn_udp_port *udp = dst->udp_ports;
	struct port_reader *pr = dst->port_reader;
	struct counter_blocks *blocks = dst->blocks;

	memcpy(dst, src, sizeof(*dst));
	dst->tcp_ports = tcp;
	dst->udp_ports = udp;
	dst->port_reader = pr;
	dst->blocks = blocks;
	memcpy(tcp, src->tcp_ports, DN_PORT_KEYS * sizeof(*tcp));
	memcpy(udp, src->udp_ports, DN_PORT_KEYS * sizeof(*udp));
}

/* One port of a split port table: the shared high part plus every CPU's
 * low byte per slot (one block of DN_PORT_LOW_CPU_KEYS per CPU). No carry runs
 * meanwhile. */
static void read_port(struct dp *d, int low_fd, int high_fd, uint32_t port,
		      size_t value_size, void *out)
{
	__u64 *sum = out;
	struct dn_port_low low;

	cr_assert_eq(bpf_map_lookup_elem(high_fd, &port, out), 0, "lookup high port %u: %s",
		     port, strerror(errno));
	for (int cpu = 0; cpu < d->reader.ncpus; cpu++) {
		uint32_t key = cpu * DN_PORT_LOW_CPU_KEYS + port;

		cr_assert_eq(bpf_map_lookup_elem(low_fd, &key, &low), 0, "lookup low key %u: %s",
			     key, strerror(errno));
		for (size_t w = 0; w < value_size / 8; w++)
			sum[w] += low.packets[w];
	}
}

/* Keys [0, nkeys) of a small counter map (one block of keys_per_cpu
 * values per CPU), summed over CPUs into out. */
static void read_blocks(int fd, uint32_t keys_per_cpu, uint32_t nkeys, size_t value_size,
			void *out)
{
	int err = cpu_blocks_read(fd, keys_per_cpu, nkeys, value_size, out);

	cr_assert_eq(err, 0, "read a counter map's CPU blocks: %s", strerror(-err));
}

void dp_counts_read(struct dp *d, struct dp_counts *c, uint32_t port)
{
	const struct dn_maps *m = &d->maps;
	uint32_t key = port;

	read_blocks(m->class_counters, DN_CLASS_CPU_KEYS, DN_CLASS_KEYS, sizeof(struct dn_count),
		    c->classes);
	read_blocks(m->reason_counters, DN_REASON_CPU_KEYS, DN_REASON_MAX,
		    sizeof(struct dn_count), c->reasons);
	read_blocks(m->prefix_counters, DN_PREFIX_CPU_KEYS, DN_MAX_PREFIX_IDS,
		    sizeof(struct dn_count), c->prefixes);
	read_blocks(m->org_counters, DN_ORG_CPU_KEYS, DN_ORG_KEYS, sizeof(struct dn_count),
		    c->orgs);
	read_blocks(m->icmp_counters, DN_ICMP_CPU_KEYS, DN_ICMP_KEYS, sizeof(struct dn_icmp_type),
		    c->icmp);
	read_port(d, m->tcp_port_low, m->tcp_port_high, key, sizeof(c->tcp), &c->tcp);
	read_port(d, m->udp_port_low, m->udp_port_high, key, sizeof(c->udp), &c->udp);
}

int dp_prefix_id(const struct dn_iface_snapshot *s, const char *cidr)
{
	struct dn_prefix p;
	char err[128];
	int found = -1;

	cr_assert_eq(prefix_parse(cidr, &p, err, sizeof(err)), 0, "%s: %s", cidr, err);
	for (int id = 0; id < DN_MAX_PREFIX_IDS; id++) {
		const struct dn_prefix_info *pi = &s->prefix_info[id];

		if (!pi->in_use || pi->family != p.family || pi->prefixlen != p.len ||
		    memcmp(pi->addr, p.addr, p.family == DN_FAMILY_IPV4 ? 4 : 16))
			continue;
		cr_assert_eq(found, -1, "prefix %s has two ids: %d and %d", cidr, found, id);
		found = id;
	}
	return found;
}

int dp_org_id(const struct dn_iface_snapshot *s, const char *org)
{
	int found = -1;

	for (int id = 0; id <= DN_MAX_SCANNER_ORGS; id++) {
		if (strncmp(s->org_names[id].name, org, DN_ORG_NAME_LEN))
			continue;
		cr_assert_eq(found, -1, "org %s has two ids: %d and %d", org, found, id);
		found = id;
	}
	return found;
}

uint32_t dp_send_syn(struct dp *d, struct dp_counts *c, const char *src, const char *dst)
{
	struct frame_spec f = { .src = src, .dst = dst, .proto = IPPROTO_TCP, .sport = 40000,
				.dport = 445, .tcp_flags = TH_SYN, .seq = 1, .ip_id = 1 };
	uint8_t frame[FRAME_MAX];
	int len = frame_build(&f, frame);
	uint32_t verdict;

	cr_assert_gt(len, 0, "frame %s -> %s", src, dst);
	verdict = dp_run(d, frame, len);
	dp_counts_read(d, c, 445);
	return verdict;
}
