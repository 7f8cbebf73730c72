/* events_api.h: GET /api/v1/events?type=scan|dos&state=active|closed&limit=N: active and last closed events as JSON. */
#ifndef DN_EVENTS_API_H
#define DN_EVENTS_API_H

#include <stddef.h>
#include "events.h"
#include "strbuf.h"

#define EVENTS_API_PATH "/api/v1/events"
#define EV_API_LIMIT_DEFAULT 100
#define EV_API_LIMIT_MAX 10000

struct ev_query {
	int type;              /* enum ev_type, or -1 for both */
	int state;             /* 0 active, 1 closed, -1 both */
	unsigned int limit;
};

/* Parse the arguments (NULL: absent). 0, or -EINVAL with a one-line reason
 * naming the argument in err. */
int ev_query_parse(const char *type, const char *state, const char *limit,
		   struct ev_query *q, char *err, size_t errlen);
/* {"active_total":N,"closed_kept":N,"events":[...]}: active events first
 * (as of the last sweep), then closed ones newest first, limit in all. */
void ev_api_render(struct strbuf *sb, struct events *ev, const struct ev_query *q);

/* http_query_fn (http.h): ctx is the struct exporter. */
int exporter_events(void *ctx, const char *(*arg)(void *req, const char *name), void *req,
		    char **body, size_t *len, unsigned int *status);

#endif
