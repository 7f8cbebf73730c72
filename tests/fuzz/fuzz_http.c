/* fuzz_http.c: libFuzzer harness for the HTTP request path: raw bytes sent to the daemon's server (user/daemon/http*.c) on loopback. */
#define _GNU_SOURCE   /* asprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "http.h"

/*
 * One server for the whole run, as the daemon runs it: every endpoint, basic
 * auth (user "u", password "p"), the default limits but a 1 s idle timeout
 * and header deadline so that a half-sent request ends quickly. Each input
 * is one client connection: its bytes are written, the write side shut,
 * and the answer read until the server closes or goes quiet. The server's
 * own threads parse it; the sanitizers watch them.
 */
static struct sockaddr_in server;

static int small_body(void *ctx, char **body, size_t *len)
{
	(void)ctx;
	*body = strdup("darknet_build_info{version=\"fuzz\"} 1\n");
	if (!*body)
		return -ENOMEM;
	*len = strlen(*body);
	return 0;
}

static int query_body(void *ctx, const char *(*arg)(void *req, const char *name), void *req,
		      char **body, size_t *len, unsigned int *status)
{
	const char *type = arg(req, "type"), *limit = arg(req, "limit");

	(void)ctx;
	*status = 200;
	/* echo the arguments, as the events API reflects its filters */
	if (asprintf(body, "{\"type\":\"%s\",\"limit\":\"%s\"}", type ? type : "",
		     limit ? limit : "") < 0)
		return -ENOMEM;
	*len = strlen(*body);
	return 0;
}

static int check_auth(void *ctx, const char *user, const char *pass,
		      const struct sockaddr *peer)
{
	(void)ctx, (void)peer;
	return user && pass && !strcmp(user, "u") && !strcmp(pass, "p") ? 0 : 401;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct http_options opts = {
		.telemetry_path = "/metrics", .metrics = small_body, .landing = small_body,
		.sketches = small_body, .events = query_body, .auth = check_auth,
		.timeout_sec = 1, .header_deadline_sec = 1,
		.max_connections = HTTP_DEFAULT_MAX_CONNECTIONS, .max_per_ip = HTTP_DEFAULT_MAX_PER_IP,
		.max_request_bytes = HTTP_DEFAULT_MAX_REQUEST, .body_budget = HTTP_BODY_BUDGET,
	};
	struct http_server *srv;
	socklen_t len = sizeof(server);
	char err[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)argc, (void)argv;
	server = (struct sockaddr_in){ .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&server, sizeof(server)) ||
	    listen(fd, 64) || getsockname(fd, (struct sockaddr *)&server, &len) ||
	    http_start(fd, &opts, &srv, err, sizeof(err))) {
		fprintf(stderr, "fuzz_http: cannot start the server: %s\n",
			err[0] ? err : strerror(errno));
		abort();
	}
	return 0;   /* the server runs until the process ends */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pollfd p;
	char buf[4096];
	size_t off = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	while (off < size && poll(&p, 1, 2000) == 1) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;   /* the server may refuse and close early */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	/* a kept-alive connection stays open after its answer: 300 ms of
	 * silence after the first bytes ends the wait */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (int wait_ms = 2000; poll(&p, 1, wait_ms) == 1; wait_ms = 300)
		if (recv(fd, buf, sizeof(buf), 0) <= 0)
			break;
	close(fd);
	return 0;
}
