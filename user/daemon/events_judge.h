/* events_judge.h: judges closed scan and DoS entries against the thresholds of docs/events.md, names the tool, sizes the scan. */
#ifndef DN_EVENTS_JUDGE_H
#define DN_EVENTS_JUDGE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults and ranges: docs/events.md, Thresholds. */
#define EV_SCAN_IDLE_DEFAULT 480          /* s, Durumeric et al. 2014 */
#define EV_DOS_IDLE_DEFAULT 300           /* s, Corsaro's dos vector timeout */
#define EV_SCAN_MIN_DST_DEFAULT 100       /* distinct destinations */
#define EV_SCAN_MIN_RATE_DEFAULT 10.0     /* packets/s Internet-wide */
#define EV_DOS_MIN_PACKETS_DEFAULT 25
#define EV_DOS_MIN_DURATION_DEFAULT 60    /* s */
#define EV_DOS_MIN_WINDOW_DEFAULT 30      /* packets in one window */
#define EV_SMALL_COVERAGE 0.10            /* Merit ORION: small scans < 10 % */

#define EV_IDLE_MAX 86400
#define EV_SCAN_MIN_DST_MAX 65536
#define EV_SCAN_MIN_RATE_MAX 1e9
#define EV_DOS_MIN_PACKETS_MAX 1000000000u
#define EV_DOS_MIN_DURATION_MAX 86400
#define EV_DOS_MIN_WINDOW_MAX 1000000000u

enum ev_type { EV_SCAN, EV_DOS, EV_TYPE_MAX };

/* The tool label of a scan: a bounded set (metric label). */
enum ev_tool { EV_TOOL_ZMAP, EV_TOOL_MASSCAN, EV_TOOL_MIRAI, EV_TOOL_RESEARCH,
	       EV_TOOL_UNKNOWN, EV_TOOL_MAX };

/* Which protocol label an event has (metric label). */
enum ev_proto { EV_PROTO_TCP, EV_PROTO_UDP, EV_PROTO_ICMP, EV_PROTO_ICMPV6,
		EV_PROTO_OTHER, EV_PROTO_MAX };

/* DoS kinds (dos victim kinds bits, include/darknet_events.h order). */
#define EV_KIND_SYNACK (1u << 0)
#define EV_KIND_RST (1u << 1)
#define EV_KIND_ICMP_ERR (1u << 2)
#define EV_KIND_ECHO_REPLY (1u << 3)
#define EV_KIND_OTHER (1u << 4)

struct ev_thresholds {
	unsigned int scan_idle_s;
	unsigned int dos_idle_s;
	unsigned int scan_min_dst;
	double scan_min_rate;
	unsigned int dos_min_packets;
	unsigned int dos_min_duration_s;
	unsigned int dos_min_window;      /* packets in the busiest window */
};

/* One table entry as the judge sees it, converted from the map's value
 * (times already on CLOCK_BOOTTIME ns, as the datapath stamps them). */
struct ev_entry {
	enum ev_type type;
	uint8_t addr[16];      /* network order; IPv4 in the first four bytes */
	uint8_t family;        /* AF_INET or AF_INET6 */
	uint8_t proto;         /* IPPROTO_* */
	uint16_t port;         /* scan: destination port (ICMP: type); DoS: victim's port */
	uint64_t first_ns, last_ns;
	uint64_t packets, bytes;
	double distinct;       /* estimated distinct destinations (DoS: spoofed spread) */
	uint32_t classes;      /* scan: OR of 1 << class */
	uint32_t org;          /* scan: research org id of the last packet */
	uint32_t kinds;        /* DoS: EV_KIND_* */
	uint32_t win_max;      /* DoS: most packets in one window */
};

/* An event as written, listed and counted. */
struct ev_event {
	struct ev_entry e;
	char iface[IF_NAMESIZE];
	bool closed;
	double first_seen, last_seen;     /* Unix time */
	double duration;                  /* s */
	double coverage;                  /* scan: distinct / darknet IPv4 addresses */
	double rate;                      /* scan: estimated Internet-wide packets/s */
	bool large;                       /* scan: coverage >= EV_SMALL_COVERAGE */
	enum ev_tool tool;
	char org[32];                     /* research org name, "" if none */
};

/* Default thresholds. */
void ev_thresholds_default(struct ev_thresholds *t);
/* 0 if every threshold is in range, else -EINVAL naming the flag in err. */
int ev_thresholds_check(const struct ev_thresholds *t, char *err, size_t errlen);

/* Linear counting (Whang et al. 1990) over a bitmap of nbits bits of which
 * `set` are set, destinations sampled 1 in 2^shift: the estimated distinct
 * count. A full bitmap gives the count of a bitmap with one bit clear (a
 * lower bound, not infinity). */
double ev_linear_count(unsigned int set, unsigned int nbits, unsigned int shift);

/* The tool from the classes seen: one class bit set names it (ZMap,
 * Masscan, Mirai, research), anything else is unknown. */
enum ev_tool ev_tool_of(uint32_t classes);
const char *ev_tool_name(enum ev_tool t);
enum ev_proto ev_proto_of(uint8_t family, uint8_t proto);
const char *ev_proto_name(enum ev_proto p);
const char *ev_type_name(enum ev_type t);

/* Fill ev from entry: times (boot_offset = CLOCK_REALTIME - CLOCK_BOOTTIME
 * in s), duration, coverage and rate over darknet_v4 IPv4 darknet
 * addresses (0: none known, coverage and rate 0), tool. */
void ev_describe(struct ev_event *ev, const struct ev_entry *entry, double boot_offset,
		 double darknet_v4);
/* Whether a described event passes the thresholds (docs/events.md). */
bool ev_keep(const struct ev_event *ev, const struct ev_thresholds *t);
/* Whether an entry last seen at last_ns is idle at now_ns. */
bool ev_idle(const struct ev_entry *entry, uint64_t now_ns, const struct ev_thresholds *t);

/* The event's id: "type/iface/address/proto/port/first_ns", unique over
 * the life of the pinned tables. 0 or -ENOSPC. */
int ev_id(const struct ev_event *ev, char *buf, size_t len);

#endif
