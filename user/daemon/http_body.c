/* http_body.c: rendered bodies shared among the responses in flight, so slow readers cannot multiply them. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <microhttpd.h>
#include "http_body.h"

/* One rendered body, immutable once made; freed when its last response
 * is destroyed (libmicrohttpd destroys a response once its connection is
 * done with it, however slowly the client reads). */
struct http_body {
	struct http_bodies *owner;
	unsigned int slot;
	unsigned int refs;        /* responses holding it; under owner->lock */
	long long rendered_ms;    /* CLOCK_MONOTONIC */
	bool gzip;
	char *data;
	size_t len;
};

struct http_bodies {
	pthread_mutex_t lock;
	/* The newest body of each slot while a response holds it (cleared
	 * when it is freed: a body no one reads is not kept). */
	struct http_body *latest[HTTP_BODY_SLOTS];
	size_t budget;
	size_t nr, bytes;         /* bodies alive, their bytes */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int http_bodies_create(size_t budget, struct http_bodies **out)
{
	struct http_bodies *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	b->budget = budget ?: HTTP_BODY_BUDGET;
	*out = b;
	return 0;
}

void http_bodies_destroy(struct http_bodies *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

void http_bodies_stats(struct http_bodies *b, size_t *nr, size_t *bytes)
{
	pthread_mutex_lock(&b->lock);
	*nr = b->nr;
	*bytes = b->bytes;
	pthread_mutex_unlock(&b->lock);
}

static void body_release(void *cls)
{
	struct http_body *body = cls;
	struct http_bodies *b = body->owner;
	bool last;

	pthread_mutex_lock(&b->lock);
	last = !--body->refs;
	if (last) {
		if (b->latest[body->slot] == body)
			b->latest[body->slot] = NULL;
		b->nr--;
		b->bytes -= body->len;
	}
	pthread_mutex_unlock(&b->lock);
	if (last) {
		free(body->data);
		free(body);
	}
}

/* The latest body of slot, with a reference, if one may be shared: only
 * under memory pressure, so that a scrape normally reads fresh counters. */
static struct http_body *shared_body(struct http_bodies *b, unsigned int slot)
{
	struct http_body *body;

	pthread_mutex_lock(&b->lock);
	body = b->latest[slot];
	if (body && b->bytes > b->budget &&
	    (now_ms() - body->rendered_ms <= HTTP_BODY_MAX_AGE_MS || b->bytes > 4 * b->budget))
		body->refs++;
	else
		body = NULL;
	pthread_mutex_unlock(&b->lock);
	return body;
}

static int render(struct http_bodies *b, unsigned int endpoint, http_body_fn fn,
		  void *ctx, bool gzip, struct http_body **out)
{
	struct http_body *body = calloc(1, sizeof(*body));
	char *gz;
	size_t gzlen;
	int ret;

	if (!body)
		return -ENOMEM;
	ret = fn(ctx, &body->data, &body->len);
	if (ret) {
		free(body);
		return ret;
	}
	if (gzip && !http_gzip(body->data, body->len, &gz, &gzlen)) {
		free(body->data);
		body->data = gz;
		body->len = gzlen;
		body->gzip = true;
	}
	body->owner = b;
	body->slot = 2 * endpoint + body->gzip;
	body->refs = 1;
	body->rendered_ms = now_ms();
	pthread_mutex_lock(&b->lock);
	b->latest[body->slot] = body;   /* an older one lives on in its responses */
	b->nr++;
	b->bytes += body->len;
	pthread_mutex_unlock(&b->lock);
	*out = body;
	return 0;
}

struct MHD_Response *http_bodies_response(struct http_bodies *b, unsigned int endpoint,
					  http_body_fn fn, void *ctx, bool gzip,
					  bool *gzipped, int *err)
{
	struct http_body *body = shared_body(b, 2 * endpoint + gzip);
	struct MHD_Response *r;

	*err = body ? 0 : render(b, endpoint, fn, ctx, gzip, &body);
	if (*err)
		return NULL;
	*gzipped = body->gzip;
	r = MHD_create_response_from_buffer_with_free_callback_cls(body->len, body->data,
								   body_release, body);
	if (!r) {
		body_release(body);
		*err = -ENOMEM;
	}
	return r;
}
