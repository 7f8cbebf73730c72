/* http_guard.h: an absolute deadline for request headers, and room kept free for scrapers. */
#ifndef DN_HTTP_GUARD_H
#define DN_HTTP_GUARD_H

/*
 * libmicrohttpd's connection timeout is an idle timeout: a client sending a
 * header byte every few seconds holds its connection for ever, and enough
 * of them hold every connection the server has. The guard follows each
 * connection from its start (or the end of its last request) to the moment
 * its request's headers are complete, and shuts the socket down when that
 * takes longer than the deadline; libmicrohttpd then sees the peer gone and
 * closes the connection itself. When connections in use pass the high-water
 * mark, connections still waiting for their headers after a grace time are
 * shut down oldest first, so a scraper that sends its request at once finds
 * a free slot (docs/hardening.md).
 */

struct http_guard;
struct http_guard_conn;

struct http_guard_opts {
	unsigned int header_deadline_ms;
	unsigned int high_water;     /* connections; 0: no early shutdowns */
	unsigned int grace_ms;       /* a waiting connection younger is kept */
};

/* 0 and the guard (its watcher thread running), or -errno. */
int http_guard_create(const struct http_guard_opts *o, struct http_guard **g);
void http_guard_destroy(struct http_guard *g);

/* A connection on socket fd started: its tracking record (NULL when out of
 * memory: the connection is then only under the idle timeout). */
struct http_guard_conn *http_guard_started(struct http_guard *g, int fd);
/* Its request's headers are complete / the request was answered and the
 * next one's deadline starts / it is closed (the record is freed). Each
 * takes NULL. */
void http_guard_request(struct http_guard *g, struct http_guard_conn *c);
void http_guard_completed(struct http_guard *g, struct http_guard_conn *c);
void http_guard_closed(struct http_guard *g, struct http_guard_conn *c);

/* Connections shut down so far: past the deadline, and under pressure. */
void http_guard_stats(struct http_guard *g, unsigned long *deadline, unsigned long *pressure);

#endif
