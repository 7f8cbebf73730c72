/* events_judge.c: judges closed scan and DoS entries against the thresholds of docs/events.md, names the tool, sizes the scan. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "darknet_counter.h"
#include "events_judge.h"

void ev_thresholds_default(struct ev_thresholds *t)
{
	*t = (struct ev_thresholds){
		.scan_idle_s = EV_SCAN_IDLE_DEFAULT,
		.dos_idle_s = EV_DOS_IDLE_DEFAULT,
		.scan_min_dst = EV_SCAN_MIN_DST_DEFAULT,
		.scan_min_rate = EV_SCAN_MIN_RATE_DEFAULT,
		.dos_min_packets = EV_DOS_MIN_PACKETS_DEFAULT,
		.dos_min_duration_s = EV_DOS_MIN_DURATION_DEFAULT,
		.dos_min_window = EV_DOS_MIN_WINDOW_DEFAULT,
	};
}

int ev_thresholds_check(const struct ev_thresholds *t, char *err, size_t errlen)
{
	/* An idle timeout of 0 would close every entry at its first sweep;
	 * a threshold of 0 would keep every source as an event. */
	if (t->scan_idle_s < 1 || t->scan_idle_s > EV_IDLE_MAX)
		snprintf(err, errlen, "--scan-idle-timeout must be 1..%d seconds, not %u",
			 EV_IDLE_MAX, t->scan_idle_s);
	else if (t->dos_idle_s < 1 || t->dos_idle_s > EV_IDLE_MAX)
		snprintf(err, errlen, "--dos-idle-timeout must be 1..%d seconds, not %u",
			 EV_IDLE_MAX, t->dos_idle_s);
	else if (t->scan_min_dst < 1 || t->scan_min_dst > EV_SCAN_MIN_DST_MAX)
		snprintf(err, errlen, "--scan-min-destinations must be 1..%d, not %u",
			 EV_SCAN_MIN_DST_MAX, t->scan_min_dst);
	else if (!(t->scan_min_rate >= 0 && t->scan_min_rate <= EV_SCAN_MIN_RATE_MAX))
		snprintf(err, errlen, "--scan-min-rate must be 0..%g packets/s, not %g",
			 EV_SCAN_MIN_RATE_MAX, t->scan_min_rate);
	else if (t->dos_min_packets < 1 || t->dos_min_packets > EV_DOS_MIN_PACKETS_MAX)
		snprintf(err, errlen, "--dos-min-packets must be 1..%u, not %u",
			 EV_DOS_MIN_PACKETS_MAX, t->dos_min_packets);
	else if (t->dos_min_duration_s > EV_DOS_MIN_DURATION_MAX)
		snprintf(err, errlen, "--dos-min-duration must be 0..%d seconds, not %u",
			 EV_DOS_MIN_DURATION_MAX, t->dos_min_duration_s);
	else if (t->dos_min_window < 1 || t->dos_min_window > EV_DOS_MIN_WINDOW_MAX)
		snprintf(err, errlen, "--dos-min-window-packets must be 1..%u, not %u",
			 EV_DOS_MIN_WINDOW_MAX, t->dos_min_window);
	else
		return 0;
	return -EINVAL;
}

double ev_linear_count(unsigned int set, unsigned int nbits, unsigned int shift)
{
	unsigned int zero;

	if (!nbits || !set)
		return 0;
	zero = set >= nbits ? 1 : nbits - set;
	return ldexp(-(double)nbits * log((double)zero / nbits), (int)shift);
}

enum ev_tool ev_tool_of(uint32_t classes)
{
	switch (classes) {
	case 1u << DN_CLASS_ZMAP: return EV_TOOL_ZMAP;
	case 1u << DN_CLASS_MASSCAN: return EV_TOOL_MASSCAN;
	case 1u << DN_CLASS_MIRAI: return EV_TOOL_MIRAI;
	case 1u << DN_CLASS_RESEARCH: return EV_TOOL_RESEARCH;
	default: return EV_TOOL_UNKNOWN;
	}
}

const char *ev_tool_name(enum ev_tool t)
{
	static const char *const names[EV_TOOL_MAX] = {
		"zmap", "masscan", "mirai", "research", "unknown",
	};

	return t < EV_TOOL_MAX ? names[t] : "unknown";
}

enum ev_proto ev_proto_of(uint8_t family, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return EV_PROTO_TCP;
	case IPPROTO_UDP: return EV_PROTO_UDP;
	case IPPROTO_ICMP: return family == AF_INET6 ? EV_PROTO_OTHER : EV_PROTO_ICMP;
	case IPPROTO_ICMPV6: return EV_PROTO_ICMPV6;
	default: return EV_PROTO_OTHER;
	}
}

const char *ev_proto_name(enum ev_proto p)
{
	static const char *const names[EV_PROTO_MAX] = {
		"tcp", "udp", "icmp", "icmpv6", "other",
	};

	return p < EV_PROTO_MAX ? names[p] : "other";
}

const char *ev_type_name(enum ev_type t)
{
	return t == EV_DOS ? "dos" : "scan";
}

void ev_describe(struct ev_event *ev, const struct ev_entry *entry, double boot_offset,
		 double darknet_v4)
{
	uint64_t span = entry->last_ns > entry->first_ns ? entry->last_ns - entry->first_ns : 0;
	/* A burst inside one second is rated over one second: a rate over
	 * a shorter span says more about clock granularity than the scan. */
	double rate_span = span < 1000000000ull ? 1.0 : span / 1e9;

	memset(ev, 0, sizeof(*ev));
	ev->e = *entry;
	ev->first_seen = entry->first_ns / 1e9 + boot_offset;
	ev->last_seen = entry->last_ns / 1e9 + boot_offset;
	ev->duration = span / 1e9;
	ev->tool = EV_TOOL_UNKNOWN;
	if (entry->type != EV_SCAN)
		return;
	ev->tool = ev_tool_of(entry->classes);
	/* Coverage and the Internet-wide rate scale by the IPv4 darknet
	 * (Merit ORION's DarknetFactor = 2^32 / darknet size); IPv6 has no
	 * such scale, so an IPv6 scan is judged on destinations alone. */
	if (entry->family != AF_INET || darknet_v4 <= 0)
		return;
	ev->coverage = entry->distinct / darknet_v4;
	if (ev->coverage > 1)
		ev->coverage = 1;
	ev->rate = entry->packets * 4294967296.0 / darknet_v4 / rate_span;
	ev->large = ev->coverage >= EV_SMALL_COVERAGE;
}

bool ev_keep(const struct ev_event *ev, const struct ev_thresholds *t)
{
	if (ev->e.type == EV_DOS)
		return ev->e.packets >= t->dos_min_packets &&
		       ev->duration >= t->dos_min_duration_s &&
		       ev->e.win_max >= t->dos_min_window;
	/* the estimate rounds: 99.6 counts as 100 distinct destinations */
	if (llround(ev->e.distinct) < (long long)t->scan_min_dst)
		return false;
	if (ev->e.family != AF_INET)
		return true;
	return ev->rate >= t->scan_min_rate;
}

bool ev_idle(const struct ev_entry *entry, uint64_t now_ns, const struct ev_thresholds *t)
{
	uint64_t idle = (uint64_t)(entry->type == EV_DOS ? t->dos_idle_s : t->scan_idle_s) *
			1000000000ull;

	/* last_ns may be a little ahead of now_ns: another CPU stamped it
	 * after now was read */
	return now_ns > entry->last_ns && now_ns - entry->last_ns > idle;
}

int ev_id(const struct ev_event *ev, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (!inet_ntop(ev->e.family == AF_INET6 ? AF_INET6 : AF_INET, ev->e.addr, addr,
		       sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	n = snprintf(buf, len, "%s/%s/%s/%u/%u/%llu", ev_type_name(ev->e.type), ev->iface,
		     addr, ev->e.proto, ev->e.port, (unsigned long long)ev->e.first_ns);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
