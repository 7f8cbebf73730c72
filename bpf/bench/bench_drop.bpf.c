/* bench_drop.bpf.c: the physical limit (bare XDP_DROP) and a bare XDP_PASS for the bench. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* What an XDP program costs at the least: the benchmark's denominator. */
SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/* For the libpcap peer: a veth only takes XDP frames from its peer when an
 * XDP program is attached, so the peer's side runs this and lets every
 * frame go up the stack to AF_PACKET. */
SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
