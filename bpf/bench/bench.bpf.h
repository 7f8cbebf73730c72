/* bench.bpf.h: rewrites the frame under test from the bench's packed mix stream (BPF side only). */
#ifndef BENCH_BPF_H
#define BENCH_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "darknet_bench.h"

struct bench_blob {
	__u8 bytes[BENCH_BLOB_SIZE];
};

/* The stream (include/darknet_bench.h); the bench sets max_entries before
 * load to the number of blobs it fills. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_blob);
} mix_blobs SEC(".maps");

/* Blobs in use: a global, not rodata, so one load serves every mix. */
__u32 mix_nr_blobs = 0;   /* 0 until the bench stores a stream */

/* Read position. Plain globals, not per-CPU: the bench pins its thread, so
 * one CPU runs these programs and the cursor needs no atomics. */
__u32 mix_blob = 0;
__u32 mix_off = 0;

/* Timing. The bench zeroes bench_frames before a run; every 256th frame
 * takes a timestamp (a fraction of a ns per frame, the same for every
 * program measured), so ns per frame = (t1 - t0) / t1_frames with none of
 * the syscall's fixed cost and no rounding to whole ns, which
 * BPF_PROG_TEST_RUN's own `duration` has. */
__u64 bench_frames = 0;
__u64 bench_t0 = 0;
__u64 bench_t1 = 0;
__u64 bench_t1_frames = 0;

static __always_inline void bench_stamp(void)
{
	__u64 n = bench_frames++, t;

	if (n & 255)
		return;
	t = bpf_ktime_get_ns();
	if (!n)
		bench_t0 = t;
	bench_t1 = t;
	bench_t1_frames = n;
}

static __always_inline void bench_next_blob(void)
{
	mix_blob = mix_blob + 1 >= mix_nr_blobs ? 0 : mix_blob + 1;
	mix_off = 0;
}

/* The record at the cursor, moving to the next blob when this one is
 * done. No loop: the writer never leaves a blob empty. */
static __always_inline struct bench_rec *bench_cursor(__u8 **blob)
{
	struct bench_rec *r;
	__u32 key, off;

	for (int tries = 0; tries < 2; tries++) {
		if (mix_off > BENCH_REC_LIMIT)
			bench_next_blob();
		key = mix_blob;
		*blob = bpf_map_lookup_elem(&mix_blobs, &key);
		if (!*blob)
			return NULL;
		off = mix_off;
		if (off > BENCH_REC_LIMIT)  /* again, for the verifier */
			return NULL;
		r = (struct bench_rec *)(*blob + off);
		if (r->len)
			return r;
		bench_next_blob();
	}
	return NULL;
}

/* Make the frame in ctx a copy of the next frame of the stream: resize it
 * (the kernel keeps a test frame's length from one repeat to the next) and
 * overwrite it. 0, or -1 if the stream or a helper refused. */
static __always_inline int bench_load_next(struct xdp_md *ctx)
{
	struct bench_rec *r;
	__u8 *blob;
	long cur;
	__u32 len;

	bench_stamp();
	r = bench_cursor(&blob);
	if (!r)
		return -1;
	len = r->len;
	/* bounds the verifier needs for store_bytes' length argument */
	if (len < ETH_HLEN || len > BENCH_FRAME_MAX)
		return -1;
	mix_off += sizeof(*r) + ((len + 7) & ~7u);
	cur = (long)ctx->data_end - (long)ctx->data;
	if (cur != len && bpf_xdp_adjust_tail(ctx, (int)len - (int)cur))
		return -1;
	if (bpf_xdp_store_bytes(ctx, 0, r + 1, len))
		return -1;
	return 0;
}

#endif /* BENCH_BPF_H */
