/* distinct_feed.bpf.c: rewrites one 32-bit word of the test frame per repeat, then tail-calls the counter (distinct-count tests). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The distinct-count datapath tests need millions of frames that differ in
 * one address; one BPF_PROG_TEST_RUN with repeat = N runs this program N
 * times on the same frame, and each run writes feed_base + ((i *
 * feed_mult) & feed_mask) at byte feed_off (network byte order, i = run
 * number), then tail-calls the counter in slot 0 of `target`. With an odd
 * feed_mult, i -> (i * feed_mult) & feed_mask is a permutation, so N runs
 * with N <= feed_mask + 1 give N distinct words. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

__u32 feed_off = 0;
__u32 feed_base = 0;
__u32 feed_mult = 0;   /* set by the test, odd */
__u32 feed_mask = 0;
__u64 feed_i = 0;

SEC("xdp")
int distinct_feed(struct xdp_md *ctx)
{
	__u32 v = feed_base + (((__u32)feed_i * feed_mult) & feed_mask);

	feed_i++;
	v = bpf_htonl(v);
	if (bpf_xdp_store_bytes(ctx, feed_off & 0xff, &v, sizeof(v)))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
