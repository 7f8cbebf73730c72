/* campaign_actor.h: a campaign actor's plan, shared by campaign.c, campaign_frame.c and campaign_truth.c only. */
#ifndef DN_CAMPAIGN_ACTOR_H
#define DN_CAMPAIGN_ACTOR_H

#include <stdint.h>
#include "campaign.h"

struct campaign_actor {
	uint8_t is_dos, reason, tool, proto;
	uint16_t port;             /* scan: destination port (ICMP: type); DoS: victim's port */
	uint8_t src[16];           /* scanner or victim */
	uint8_t router[16];        /* DoS: source of ICMP errors sent for the victim */
	uint32_t dests, probes, packets;
	uint64_t walk_a, walk_b;   /* destination j: darknet index (a * j + b) mod size */
	uint64_t start_ns, gap_ns;
	uint64_t seed;             /* per-packet draws: from (seed, index), in any order */
};

/* Build packet idx of actor a into buf; *kind gets its CAMPAIGN_KIND_* bit
 * (0 for a scan). Returns the length or a negative errno. */
int campaign_build(struct campaign_state *st, size_t actor, uint32_t idx, uint8_t *buf,
		   uint32_t *kind);
/* Fill st->truth from the plan (every frame is built once, for bytes). */
int campaign_truth_fill(struct campaign_state *st, char *err, size_t errlen);

#endif
