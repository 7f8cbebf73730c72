/* http_body.h: rendered bodies shared among the responses in flight, so slow readers cannot multiply them. */
#ifndef DN_HTTP_BODY_H
#define DN_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include "http.h"

struct MHD_Response;
struct http_bodies;

/* One slot per endpoint and encoding: a body is shared within its slot. */
#define HTTP_BODY_SLOTS 8

int http_bodies_create(size_t budget, struct http_bodies **out);
/* After the HTTP server has stopped: no response holds a body then. */
void http_bodies_destroy(struct http_bodies *b);
/* A response for endpoint (below HTTP_BODY_SLOTS / 2): the latest body
 * rendered for it when the bodies in flight are over the budget (and the
 * latest is fresh, or they are over 4 budgets), else a new one from fn,
 * gzipped when gzip is set (*gzipped says whether it is). NULL with *err
 * (-errno) when fn fails or memory runs out. */
struct MHD_Response *http_bodies_response(struct http_bodies *b, unsigned int endpoint,
					  http_body_fn fn, void *ctx, bool gzip,
					  bool *gzipped, int *err);
void http_bodies_stats(struct http_bodies *b, size_t *nr, size_t *bytes);

#endif
