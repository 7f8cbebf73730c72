/* evtruth.h: campaign runs of darknet-trafgen, their truth file, and the daemon's events to match against it. */
#ifndef DN_TEST_EVTRUTH_H
#define DN_TEST_EVTRUTH_H

#include <stddef.h>
#include <stdint.h>
#include "netfix.h"
#include "proc.h"
#include "traffic.h"

/* One line of a --truth TSV file: an actor and the event it must give. */
struct evt_truth {
	char type[8];          /* scan, dos */
	int expect;            /* 1: exactly one event; 0: none */
	char reason[24];       /* why none */
	char addr[48];         /* source (scan) or victim (dos) */
	char proto[8];         /* tcp, udp, icmp */
	unsigned int port;
	char tool[16];         /* scan: zmap masscan mirai research unknown */
	char org[64];          /* "-" for none */
	uint64_t packets, bytes;
	unsigned int destinations;
	double first_s, last_s;  /* offsets from the run's start */
};

/* One event of the daemon (an events file line or an /api/v1/events item). */
struct evt_event {
	char type[8], state[8], addr[48], proto[8], tool[16], org[64];
	unsigned int port;
	uint64_t packets, bytes;
	double distinct;
};

/* Read a truth TSV file. 0, or -1 with a reason in err. Free *rows. */
int evt_load_truth(const char *path, struct evt_truth **rows, size_t *n, char *err,
		   size_t errlen);

/* Every event object (one starting `{"id":`) of text: NDJSON lines or an
 * API body. 0 or -1 (out of memory). Free *evs. */
int evt_parse_events(const char *text, struct evt_event **evs, size_t *n);

/* Events of the given type whose source/victim is addr. */
size_t evt_count(const struct evt_event *evs, size_t n, const char *type, const char *addr);

/* Compare the events with the truth: one event per expected actor with its
 * type, address, protocol, port, tool, org and
 * packets; no event for the others; nothing else. with_packets = 0 skips
 * the packet counts (for runs sent more than once). 0, or -1 with every
 * mismatch in err. */
int evt_match(const struct evt_truth *rows, size_t nrows, const struct evt_event *evs,
	      size_t nevs, char *err, size_t errlen);

/* darknet-trafgen --mix campaign --campaign SPEC --seed SEED --truth TRUTH
 * [--scanners PATH] from f->ns_inet; spawn it (it paces itself). */
int tgen_campaign_start(const struct netfix *f, const char *spec, uint64_t seed,
			const char *scanners, const char *truth, struct e2e_child *c);
/* Wait for it (up to timeout_ms) and parse what it sent into r. */
int tgen_campaign_wait(struct e2e_child *c, int timeout_ms, struct tgen_result *r);

#endif
