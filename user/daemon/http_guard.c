/* http_guard.c: an absolute deadline for request headers, and room kept free for scrapers. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include "http_guard.h"

struct http_guard_conn {
	struct http_guard_conn *prev, *next;   /* oldest first */
	int fd;
	long long since_ms;    /* start, or end of the last request */
	bool busy;             /* headers complete, being answered */
	bool cut;              /* shut down already */
};

struct http_guard {
	struct http_guard_opts o;
	pthread_mutex_t lock;  /* the list, counts, stop */
	pthread_cond_t wake;
	pthread_t watcher;
	struct http_guard_conn *head, *tail;
	unsigned int nr;       /* connections not yet shut down */
	unsigned long cut_deadline, cut_pressure;
	bool stop;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* Call with the lock held. The record stays until the connection's close
 * notification: until then libmicrohttpd has not closed fd, so it cannot
 * be another connection's socket. */
static void cut(struct http_guard *g, struct http_guard_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->cut = true;
	g->nr--;
}

static void unlink_conn(struct http_guard *g, struct http_guard_conn *c)
{
	*(c->prev ? &c->prev->next : &g->head) = c->next;
	*(c->next ? &c->next->prev : &g->tail) = c->prev;
	c->prev = c->next = NULL;
}

static void append_conn(struct http_guard *g, struct http_guard_conn *c)
{
	c->prev = g->tail;
	*(g->tail ? &g->tail->next : &g->head) = c;
	g->tail = c;
}

/* Call with the lock held: every waiting connection past the deadline, then
 * (over the high-water mark) the oldest waiting ones past the grace time. */
static void sweep(struct http_guard *g, long long now)
{
	for (struct http_guard_conn *c = g->head; c; c = c->next) {
		if (c->cut || c->busy)
			continue;
		if (now - c->since_ms >= g->o.header_deadline_ms) {
			cut(g, c);
			g->cut_deadline++;
		} else if (g->o.high_water && g->nr > g->o.high_water &&
			   now - c->since_ms >= g->o.grace_ms) {
			cut(g, c);
			g->cut_pressure++;
		}
	}
}

static void *watch(void *arg)
{
	struct http_guard *g = arg;
	struct timespec ts;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		sweep(g, now_ms());
		/* a quarter of a second: deadlines hold to that */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 250 * 1000000l;
		if (ts.tv_nsec >= 1000000000l) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000l;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int http_guard_create(const struct http_guard_opts *o, struct http_guard **out)
{
	struct http_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	int ret;

	if (!g)
		return -ENOMEM;
	g->o = *o;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&g->watcher, NULL, watch, g);
	if (ret) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return ret;
	}
	*out = g;
	return 0;
}

/* After libmicrohttpd has stopped: every connection is closed by then. */
void http_guard_destroy(struct http_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->watcher, NULL);
	while (g->head) {
		struct http_guard_conn *c = g->head;

		unlink_conn(g, c);
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

struct http_guard_conn *http_guard_started(struct http_guard *g, int fd)
{
	struct http_guard_conn *c = calloc(1, sizeof(*c));
	long long now = now_ms();

	if (!c)
		return NULL;
	c->fd = fd;
	c->since_ms = now;
	pthread_mutex_lock(&g->lock);
	append_conn(g, c);
	g->nr++;
	/* at once, not at the next sweep: the slot is wanted now */
	if (g->o.high_water && g->nr > g->o.high_water)
		sweep(g, now);
	pthread_mutex_unlock(&g->lock);
	return c;
}

void http_guard_request(struct http_guard *g, struct http_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->busy = true;
	pthread_mutex_unlock(&g->lock);
}

void http_guard_completed(struct http_guard *g, struct http_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->busy = false;
	c->since_ms = now_ms();   /* a kept-alive connection's next request */
	/* to the end: the list stays in order of since_ms */
	unlink_conn(g, c);
	append_conn(g, c);
	pthread_mutex_unlock(&g->lock);
}

void http_guard_closed(struct http_guard *g, struct http_guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(g, c);
	if (!c->cut)
		g->nr--;
	pthread_mutex_unlock(&g->lock);
	free(c);
}

void http_guard_stats(struct http_guard *g, unsigned long *deadline, unsigned long *pressure)
{
	pthread_mutex_lock(&g->lock);
	*deadline = g->cut_deadline;
	*pressure = g->cut_pressure;
	pthread_mutex_unlock(&g->lock);
}
