/* events_json.c: one event as a JSON object, the line format of the events file and the items of /api/v1/events. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include "events_json.h"

void ev_json_string(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(sb, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_printf(sb, "\\u%04x", *p);
		else
			strbuf_putc(sb, (char)*p);
	}
	strbuf_putc(sb, '"');
}

void ev_rfc3339(double t, char *buf, size_t len)
{
	time_t sec = (time_t)floor(t);
	int ms = (int)((t - floor(t)) * 1000);
	struct tm tm;
	char day[24];

	if (ms > 999)
		ms = 999;
	gmtime_r(&sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, ms);
}

static void kinds_json(struct strbuf *sb, uint32_t kinds)
{
	static const char *const names[] = { "syn-ack", "rst", "icmp-error", "echo-reply",
					     "other" };
	int first = 1;

	strbuf_puts(sb, "[");
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(kinds & (1u << i)))
			continue;
		strbuf_printf(sb, "%s\"%s\"", first ? "" : ",", names[i]);
		first = 0;
	}
	strbuf_puts(sb, "]");
}

void ev_json(struct strbuf *sb, const struct ev_event *ev)
{
	const struct ev_entry *e = &ev->e;
	char addr[INET6_ADDRSTRLEN], t1[40], t2[40], id[160];
	bool scan = e->type == EV_SCAN;

	if (!inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	ev_rfc3339(ev->first_seen, t1, sizeof(t1));
	ev_rfc3339(ev->last_seen, t2, sizeof(t2));
	ev_id(ev, id, sizeof(id));
	strbuf_puts(sb, "{\"id\":");
	ev_json_string(sb, id);
	strbuf_printf(sb, ",\"type\":\"%s\",\"state\":\"%s\",\"iface\":", ev_type_name(e->type),
		      ev->closed ? "closed" : "active");
	ev_json_string(sb, ev->iface);
	strbuf_printf(sb, ",\"%s\":\"%s\",\"family\":\"%s\",\"protocol\":\"%s\"",
		      scan ? "source" : "victim", addr, e->family == AF_INET6 ? "ipv6" : "ipv4",
		      ev_proto_name(ev_proto_of(e->family, e->proto)));
	/* scan: the destination port (ICMP: the type); DoS: the victim's
	 * source port of the first packet */
	strbuf_printf(sb, ",\"ports\":[%u]", e->port);
	strbuf_printf(sb, ",\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"duration_seconds\":%.3f"
		      ",\"packets\":%llu,\"bytes\":%llu,\"distinct_destinations\":%.0f",
		      t1, t2, ev->duration, (unsigned long long)e->packets,
		      (unsigned long long)e->bytes, e->distinct);
	if (scan) {
		strbuf_printf(sb, ",\"coverage\":%.6g,\"estimated_rate\":%.6g,\"size\":\"%s\""
			      ",\"tool\":\"%s\",\"research_org\":", ev->coverage, ev->rate,
			      ev->large ? "large" : "small", ev_tool_name(ev->tool));
		if (ev->org[0])
			ev_json_string(sb, ev->org);
		else
			strbuf_puts(sb, "null");
	} else {
		strbuf_printf(sb, ",\"max_window_packets\":%u,\"kinds\":", e->win_max);
		kinds_json(sb, e->kinds);
	}
	strbuf_puts(sb, "}");
}
