/* events_json.h: one event as a JSON object, the line format of the events file and the items of /api/v1/events. */
#ifndef DN_EVENTS_JSON_H
#define DN_EVENTS_JSON_H

#include "events_judge.h"
#include "strbuf.h"

/* Append ev as one JSON object (no newline). Fields: docs/events.md. */
void ev_json(struct strbuf *sb, const struct ev_event *ev);
/* Append s as a JSON string, quotes included (RFC 8259 escapes). */
void ev_json_string(struct strbuf *sb, const char *s);
/* Unix time t as RFC 3339 UTC with milliseconds into buf (>= 32 bytes). */
void ev_rfc3339(double t, char *buf, size_t len);

#endif
