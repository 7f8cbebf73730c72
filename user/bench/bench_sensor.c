/* bench_sensor.c: a large sensor's maps (64, 128 CPUs) on this machine: kernel memory per interface and scrape CPU (section 5). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "counters.h"
#include "darknet_counter.skel.h"
#include "metrics.h"
#include "port_reader.h"
#include "port_series.h"
#include "strbuf.h"
#include "array_size.h"

/*
 * Every table that holds one block per CPU is a plain array (low bytes,
 * touched bits, the small counters: classes, ICMP, prefixes, orgs,
 * reasons) and takes its CPU count from user space (maps_size_for_cpus),
 * so a counter instance here gets all of them made for 64 or 128 CPUs, as
 * a telescope sensor has, and a scrape reads them for real: nothing is
 * scaled from this machine's CPU count. The shared high parts and the list
 * maps are what they are. Ports are filled as packets leave them
 * (bench_fill_ports): a full sweep counts all 65,536 ports on every CPU
 * before each scrape; a quiet sensor a few hundred scattered ports.
 */

#define SCRAPES 5
#define QUIET_TCP 300
#define QUIET_UDP 100
#define QUIET_STRIDE 211   /* scattered: one port in 211 */

static const int sensor_cpus[] = { 2, 64, 128 };

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct sensor_mem {
	double per_cpu, shared_ports, other;   /* bytes; per_cpu is per CPU */
};

static int inner_fd(int outer)
{
	__u32 zero = 0, id = 0;

	if (bpf_map_lookup_elem(outer, &zero, &id) || !id)
		return -1;
	return bpf_map_get_fd_by_id(id);
}

/* What the kernel charges for one interface's maps made for cpus CPUs. */
static void sensor_memory(struct darknet_counter_bpf *c, int cpus,
			  struct sensor_mem *mem)
{
	const struct bpf_map *map;
	int outers[] = { bpf_map__fd(c->maps.darknet_v4), bpf_map__fd(c->maps.darknet_v6),
			 bpf_map__fd(c->maps.darknet_small), bpf_map__fd(c->maps.scanner_v4_dir),
			 bpf_map__fd(c->maps.scanner_v4_long), bpf_map__fd(c->maps.scanner_chunks),
			 bpf_map__fd(c->maps.scanner_v6), bpf_map__fd(c->maps.scanner_buckets),
			 bpf_map__fd(c->maps.scanner_v6_bits) };

	memset(mem, 0, sizeof(*mem));
	bpf_object__for_each_map(map, c->obj) {
		double bytes = bench_map_memlock(bpf_map__fd(map));

		if (bench_map_per_cpu(map))
			mem->per_cpu += bytes / cpus;       /* sized for cpus */
		else if (strstr(bpf_map__name(map), "_port_high"))
			mem->shared_ports += bytes;
		else
			mem->other += bytes;
	}
	for (size_t i = 0; i < ARRAY_SIZE(outers); i++) {
		int fd = inner_fd(outers[i]);

		if (fd >= 0) {
			mem->other += bench_map_memlock(fd);
			close(fd);
		}
	}
}

struct sensor_scrape {
	double read_ms, render_ms;
	unsigned int groups;
	size_t series;
};

/* SCRAPES scrapes as the daemon makes them (its snapshot tracks the bits,
 * its port series keep their bound), each after the ports were counted
 * again. */
static int timed_scrapes(const struct dn_maps *m, struct dn_iface_snapshot *s,
			 struct counters_reader *rd, const __u32 ports[3], struct sensor_scrape *r)
{
	struct dn_snapshot snap = { .ifaces = s, .nr_ifaces = 1 };
	struct port_series_config pc;
	struct port_series *ps = NULL;
	struct strbuf sb = STRBUF_INIT;
	double rt[SCRAPES], ft[SCRAPES], t;
	char err_text[256];
	int err;

	port_series_config_init(&pc);
	err = port_series_new(&ps, &pc, 1, err_text, sizeof(err_text));
	/* one untimed scrape: what an earlier phase left is read and done with */
	err = err ?: bench_fill_ports(m, ports[0], ports[1], ports[2]);
	err = err ?: counters_read(rd, m, s);
	err = err ?: port_series_update(ps, &snap);
	for (int i = 0; !err && i < SCRAPES; i++) {
		err = bench_fill_ports(m, ports[0], ports[1], ports[2]);
		t = thread_cpu();
		err = err ?: counters_read(rd, m, s);
		err = err ?: port_series_update(ps, &snap);
		rt[i] = (thread_cpu() - t) * 1e3;
		strbuf_reset(&sb);
		t = thread_cpu();
		err = err ?: metrics_render(&sb, &snap, &(struct dn_metrics_info){ .ports = ps });
		ft[i] = (thread_cpu() - t) * 1e3;
	}
	if (!err) {
		r->read_ms = bench_median(rt, SCRAPES);
		r->render_ms = bench_median(ft, SCRAPES);
		r->groups = port_reader_groups_read(s->port_reader);
		r->series = 0;
		for (const char *p = strbuf_str(&sb); p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			r->series += *p != '#' && *p != '\n';
	}
	strbuf_free(&sb);
	port_series_free(ps);
	return err;
}

static int one_sensor(struct bench *b, int cpus, struct sensor_mem *mem,
		      struct sensor_scrape *sweep, struct sensor_scrape *quiet)
{
	static const __u32 all[3] = { DN_PORT_KEYS, DN_PORT_KEYS, 1 };
	static const __u32 few[3] = { QUIET_TCP, QUIET_UDP, QUIET_STRIDE };
	struct dn_iface_snapshot *s = calloc(1, sizeof(*s));
	struct darknet_counter_bpf *c = NULL;
	struct counters_reader rd = { 0 };
	struct dn_maps m;
	double install;
	int err = s ? 0 : -ENOMEM;

	err = err ?: bench_load_counter_for(b, &b->scanners, cpus, true, &c, &install);
	if (err) {
		free(s);
		return err;
	}
	maps_from_skel(&m, c);
	sensor_memory(c, cpus, mem);
	snprintf(s->ifname, sizeof(s->ifname), "%s", b->opt.rx_if);
	s->attached = true;
	s->mode = "native";
	err = counters_reader_init(&rd);
	err = err ?: counters_snapshot_alloc(s);
	err = err ?: counters_snapshot_track_ports(s);
	/* the day's per-CPU counters: every slot for the sweep, none quiet */
	err = err ?: bench_fill_maps(&m, 0, true);
	err = err ?: timed_scrapes(&m, s, &rd, all, sweep);
	err = err ?: bench_fill_maps(&m, 0, false);
	err = err ?: timed_scrapes(&m, s, &rd, few, quiet);
	counters_snapshot_free(s);
	counters_reader_free(&rd);
	free(s);
	darknet_counter_bpf__destroy(c);
	return err;
}

int bench_section_sensor(struct bench *b)
{
	struct sensor_scrape sweep[ARRAY_SIZE(sensor_cpus)], quiet[ARRAY_SIZE(sensor_cpus)];
	struct sensor_mem mem[ARRAY_SIZE(sensor_cpus)];
	const double mib = 1 << 20;
	int err = 0;

	for (size_t i = 0; !err && i < ARRAY_SIZE(sensor_cpus); i++)
		err = one_sensor(b, sensor_cpus[i], &mem[i], &sweep[i], &quiet[i]);
	if (err) {
		fprintf(stderr, "bench: sensor simulation failed: %s\n", strerror(-err));
		return err;
	}
	fprintf(b->out,
		"  a large sensor on this machine: one interface's maps made for N CPUs (every\n"
		"  per-CPU block: low bytes, touched bits, small counters; this machine has %d)\n"
		"  kernel memory per interface (fdinfo memlock), MiB:\n"
		"  %5s %12s %14s %14s %12s %14s\n", b->ncpus, "CPUs", "per CPU", "x N CPUs",
		"shared ports", "lists, ids", "per interface");
	for (size_t i = 0; i < ARRAY_SIZE(sensor_cpus); i++) {
		double total = mem[i].per_cpu * sensor_cpus[i] + mem[i].shared_ports + mem[i].other;

		fprintf(b->out, "  %5d %12.2f %14.1f %14.2f %12.1f %14.1f\n", sensor_cpus[i],
			mem[i].per_cpu / mib, mem[i].per_cpu * sensor_cpus[i] / mib,
			mem[i].shared_ports / mib, mem[i].other / mib, total / mib);
		b->sensor_mib = total / mib;
	}
	fprintf(b->out, "  scrape CPU (counters_read + port series, then metrics_render; the daemon's\n"
		"  port bound; median of %d; groups = 8-port groups read, TCP + UDP):\n"
		"  %5s | %-36s | %-36s\n  %5s | %7s %9s %9s %8s | %7s %9s %9s %8s\n", SCRAPES,
		"CPUs", "full sweep (65,536 ports, every CPU)", "quiet (400 ports)", "",
		"groups", "read ms", "render ms", "total", "groups", "read ms", "render ms", "total");
	for (size_t i = 0; i < ARRAY_SIZE(sensor_cpus); i++) {
		fprintf(b->out, "  %5d | %7u %9.1f %9.1f %8.1f | %7u %9.1f %9.1f %8.1f\n",
			sensor_cpus[i], sweep[i].groups, sweep[i].read_ms, sweep[i].render_ms,
			sweep[i].read_ms + sweep[i].render_ms, quiet[i].groups, quiet[i].read_ms,
			quiet[i].render_ms, quiet[i].read_ms + quiet[i].render_ms);
		b->sensor_sweep_ms = sweep[i].read_ms + sweep[i].render_ms;
		b->sensor_quiet_ms = quiet[i].read_ms + quiet[i].render_ms;
	}
	return 0;
}
