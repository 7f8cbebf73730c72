/* bench_testrun.c: ns per packet under BPF_PROG_TEST_RUN (sections 1 and 4 of the bench). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "bench_drop.skel.h"
#include "bench_harness.skel.h"
#include "darknet_counter.skel.h"

/* Runs of this many frames: ~0.1-0.3 s each, 60 passes over a 65,536-frame
 * mix, enough for a steady cache state. Figures are the kernel's own
 * `duration` (ns per repeat, whole ns): its timer stops while the test run
 * yields the CPU, so other work on a shared machine does not inflate them,
 * and the ~20 ms a call costs outside the loop (the kernel toggles a static
 * key for repeat > 1) is not in them either. */
#define RUN_FRAMES (4u << 20)
#define SCANNER_SIZES 4

/* A frame buffer the harness resizes and overwrites on every repeat. */
static uint8_t seed_frame[64];

int bench_harness_ns(struct bench *b, int target_fd, uint64_t frames, double *ns)
{
	struct bench_harness_bpf *h = b->harness;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = seed_frame,
		    .data_size_in = sizeof(seed_frame), .repeat = frames);
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(h->maps.target), &zero, &target_fd, 0))
		return -errno;
	if (bpf_prog_test_run_opts(bpf_program__fd(h->progs.bench_harness), &o))
		return -errno;
	if (o.retval == XDP_ABORTED)
		return -EPROTO;   /* the stream or a helper refused */
	*ns = o.duration;
	return 0;
}

/* One frame, repeated, with no harness: the program alone. */
int bench_direct_ns(struct bench *b, int prog_fd, const struct bench_mix *m,
		    uint64_t frames, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = mix_frame(&m->frames, 0),
		    .data_size_in = m->frames.info[0].len, .repeat = frames);

	(void)b;
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*ns = o.duration;
	return 0;
}

/* Medians over interleaved trials of the programs in fds (fds[0] is bare
 * drop): harness+program, and each program's own cost as the median of its
 * per-trial difference to harness+drop (paired, so slow drift of the
 * machine cancels). */
#define MAX_TARGETS (4 + BENCH_MAX_VARIANTS)

struct figures {
	double total[MAX_TARGETS], own[MAX_TARGETS];
	double own_min[MAX_TARGETS], own_max[MAX_TARGETS];  /* spread over trials */
};

static int measure(struct bench *b, const int *fds, int n, unsigned int trials,
		   uint64_t frames, struct figures *f)
{
	double t[MAX_TARGETS][trials], d[MAX_TARGETS][trials], warm;
	int err = 0;

	/* one unmeasured run of each to warm caches and page tables */
	for (int k = 0; !err && k < n; k++)
		err = bench_harness_ns(b, fds[k], frames / 4, &warm);
	/* each trial starts with another program, so that none always runs
	 * right after the same one */
	for (unsigned int i = 0; !err && i < trials; i++)
		for (int j = 0; !err && j < n; j++) {
			int k = (i + j) % n;

			err = bench_harness_ns(b, fds[k], frames, &t[k][i]);
		}
	for (int k = 0; !err && k < n; k++) {
		for (unsigned int i = 0; i < trials; i++)
			d[k][i] = t[k][i] - t[0][i];
		f->total[k] = bench_median(t[k], trials);
		f->own[k] = bench_median(d[k], trials);   /* sorts d[k] */
		f->own_min[k] = d[k][0];
		f->own_max[k] = d[k][trials - 1];
	}
	return err;
}

int bench_measure(struct bench *b, const int *fds, int n, unsigned int trials, double *total,
		  double *own, double *lo, double *hi)
{
	struct figures f;
	int err;

	if (n > MAX_TARGETS)
		return -E2BIG;
	err = measure(b, fds, n, trials, RUN_FRAMES, &f);
	for (int k = 0; !err && k < n; k++) {
		total[k] = f.total[k];
		own[k] = f.own[k];
		lo[k] = f.own_min[k];
		hi[k] = f.own_max[k];
	}
	return err;
}

/* Bare drop, the counter, the counter with its distinct-source sketches
 * compiled out (--no-distinct), with its event tables off (--no-events),
 * then any --variant programs. */
#define NODISTINCT 2
#define NOEVENTS 3
static int targets(const struct bench *b, struct darknet_counter_bpf *nodistinct,
		   struct darknet_counter_bpf *noevents, int *fds)
{
	int n = 0;

	fds[n++] = bpf_program__fd(b->sink->progs.bench_drop);
	fds[n++] = bpf_program__fd(b->ctr->progs.darknet_counter);
	fds[n++] = bpf_program__fd(nodistinct->progs.darknet_counter);
	fds[n++] = bpf_program__fd(noevents->progs.darknet_counter);
	for (int i = 0; i < b->nr_variants; i++)
		fds[n++] = b->variant_fd[i];
	return n;
}

static int direct_single(struct bench *b)
{
	unsigned int n = b->opt.trials;
	double d[n], c[n];
	int drop_fd = bpf_program__fd(b->sink->progs.bench_drop);
	int ctr_fd = bpf_program__fd(b->ctr->progs.darknet_counter);
	const struct bench_mix *m = &b->mixes[2];
	int err = 0;

	for (unsigned int i = 0; !err && i < n; i++) {
		err = bench_direct_ns(b, drop_fd, m, RUN_FRAMES, &d[i]);
		err = err ?: bench_direct_ns(b, ctr_fd, m, RUN_FRAMES, &c[i]);
	}
	if (err)
		return err;
	fprintf(b->out, "  %-8s %12.0f %16.0f %15.0f %12s %12.2f\n", "direct*",
		bench_median(d, n), bench_median(c, n), bench_median(c, n) - bench_median(d, n),
		"", bench_median(d, n) / bench_median(c, n));
	fprintf(b->out, "  * the single mix's frame repeated with no harness: bare drop "
		"and the counter alone\n");
	return 0;
}

/* The event tables' kernel memory at the defaults, as the kernel charges
 * it (fdinfo memlock): LRU hashes are preallocated and shared by all CPUs,
 * so this is their whole cost whatever the CPU count. */
static void print_event_memory(struct bench *b)
{
	uint64_t scan = bench_map_memlock(bpf_map__fd(b->ctr->maps.scan_events));
	uint64_t victims = bench_map_memlock(bpf_map__fd(b->ctr->maps.dos_victims));

	fprintf(b->out, "  event tables (fdinfo memlock, all CPUs): scan_events %u entries %.1f MiB,"
		" dos_victims %u entries %.1f MiB, total %.1f MiB\n",
		bpf_map__max_entries(b->ctr->maps.scan_events), scan / (double)(1 << 20),
		bpf_map__max_entries(b->ctr->maps.dos_victims), victims / (double)(1 << 20),
		(scan + victims) / (double)(1 << 20));
	b->events_mib = (scan + victims) / (double)(1 << 20);
}

int bench_section_testrun(struct bench *b)
{
	struct darknet_counter_bpf *nodistinct = NULL, *noevents = NULL;
	int fds[MAX_TARGETS], n;
	struct figures f;
	double install;
	int err;

	err = bench_load_counter_for(b, &b->scanners, 0, false, &nodistinct, &install);
	err = err ?: bench_load_counter_ev(b, &b->scanners, 0, true, false, &noevents, &install);
	if (err) {
		darknet_counter_bpf__destroy(nodistinct);
		return err;
	}
	n = targets(b, nodistinct, noevents, fds);

	fprintf(b->out,
		"\n1. Per-packet cost, BPF_PROG_TEST_RUN (CPU %d; ns per packet, median of %u\n"
		"   interleaved runs of %u frames). The harness rewrites the test frame from\n"
		"   a %zu-frame mix on every repeat, then tail-calls the program measured;\n"
		"   the counter's own cost is harness+counter minus harness+drop.\n",
		b->opt.cpu, b->opt.trials, RUN_FRAMES, b->opt.frames);
	fprintf(b->out, "  %-8s %12s %16s %15s %12s %12s\n", "mix", "harness+drop",
		"harness+counter", "counter itself", "(min-max)", "drop/counter");
	for (int i = 0; i < BENCH_NR_MIXES; i++) {
		err = bench_use_mix(b, i);
		err = err ?: measure(b, fds, n, b->opt.trials, RUN_FRAMES, &f);
		if (err) {
			fprintf(stderr, "bench: test run of mix %s failed: %s\n",
				b->mixes[i].name, strerror(-err));
			break;
		}
		fprintf(b->out, "  %-8s %12.0f %16.0f %15.0f %5.0f-%-6.0f %12.2f\n",
			b->mixes[i].name, f.total[0], f.total[1], f.own[1], f.own_min[1],
			f.own_max[1], f.total[0] / f.total[1]);
		fprintf(b->out, "    --no-distinct %18s %16.0f %15.0f %5.0f-%-6.0f  sketches %+.1f%%\n",
			"", f.total[NODISTINCT], f.own[NODISTINCT], f.own_min[NODISTINCT],
			f.own_max[NODISTINCT], 100 * (f.own[1] / f.own[NODISTINCT] - 1));
		fprintf(b->out, "    --no-events %20s %16.0f %15.0f %5.0f-%-6.0f  events %+.1f%%\n",
			"", f.total[NOEVENTS], f.own[NOEVENTS], f.own_min[NOEVENTS],
			f.own_max[NOEVENTS], 100 * (f.own[1] / f.own[NOEVENTS] - 1));
		if (i == 0) {
			b->distinct_increase = f.own[1] / f.own[NODISTINCT] - 1;
			b->events_increase = f.own[1] / f.own[NOEVENTS] - 1;
		}
		for (int k = NOEVENTS + 1; k < n; k++)
			fprintf(b->out, "    variant %-24s %16.0f %15.0f %5.0f-%-6.0f\n",
				b->opt.variants[k - NOEVENTS - 1], f.total[k], f.own[k],
				f.own_min[k], f.own_max[k]);
	}
	print_event_memory(b);
	err = err ?: bench_event_sweeper(b);
	darknet_counter_bpf__destroy(nodistinct);
	darknet_counter_bpf__destroy(noevents);
	if (err)
		return err;
	fprintf(b->out, "  events: the scan and DoS-victim tables at their defaults against the same\n"
		"  counter loaded with --no-events\n");
	fprintf(b->out, "  sketches: the distinct-source sketches as the daemon sets them up at its\n"
		"  defaults (a destination counter per darknet prefix, a port sketch per\n"
		"  watched port) against the same counter loaded with --no-distinct\n");
	return direct_single(b);
}

/* One instance of the counter per list size, each with its own maps, so
 * that the sizes are measured interleaved in the same trials as bare drop
 * (a shared VM drifts by tens of percent between minutes). */
int bench_section_scanners(struct bench *b)
{
	/* none, the shipped list alone, then generated lists */
	size_t sizes[SCANNER_SIZES] = { 0, b->scanners.len, 1000, 100000 };
	struct darknet_counter_bpf *inst[SCANNER_SIZES] = { NULL };
	double install[SCANNER_SIZES] = { 0 };
	size_t len[SCANNER_SIZES] = { 0 }, v6[SCANNER_SIZES] = { 0 };
	int fds[1 + SCANNER_SIZES], err;
	struct dn_prefix_list l;
	struct figures f;

	fprintf(b->out,
		"\n4. Scanner prefixes at scale (nicter mix, measured as in 1 but in %u runs of %u\n"
		"   frames: one counter instance per list, with maps of its own, all interleaved in\n"
		"   the same trials; generated lists: the shipped list plus random prefixes, 1 in 5\n"
		"   IPv6, /20../32 and /32../128)\n", 3 * b->opt.trials, RUN_FRAMES / 4);
	fprintf(b->out, "  %-22s %9s %16s %15s %12s %9s %10s\n", "prefixes (v4 + v6)", "install",
		"harness+counter", "counter itself", "(min-max)", "vs none", "vs shipped");
	fds[0] = bpf_program__fd(b->sink->progs.bench_drop);
	err = bench_use_mix(b, 0);
	for (int i = 0; !err && i < SCANNER_SIZES; i++) {
		err = bench_gen_scanners(&b->scanners, sizes[i], b->opt.seed + 100, &l);
		err = err ?: bench_load_counter_copy(b, &l, &inst[i], &install[i]);
		len[i] = l.len;
		for (size_t k = 0; k < l.len; k++)
			v6[i] += l.entries[k].prefix.family == DN_FAMILY_IPV6;
		prefix_list_free(&l);
		fds[1 + i] = err ? -1 : bpf_program__fd(inst[i]->progs.darknet_counter);
	}
	/* three times the trials, a quarter as long: this section compares
	 * small differences, and short runs pair up better on a busy host */
	err = err ?: measure(b, fds, 1 + SCANNER_SIZES, 3 * b->opt.trials, RUN_FRAMES / 4, &f);
	for (int i = 0; !err && i < SCANNER_SIZES; i++) {
		char label[40], none[16] = "-", shipped[16] = "";

		snprintf(label, sizeof(label), "%zu (%zu + %zu)%s", len[i], len[i] - v6[i], v6[i],
			 i == 1 ? " shipped" : "");
		if (i)
			snprintf(none, sizeof(none), "%+.1f%%", 100 * (f.own[1 + i] / f.own[1] - 1));
		if (i > 1)   /* the same sources are research in both: the cost of scale */
			snprintf(shipped, sizeof(shipped), "%+.1f%%", 100 * (f.own[1 + i] / f.own[2] - 1));
		fprintf(b->out, "  %-22s %8.2fs %16.0f %15.0f %5.0f-%-6.0f %9s %10s\n", label,
			install[i], f.total[1 + i], f.own[1 + i], f.own_min[1 + i],
			f.own_max[1 + i], none, shipped);
	}
	for (int i = 0; i < SCANNER_SIZES; i++)
		darknet_counter_bpf__destroy(inst[i]);
	if (err) {
		fprintf(stderr, "bench: scanner section failed: %s\n", strerror(-err));
		return err;
	}
	b->scanners_increase = f.own[SCANNER_SIZES] / f.own[1] - 1;
	fprintf(b->out, "  100,000 vs none: %+.1f%% per packet of the counter's own cost "
		"(%+.1f%% of harness+counter); target <= +10%%\n"
		"  100,000 vs the shipped list alone, where the same third of the mix is research:\n"
		"  %+.1f%% (what scale costs, apart from classifying research scans at all)\n"
		"  floor: the shipped list's %zu prefixes already cost %+.1f%% over none: with no\n"
		"  list nothing is research and the lookup ends at an empty slot; any list pays\n"
		"  for the research third's walk and org counter\n",
		100 * b->scanners_increase, 100 * (f.total[SCANNER_SIZES] / f.total[1] - 1),
		100 * (f.own[SCANNER_SIZES] / f.own[2] - 1), len[1], 100 * (f.own[2] / f.own[1] - 1));
	return 0;
}
