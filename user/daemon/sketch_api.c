/* sketch_api.c: GET /api/v1/sketches: the registers of every source sketch and window, for merging sensors (`darknet-counter union`). */
#include <errno.h>
#include <stdlib.h>
#include "exporter.h"
#include "names.h"
#include "sketch_json.h"
#include "sketch_api.h"

void sketch_api_render(struct strbuf *sb, const struct distinct *d, double now)
{
	struct dn_sketch *s = malloc(sizeof(*s));
	int first = 1;

	if (!s) {
		sb->err = sb->err ?: -ENOMEM;
		return;
	}
	sketch_json_begin(sb, now, d->interval);
	for (int i = 0; i < d->nr; i++)
		/* the class slots, then their union (the port and destination
		 * slots lie in between) */
		for (unsigned int n = 0; n <= DN_SKETCH_CLASS_SLOTS; n++) {
			bool all = n == DN_SKETCH_CLASS_SLOTS;
			unsigned int slot = all ? DN_SKETCH_ALL : n;

			for (int w = 0; w < DWIN_MAX; w++) {
				if (!distinct_window(d, i, slot, w, s) || sketch_empty(s))
					continue;
				sketch_json_add(sb, first, d->ifaces[i].name,
						all ? "all" : names_family(slot / DN_CLASS_MAX),
						all ? "all" : names_class(slot % DN_CLASS_MAX),
						dwin_name(w), s);
				first = 0;
			}
		}
	sketch_json_end(sb);
	free(s);
}

int exporter_sketches(void *ctx, char **body, size_t *len)
{
	struct exporter *ex = ctx;
	struct strbuf sb = STRBUF_INIT;

	pthread_mutex_lock(&ex->lock);
	sketch_api_render(&sb, &ex->distinct, exporter_now());
	pthread_mutex_unlock(&ex->lock);
	if (sb.err) {
		int err = sb.err;

		strbuf_free(&sb);
		return err;
	}
	*body = sb.buf;
	*len = sb.len;
	return 0;
}
