/* campaign.h: seeded scan campaigns and DoS backscatter episodes on a timeline, with their ground truth. */
#ifndef DN_CAMPAIGN_H
#define DN_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mix.h"

/*
 * A campaign run is a set of actors, each sending on its own schedule over
 * IPv4 darknet addresses:
 * - scanners (one source, one protocol, one destination port) with a known
 *   tool fingerprint, coverage of the darknet and rate, chosen to pass the
 *   scan thresholds by a wide margin (1.5x the distinct destinations, 3x
 *   the estimated Internet-wide rate);
 * - slow scanners that miss them by as much (half the destinations, or a
 *   third of the rate);
 * - DoS victims whose backscatter (SYN-ACK, RST, ICMP errors quoting the
 *   victim, echo replies) reaches the darknet, above the DoS thresholds or
 *   below one of them (packets, duration, or the busiest window).
 * The seed decides everything: the same configuration gives the same
 * frames, times and truth. Frames are built on demand from (actor, index),
 * in any order. docs/campaigns.md describes the actors and the truth;
 * docs/events.md gives the thresholds' sources.
 */

/* Tools a scan is named after (the datapath's fingerprints, classify.bpf.h). */
enum campaign_tool {
	CAMPAIGN_ZMAP,        /* IP ID 54321 */
	CAMPAIGN_MASSCAN,     /* IP ID == (daddr ^ dport ^ seq) & 0xffff */
	CAMPAIGN_MIRAI,       /* TCP seq == destination address */
	CAMPAIGN_RESEARCH,    /* source in the scanner list */
	CAMPAIGN_UNKNOWN,     /* none of these on any packet */
	CAMPAIGN_TOOLS,
};

/* Why an actor must give no event ("" when it must give one). */
enum campaign_reason {
	CAMPAIGN_KEPT,
	CAMPAIGN_FEW_DESTINATIONS,   /* scan: distinct destinations below the minimum */
	CAMPAIGN_SLOW,               /* scan: estimated rate below the minimum */
	CAMPAIGN_FEW_PACKETS,        /* DoS: packets below the minimum */
	CAMPAIGN_SHORT,              /* DoS: duration below the minimum */
	CAMPAIGN_LOW_PEAK,           /* DoS: busiest window below the minimum */
};

/* Backscatter kinds, bits of campaign_truth.kinds (as the datapath's). */
#define CAMPAIGN_KIND_SYNACK     (1u << 0)
#define CAMPAIGN_KIND_RST        (1u << 1)
#define CAMPAIGN_KIND_ICMP_ERROR (1u << 2)
#define CAMPAIGN_KIND_ECHO_REPLY (1u << 3)

/* Thresholds the actors are designed against; the daemon under test must
 * run with the same ones. campaign_config_defaults() sets the daemon's
 * defaults (docs/events.md). */
struct campaign_thresholds {
	uint32_t scan_min_destinations;
	double scan_min_rate;          /* estimated Internet-wide packets/s */
	uint32_t dos_min_packets;
	double dos_min_duration_s;
	double dos_window_s;
	uint32_t dos_min_window_packets;
};

struct campaign_config {
	uint64_t seed;
	const struct dn_prefix_list *darknets;  /* IPv4 entries are used; NULL: the lab's */
	const struct dn_prefix_list *scanners;  /* research sources; NULL: no research tool */
	uint32_t scanners_n, slow_n;            /* scanners above and below the thresholds */
	uint32_t victims_n, weak_n;             /* DoS victims above and below */
	double duration_s;        /* every actor starts and ends within it */
	double max_gap_s;         /* no actor is silent longer (under the idle timeouts) */
	double max_pps;           /* cap on one scanner's send rate */
	struct campaign_thresholds th;
};

/* One actor's expected event, or why there must be none. */
struct campaign_truth {
	uint8_t is_dos;           /* 0: scan, keyed by source; 1: DoS, keyed by victim */
	uint8_t reason;           /* enum campaign_reason */
	uint8_t tool;             /* enum campaign_tool (scans) */
	uint8_t proto;            /* scan: its protocol; DoS: the attack's */
	uint16_t port;            /* scan: TCP/UDP port or ICMP type; DoS: the victim's port */
	uint8_t addr[16];         /* source or victim, network order, IPv4 in the first 4 */
	const char *org;          /* research org, else NULL */
	uint32_t kinds;           /* DoS: CAMPAIGN_KIND_* bits sent */
	uint32_t destinations;    /* distinct darknet addresses sent to */
	uint64_t packets, bytes;
	uint64_t first_ns, last_ns;   /* offsets from the run's start */
	double coverage;          /* destinations / darknet IPv4 addresses */
	double est_rate;          /* packets * 2^32 / darknet size / duration */
	uint32_t peak;            /* DoS: most packets in a window (tumbling, from the first) */
};

struct campaign_pkt {
	uint64_t t_ns;            /* offset from the run's start */
	uint32_t actor, idx;
};

struct campaign_actor;        /* campaign.c */

struct campaign_state {
	struct mix_state base;    /* lists, address drawing, PRNG */
	struct campaign_config cfg;
	uint64_t darknet_size;    /* IPv4 darknet addresses */
	struct campaign_actor *actors;
	struct campaign_truth *truth;
	size_t nr_actors;
	struct campaign_pkt *sched;   /* every packet, by time */
	size_t nr_pkts, next;
	struct mix_frame_info info;   /* the last frame built */
};

void campaign_config_defaults(struct campaign_config *cfg);
/* Parse "key=value,..." (keys: scanners slow victims weak duration gap pps
 * scan-min-destinations scan-min-rate dos-min-packets dos-min-duration
 * dos-window dos-min-window-packets) over cfg. 0 or -EINVAL with err. */
int campaign_config_parse(struct campaign_config *cfg, const char *spec, char *err,
			  size_t errlen);

/* Plan the actors and the schedule. 0, -EINVAL with a reason in err (no
 * IPv4 darknet, thresholds that cannot be met within duration_s and
 * max_gap_s), or -ENOMEM. */
int campaign_init(struct campaign_state *st, const struct campaign_config *cfg, char *err,
		  size_t errlen);
void campaign_free(struct campaign_state *st);

/* Build scheduled packet i into buf (FRAME_MAX bytes); st->info describes
 * it. Returns the length or a negative errno. */
int campaign_frame(struct campaign_state *st, size_t i, uint8_t *buf);
/* The next packet in time order: its length, 0 when all were made. */
int campaign_next(struct campaign_state *st, uint8_t *buf, uint64_t *t_ns);

const char *campaign_tool_name(unsigned int tool);
const char *campaign_reason_name(unsigned int reason);

/* The truth as a JSON document or TSV (header line first). 0 or -errno. */
int campaign_truth_write_json(const struct campaign_state *st, FILE *out);
int campaign_truth_write_tsv(const struct campaign_state *st, FILE *out);
/* By the path's suffix: ".tsv" TSV, anything else JSON. 0 or -errno with err. */
int campaign_truth_save(const struct campaign_state *st, const char *path, char *err,
			size_t errlen);

#endif
