/* bench_harness.bpf.c: replays a table of mix frames under BPF_PROG_TEST_RUN, one per repeat. */
#include "bench.bpf.h"

/* BPF_PROG_TEST_RUN with repeat = R runs a program R times on one frame.
 * A port counter costs what its cache misses cost, and one repeated frame
 * never misses; so this program, run under TEST_RUN instead of the program
 * being measured, turns each repeat into the next frame of a pre-generated
 * mix and then tail-calls the program under test (the counter, or bare
 * XDP_DROP) from slot 0 of `target`. The bench measures harness+drop and
 * harness+counter in the same run; the difference is what the counter
 * itself costs, and the harness share (copy, resize, tail call) cancels. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp")
int bench_harness(struct xdp_md *ctx)
{
	if (bench_load_next(ctx))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;  /* nothing in slot 0: the bench reports it */
}

char LICENSE[] SEC("license") = "GPL";
