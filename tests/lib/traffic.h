/* traffic.h: test traffic (darknet-trafgen runs, hand-made frames) and the counters it must produce. */
#ifndef DN_TEST_TRAFFIC_H
#define DN_TEST_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>
#include "netfix.h"
#include "proc.h"

/* One "series FAMILY PROTO CLASS PACKETS BYTES" line of darknet-trafgen. */
struct tgen_series {
	char family[8], proto[8], cls[16];
	uint64_t packets, bytes;
};

/* One "sources FAMILY CLASS N" (kind 's') or "port_sources PROTO PORT N"
 * (kind 'p', b holding the port) line: the --sources truth. */
struct tgen_distinct {
	char kind, a[8], b[16];
	uint64_t n;
};

struct tgen_result {
	int status;                /* exit code */
	uint64_t packets, bytes;   /* the "sent" line */
	struct tgen_series *s;
	size_t n;
	struct tgen_distinct *d;
	size_t nd;
	char *err;                 /* its stderr */
};

/* darknet-trafgen --netns f->ns_inet --iface f->if_inet --mix MIX --count N
 * --seed SEED -q [--scanners PATH]. 0 when it ran and its output parsed. */
int tgen_run(const struct netfix *f, const char *mix, uint64_t count, uint64_t seed,
	     const char *scanners, struct tgen_result *r);
/* Same, paced with --rate PPS (0: as fast as possible); a run may then take
 * count / rate seconds, up to the 60 s every run is allowed. */
int tgen_run_rate(const struct netfix *f, const char *mix, uint64_t count, uint64_t seed,
		  const char *scanners, unsigned int rate, struct tgen_result *r);
/* Same, with --sources N: r->d then holds the distinct sources sent. */
int tgen_run_sources(const struct netfix *f, const char *mix, uint64_t count, uint64_t seed,
		     const char *scanners, uint64_t sources, struct tgen_result *r);
/* Distinct sources of (family, class) and of (proto, port); 0 if absent. */
uint64_t tgen_sources(const struct tgen_result *r, const char *family, const char *cls);
uint64_t tgen_port_sources(const struct tgen_result *r, const char *proto, unsigned int port);
/* Traffic until stopped: darknet-trafgen as tgen_run_rate() runs it but
 * without --count, for at most max_s seconds (--duration; 0: no bound).
 * tgen_stop() ends it with SIGTERM (what it sent is then in r, as for a
 * run of that count) and tells whether it was still running by then. */
int tgen_start(const struct netfix *f, const char *mix, uint64_t seed, const char *scanners,
	       unsigned int rate, double max_s, struct e2e_child *c);
int tgen_stop(struct e2e_child *c, int *was_running, struct tgen_result *r);
void tgen_free(struct tgen_result *r);
/* A finished darknet-trafgen run (its status and output) into r; frees run.
 * 0, or -1 when it failed or its output did not parse. */
int tgen_result_of(struct e2e_run *run, struct tgen_result *r);
/* tgen_run() for when only "all n sent" matters: 0, or -1 with the reason
 * (exit status and stderr, or how many were sent) in err. */
int tgen_send(const struct netfix *f, const char *mix, uint64_t n, uint64_t seed,
	      const char *scanners, char *err, size_t errlen);
/* Packets of the series (family, proto, class); 0 if absent. */
uint64_t tgen_packets(const struct tgen_result *r, const char *family, const char *proto,
		      const char *cls);

/* Frames of our own, sent from the inet side: an AF_PACKET socket made in
 * f->ns_inet and bound to f->if_inet (-errno on error). */
int inject_open(const struct netfix *f);
/* Send one frame n times; 0 or -errno. */
int inject_send(int fd, const void *frame, size_t len, int n);

/* Expected series: (metric name, label spec as promx takes it) -> value. */
struct expect_item {
	char name[64];
	char labels[256];
	double value;
};

struct expect {
	struct expect_item *v;
	size_t n, cap;
};

void expect_add(struct expect *x, const char *name, const char *labels, double delta);
double expect_get(const struct expect *x, const char *name, const char *labels);
void expect_free(struct expect *x);

/*
 * What the first `count` frames of a mix (as darknet-trafgen sends them with
 * the same seed and scanner list) must add to the counters of a daemon on
 * interface iface whose darknet list is `darknets` (NULL-terminated CIDRs):
 * darknet_packets_total, darknet_bytes_total, darknet_port_packets_total
 * (every port its own series, as with --watch-ports), darknet_icmp_packets_total,
 * darknet_prefix_packets_total, darknet_scanner_packets_total, and
 * darknet_passed_packets_total{reason="not_darknet"} for frames whose
 * destination is outside the list. 0, or -1 with a reason in err.
 */
int expect_mix(struct expect *x, const char *iface, const char *mix, uint64_t seed,
	       uint64_t count, const char *scanners, const char *const darknets[],
	       char *err, size_t errlen);

/* Destination ports of the first `count` frames of a mix, comma-separated
 * (for --watch-ports), into buf. */
int expect_mix_ports(const char *mix, uint64_t seed, uint64_t count, const char *scanners,
		     char *buf, size_t len);

/* Frames with a transport header among the first `count` frames of a mix,
 * by destination port, for IP protocol ipproto (6 or 17), all classes:
 * counts[port] += frames (counts holds 65536 entries). Cheap enough for a
 * few hundred thousand frames, unlike expect_mix(). 0, or -1 with a reason
 * in err. */
int expect_mix_port_counts(const char *mix, uint64_t seed, uint64_t count,
			   const char *scanners, unsigned int ipproto, uint64_t *counts,
			   char *err, size_t errlen);

#endif
