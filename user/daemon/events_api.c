/* events_api.c: GET /api/v1/events?type=scan|dos&state=active|closed&limit=N: active and last closed events as JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "events_api.h"
#include "events_json.h"
#include "exporter.h"

int ev_query_parse(const char *type, const char *state, const char *limit,
		   struct ev_query *q, char *err, size_t errlen)
{
	*q = (struct ev_query){ .type = -1, .state = -1, .limit = EV_API_LIMIT_DEFAULT };
	if (type && !strcmp(type, "scan"))
		q->type = EV_SCAN;
	else if (type && !strcmp(type, "dos"))
		q->type = EV_DOS;
	else if (type) {
		snprintf(err, errlen, "type must be scan or dos");
		return -EINVAL;
	}
	if (state && !strcmp(state, "active"))
		q->state = 0;
	else if (state && !strcmp(state, "closed"))
		q->state = 1;
	else if (state) {
		snprintf(err, errlen, "state must be active or closed");
		return -EINVAL;
	}
	if (limit) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(limit, &end, 10);
		if (errno || end == limit || *end || limit[0] == '-' || limit[0] == '+' ||
		    v < 1 || v > EV_API_LIMIT_MAX) {
			snprintf(err, errlen, "limit must be a number in 1..%d", EV_API_LIMIT_MAX);
			return -EINVAL;
		}
		q->limit = v;
	}
	return 0;
}

static bool wanted(const struct ev_event *e, const struct ev_query *q)
{
	return q->type < 0 || (int)e->e.type == q->type;
}

void ev_api_render(struct strbuf *sb, struct events *ev, const struct ev_query *q)
{
	unsigned int n = 0;

	pthread_mutex_lock(&ev->lock);
	strbuf_printf(sb, "{\"active_total\":%zu,\"closed_kept\":%zu,\"events\":[",
		      ev->active_total, ev->ring_len);
	for (size_t i = 0; q->state != 1 && i < ev->active_len && n < q->limit; i++) {
		if (!wanted(&ev->active[i], q))
			continue;
		if (n++)
			strbuf_putc(sb, ',');
		ev_json(sb, &ev->active[i]);
	}
	for (size_t k = ev->ring_len; q->state != 0 && k > 0 && n < q->limit; k--) {
		const struct ev_event *e = &ev->ring[(ev->ring_head + k - 1) % ev->ring_cap];

		if (!wanted(e, q))
			continue;
		if (n++)
			strbuf_putc(sb, ',');
		ev_json(sb, e);
	}
	pthread_mutex_unlock(&ev->lock);
	strbuf_puts(sb, "]}\n");
}

int exporter_events(void *ctx, const char *(*arg)(void *req, const char *name), void *req,
		    char **body, size_t *len, unsigned int *status)
{
	struct exporter *ex = ctx;
	struct strbuf sb = STRBUF_INIT;
	struct ev_query q;
	char why[128];

	*status = 200;
	if (!ex->events.on) {
		*status = 404;
		strbuf_puts(&sb, "{\"error\":\"events are off (--no-events)\"}\n");
	} else if (ev_query_parse(arg(req, "type"), arg(req, "state"), arg(req, "limit"), &q,
				  why, sizeof(why))) {
		*status = 400;
		strbuf_puts(&sb, "{\"error\":");
		ev_json_string(&sb, why);
		strbuf_puts(&sb, "}\n");
	} else {
		ev_api_render(&sb, &ex->events, &q);
	}
	if (sb.err) {
		int err = sb.err;

		strbuf_free(&sb);
		return err;
	}
	*body = sb.buf;
	*len = sb.len;
	return 0;
}
