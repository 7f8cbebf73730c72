/* bench_scrape.c: scrape CPU time, daemon RSS and kernel map memory (section 5 of the bench). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "counters.h"
#include "darknet_counter.skel.h"
#include "metrics.h"
#include "port_series.h"
#include "strbuf.h"
#include "array_size.h"

/*
 * A scrape is two steps, both timed here in CPU time of the calling thread
 * (user + kernel, so the map-reading syscalls count): counters_read() sums
 * every counter map over CPUs into a snapshot, metrics_render() writes the text. The
 * number of series is dialled by writing counter values straight into the
 * counter's maps: K non-zero TCP port slots give about K port series.
 */

#define SCRAPES 5

/* A writable mapping of an mmap-able array, its size from the kernel. */
static void *map_rw(int fd, size_t *len, __u32 *entries)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return NULL;
	*entries = info.max_entries;
	*len = ((size_t)info.max_entries * ((info.value_size + 7) & ~7u) + page - 1) & ~(page - 1);
	mem = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

/* Set keys [0, n) of a small counter map (one block of keys_per_cpu
 * values per CPU) in every CPU's block: every u64 word to a realistic
 * 9-digit count when key < nonzero, else 0. Written through the mapping,
 * as the program writes them; the map's CPU count is its own. */
static int fill(int fd, __u32 keys_per_cpu, __u32 n, size_t value_size, __u32 nonzero)
{
	size_t words = value_size / 8, len;
	__u32 entries;
	__u64 *v = map_rw(fd, &len, &entries);

	if (!v)
		return -errno;
	for (__u32 c = 0; c < entries / keys_per_cpu; c++) {
		__u64 *block = v + (size_t)c * keys_per_cpu * words;

		for (__u32 k = 0; k < n; k++)
			for (size_t w = 0; w < words; w++)
				block[k * words + w] = k < nonzero ? 100000000ull + k * 7919 + w : 0;
	}
	munmap(v, len);
	return 0;
}

/* Ports k * stride % DN_PORT_KEYS for k < n of one protocol, on every CPU
 * block of its low table: low bytes below DN_PORT_CARRY (never the busy
 * mark) in the used slots, a realistic 9-digit high part, and the group's
 * bit in every CPU's touched words, as packets leave them. Every other
 * port is zero. */
static int fill_proto(const struct dn_maps *m, int udp, __u32 n, __u32 stride, __u64 *touched,
		      __u32 ncpus)
{
	int low_fd = udp ? m->udp_port_low : m->tcp_port_low;
	int high_fd = udp ? m->udp_port_high : m->tcp_port_high;
	__u32 words = udp ? DN_UDP_PORT_SLOTS : DN_TCP_PORT_SLOTS, low_n, high_n;
	__u32 base = udp ? DN_TOUCHED_UDP : DN_TOUCHED_TCP;
	__u64 mask = udp ? (1ull << (8 * DN_UDP_PORT_SLOTS)) - 1 : ~0ull;
	size_t low_len, high_len;
	__u64 *low = map_rw(low_fd, &low_len, &low_n), *high = map_rw(high_fd, &high_len, &high_n);
	int err = low && high ? 0 : -errno;

	if (!err && (low_n != ncpus * DN_PORT_LOW_CPU_KEYS || high_n != DN_PORT_KEYS))
		err = -EINVAL;
	if (!err) {
		memset(low, 0, (size_t)low_n * 8);
		memset(high, 0, (size_t)high_n * words * 8);
	}
	for (__u32 k = 0; !err && k < n && k < DN_PORT_KEYS; k++) {
		__u32 port = (__u64)k * stride % DN_PORT_KEYS, group = port / DN_PORT_GROUP_PORTS;

		for (__u32 w = 0; w < words; w++)
			high[(size_t)port * words + w] = 100000000ull + k * 7919 + w;
		for (__u32 c = 0; c < ncpus; c++) {
			low[(size_t)c * DN_PORT_LOW_CPU_KEYS + port] = 0x0101010101010101ull * (k % 200 + 1) & mask;
			touched[(size_t)c * DN_TOUCHED_CPU_WORDS + base + group / 64] |= 1ull << (group % 64);
		}
	}
	if (low)
		munmap(low, low_len);
	if (high)
		munmap(high, high_len);
	return err;
}

int bench_fill_ports(const struct dn_maps *m, __u32 nr_tcp, __u32 nr_udp, __u32 stride)
{
	size_t len;
	__u32 entries, ncpus;
	__u64 *touched = map_rw(m->port_touched, &len, &entries);
	int err = touched ? 0 : -errno;

	ncpus = entries / DN_TOUCHED_CPU_WORDS;
	if (!err)
		memset(touched, 0, (size_t)entries * 8);
	err = err ?: fill_proto(m, 0, nr_tcp, stride, touched, ncpus);
	err = err ?: fill_proto(m, 1, nr_udp, stride, touched, ncpus);
	if (touched)
		munmap(touched, len);
	return err;
}

int bench_fill_maps(const struct dn_maps *m, __u32 nr_tcp_ports, bool all)
{
	__u32 big = all ? UINT32_MAX : 0;
	int err;

	err = bench_fill_ports(m, all ? DN_PORT_KEYS : nr_tcp_ports, all ? DN_PORT_KEYS : 0, 1);
	err = err ?: fill(m->icmp_counters, DN_ICMP_CPU_KEYS, DN_ICMP_KEYS,
			  sizeof(struct dn_icmp_type), big);
	err = err ?: fill(m->class_counters, DN_CLASS_CPU_KEYS, DN_CLASS_KEYS,
			  sizeof(struct dn_count), big);
	err = err ?: fill(m->prefix_counters, DN_PREFIX_CPU_KEYS, DN_MAX_PREFIX_IDS,
			  sizeof(struct dn_count), big);
	err = err ?: fill(m->org_counters, DN_ORG_CPU_KEYS, DN_ORG_KEYS, sizeof(struct dn_count),
			  big);
	return err ?: fill(m->reason_counters, DN_REASON_CPU_KEYS, DN_REASON_MAX,
			   sizeof(struct dn_count), big);
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t count_series(const struct strbuf *sb)
{
	size_t n = 0;
	const char *p = strbuf_str(sb);

	for (const char *line = p; line && *line; ) {
		if (*line != '#' && *line != '\n')
			n++;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return n;
}

struct scrape_result {
	double read_ms, render_ms;
	size_t series, bytes;
};

/* Median CPU ms of SCRAPES scrapes of m, rendered with ps (NULL: all). */
static int scrape(struct bench *b, const struct dn_maps *m, struct port_series *ps,
		  struct scrape_result *r)
{
	struct dn_iface_snapshot *s = calloc(1, sizeof(*s));
	struct dn_snapshot snap = { .ifaces = s, .nr_ifaces = 1 };
	struct dn_metrics_info info = { .ports = ps };
	struct counters_reader rd;
	struct strbuf sb = STRBUF_INIT;
	double rt[SCRAPES], ft[SCRAPES], t;
	int err;

	if (!s)
		return -ENOMEM;
	err = counters_reader_init(&rd);
	err = err ?: counters_snapshot_alloc(s);
	snprintf(s->ifname, sizeof(s->ifname), "%s", b->opt.rx_if);
	s->attached = true;
	s->mode = "native";
	for (int i = 0; !err && i < SCRAPES; i++) {
		t = thread_cpu();
		err = counters_read(&rd, m, s);
		err = err ?: ps ? port_series_update(ps, &snap) : 0;
		rt[i] = (thread_cpu() - t) * 1e3;
		strbuf_reset(&sb);
		t = thread_cpu();
		err = err ?: metrics_render(&sb, &snap, &info);
		ft[i] = (thread_cpu() - t) * 1e3;
	}
	if (!err) {
		r->read_ms = bench_median(rt, SCRAPES);
		r->render_ms = bench_median(ft, SCRAPES);
		r->series = count_series(&sb);
		r->bytes = sb.len;
	}
	strbuf_free(&sb);
	counters_snapshot_free(s);
	counters_reader_free(&rd);
	free(s);
	return err;
}

static void print_scrape(struct bench *b, const char *what, const struct scrape_result *r)
{
	fprintf(b->out, "  %-34s %9zu %8.1f MB %8.1f %9.1f %8.1f\n", what, r->series,
		r->bytes / 1e6, r->read_ms, r->render_ms, r->read_ms + r->render_ms);
}

/* The map in slot 0 of an outer map (a list's current inner map), or -1. */
static int inner_fd(int outer)
{
	__u32 zero = 0, id = 0;

	if (bpf_map_lookup_elem(outer, &zero, &id) || !id)
		return -1;
	return bpf_map_get_fd_by_id(id);
}

static void print_memory(struct bench *b)
{
	struct bpf_map *map;
	uint64_t percpu = 0, shared = 0, lists = 0;
	int ncpus = libbpf_num_possible_cpus();
	int outers[] = { b->maps.darknet_v4, b->maps.darknet_v6, b->maps.scanner_v4_dir,
			 b->maps.scanner_v4_long, b->maps.scanner_v6 };

	fprintf(b->out, "  kernel map memory (fdinfo memlock; %d possible CPUs):\n", ncpus);
	bpf_object__for_each_map(map, b->ctr->obj) {
		uint64_t mem = bench_map_memlock(bpf_map__fd(map));

		/* the low tables, touched bits and small counters: a block per CPU */
		if (bench_map_per_cpu(map)) {
			percpu += mem;
			fprintf(b->out, "    %-20s %8.2f MiB per CPU\n", bpf_map__name(map),
				mem / (double)ncpus / (1 << 20));
		} else {
			shared += mem;
			if (strstr(bpf_map__name(map), "_port_high"))
				fprintf(b->out, "    %-20s %8.2f MiB, all CPUs\n", bpf_map__name(map),
					mem / (double)(1 << 20));
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(outers); i++) {
		int fd = inner_fd(outers[i]);

		if (fd >= 0) {
			lists += bench_map_memlock(fd);
			close(fd);
		}
	}
	fprintf(b->out, "    per-CPU counters total %.2f MiB per CPU (%.2f MiB on this machine);\n"
		"    shared: high parts, outer/id maps %.2f MiB, current lists' inner maps %.2f MiB "
		"(shipped scanner list, 3 darknets)\n",
		percpu / (double)ncpus / (1 << 20), percpu / (double)(1 << 20),
		shared / (double)(1 << 20), lists / (double)(1 << 20));
}

int bench_section_scrape(struct bench *b)
{
	static const __u32 targets[] = { 1000, 10000 };
	struct scrape_result r;
	struct port_series_config pc;
	struct port_series *ps = NULL;
	char what[64], err_text[256];
	int err = 0;

	fprintf(b->out,
		"\n5. Scrape (CPU time of counters_read + metrics_render in this process, median\n"
		"   of %d; counter maps filled directly; every non-zero port slot its own series\n"
		"   unless noted)\n", SCRAPES);
	fprintf(b->out, "  %-34s %9s %11s %8s %9s %8s\n", "maps hold", "series", "text",
		"read ms", "render ms", "total ms");
	for (size_t i = 0; !err && i < ARRAY_SIZE(targets); i++) {
		/* ~30 series exist with no traffic; 8 per TCP port */
		err = bench_fill_maps(&b->maps, targets[i] / DN_TCP_PORT_SLOTS, false);
		err = err ?: scrape(b, &b->maps, NULL, &r);
		snprintf(what, sizeof(what), "%u TCP ports x 8 classes", targets[i] / DN_TCP_PORT_SLOTS);
		if (!err)
			print_scrape(b, what, &r);
		if (!err && targets[i] == 10000)
			b->scrape_10k_ms = r.read_ms + r.render_ms;
	}
	err = err ?: bench_fill_maps(&b->maps, 0, true);
	err = err ?: scrape(b, &b->maps, NULL, &r);
	if (!err)
		print_scrape(b, "every slot of every map (max)", &r);
	/* the daemon's default: port series bounded by --max-port-series */
	port_series_config_init(&pc);
	err = err ?: port_series_new(&ps, &pc, 1, err_text, sizeof(err_text));
	err = err ?: scrape(b, &b->maps, ps, &r);
	if (!err)
		print_scrape(b, "every slot, daemon's port bound", &r);
	port_series_free(ps);
	err = err ?: bench_fill_maps(&b->maps, 0, false);
	if (!err)
		print_memory(b);
	err = err ?: bench_section_sensor(b);
	err = err ?: bench_section_daemon(b);
	if (err)
		fprintf(stderr, "bench: scrape section failed: %s\n", strerror(-err));
	return err;
}

