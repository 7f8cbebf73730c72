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

/* Runs of this many frames: ~0.1-0.3 s each, so the ~20 ms a TEST_RUN call
 * costs (the kernel toggles a static key for repeat > 1) is outside what
 * the harness's own timestamps measure anyway, and 60 passes over a
 * 65,536-frame mix reach a steady cache state. */
#define RUN_FRAMES (4u << 20)
#define SCANNER_SIZES 3

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
	h->bss->bench_frames = 0;
	h->bss->bench_t1_frames = 0;
	if (bpf_prog_test_run_opts(bpf_program__fd(h->progs.bench_harness), &o))
		return -errno;
	if (o.retval == XDP_ABORTED || !h->bss->bench_t1_frames)
		return -EPROTO;   /* the stream or a helper refused */
	*ns = (double)(h->bss->bench_t1 - h->bss->bench_t0) / h->bss->bench_t1_frames;
	return 0;
}

/* One frame, repeated, with no harness: the program alone. The program is
 * not ours to timestamp, so time two calls and take the difference, which
 * cancels the call's fixed cost. */
int bench_direct_ns(struct bench *b, int prog_fd, const struct bench_mix *m,
		    uint64_t frames, double *ns)
{
	double t[2];

	(void)b;
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = mix_frame(&m->frames, 0),
			    .data_size_in = m->frames.info[0].len,
			    .repeat = frames * (i + 1));
		double start = bench_now();

		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		t[i] = bench_now() - start;
	}
	*ns = (t[1] - t[0]) * 1e9 / frames;
	return 0;
}

/* Medians over interleaved trials: harness+drop, harness+counter, and the
 * counter's own cost as the median of the per-trial differences (paired,
 * so slow drift of the machine cancels). */
struct paired {
	double drop, counter, own;
};

static int measure_paired(struct bench *b, struct paired *p)
{
	unsigned int n = b->opt.trials;
	double d[n], c[n], diff[n], warm;
	int drop_fd = bpf_program__fd(b->sink->progs.bench_drop);
	int ctr_fd = bpf_program__fd(b->ctr->progs.darknet_counter);
	int err;

	/* one unmeasured pass of each to warm caches and page tables */
	err = bench_harness_ns(b, drop_fd, RUN_FRAMES / 4, &warm);
	err = err ?: bench_harness_ns(b, ctr_fd, RUN_FRAMES / 4, &warm);
	for (unsigned int i = 0; !err && i < n; i++) {
		err = bench_harness_ns(b, drop_fd, RUN_FRAMES, &d[i]);
		err = err ?: bench_harness_ns(b, ctr_fd, RUN_FRAMES, &c[i]);
		diff[i] = c[i] - d[i];
	}
	if (err)
		return err;
	p->drop = bench_median(d, n);
	p->counter = bench_median(c, n);
	p->own = bench_median(diff, n);
	return 0;
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
	fprintf(b->out, "  %-8s %12.1f %16.1f %15.1f %12.2f   (no harness: one frame repeated)\n",
		"direct", bench_median(d, n), bench_median(c, n),
		bench_median(c, n) - bench_median(d, n), bench_median(d, n) / bench_median(c, n));
	return 0;
}

int bench_section_testrun(struct bench *b)
{
	struct paired p;
	int err;

	fprintf(b->out,
		"\n1. Per-packet cost, BPF_PROG_TEST_RUN (CPU %d; ns per packet, median of %u\n"
		"   interleaved runs of %u frames). The harness rewrites the test frame from\n"
		"   a %zu-frame mix on every repeat, then tail-calls the program measured;\n"
		"   the counter's own cost is harness+counter minus harness+drop.\n",
		b->opt.cpu, b->opt.trials, RUN_FRAMES, b->opt.frames);
	fprintf(b->out, "  %-8s %12s %16s %15s %12s\n", "mix", "harness+drop",
		"harness+counter", "counter itself", "drop/counter");
	for (int i = 0; i < BENCH_NR_MIXES; i++) {
		err = bench_use_mix(b, i);
		err = err ?: measure_paired(b, &p);
		if (err) {
			fprintf(stderr, "bench: test run of mix %s failed: %s\n",
				b->mixes[i].name, strerror(-err));
			return err;
		}
		fprintf(b->out, "  %-8s %12.1f %16.1f %15.1f %12.2f\n", b->mixes[i].name,
			p.drop, p.counter, p.own, p.drop / p.counter);
	}
	return direct_single(b);
}

int bench_section_scanners(struct bench *b)
{
	static const size_t sizes[SCANNER_SIZES] = { 0, 1000, 100000 };
	struct dn_prefix_list l;
	struct paired p[SCANNER_SIZES];
	size_t v6;
	double t;
	int err;

	fprintf(b->out,
		"\n4. Scanner prefixes at scale (nicter mix, measured as in 1; generated lists:\n"
		"   the shipped list plus random prefixes, 1 in 5 IPv6, /20../32 and /32../128)\n");
	fprintf(b->out, "  %-22s %9s %16s %15s %9s\n", "prefixes (v4 + v6)", "install",
		"harness+counter", "counter itself", "vs none");
	err = bench_use_mix(b, 0);
	for (int i = 0; !err && i < SCANNER_SIZES; i++) {
		err = bench_gen_scanners(&b->scanners, sizes[i], b->opt.seed + 100, &l);
		t = bench_now();
		err = err ?: bench_install_scanners(b, &l);
		t = bench_now() - t;
		err = err ?: measure_paired(b, &p[i]);
		v6 = 0;
		for (size_t k = 0; k < l.len; k++)
			v6 += l.entries[k].prefix.family == DN_FAMILY_IPV6;
		if (!err) {
			char label[40], rel[16] = "-";

			snprintf(label, sizeof(label), "%zu (%zu + %zu)", l.len, l.len - v6, v6);
			if (i)
				snprintf(rel, sizeof(rel), "%+.1f%%", 100 * (p[i].own / p[0].own - 1));
			fprintf(b->out, "  %-22s %8.2fs %16.1f %15.1f %9s\n", label, t,
				p[i].counter, p[i].own, rel);
		}
		prefix_list_free(&l);
	}
	/* put the shipped list back for the sections that follow */
	err = err ?: bench_install_scanners(b, &b->scanners);
	if (err) {
		fprintf(stderr, "bench: scanner section failed: %s\n", strerror(-err));
		return err;
	}
	b->scanners_increase = p[SCANNER_SIZES - 1].own / p[0].own - 1;
	fprintf(b->out, "  100,000 vs none: %+.1f%% per packet of the counter's own cost "
		"(%+.1f%% of harness+counter); target <= +10%%\n",
		100 * b->scanners_increase, 100 * (p[SCANNER_SIZES - 1].counter / p[0].counter - 1));
	return 0;
}
