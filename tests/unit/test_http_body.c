/* test_http_body.c: slow readers share one rendered body instead of holding one each. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define BODY_LEN (4u << 20)
#define BUDGET (8u << 20)
#define READERS 20

static atomic_int renders;

static int big_body(void *ctx, char **body, size_t *len)
{
	(void)ctx;
	*body = malloc(BODY_LEN);
	if (!*body)
		return -ENOMEM;
	for (size_t i = 0; i < BODY_LEN; i++)
		(*body)[i] = 'a' + i % 26;
	*len = BODY_LEN;
	atomic_fetch_add(&renders, 1);
	return 0;
}

static struct http_server *start(struct sockaddr_in *sa)
{
	struct http_options opts = { .telemetry_path = "/metrics", .metrics = big_body,
				     .body_budget = BUDGET };
	struct http_server *srv;
	socklen_t sl = sizeof(*sa);
	char err[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*sa = (struct sockaddr_in){ .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 64), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)sa, &sl), 0);
	cr_assert_eq(http_start(fd, &opts, &srv, err, sizeof(err)), 0, "%s", err);
	return srv;
}

/* A client that asks for /metrics with a small receive buffer and does
 * not read yet: the server cannot send it all, and holds the body. */
static int slow_reader(const struct sockaddr_in *sa)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 4096;

	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	cr_assert_eq(connect(fd, (const struct sockaddr *)sa, sizeof(*sa)), 0, "connect: %s",
		     strerror(errno));
	cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	return fd;
}

/* Read the whole response; check it is a 200 with the full body. */
static void read_all(int fd, int i)
{
	size_t cap = BODY_LEN + 4096, n = 0;
	char *buf = malloc(cap), *body;
	ssize_t got;

	cr_assert_not_null(buf);
	while ((got = read(fd, buf + n, cap - n)) > 0)
		n += got;
	cr_assert_geq(got, 0, "reader %d: %s", i, strerror(errno));
	cr_assert(n > 12 && !memcmp(buf, "HTTP/1.1 200", 12), "reader %d: a 200", i);
	body = memmem(buf, n, "\r\n\r\n", 4);
	cr_assert_not_null(body, "reader %d: headers end", i);
	body += 4;
	cr_assert_eq(n - (body - buf), BODY_LEN, "reader %d: the whole body", i);
	for (size_t j = 0; j < BODY_LEN; j += 4099)
		cr_assert_eq(body[j], 'a' + j % 26, "reader %d: byte %zu", i, j);
	free(buf);
	close(fd);
}

Test(http_body, slow_readers_share_one_body, .timeout = 60)
{
	struct sockaddr_in sa;
	struct http_server *srv = start(&sa);
	struct pollfd pfd[READERS];
	size_t nr, bytes;
	int fds[READERS], ready = 0;

	for (int i = 0; i < READERS; i++) {
		fds[i] = slow_reader(&sa);
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	}
	/* every response has begun: each connection has its body */
	for (int tries = 0; tries < 200 && ready < READERS; tries++) {
		if (tries)
			usleep(50000);
		poll(pfd, READERS, 0);
		ready = 0;
		for (int i = 0; i < READERS; i++)
			ready += !!(pfd[i].revents & POLLIN);
	}
	cr_assert_eq(ready, READERS, "all %d responses started: %d (%x)", READERS, ready, pfd[0].revents);
	http_body_stats(srv, &nr, &bytes);
	cr_log_info("%d slow readers of %u bytes: %zu bodies (%zu bytes) held, %d rendered",
		    READERS, BODY_LEN, nr, bytes, atomic_load(&renders));
	cr_expect_gt(bytes, BUDGET, "the readers hold more than the budget");
	/* up to the budget, one more, and one per HTTP thread racing past it */
	cr_expect_leq(nr, BUDGET / BODY_LEN + 1 + HTTP_THREADS, "bodies held: %zu", nr);
	for (int i = 0; i < READERS; i++)
		read_all(fds[i], i);
	/* freed when the last response is done */
	for (int tries = 0; tries < 100; tries++) {
		http_body_stats(srv, &nr, &bytes);
		if (!nr)
			break;
		usleep(20000);
	}
	cr_expect_eq(nr, 0, "no body left once the responses are done");
	cr_expect_eq(bytes, 0);
	/* without pressure, each scrape renders fresh counters */
	atomic_store(&renders, 0);
	for (int i = 0; i < 3; i++)
		read_all(slow_reader(&sa), i);
	cr_expect_eq(atomic_load(&renders), 3, "sequential scrapes are not shared");
	http_stop(srv);
}
