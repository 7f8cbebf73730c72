/* bench_live.c: Mpps into a veth with the live-frames generator, counter vs bare XDP_DROP (section 2). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "bench_drop.skel.h"
#include "bench_gen.skel.h"
#include "names.h"
#include "darknet_counter.skel.h"

/*
 * Topology: the generator runs under BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES on the bench's pinned CPU, in the generator's
 * namespace, and XDP_TX sends every frame out of its veth end. veth hands
 * the frames to its peer's NAPI, which the kernel runs in the softirq of
 * the same CPU at the end of each batch (64 frames), and the peer's XDP
 * program (counter or bare drop) sees them as it would from a NIC driver.
 * One CPU thus does generator + veth + receiver, synchronously: no frame
 * can be lost on the way (a batch is far below the veth ring's 256), so
 * the counter must count exactly what was sent, and Mpps = 1 / (cost of
 * the whole path). The generator's and veth's share is the same for both
 * receivers, so the ratio is what the counter costs on top of a driver's
 * work. (Receiving on the other vCPU instead, with threaded NAPI, was
 * tried: in this VM the wake-up latency of an idle vCPU overflows the veth
 * ring at any rate, which would measure the hypervisor, not the program.)
 */

#define LIVE_FRAMES (1u << 20)

/* Anything >= ETH_HLEN: the generator resizes and overwrites it. */
static uint8_t seed_frame[64];

struct gen_call {
	struct bench *b;
	uint64_t frames;
	uint32_t batch;
	double seconds;
	uint32_t duration;   /* the kernel's ns per frame */
};

/* In the generator's namespace: ingress_ifindex names its veth end there. */
static int gen_in_ns(void *p)
{
	struct gen_call *c = p;
	struct xdp_md ctx = {
		.data_end = sizeof(seed_frame),   /* the kernel insists on data_end == size */
		.ingress_ifindex = c->b->gen_ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = seed_frame,
		    .data_size_in = sizeof(seed_frame), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = c->frames,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = c->batch);
	double start = bench_now();
	int err = bpf_prog_test_run_opts(bpf_program__fd(c->b->gen->progs.bench_gen), &o);

	c->seconds = bench_now() - start;
	c->duration = o.duration;
	return err ? -errno : 0;
}

int bench_generate(struct bench *b, uint64_t frames, double rate_pps,
		   struct bench_gen_result *r)
{
	struct bench_gen_bpf *g = b->gen;
	/* Paced runs use small batches: the receiver's softirq runs between
	 * batches, and a batch of a slow rate would hold it back for long. */
	struct gen_call c = { .b = b, .frames = frames, .batch = rate_pps > 0 ? 16 : 0 };
	int err;

	g->bss->gen_interval_ns = rate_pps > 0 ? (uint64_t)(1e9 / rate_pps + 0.5) : 0;
	g->bss->gen_next_ns = 0;
	g->bss->gen_sent = 0;
	g->bss->bench_frames = 0;
	g->bss->bench_t1_frames = 0;
	err = bench_in_netns(b->opt.gen_ns, gen_in_ns, &c);
	if (err)
		return err;
	r->sent = g->bss->gen_sent;
	r->seconds = c.seconds;
	/* Flat out, the kernel's figure: its timer stops while the run yields
	 * the CPU to other tasks. Paced, the generator's own clock, which does
	 * not: the rate offered is what a receiver saw, gaps included. */
	if (rate_pps > 0 && g->bss->bench_t1_frames)
		r->ns_per_frame = (double)(g->bss->bench_t1 - g->bss->bench_t0) /
				  g->bss->bench_t1_frames;
	else
		r->ns_per_frame = c.duration;
	return r->sent == frames ? 0 : -EPROTO;
}

/* Counter run from the stream's first frame, so that the classes it must
 * count are known exactly; returns the mismatches in *bad. */
static int counter_run(struct bench *b, int mix, struct bench_gen_result *r, uint64_t *bad,
		       uint64_t *counted)
{
	uint64_t before[DN_CLASS_MAX], after[DN_CLASS_MAX], expect[DN_CLASS_MAX];
	uint64_t rb, ra;
	int err;

	err = bench_use_mix(b, mix);
	err = err ?: bench_counter_totals(b, before, &rb);
	err = err ?: bench_generate(b, LIVE_FRAMES, 0, r);
	err = err ?: bench_counter_totals(b, after, &ra);
	if (err)
		return err;
	bench_expected(&b->mixes[mix], r->sent, expect);
	*counted = ra - rb;
	for (int c = 0; c < DN_CLASS_MAX; c++) {
		uint64_t got = after[c] - before[c];

		*counted += got;
		*bad += got > expect[c] ? got - expect[c] : expect[c] - got;
		if (got != expect[c])
			fprintf(stderr, "bench: mix %s, class %s: counted %" PRIu64
				", sent %" PRIu64 "\n", b->mixes[mix].name,
				names_class(c), got, expect[c]);
	}
	return 0;
}

/* Another program in place of the counter, in the same trial: Mpps and
 * ratio to this trial's bare drop. No exactness check, since a diagnostic
 * build may skip counters. */
static int other_trial(struct bench *b, int fd, double drop_mpps, double *mpps,
		       double *ratio)
{
	struct bench_gen_result r = { .ns_per_frame = 1 };
	int err = bench_attach_rx(b, fd);

	err = err ?: bench_generate(b, LIVE_FRAMES, 0, &r);
	*mpps = 1e3 / r.ns_per_frame;
	*ratio = *mpps / drop_mpps;
	return err;
}

int bench_section_live(struct bench *b)
{
	int drop_fd = bpf_program__fd(b->sink->progs.bench_drop);
	int ctr_fd = bpf_program__fd(b->ctr->progs.darknet_counter), noev_fd;
	struct darknet_counter_bpf *noevents = NULL;
	double install;
	/* three times the trials, a quarter as long as in section 1: short
	 * runs pair up better on a busy host */
	unsigned int n = 3 * b->opt.trials;
	struct bench_gen_result r;
	double d[n], c[n], ratio[n], vm[BENCH_MAX_VARIANTS][n], vr[BENCH_MAX_VARIANTS][n];
	double nm[n], nr[n];
	uint64_t sent, counted, bad, got = 0;
	/* the same counter loaded with --no-events: what the event tables
	 * cost on this path (their own-cost rows are in section 1) */
	int err = bench_load_counter_ev(b, &b->scanners, 0, true, false, &noevents, &install);

	if (err)
		return err;
	noev_fd = bpf_program__fd(noevents->progs.darknet_counter);

	fprintf(b->out,
		"\n2. Throughput into a veth (live-frames generator -> %s -> native XDP on %s\n"
		"   in another namespace; generator, veth and receiver share CPU %d, so Mpps\n"
		"   is the whole path's; median of %u interleaved runs of %u frames)\n",
		b->opt.gen_if, b->opt.rx_if, b->opt.cpu, n, LIVE_FRAMES);
	fprintf(b->out, "  %-8s %10s %13s %7s %7s   %s\n", "mix", "drop Mpps", "counter Mpps",
		"ratio", "target", "counted / sent (every class exact?)");
	for (int i = 0; i < BENCH_NR_MIXES; i++) {
		sent = counted = bad = 0;
		err = bench_use_mix(b, i);
		/* warm-up: page pool, caches */
		err = err ?: bench_attach_rx(b, drop_fd);
		err = err ?: bench_generate(b, LIVE_FRAMES / 4, 0, &r);
		/* every other trial runs the counter first: neither always
		 * follows the other */
		for (unsigned int t = 0; !err && t < n; t++) {
			for (int k = 0; !err && k < 2; k++) {
				if ((k + t) % 2 == 0) {
					err = bench_attach_rx(b, drop_fd);
					err = err ?: bench_generate(b, LIVE_FRAMES, 0, &r);
					d[t] = 1e3 / r.ns_per_frame;
				} else {
					err = bench_attach_rx(b, ctr_fd);
					err = err ?: counter_run(b, i, &r, &bad, &got);
					c[t] = 1e3 / r.ns_per_frame;
					sent += r.sent;
					counted += got;
				}
			}
			ratio[t] = c[t] / d[t];
			err = err ?: other_trial(b, noev_fd, d[t], &nm[t], &nr[t]);
			for (int v = 0; !err && v < b->nr_variants; v++)
				err = other_trial(b, b->variant_fd[v], d[t], &vm[v][t], &vr[v][t]);
		}
		if (err)
			break;
		b->live_ratio[i] = bench_median(ratio, n);
		fprintf(b->out, "  %-8s %10.2f %13.2f %7.2f %7s   %" PRIu64 " / %" PRIu64 " %s\n",
			b->mixes[i].name, bench_median(d, n), bench_median(c, n),
			b->live_ratio[i], i == 0 ? ">=0.8" : i == 1 ? ">=0.6" : "",
			counted, sent,
			counted == sent && !bad ? "ok" : bad ? "CLASS MISMATCH" : "LOST");
		if (i == 0)
			b->live_noevents_ratio = bench_median(nr, n);
		fprintf(b->out, "    --no-events %17.2f %7.2f\n", bench_median(nm, n),
			bench_median(nr, n));
		for (int v = 0; v < b->nr_variants; v++)
			fprintf(b->out, "    variant %-20s %13.2f %7.2f\n", b->opt.variants[v],
				bench_median(vm[v], n), bench_median(vr[v], n));
	}
	bench_attach_rx(b, drop_fd);
	darknet_counter_bpf__destroy(noevents);
	if (err) {
		fprintf(stderr, "bench: live section failed: %s\n", strerror(-err));
		return err;
	}
	/* mixes[2] is single: what no mix of the same program can beat */
	fprintf(b->out, "  ceiling for any mix on this path: the single frame, every line cached and\n"
		"  every branch predicted, reaches %.2fx; --no-events: the same counter without\n"
		"  its event tables, in the same trials (not checked for exactness here)\n",
		b->live_ratio[2]);
	return 0;
}
