/* trafgen.h: darknet-trafgen's configuration and run state, shared by trafgen.c and trafgen_send.c. */
#ifndef DN_TRAFGEN_H
#define DN_TRAFGEN_H

/* struct mmsghdr needs _GNU_SOURCE, defined by both includers first. */
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include "campaign.h"
#include "mix.h"
#include "mix_sources.h"

#define PROG "darknet-trafgen"
#define BATCH 64                /* frames per sendmmsg() */

struct tg_config {
	const char *netns, *iface, *mix;
	const char *scanners[16];
	int nr_scanners;
	struct dn_prefix_list darknets;
	uint64_t rate, count, seed;
	uint64_t sources;           /* --sources: 0 for none */
	double duration;
	int quiet;
	int campaign;               /* --mix campaign: actors on a timeline */
	struct campaign_config camp;
	const char *truth;          /* --truth: where the campaign's truth goes */
};

/* Frames built but not yet accepted by the kernel: msgs[head..tail). */
struct tg_batch {
	uint8_t frames[BATCH][FRAME_MAX];
	struct mix_frame_info info[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	int head, tail;
};

struct tg_run {
	int fd;
	struct mix_state mix;
	struct campaign_state camp; /* with campaign set, instead of mix */
	int campaign;
	struct tg_batch batch;
	struct mix_tally tally;
	struct mix_distinct distinct;   /* with --sources only */
	int track;                  /* 1: count distinct sources into distinct */
	uint64_t start_ns;
};

/* Set by SIGINT/SIGTERM: the send loop stops at its next turn. */
extern volatile sig_atomic_t tg_stop;

/* Enter cfg->netns (if any), open an AF_PACKET socket bound to cfg->iface
 * there, and come back. Returns the fd or a negative errno (reported). */
int tg_open_socket(const struct tg_config *cfg);
/* Send until --count, --duration or tg_stop; 0 or a negative errno. */
int tg_send_loop(const struct tg_config *cfg, struct tg_run *r);
/* What was sent, in the format --help describes, on stdout. */
void tg_print_summary(const struct tg_run *r);

#endif
