/* http.h: the metrics HTTP server (libmicrohttpd) with its hardening limits. */
#ifndef DN_HTTP_H
#define DN_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* Produce a body: malloc'd into *body (the server frees it). 0 or -errno. */
typedef int (*http_body_fn)(void *ctx, char **body, size_t *len);
/* Produce a body that depends on the query: arg(req, name) gives a query
 * argument (NULL if absent). 0 with *status and a malloc'd body, or -errno. */
typedef int (*http_query_fn)(void *ctx, const char *(*arg)(void *req, const char *name),
			     void *req, char **body, size_t *len, unsigned int *status);
/* Decide whether a request may proceed: 0 yes, else the HTTP status to send
 * (401 with a challenge, 429). user/pass are NULL when none were given;
 * peer is the client's address (NULL if unknown). */
struct sockaddr;
typedef int (*http_auth_fn)(void *ctx, const char *user, const char *pass,
			    const struct sockaddr *peer);

/* exporter-toolkit's client_auth_type, in order of strictness. */
enum http_client_auth {
	HTTP_CLIENT_CERT_NONE,             /* NoClientCert */
	HTTP_CLIENT_CERT_REQUEST,          /* RequestClientCert: asked, not checked */
	HTTP_CLIENT_CERT_REQUIRE_ANY,      /* RequireAnyClientCert: any certificate */
	HTTP_CLIENT_CERT_VERIFY_IF_GIVEN,  /* VerifyClientCertIfGiven */
	HTTP_CLIENT_CERT_REQUIRE_VERIFY,   /* RequireAndVerifyClientCert */
};

struct http_options {
	const char *telemetry_path;
	http_body_fn metrics;          /* text/plain; version=0.0.4 */
	http_body_fn landing;          /* text/html for "/" */
	http_body_fn sketches;         /* application/json for /api/v1/sketches */
	http_query_fn events;          /* application/json for /api/v1/events */
	void *ctx;
	http_auth_fn auth;             /* NULL: no authentication */
	void *auth_ctx;                /* passed to auth */
	/* TLS: the PEM texts must stay valid until http_stop(). */
	const char *tls_cert_pem;      /* NULL: plain HTTP */
	const char *tls_key_pem;
	const char *tls_client_ca_pem; /* trusted CAs for client certificates */
	enum http_client_auth tls_client_auth; /* verifying ones need the CA */
	const char *tls_priorities;    /* GnuTLS priority string (min/max_version) */
	unsigned int timeout_sec;      /* idle connection timeout */
	unsigned int header_deadline_sec; /* whole request headers (http_guard.h) */
	unsigned int max_connections;
	unsigned int max_per_ip;
	size_t max_request_bytes;
	size_t body_budget;            /* bytes of bodies in flight before sharing */
};

#define HTTP_THREADS 4
#define HTTP_DEFAULT_TIMEOUT 10
#define HTTP_DEFAULT_MAX_CONNECTIONS 512
#define HTTP_DEFAULT_MAX_PER_IP 64
#define HTTP_DEFAULT_MAX_REQUEST 32768
/* The limits are explained in docs/hardening.md. */
#define HTTP_DEFAULT_HEADER_DEADLINE 10
#define HTTP_RESERVE 128
#define HTTP_PRESSURE_GRACE_MS 1000
/* Past this many bytes of bodies held by responses in flight, a request
 * gets the latest body of its endpoint if it is at most 1 s old (or
 * whatever its age past 4 budgets) instead of a new one. */
#define HTTP_BODY_BUDGET (32u << 20)
#define HTTP_BODY_MAX_AGE_MS 1000

struct http_server;

/* Bind and listen on "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses).
 * Done apart from starting the server so that the socket belongs to the
 * namespace the daemon started in. 0 or -errno with the reason in err. */
int http_listen(const char *address, int *fd, char *err, size_t errlen);
/* Serve on listen_fd (from http_listen) in libmicrohttpd's threads. 0 and
 * the server in *srv, or -errno with a one-line reason naming the address
 * in err. */
int http_start(int listen_fd, const struct http_options *opts, struct http_server **srv,
	       char *err, size_t errlen);
void http_stop(struct http_server *srv);
/* Bodies held by responses in flight and their bytes (self-monitoring). */
void http_body_stats(struct http_server *srv, size_t *nr, size_t *bytes);

/* gzip-compress in into a malloc'd *out. 0 or -errno. */
int http_gzip(const char *in, size_t len, char **out, size_t *outlen);
/* Whether an Accept-Encoding value allows gzip: "gzip" (or "x-gzip") with
 * a weight above 0, or else "*" with a weight above 0 (RFC 9110 12.5.3). */
bool http_accepts_gzip(const char *accept_encoding);

#endif
