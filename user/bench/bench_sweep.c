/* bench_sweep.c: the daemon's event sweeper over full event tables at their default sizes: CPU per sweep. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "darknet_counter.skel.h"
#include "darknet_events.h"
#include "bench.h"
#include "config.h"
#include "events.h"
#include "maps.h"

#define FILL_BATCH 4096
#define ACTIVE_SWEEPS 5

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Half the entries pass the default thresholds (an event in progress, as
 * during a busy hour), half are single probes; last_ns decides whether a
 * sweep finds them live or idle. Distinct sources, so no two keys meet. */
static void scan_entry(__u32 i, __u64 last_ns, struct dn_scan_key *k, struct dn_scan_state *s)
{
	int bits = i % 2 ? 200 : 3;

	memset(k, 0, sizeof(*k));
	memset(s, 0, sizeof(*s));
	k->family = DN_FAMILY_IPV4;
	k->proto = IPPROTO_TCP;
	k->port = 23;
	k->addr[0] = 11 + (i >> 24);
	k->addr[1] = i >> 16, k->addr[2] = i >> 8, k->addr[3] = i;
	s->last_ns = last_ns;
	s->first_ns = last_ns - 30000000000ull;
	s->packets = 2 * bits;
	s->bytes = 60 * s->packets;
	s->classes = 1u << DN_CLASS_SCAN;
	for (int b = 0; b < bits; b++)
		s->dst[b / 64] |= 1ull << (b % 64);
}

static void victim_entry(__u32 i, __u64 last_ns, struct dn_victim_key *k,
			 struct dn_victim_state *v)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->family = DN_FAMILY_IPV4;
	k->proto = IPPROTO_TCP;
	k->addr[0] = 100 + (i >> 24);
	k->addr[1] = i >> 16, k->addr[2] = i >> 8, k->addr[3] = i;
	v->last_ns = last_ns;
	v->first_ns = last_ns - 120000000000ull;
	v->packets = i % 2 ? 600 : 2;
	v->win_max = i % 2 ? 300 : 2;
	v->kinds = 1u << DN_VICTIM_SYNACK;
	v->port = 80;
	for (int b = 0; b < (i % 2 ? 300 : 2); b++)
		v->dst[b / 64] |= 1ull << (b % 64);
}

/* Fill both tables to max_entries in batches; the entries actually live
 * (an LRU map may evict before it is full) go to *scan_n and *victim_n. */
static int fill(int scan_fd, __u32 scan_max, int victim_fd, __u32 victim_max, __u64 last_ns)
{
	struct dn_scan_key *sk = calloc(FILL_BATCH, sizeof(*sk));
	struct dn_scan_state *ss = calloc(FILL_BATCH, sizeof(*ss));
	struct dn_victim_key *vk = calloc(FILL_BATCH, sizeof(*vk));
	struct dn_victim_state *vs = calloc(FILL_BATCH, sizeof(*vs));
	int ret = sk && ss && vk && vs ? 0 : -ENOMEM;

	for (__u32 done = 0; !ret && done < scan_max; done += FILL_BATCH) {
		__u32 n = scan_max - done < FILL_BATCH ? scan_max - done : FILL_BATCH;

		for (__u32 i = 0; i < n; i++)
			scan_entry(done + i, last_ns, &sk[i], &ss[i]);
		if (bpf_map_update_batch(scan_fd, sk, ss, &n, NULL))
			ret = -errno;
	}
	for (__u32 done = 0; !ret && done < victim_max; done += FILL_BATCH) {
		__u32 n = victim_max - done < FILL_BATCH ? victim_max - done : FILL_BATCH;

		for (__u32 i = 0; i < n; i++)
			victim_entry(done + i, last_ns, &vk[i], &vs[i]);
		if (bpf_map_update_batch(victim_fd, vk, vs, &n, NULL))
			ret = -errno;
	}
	free(sk);
	free(ss);
	free(vk);
	free(vs);
	return ret;
}

static __u32 entries(int fd)
{
	__u8 key[sizeof(struct dn_scan_key)], next[sizeof(struct dn_scan_key)];
	__u32 n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, next); prev = key, n++)
		memcpy(key, next, sizeof(key));
	return n;
}

/* Leave the table empty for the sections after this one. */
static void clear(int fd)
{
	__u8 key[sizeof(struct dn_scan_key)];

	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
}

static size_t lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* The sweeper of user/daemon/events_sweep.c, as the daemon runs it at its
 * defaults, over b->ctr's own tables: one sweep that closes every entry
 * of full tables (judged, kept ones written to an events file, all
 * deleted), then five sweeps of full tables whose entries are all live
 * (the steady state of a sensor whose tables are full: walk, judge,
 * nothing closed); the tables are left empty for the sections after
 * (empty too before: section 1's mixes leave entries behind). */
int bench_event_sweeper(struct bench *b)
{
	int scan_fd = bpf_map__fd(b->ctr->maps.scan_events);
	int victim_fd = bpf_map__fd(b->ctr->maps.dos_victims);
	__u32 scan_max = bpf_map__max_entries(b->ctr->maps.scan_events);
	__u32 victim_max = bpf_map__max_entries(b->ctr->maps.dos_victims);
	char dir[] = "/tmp/dn-bench-sweep-XXXXXX", file[64], err[256];
	struct dn_config cfg = { 0 };
	struct dn_iface ifc = { 0 };
	struct events ev;
	double t, live_s, close_s, fill_s;
	__u32 live_scan, live_victim, idle_scan, idle_victim, left;
	__u64 closed;
	int ret;

	if (!mkdtemp(dir))
		return -errno;
	snprintf(file, sizeof(file), "%s/events.ndjson", dir);
	snprintf(ifc.name, sizeof(ifc.name), "bench");
	maps_from_skel(&ifc.maps, b->ctr);
	ev_thresholds_default(&cfg.ev_th);
	cfg.event_sweep_interval = 1;
	cfg.events_keep = 1000;
	cfg.events_file = file;
	cfg.events_file_max_bytes = 1ull << 30;

	/* the mixes of section 1 left entries of their own: start empty, so
	 * that the fill is exactly the tables' sizes */
	clear(scan_fd);
	clear(victim_fd);
	t = bench_now();
	ret = fill(scan_fd, scan_max, victim_fd, victim_max, boot_ns() - 3600000000000ull);
	fill_s = bench_now() - t;
	idle_scan = entries(scan_fd);
	idle_victim = entries(victim_fd);
	ret = ret ?: events_init(&ev, &ifc, 1, &cfg, 512, maps_events_dst_shift(&b->darknets),
				 err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench: event sweeper: %s\n", err[0] ? err : strerror(-ret));
		goto out;
	}
	t = thread_cpu_s();
	events_sweep(&ev);
	close_s = thread_cpu_s() - t;
	closed = ev.totals[0].closed[EV_SCAN] + ev.totals[0].closed[EV_DOS];
	left = entries(scan_fd) + entries(victim_fd);
	/* an LRU map refilled in place may evict some of what it rewrites */
	clear(scan_fd);
	clear(victim_fd);
	ret = ret ?: fill(scan_fd, scan_max, victim_fd, victim_max, boot_ns());
	live_scan = entries(scan_fd);
	live_victim = entries(victim_fd);
	t = thread_cpu_s();
	for (int i = 0; i < ACTIVE_SWEEPS; i++)
		events_sweep(&ev);
	live_s = (thread_cpu_s() - t) / ACTIVE_SWEEPS;
	fprintf(b->out,
		"  event sweeper (user/daemon/events_sweep.c, defaults) over full tables (filled in\n"
		"  %.1f s): %u + %u entries live: %.0f ms CPU per sweep, %.1f%% of a core at the\n"
		"  default 1 s interval; %u + %u entries idle, closed in one sweep (%llu judged and\n"
		"  deleted, %u left; %zu kept events written): %.0f ms CPU\n",
		fill_s, live_scan, live_victim, 1e3 * live_s, 100 * live_s, idle_scan, idle_victim,
		(unsigned long long)closed, left, lines(file), 1e3 * close_s);
	clear(scan_fd);
	clear(victim_fd);
	events_free(&ev);
out:
	unlink(file);
	snprintf(file, sizeof(file), "%s/events.ndjson.1", dir);
	unlink(file);
	rmdir(dir);
	return ret;
}
