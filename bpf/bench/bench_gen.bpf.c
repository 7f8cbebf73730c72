/* bench_gen.bpf.c: live-frames traffic generator (BPF_F_TEST_XDP_LIVE_FRAMES) replaying a mix stream. */
#include "bench.bpf.h"

/* Run with BPF_F_TEST_XDP_LIVE_FRAMES and ingress_ifindex = one end of a
 * veth, XDP_TX sends each frame out of that end for real, so the program
 * on the other end (counter, bare drop, or pass to libpcap) receives it as
 * from a NIC. The bench reads and writes these globals through the
 * skeleton's mmapped .bss between runs; one pinned CPU runs the program,
 * so plain increments are exact. */
__u64 gen_interval_ns = 0;  /* 0: as fast as possible, else one frame per interval */
__u64 gen_next_ns = 0;      /* when the next frame is due */
__u64 gen_sent = 0;         /* frames returned as XDP_TX */

/* Catch up at most this many intervals after falling behind (an interrupt,
 * our own softirq work): a longer burst would overflow the receiving veth's
 * 256-frame ring and turn a pacing hiccup into loss we would blame on the
 * receiver. */
#define GEN_MAX_LAG 32

static long gen_wait_cb(__u32 i, void *data)
{
	return bpf_ktime_get_ns() >= gen_next_ns;  /* 1 ends bpf_loop */
}

/* Busy-wait in the program rather than drop frames until it is time: each
 * run then sends exactly one frame, so repeat = the number of frames. */
static __always_inline void gen_pace(void)
{
	__u64 now = bpf_ktime_get_ns();

	if (now < gen_next_ns)
		bpf_loop(1 << 23, gen_wait_cb, NULL, 0);
	else if (now - gen_next_ns > GEN_MAX_LAG * gen_interval_ns)
		gen_next_ns = now;
	gen_next_ns += gen_interval_ns;
}

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	if (bench_load_next(ctx))
		return XDP_ABORTED;
	if (gen_interval_ns)
		gen_pace();
	gen_sent++;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
