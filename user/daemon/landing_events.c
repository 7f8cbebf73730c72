/* landing_events.c: the landing page's event cards: active scans, DoS victims, last closed events. */
#include <arpa/inet.h>
#include <stdio.h>
#include "events_api.h"
#include "events_json.h"
#include "landing_events.h"

static void put_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_puts(sb, "&amp;"); break;
		case '<': strbuf_puts(sb, "&lt;"); break;
		case '>': strbuf_puts(sb, "&gt;"); break;
		case '"': strbuf_puts(sb, "&quot;"); break;
		case '\'': strbuf_puts(sb, "&#39;"); break;
		default: strbuf_putc(sb, *s);
		}
	}
}

static void cell_addr(struct strbuf *sb, const struct ev_event *e)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(e->e.family, e->e.addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	strbuf_printf(sb, "<td>%s</td><td>", addr);
	put_text(sb, e->iface);
	strbuf_printf(sb, "</td><td>%s/%u</td>", ev_proto_name(ev_proto_of(e->e.family, e->e.proto)),
		      e->e.port);
}

static void cell_time(struct strbuf *sb, double t)
{
	char buf[40];

	ev_rfc3339(t, buf, sizeof(buf));
	strbuf_printf(sb, "<td>%s</td>", buf);
}

static void scan_row(struct strbuf *sb, const struct ev_event *e)
{
	strbuf_puts(sb, "<tr>");
	cell_addr(sb, e);
	strbuf_printf(sb, "<td>%s", ev_tool_name(e->tool));
	if (e->org[0]) {
		strbuf_puts(sb, " (");
		put_text(sb, e->org);
		strbuf_puts(sb, ")");
	}
	strbuf_printf(sb, "</td><td>%llu</td><td>%.0f</td><td>%.1f %%</td><td>%.3g</td>",
		      (unsigned long long)e->e.packets, e->e.distinct, 100 * e->coverage, e->rate);
	cell_time(sb, e->first_seen);
	strbuf_puts(sb, "</tr>\n");
}

static void dos_row(struct strbuf *sb, const struct ev_event *e)
{
	strbuf_puts(sb, "<tr>");
	cell_addr(sb, e);
	strbuf_printf(sb, "<td>%llu</td><td>%u</td><td>%.0f</td>",
		      (unsigned long long)e->e.packets, e->e.win_max, e->e.distinct);
	cell_time(sb, e->first_seen);
	strbuf_puts(sb, "</tr>\n");
}

static void active_card(struct strbuf *sb, const struct events *ev, enum ev_type type)
{
	int n = 0;

	if (type == EV_SCAN)
		strbuf_puts(sb, "<section class=\"card\"><h2>Active scans</h2><table>\n<tr>"
			    "<th>Source</th><th>Interface</th><th>Port</th><th>Tool</th>"
			    "<th>Packets</th><th>Destinations</th><th>Coverage</th>"
			    "<th>Internet-wide pps</th><th>Since</th></tr>\n");
	else
		strbuf_puts(sb, "<section class=\"card\"><h2>DoS victims</h2><table>\n<tr>"
			    "<th>Victim</th><th>Interface</th><th>Port</th><th>Packets</th>"
			    "<th>Most in a window</th><th>Spoofed spread</th><th>Since</th>"
			    "</tr>\n");
	for (size_t i = 0; i < ev->active_len && n < LANDING_EVENT_ROWS; i++) {
		if (ev->active[i].e.type != type)
			continue;
		n++;
		if (type == EV_SCAN)
			scan_row(sb, &ev->active[i]);
		else
			dos_row(sb, &ev->active[i]);
	}
	strbuf_printf(sb, "</table>%s</section>\n", n ? "" : "<p class=\"note\">None now.</p>");
}

static void closed_card(struct strbuf *sb, const struct events *ev)
{
	int n = 0;

	strbuf_puts(sb, "<section class=\"card\"><h2>Last closed events</h2><table>\n<tr>"
		    "<th>Type</th><th>Source or victim</th><th>Interface</th><th>Port</th>"
		    "<th>Tool</th><th>Packets</th><th>First seen</th><th>Last seen</th></tr>\n");
	for (size_t k = ev->ring_len; k > 0 && n < LANDING_EVENT_ROWS; k--, n++) {
		const struct ev_event *e = &ev->ring[(ev->ring_head + k - 1) % ev->ring_cap];

		strbuf_printf(sb, "<tr><td>%s</td>", e->e.type == EV_SCAN ? "scan" : "DoS");
		cell_addr(sb, e);
		strbuf_printf(sb, "<td>%s</td><td>%llu</td>",
			      e->e.type == EV_SCAN ? ev_tool_name(e->tool) : "",
			      (unsigned long long)e->e.packets);
		cell_time(sb, e->first_seen);
		cell_time(sb, e->last_seen);
		strbuf_puts(sb, "</tr>\n");
	}
	strbuf_printf(sb, "</table><p class=\"note\">%s<a href=\"" EVENTS_API_PATH "\">"
		      EVENTS_API_PATH "</a> lists them all as JSON.</p></section>\n",
		      n ? "" : "None closed since the daemon started. ");
}

void landing_events_render(struct strbuf *sb, struct events *ev)
{
	if (!ev->on)
		return;
	pthread_mutex_lock(&ev->lock);
	active_card(sb, ev, EV_SCAN);
	active_card(sb, ev, EV_DOS);
	closed_card(sb, ev);
	pthread_mutex_unlock(&ev->lock);
}
