/* test_events_sweep.c: the daemon's sweeper over real (hand-filled) event tables: closing, judging, the file, exactly once across a restart, evictions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "darknet_events.h"
#include "events.h"
#include "events_api.h"
#include "lib/proc.h"

static struct dn_iface ifc;
static struct dn_config cfg;
static struct events ev;
static char path[] = "/tmp/dn-evsweep-XXXXXX";
static char file[300];
static __u64 base_ns;   /* "now" of the test, so that an entry put twice is the same */

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int create(enum bpf_map_type type, __u32 ksz, __u32 vsz, __u32 n, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, NULL, ksz, vsz, n, &o);

	cr_assert_geq(fd, 0, "bpf_map_create: %s", strerror(errno));
	return fd;
}

static void setup(void)
{
	int ncpus = libbpf_num_possible_cpus();
	struct dn_org_name org = { "Example Research" };
	__u32 one = 1;

	memset(&ifc, 0xff, sizeof(ifc.maps));
	snprintf(ifc.name, sizeof(ifc.name), "vethX");
	ifc.maps.scan_events = create(BPF_MAP_TYPE_LRU_HASH, sizeof(struct dn_scan_key),
				      sizeof(struct dn_scan_state), 64, 0);
	ifc.maps.dos_victims = create(BPF_MAP_TYPE_LRU_HASH, sizeof(struct dn_victim_key),
				      sizeof(struct dn_victim_state), 64, 0);
	ifc.maps.event_stats = create(BPF_MAP_TYPE_ARRAY, 4, 8, ncpus * DN_EVENT_STAT_CPU_KEYS,
				      BPF_F_MMAPABLE);
	ifc.maps.event_totals = create(BPF_MAP_TYPE_ARRAY, 4, 8, DN_EVENT_TOTAL_KEYS,
				       BPF_F_MMAPABLE);
	ifc.maps.org_names = create(BPF_MAP_TYPE_ARRAY, 4, sizeof(org), 4, 0);
	cr_assert_eq(bpf_map_update_elem(ifc.maps.org_names, &one, &org, 0), 0);
	base_ns = boot_ns();
	cr_assert_not_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/events.ndjson", path);
	memset(&cfg, 0, sizeof(cfg));
	ev_thresholds_default(&cfg.ev_th);
	cfg.event_sweep_interval = 1;
	cfg.events_keep = 16;
	cfg.events_file = file;
	cfg.events_file_max_bytes = 1 << 20;
}

static void teardown(void)
{
	char p[320];

	events_free(&ev);
	close(ifc.maps.scan_events);
	close(ifc.maps.dos_victims);
	close(ifc.maps.event_stats);
	close(ifc.maps.event_totals);
	close(ifc.maps.org_names);
	snprintf(p, sizeof(p), "%s.1", file);
	unlink(p);
	unlink(file);
	rmdir(path);
	strcpy(path, "/tmp/dn-evsweep-XXXXXX");
}

TestSuite(events_sweep, .init = setup, .fini = teardown);

/* A scan entry of src (last octet) seen `ago` seconds ago, its bitmap
 * with `bits` bits set (few enough for linear counting to be near). */
static void put_scan(__u8 last, int bits, __u32 classes, double ago, __u64 packets)
{
	struct dn_scan_key k = { .family = DN_FAMILY_IPV4, .proto = IPPROTO_TCP, .port = 23 };
	struct dn_scan_state s = { .packets = packets, .bytes = packets * 60,
				   .classes = classes, .org = 1 };

	k.addr[0] = 45, k.addr[1] = 33, k.addr[2] = 7, k.addr[3] = last;
	s.last_ns = base_ns - (__u64)(ago * 1e9);
	s.first_ns = s.last_ns - 5000000000ull;
	for (int b = 0; b < bits; b++)
		s.dst[b / 64] |= 1ull << (b % 64);
	cr_assert_eq(bpf_map_update_elem(ifc.maps.scan_events, &k, &s, 0), 0);
}

static void put_victim(__u8 last, double ago, __u64 packets, __u32 win)
{
	struct dn_victim_key k = { .family = DN_FAMILY_IPV4, .proto = IPPROTO_TCP };
	struct dn_victim_state v = { .packets = packets, .win_max = win,
				     .kinds = 1u << DN_VICTIM_SYNACK, .port = 80 };

	k.addr[0] = 45, k.addr[1] = 1, k.addr[2] = 1, k.addr[3] = last;
	v.last_ns = base_ns - (__u64)(ago * 1e9);
	v.first_ns = v.last_ns - 120000000000ull;
	cr_assert_eq(bpf_map_update_elem(ifc.maps.dos_victims, &k, &v, 0), 0);
}

static int entries(int fd)
{
	__u8 key[20], next[20];
	int n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, next); prev = key, n++)
		memcpy(key, next, sizeof(key));
	return n;
}

static int lines(void)
{
	char *text = e2e_read_file(file, NULL);
	int n = 0;

	for (char *p = text; p && (p = strchr(p, '\n')); p++)
		n++;
	free(text);
	return n;
}

static void init(void)
{
	char err[256];

	/* 512 darknet addresses, as the e2e lab's two /24s */
	cr_assert_eq(events_init(&ev, &ifc, 1, &cfg, 512, 0, err, sizeof(err)), 0, "%s", err);
}

Test(events_sweep, idle_entries_are_judged_written_once_and_deleted)
{
	char *text;

	cfg.ev_th.scan_idle_s = 2;
	init();
	put_scan(1, 150, 1u << DN_CLASS_ZMAP, 10, 150);       /* idle, a scan */
	put_scan(2, 150, 1u << DN_CLASS_RESEARCH, 0, 150);    /* active, a scan */
	put_scan(3, 60, 1u << DN_CLASS_SCAN, 10, 60);         /* idle, below 100 */
	put_victim(9, 400, 60, 40);                           /* idle past 300 s, an attack */
	put_victim(8, 400, 24, 24);                           /* idle, 24 packets: none */
	events_sweep(&ev);

	cr_assert_eq(entries(ifc.maps.scan_events), 1, "the active scan stays");
	cr_assert_eq(entries(ifc.maps.dos_victims), 0);
	cr_assert_eq(lines(), 2, "one scan, one attack");
	text = e2e_read_file(file, NULL);
	cr_assert(strstr(text, "\"source\":\"45.33.7.1\"") && strstr(text, "\"tool\":\"zmap\""),
		  "%s", text);
	cr_assert(strstr(text, "\"victim\":\"45.1.1.9\"") && strstr(text, "\"ports\":[80]"),
		  "%s", text);
	cr_assert_null(strstr(text, "45.33.7.3"), "%s", text);
	free(text);
	cr_assert_eq(ev.totals[0].scans[EV_PROTO_TCP][EV_TOOL_ZMAP][1], 1, "large: 150 of 512");
	cr_assert_eq(ev.totals[0].dos[EV_PROTO_TCP], 1);
	cr_assert_eq(ev.totals[0].closed[EV_SCAN], 2);
	cr_assert_eq(ev.totals[0].closed[EV_DOS], 2);
	cr_assert_eq(ev.live[0].scans_active[EV_PROTO_TCP][EV_TOOL_RESEARCH], 1);
	cr_assert_eq(ev.active_len, 1);
	cr_assert_str_eq(ev.active[0].org, "Example Research", "the org's name from org_names");
	cr_assert_eq(ev.ring_len, 2);
}

Test(events_sweep, a_restart_writes_and_counts_a_closed_event_once)
{
	cfg.ev_th.scan_idle_s = 2;
	init();
	put_scan(1, 150, 1u << DN_CLASS_ZMAP, 10, 150);
	events_sweep(&ev);
	cr_assert_eq(lines(), 1);
	/* a predecessor stopped after writing and counting, before deleting:
	 * the entry is back as it was */
	put_scan(1, 150, 1u << DN_CLASS_ZMAP, 10, 150);
	events_free(&ev);
	init();
	cr_assert_eq(ev.totals[0].scans[EV_PROTO_TCP][EV_TOOL_ZMAP][1], 1,
		     "totals restored from event_totals");
	events_sweep(&ev);
	cr_assert_eq(lines(), 1, "not written twice");
	cr_assert_eq(entries(ifc.maps.scan_events), 0, "but deleted");
	cr_assert_eq(ev.totals[0].scans[EV_PROTO_TCP][EV_TOOL_ZMAP][1], 1, "nor counted twice");
}

Test(events_sweep, evictions_from_inserts_closed_and_live)
{
	__u32 key = DN_EVENT_STAT_SCAN_INSERTS;   /* CPU 0's block */
	__u64 inserts = 10;
	struct strbuf sb = STRBUF_INIT;

	cfg.ev_th.scan_idle_s = 2;
	init();
	cr_assert_eq(bpf_map_update_elem(ifc.maps.event_stats, &key, &inserts, 0), 0);
	put_scan(1, 150, 0, 10, 150);   /* closed */
	put_scan(2, 10, 0, 0, 10);      /* live */
	events_sweep(&ev);
	events_render_metrics(&ev, &sb);
	/* 10 inserts - 1 closed - 1 live */
	cr_assert(strstr(sb.buf, "darknet_event_table_evictions_total{table=\"scan_events\"} 8\n"),
		  "%s", sb.buf);
	cr_assert(strstr(sb.buf, "darknet_event_table_entries{table=\"scan_events\"} 1\n"),
		  "%s", sb.buf);
	strbuf_free(&sb);
}

Test(events_sweep, a_full_disk_is_counted_and_the_event_still_counts)
{
	cfg.events_file = "/dev/full";
	cfg.ev_th.scan_idle_s = 2;
	init();
	put_scan(1, 150, 0, 10, 150);
	events_sweep(&ev);
	cr_assert_eq(ev.g.file_write_errors, 1);
	cr_assert_eq(ev.totals[0].scans[EV_PROTO_TCP][EV_TOOL_UNKNOWN][1], 1);
	cr_assert_eq(entries(ifc.maps.scan_events), 0);
}

Test(events_sweep, a_table_of_several_batches_is_walked_whole)
{
	struct dn_scan_state s = { .packets = 1 };
	int fd = create(BPF_MAP_TYPE_LRU_HASH, sizeof(struct dn_scan_key),
			sizeof(struct dn_scan_state), 4096, 0);

	close(ifc.maps.scan_events);
	ifc.maps.scan_events = fd;
	cfg.ev_th.scan_idle_s = 2;
	init();
	s.first_ns = s.last_ns = base_ns - 10000000000ull;
	for (__u32 i = 0; i < 1000; i++) {
		struct dn_scan_key k = { .family = DN_FAMILY_IPV4, .proto = IPPROTO_UDP,
					 .port = 53 };

		k.addr[0] = 11, k.addr[2] = i >> 8, k.addr[3] = i & 0xff;
		/* half of them idle */
		s.last_ns = i % 2 ? base_ns : base_ns - 10000000000ull;
		cr_assert_eq(bpf_map_update_elem(fd, &k, &s, 0), 0, "entry %u", i);
	}
	events_sweep(&ev);
	cr_assert_eq(entries(fd), 500, "the 500 idle ones are closed, over 4 batches");
	cr_assert_eq(ev.totals[0].closed[EV_SCAN], 500);
	cr_assert_eq(ev.live[0].entries[EV_SCAN], 500);
	cr_assert_eq(lines(), 0, "none was a scan");
}
