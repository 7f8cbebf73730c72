/* sketch_api.h: GET /api/v1/sketches: the registers of every source sketch and window, for merging sensors (`darknet-counter union`). */
#ifndef DN_SKETCH_API_H
#define DN_SKETCH_API_H

#include <stddef.h>
#include "distinct.h"
#include "strbuf.h"

#define SKETCH_API_PATH "/api/v1/sketches"

/* The document of user/lib/sketch_json.h for d at Unix time now: per
 * interface, each (family, class) sketch and their union (family and class
 * "all") in each window. Sketches that are empty are left out (an absent
 * sketch merges as an empty one); --no-distinct gives an empty list. */
void sketch_api_render(struct strbuf *sb, const struct distinct *d, double now);

/* http_body_fn: ctx is the struct exporter; renders under its lock. */
int exporter_sketches(void *ctx, char **body, size_t *len);

#endif
