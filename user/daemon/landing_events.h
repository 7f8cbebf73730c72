/* landing_events.h: the landing page's event cards: active scans, DoS victims, last closed events. */
#ifndef DN_LANDING_EVENTS_H
#define DN_LANDING_EVENTS_H

#include "events.h"
#include "strbuf.h"

/* Rows per card: the page is a summary; /api/v1/events has the rest. */
#define LANDING_EVENT_ROWS 10

/* Append the three cards (nothing with --no-events); reads under ev->lock. */
void landing_events_render(struct strbuf *sb, struct events *ev);

#endif
