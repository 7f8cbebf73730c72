/* bench.h: the pieces of darknet-bench (user side) and what they share. */
#ifndef DN_BENCH_H
#define DN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "darknet_bench.h"
#include "maps.h"
#include "mix.h"
#include "prefix.h"

/* A mix's frames packed as the bench programs read them (darknet_bench.h). */
struct bench_stream {
	uint8_t *blobs;          /* nr_blobs * BENCH_BLOB_SIZE bytes */
	uint32_t nr_blobs;
	size_t nr_frames;
	uint64_t bytes;          /* sum of frame lengths, one pass */
};

/* Pack f into s. 0, -E2BIG for a frame over BENCH_FRAME_MAX, or -ENOMEM. */
int bench_stream_pack(const struct mix_frames *f, struct bench_stream *s);
/* Write s into a mix_blobs map with at least s->nr_blobs entries. */
int bench_stream_store(const struct bench_stream *s, int map_fd);
void bench_stream_free(struct bench_stream *s);

#define BENCH_MAX_VARIANTS 8

enum bench_section {
	BENCH_TESTRUN = 1 << 0,   /* 1: ns per packet, BPF_PROG_TEST_RUN */
	BENCH_LIVE = 1 << 1,      /* 2: Mpps into a veth */
	BENCH_PEER = 1 << 2,      /* 3: the libpcap peer */
	BENCH_SCANNERS = 1 << 3,  /* 4: scanner prefixes at scale */
	BENCH_SCRAPE = 1 << 4,    /* 5: scrape cost and memory */
	BENCH_GEO = 1 << 5,       /* 6: source country and AS, full databases */
};

struct bench_opts {
	const char *gen_ns, *rx_ns;   /* network namespaces (ip netns names) */
	const char *gen_if, *rx_if;   /* the veth: generator end, receiving end */
	int cpu;                      /* bench thread: test runs, generator, softirq */
	int peer_cpu;                 /* the libpcap peer process */
	size_t frames;                /* frames per mix stream */
	unsigned int trials;          /* interleaved runs per figure (median) */
	double seconds;               /* per run of the live sections */
	unsigned int sections;        /* enum bench_section bits */
	uint64_t seed;
	const char *scanners;         /* scanner list the mixes draw research from */
	const char *pcap_counter;     /* darknet-pcap-counter binary */
	const char *daemon;           /* darknet-counter binary */
	const char *geo_db;           /* the ip-location-db CSVs (scripts/fetch-geo-db.sh) */
	/* Diagnostics: other builds of the counter (.bpf.o with an XDP program
	 * and the counter's map names) measured beside it in section 1. */
	const char *variants[BENCH_MAX_VARIANTS];
	int nr_variants;
};

/* A mix ready to replay: its frames (for expected counts) and its stream. */
struct bench_mix {
	const char *name;
	struct mix_frames frames;
	struct bench_stream stream;
};

#define BENCH_NR_MIXES 3

struct darknet_counter_bpf;
struct bench_drop_bpf;
struct bench_harness_bpf;
struct bench_gen_bpf;
struct bpf_object;

struct bench {
	struct bench_opts opt;
	FILE *out;                    /* the table (stdout) */
	struct dn_prefix_list darknets, scanners;
	struct bench_mix mixes[BENCH_NR_MIXES];   /* nicter, sweep, single */
	struct darknet_counter_bpf *ctr;
	struct dn_maps maps;
	struct bench_drop_bpf *sink;  /* bench_drop and bench_pass */
	struct bench_harness_bpf *harness;
	struct bench_gen_bpf *gen;
	struct bpf_object *variant_obj[BENCH_MAX_VARIANTS];
	int variant_fd[BENCH_MAX_VARIANTS];
	int nr_variants;
	int gen_ifindex, rx_ifindex;  /* in their namespaces */
	int ncpus;
	/* Figures the summary checks against the targets (negative: not run). */
	double live_ratio[BENCH_NR_MIXES];
	double live_noevents_ratio;   /* nicter, the counter with --no-events */
	double scanners_increase;     /* 100k vs 0 prefixes, counter's own cost */
	double distinct_increase;     /* sketches on vs off, nicter, counter's own cost */
	double events_increase;       /* event tables on vs off, nicter, own cost */
	double events_mib;            /* event tables' memlock at the defaults */
	double geo_increase;          /* country + AS vs geo off, nicter, own cost */
	bool geo_exact_failed;        /* a geo counter differed from the databases' answer */
	double ours_lossless_mpps, peer_lossless_mpps;
	bool ours_generator_bound;
	double scrape_10k_ms;
	/* a 128-CPU sensor (bench_sensor.c): MiB per interface, scrape ms */
	double sensor_mib, sensor_sweep_ms, sensor_quiet_ms;
};

/* bench_setup.c: mixes, programs and lists. */
int bench_setup(struct bench *b);
void bench_teardown(struct bench *b);
/* Replay mix i from its first frame in both the harness and the generator. */
int bench_use_mix(struct bench *b, int i);
/* Install a scanner list into the counter (empty list: nobody is research). */
int bench_install_scanners(struct bench *b, const struct dn_prefix_list *l);
/* Load another instance of the counter, with maps of its own holding the
 * bench's darknets and scanners; *install_s is the scanner install time. */
int bench_load_counter_copy(struct bench *b, const struct dn_prefix_list *scanners,
			    struct darknet_counter_bpf **out, double *install_s);
/* The same, its per-CPU blocks made for cpus CPUs (0: this machine's), with
 * the distinct-source sketches on (as the daemon's defaults) or compiled
 * out (--no-distinct); the event tables at their defaults. */
int bench_load_counter_for(struct bench *b, const struct dn_prefix_list *scanners, int cpus,
			   bool distinct, struct darknet_counter_bpf **out, double *install_s);
/* The same with the event tables on (the defaults) or off (--no-events). */
int bench_load_counter_ev(struct bench *b, const struct dn_prefix_list *scanners, int cpus,
			  bool distinct, bool events, struct darknet_counter_bpf **out,
			  double *install_s);
/* Attach prog_fd (native mode) to the receiving veth, replacing what is there. */
int bench_attach_rx(struct bench *b, int prog_fd);
/* Run fn in namespace ns and come back. */
int bench_in_netns(const char *ns, int (*fn)(void *), void *arg);

/* bench_testrun.c: harness + target under BPF_PROG_TEST_RUN. */
int bench_harness_ns(struct bench *b, int target_fd, uint64_t frames, double *ns);
int bench_direct_ns(struct bench *b, int prog_fd, const struct bench_mix *m,
		    uint64_t frames, double *ns);
int bench_section_testrun(struct bench *b);
int bench_section_scanners(struct bench *b);
/* Medians over interleaved trials of runs of RUN_FRAMES through the harness:
 * harness+program (total), own cost against fds[0] (bare drop) with its
 * spread (lo, hi), for n programs. 0 or -errno. */
int bench_measure(struct bench *b, const int *fds, int n, unsigned int trials, double *total,
		  double *own, double *lo, double *hi);
/* A counter instance with the bench's darknets and scanners and
 * dn_geo_enabled = geo (DN_GEO_ON_* bits), its event tables off (so that
 * geo's rows measure geo alone); no geo table installed yet. */
int bench_load_counter_geo(struct bench *b, unsigned int geo, struct darknet_counter_bpf **out,
			   double *install_s);

/* bench_sweep.c: the daemon's event sweeper over b->ctr's tables filled
 * to their default sizes (section 1); leaves them empty. 0 or -errno. */
int bench_event_sweeper(struct bench *b);

/* bench_geo.c: section 6. */
int bench_section_geo(struct bench *b);

/* bench_live.c: the live-frames generator into the veth. */
struct bench_gen_result {
	uint64_t sent;            /* frames the generator returned as XDP_TX */
	double ns_per_frame;      /* flat out: kernel timer; paced: generator clock */
	double seconds;           /* wall time of the runs */
};
/* Send frames at rate_pps (0: as fast as possible) from the current mix. */
int bench_generate(struct bench *b, uint64_t frames, double rate_pps,
		   struct bench_gen_result *r);
int bench_section_live(struct bench *b);

/* bench_peer.c: the libpcap peer at increasing offered rates. */
int bench_section_peer(struct bench *b);

/* bench_scrape.c: scrape CPU time, kernel map memory. */
int bench_section_scrape(struct bench *b);
/* Write counter values into m: nr_tcp_ports ports get all eight TCP slots
 * and every other counter 0, or with all every slot of every map. */
int bench_fill_maps(const struct dn_maps *m, __u32 nr_tcp_ports, bool all);
/* Port tables only, for as many CPUs as they were made for: ports
 * k * stride % 65,537 for k below nr_tcp / nr_udp counted on every CPU and
 * their touched bits set; every other port zero. */
int bench_fill_ports(const struct dn_maps *m, __u32 nr_tcp, __u32 nr_udp, __u32 stride);

/* bench_sensor.c: a large sensor's maps (64, 128 CPUs) on this machine:
 * kernel memory per interface and scrape CPU. */
int bench_section_sensor(struct bench *b);

/* bench_daemon.c: the real daemon on the veth: RSS and CPU per HTTP scrape. */
int bench_section_daemon(struct bench *b);

/* bench_util.c */
double bench_now(void);                         /* CLOCK_MONOTONIC, seconds */
double bench_median(double *v, size_t n);       /* sorts v */
int bench_pin(int cpu);
/* Sum of class_counters and reason_counters over CPUs: every frame the
 * counter saw lands in exactly one of them. */
int bench_counter_totals(struct bench *b, uint64_t class_pkts[DN_CLASS_MAX],
			 uint64_t *reason_pkts);
/* Expected class counts of `count` frames of m replayed from its start. */
void bench_expected(const struct bench_mix *m, uint64_t count,
		    uint64_t class_pkts[DN_CLASS_MAX]);
/* memlock of one map fd, from /proc/self/fdinfo: what the kernel charges. */
uint64_t bench_map_memlock(int fd);
/* A counter map that holds one block per CPU (low tables, touched bits,
 * the small counters), rather than one for all CPUs. */
struct bpf_map;
bool bench_map_per_cpu(const struct bpf_map *map);
/* Generated scanner prefixes: base plus random ones up to n entries. */
int bench_gen_scanners(const struct dn_prefix_list *base, size_t n, uint64_t seed,
		       struct dn_prefix_list *out);

#endif
