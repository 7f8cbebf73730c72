/* darknet_counter.bpf.c: XDP program that counts darknet packets by protocol, port and source class. */
#include "parsing.bpf.h"
#include "maps.bpf.h"
#include "lookup.bpf.h"
#include "classify.bpf.h"
#include "count.bpf.h"
#include "events.bpf.h"
#include "geo.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Verdict for counted darknet packets (XDP_DROP, or XDP_PASS with --action
 * pass); fixed at load, so the verifier sees a constant. */
const volatile __u32 dn_action = XDP_DROP;

/* The five steps a frame goes through, top to bottom. Every frame lands in
 * exactly one place: the counters of a darknet packet, or a reason counter
 * (why it passed uncounted). L4 is parsed only for darknet packets. */
SEC("xdp")
int darknet_counter(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct pkt p = { .len = c.end - c.pos };
	__u32 reason, cls, prefix, org = 0, src;

	/* 1. parse Ethernet, VLANs, IPv4/IPv6 */
	reason = parse_l3(&c, &p);
	if (reason != DN_PARSE_OK)
		return pass(reason, p.len);
	/* 2. is the destination in the darknet? then parse L4 */
	if (darknet_prefix(&p, &prefix) != DN_LOOKUP_HIT)
		return pass(DN_REASON_NOT_DARKNET, p.len);
	reason = parse_l4(&c, &p);
	if (reason != DN_PARSE_OK)
		return pass(reason, p.len);
	/* 3. classify the source */
	cls = classify(&p, &org);
	/* 4. count, then the source's country and AS (nothing with geo off),
	 * then the scan and victim tables (never the other way: the counters
	 * do not depend on them) */
	src = count_packet(&p, prefix, cls, org);
	geo_packet(&p, cls, src);
	events_packet(ctx, cls, org);
	/* 5. verdict */
	return dn_action;
}
