/* http.c: the metrics HTTP server (libmicrohttpd) with its hardening limits. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include "log.h"
#include "http.h"
#include "http_guard.h"
#include "http_body.h"

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_options opts;
	struct http_guard *guard;   /* header deadline, free slots */
	struct http_bodies *bodies; /* shared by the responses in flight */
	/* libmicrohttpd's last message: the reason when it will not start.
	 * Its threads log too, hence the lock. */
	pthread_mutex_t log_lock;
	char last_log[256];
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int status,
				 const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text),
		(void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool wants_gzip(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);

	return ae && http_accepts_gzip(ae);
}

/* Endpoints with a rendered body, their slots in srv->bodies. */
enum { BODY_METRICS, BODY_SKETCHES, BODY_LANDING };

static enum MHD_Result send_body(struct http_server *srv, struct MHD_Connection *conn,
				 unsigned int endpoint, http_body_fn fn, const char *type)
{
	struct MHD_Response *r;
	bool gzip;
	enum MHD_Result ret;
	int err;

	r = http_bodies_response(srv->bodies, endpoint, fn, srv->opts.ctx, wants_gzip(conn),
				 &gzip, &err);
	if (!r)
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "failed to read the counters; see the daemon's log\n");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *query_arg(void *req, const char *name)
{
	return MHD_lookup_connection_value(req, MHD_GET_ARGUMENT_KIND, name);
}

/* A body made for this request alone: not shared (it depends on the query). */
static enum MHD_Result send_query(struct http_server *srv, struct MHD_Connection *conn,
				  http_query_fn fn)
{
	struct MHD_Response *r;
	unsigned int status;
	enum MHD_Result ret;
	char *body = NULL;
	size_t len = 0;

	if (fn(srv->opts.ctx, query_arg, conn, &body, &len, &status))
		return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "failed to render the events; see the daemon's log\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

void http_body_stats(struct http_server *srv, size_t *nr, size_t *bytes)
{
	http_bodies_stats(srv->bodies, nr, bytes);
}

static enum MHD_Result check_auth(struct http_server *srv, struct MHD_Connection *conn,
				  bool *denied)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char *pass = NULL, *user;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int status;

	*denied = false;
	if (!srv->opts.auth)
		return MHD_YES;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	status = srv->opts.auth(srv->opts.auth_ctx, user, pass, ci ? ci->client_addr : NULL);
	MHD_free(user);
	if (pass)
		explicit_bzero(pass, strlen(pass));   /* MHD_free does not wipe */
	MHD_free(pass);
	if (!status)
		return MHD_YES;
	*denied = true;
	if (status == MHD_HTTP_TOO_MANY_REQUESTS) {
		r = MHD_create_response_from_buffer(strlen("Too Many Requests\n"),
			"Too Many Requests\n", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
		ret = MHD_queue_response(conn, status, r);
		MHD_destroy_response(r);
		return ret;
	}
	r = MHD_create_response_from_buffer(strlen("Unauthorized\n"), "Unauthorized\n",
					    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_basic_auth_fail_response(conn, "darknet-counter", r);
	MHD_destroy_response(r);
	return ret;
}

/* Client certificates, as exporter-toolkit's client_auth_type. libmicrohttpd
 * only knows "request one when a CA is set", so each connection gets its
 * GnuTLS request level before its handshake (tls_notify), and a verifying
 * type checks the chain inside the handshake (tls_verify): a bad certificate
 * fails the handshake as it does with Go's crypto/tls. handle() checks again
 * on every request, so a resumed or renegotiated session cannot skip it. */
static gnutls_session_t conn_session(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	return ci ? ci->tls_session : NULL;
}

static bool client_auth_requires(enum http_client_auth a)
{
	return a == HTTP_CLIENT_CERT_REQUIRE_ANY || a == HTTP_CLIENT_CERT_REQUIRE_VERIFY;
}

static bool client_auth_verifies(enum http_client_auth a)
{
	return a == HTTP_CLIENT_CERT_VERIFY_IF_GIVEN || a == HTTP_CLIENT_CERT_REQUIRE_VERIFY;
}

static bool has_peer_cert(gnutls_session_t s)
{
	unsigned int n = 0;

	return gnutls_certificate_get_peers(s, &n) && n > 0;
}

/* 0 when the peer's chain leads to a trusted CA and may be used for TLS
 * client authentication (extended key usage, as Go checks), else -EACCES. */
static int verify_client_chain(gnutls_session_t s)
{
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	unsigned int status = 0;

	if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0 || status)
		return -EACCES;
	return 0;
}

static int tls_verify(gnutls_session_t s)
{
	/* none sent: GNUTLS_CERT_REQUIRE has already failed the handshake
	 * when one was needed */
	if (!has_peer_cert(s))
		return 0;
	return verify_client_chain(s) ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

static void tls_notify(const struct http_server *srv, struct MHD_Connection *conn)
{
	enum http_client_auth a = srv->opts.tls_client_auth;
	gnutls_session_t s;

	if (a == HTTP_CLIENT_CERT_NONE)
		return;
	s = conn_session(conn);
	if (!s)
		return;
	gnutls_certificate_server_set_request(s, client_auth_requires(a) ?
					      GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
	if (client_auth_verifies(a))
		gnutls_session_set_verify_function(s, tls_verify);
}

static struct http_guard_conn *guard_conn(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Each connection is followed by the guard from start to close. */
static void conn_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_closed(srv->guard, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	*socket_ctx = ci ? http_guard_started(srv->guard, ci->connect_fd) : NULL;
	tls_notify(srv, conn);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;

	(void)con_cls;
	(void)toe;
	http_guard_completed(srv->guard, guard_conn(conn));
}

/* 0 when this request's connection satisfies client_auth_type. */
static int check_client_cert(const struct http_server *srv, struct MHD_Connection *conn)
{
	enum http_client_auth a = srv->opts.tls_client_auth;
	gnutls_session_t s;

	if (!srv->opts.tls_cert_pem || a == HTTP_CLIENT_CERT_NONE ||
	    a == HTTP_CLIENT_CERT_REQUEST)
		return 0;
	s = conn_session(conn);
	if (!s)
		return -EACCES;
	if (!has_peer_cert(s))
		return client_auth_requires(a) ? -EACCES : 0;
	return client_auth_verifies(a) ? verify_client_chain(s) : 0;
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	(void)value;
	*(int *)cls += !strcasecmp(key, MHD_HTTP_HEADER_HOST);
	return MHD_YES;
}

/* RFC 9112 section 3.2: 400 for an HTTP/1.1 request without a Host header,
 * and for any request with more than one. */
static bool host_ok(struct MHD_Connection *conn, const char *version)
{
	int n = 0;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_host, &n);
	return n == 1 || (n == 0 && strcmp(version, MHD_HTTP_VERSION_1_1));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	struct http_server *srv = cls;
	enum MHD_Result ret;
	bool denied;

	(void)upload_data;
	(void)con_cls;
	/* the headers are in: the header deadline no longer applies */
	http_guard_request(srv->guard, guard_conn(conn));
	if (!host_ok(conn, version)) {
		*upload_data_size = 0;
		return send_text(conn, MHD_HTTP_BAD_REQUEST,
				 "Bad Request: one Host header is required\n");
	}
	if (check_client_cert(srv, conn)) {
		*upload_data_size = 0;
		return send_text(conn, MHD_HTTP_FORBIDDEN,
				 "Forbidden: a valid client certificate is required\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0;   /* we never read a body */
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n");
	}
	ret = check_auth(srv, conn, &denied);
	if (denied)
		return ret;
	if (!strcmp(url, srv->opts.telemetry_path))
		return send_body(srv, conn, BODY_METRICS, srv->opts.metrics,
				 "text/plain; version=0.0.4; charset=utf-8");
	if (!strcmp(url, "/api/v1/sketches") && srv->opts.sketches)
		return send_body(srv, conn, BODY_SKETCHES, srv->opts.sketches,
				 "application/json");
	if (!strcmp(url, "/api/v1/events") && srv->opts.events)
		return send_query(srv, conn, srv->opts.events);
	if (!strcmp(url, "/") && srv->opts.landing)
		return send_body(srv, conn, BODY_LANDING, srv->opts.landing,
				 "text/html; charset=utf-8");
	return send_text(conn, MHD_HTTP_NOT_FOUND, "Not Found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *srv = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strcspn(msg, "\r\n");   /* one line, the first, without its full stop */
	while (n && (msg[n - 1] == '.' || msg[n - 1] == ' '))
		n--;
	msg[n] = '\0';
	pr_debug("http: %s\n", msg);
	pthread_mutex_lock(&srv->log_lock);
	snprintf(srv->last_log, sizeof(srv->last_log), "%s", msg);
	pthread_mutex_unlock(&srv->log_lock);
}

/* "HOST:PORT" of the listening socket, to name it in messages. */
static void socket_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(buf, len, "socket %d", fd);
	else
		snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* The TLS options present, END-terminated, for MHD_OPTION_ARRAY: a varargs
 * list cannot leave out an option in its middle. The pointers stay in
 * srv->opts, which outlives the daemon. */
static void tls_options(const struct http_options *o, struct MHD_OptionItem *it)
{
	int n = 0;

	if (o->tls_cert_pem) {
		it[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						   (void *)o->tls_cert_pem };
		it[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						   (void *)o->tls_key_pem };
		if (o->tls_priorities)
			it[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
							   (void *)o->tls_priorities };
		if (o->tls_client_ca_pem && o->tls_client_auth != HTTP_CLIENT_CERT_NONE)
			it[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
							   (void *)o->tls_client_ca_pem };
	}
	it[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

int http_start(int listen_fd, const struct http_options *opts, struct http_server **out,
	       char *err, size_t errlen)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG;
	unsigned int max_conn = opts->max_connections ?: HTTP_DEFAULT_MAX_CONNECTIONS;
	struct http_guard_opts guard = {
		.header_deadline_ms = 1000 * (opts->header_deadline_sec ?: HTTP_DEFAULT_HEADER_DEADLINE),
		/* the reserve stays free for requests that arrive whole */
		.high_water = max_conn > HTTP_RESERVE * 2 ? max_conn - HTTP_RESERVE : max_conn / 2,
		.grace_ms = HTTP_PRESSURE_GRACE_MS,
	};
	struct MHD_OptionItem tls[5];
	char where[NI_MAXHOST + NI_MAXSERV + 8];
	int ret;

	*out = NULL;
	socket_name(listen_fd, where, sizeof(where));
	if (!srv) {
		ret = -ENOMEM;
		snprintf(err, errlen, "cannot start the HTTP server on %s: %s", where,
			 strerror(-ret));
		return ret;
	}
	srv->opts = *opts;
	pthread_mutex_init(&srv->log_lock, NULL);
	if (opts->tls_cert_pem)
		flags |= MHD_USE_TLS;
	if (client_auth_verifies(opts->tls_client_auth) && !opts->tls_client_ca_pem) {
		snprintf(err, errlen, "cannot start the HTTP server on %s: TLS client "
			 "certificate verification needs a client CA", where);
		ret = -EINVAL;
		goto cleanup;
	}
	tls_options(&srv->opts, tls);
	ret = http_guard_create(&guard, &srv->guard);
	ret = ret ?: http_bodies_create(opts->body_budget, &srv->bodies);
	if (ret) {
		snprintf(err, errlen, "cannot start the HTTP server on %s: %s", where,
			 strerror(-ret));
		goto cleanup;
	}
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
		/* first, or libmicrohttpd logs option errors to stderr itself */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_LISTEN_SOCKET, listen_fd,
		MHD_OPTION_NOTIFY_CONNECTION, conn_notify, srv,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, srv,
		/* A few threads, so that one slow client (a bcrypt check of a
		 * wrong password costs ~60 ms) cannot hold up Prometheus. */
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
		MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_sec ?: HTTP_DEFAULT_TIMEOUT,
		MHD_OPTION_CONNECTION_LIMIT, max_conn,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_per_ip ?: HTTP_DEFAULT_MAX_PER_IP,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(size_t)(opts->max_request_bytes ?: HTTP_DEFAULT_MAX_REQUEST),
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!srv->mhd) {
		/* no thread runs now: last_log is ours alone */
		snprintf(err, errlen, "cannot start the HTTP server on %s%s: %s", where,
			 opts->tls_cert_pem ? " (TLS: check the certificate and key)" : "",
			 srv->last_log[0] ? srv->last_log : "libmicrohttpd gave no reason");
		ret = -EINVAL;
		goto cleanup;
	}
	*out = srv;
	return 0;
cleanup:
	http_guard_destroy(srv->guard);
	http_bodies_destroy(srv->bodies);
	pthread_mutex_destroy(&srv->log_lock);
	free(srv);
	return ret;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->mhd);
	http_guard_destroy(srv->guard);   /* after: no connection is left */
	http_bodies_destroy(srv->bodies); /* and no response */
	pthread_mutex_destroy(&srv->log_lock);
	free(srv);
}
