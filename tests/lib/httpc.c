/* httpc.c: a minimal HTTP/1.1 client over a plain socket, for scraping in tests. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#include "httpc.h"
#include "proc.h"

#define HTTPC_MAX_RESPONSE (64u << 20)   /* a scrape is a few hundred KiB */

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - e2e_now_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)left);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int connect_by(const char *host, int port, const char *src, long long deadline)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd, err = 0, flags;
	socklen_t len = sizeof(err);

	if (inet_pton(AF_INET, host, &to.sin_addr) != 1 ||
	    (src && inet_pton(AF_INET, src, &from.sin_addr) != 1))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (src && bind(fd, (struct sockaddr *)&from, sizeof(from)))
		goto fail;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) && errno != EINPROGRESS)
		goto fail;
	if ((err = wait_fd(fd, POLLOUT, deadline))) {
		close(fd);
		return err;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		close(fd);
		return -(err ? err : EIO);
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int httpc_connect(const char *host, int port, const char *src, int timeout_ms)
{
	return connect_by(host, port, src, e2e_now_ms() + timeout_ms);
}

static int send_all(int fd, const char *p, size_t len, long long deadline)
{
	while (len) {
		ssize_t n;
		int err = wait_fd(fd, POLLOUT, deadline);

		if (err)
			return err;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the peer closes (we asked for Connection: close), or until a
 * Content-Length body is complete. */
static int recv_all(int fd, char **buf, size_t *len, long long deadline)
{
	size_t cap = 16384;
	char *p = malloc(cap);

	*len = 0;
	if (!p)
		return -ENOMEM;
	for (;;) {
		int err = wait_fd(fd, POLLIN, deadline);
		ssize_t n;

		if (err) {
			*buf = p;
			p[*len] = '\0';
			return *len ? 0 : err;
		}
		if (cap - *len < 4097) {
			char *q;

			if (cap >= HTTPC_MAX_RESPONSE)
				break;
			q = realloc(p, cap * 2);
			if (!q)
				break;
			p = q;
			cap *= 2;
		}
		n = recv(fd, p + *len, cap - *len - 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;   /* EOF, or ECONNRESET after a complete answer */
		*len += (size_t)n;
		p[*len] = '\0';
		/* complete with a Content-Length: stop without waiting for EOF */
		{
			char *end = strstr(p, "\r\n\r\n");
			char *cl = end ? strcasestr(p, "\r\ncontent-length:") : NULL;

			if (cl && cl < end &&
			    *len >= (size_t)(end + 4 - p) + strtoul(cl + 17, NULL, 10))
				break;
		}
	}
	p[*len] = '\0';
	*buf = p;
	return 0;
}

static void dechunk(struct httpc_resp *r)
{
	char *in = r->body, *out = r->body, *end = r->body + r->body_len;

	while (in < end) {
		unsigned long n = strtoul(in, NULL, 16);
		char *nl = strstr(in, "\r\n");

		if (!nl || !n)
			break;
		in = nl + 2;
		if ((size_t)(end - in) < n)
			n = (unsigned long)(end - in);
		memmove(out, in, n);
		out += n;
		in += n + 2;
	}
	*out = '\0';
	r->body_len = (size_t)(out - r->body);
}

static void parse_response(char *raw, size_t len, struct httpc_resp *r)
{
	char *end = strstr(raw, "\r\n\r\n");
	char te[64];

	if (strncmp(raw, "HTTP/1.", 7) || strlen(raw) < 12) {
		r->head = raw;
		r->body = strdup("");
		return;
	}
	r->status = atoi(raw + 9);
	if (!end) {
		r->head = raw;
		r->body = strdup("");
		return;
	}
	r->body_len = len - (size_t)(end + 4 - raw);
	r->body = malloc(r->body_len + 1);
	if (r->body) {
		memcpy(r->body, end + 4, r->body_len);
		r->body[r->body_len] = '\0';
	}
	end[2] = '\0';
	r->head = raw;
	if (r->body && httpc_header(r, "Transfer-Encoding", te, sizeof(te)) &&
	    strcasestr(te, "chunked"))
		dechunk(r);
}

int httpc_raw(const char *host, int port, const char *src, const void *req, size_t len,
	      int timeout_ms, struct httpc_resp *r)
{
	long long deadline = e2e_now_ms() + timeout_ms;
	char *raw = NULL;
	size_t rawlen;
	int fd, err;

	memset(r, 0, sizeof(*r));
	fd = connect_by(host, port, src, deadline);
	if (fd < 0)
		return fd;
	/* no shutdown(SHUT_WR): some servers take a half-close for an abort */
	err = send_all(fd, req, len, deadline);
	err = err ?: recv_all(fd, &raw, &rawlen, deadline);
	close(fd);
	if (err) {
		free(raw);
		return err;
	}
	parse_response(raw, rawlen, r);
	return 0;
}

int httpc_request(const char *host, int port, const char *src, const char *method,
		  const char *path, const char *extra_headers, int timeout_ms,
		  struct httpc_resp *r)
{
	char req[4096];
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: dn-e2e\r\n"
			 "Connection: close\r\n%s\r\n",
			 method, path, host, port, extra_headers ? extra_headers : "");

	if (n < 0 || (size_t)n >= sizeof(req)) {
		memset(r, 0, sizeof(*r));
		return -E2BIG;
	}
	return httpc_raw(host, port, src, req, (size_t)n, timeout_ms, r);
}

int httpc_get(const char *host, int port, const char *path, int timeout_ms,
	      struct httpc_resp *r)
{
	return httpc_request(host, port, NULL, "GET", path, NULL, timeout_ms, r);
}

void httpc_resp_free(struct httpc_resp *r)
{
	free(r->head);
	free(r->body);
	r->head = r->body = NULL;
}

const char *httpc_header(const struct httpc_resp *r, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);

	if (!r->head)
		return NULL;
	for (const char *line = strstr(r->head, "\r\n"); line && line[2]; ) {
		const char *v, *eol;

		line += 2;
		eol = strstr(line, "\r\n");
		if (!eol)
			eol = line + strlen(line);
		if (!strncasecmp(line, name, nlen) && line[nlen] == ':') {
			size_t n;

			for (v = line + nlen + 1; *v == ' ' || *v == '\t'; v++)
				;
			n = (size_t)(eol - v);
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		line = *eol ? eol : NULL;
	}
	return NULL;
}

int httpc_gunzip(const void *in, size_t len, char **out, size_t *outlen)
{
	z_stream zs = { .next_in = (Bytef *)in, .avail_in = (uInt)len };
	size_t cap = len * 8 + 4096;
	char *p = malloc(cap);
	int ret;

	*out = NULL;
	/* 16 + MAX_WBITS: expect a gzip wrapper, not raw zlib */
	if (!p || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(p);
		return -1;
	}
	do {
		if (zs.total_out + 1 >= cap) {
			char *q = realloc(p, cap * 2);

			if (!q)
				break;
			p = q;
			cap *= 2;
		}
		zs.next_out = (Bytef *)p + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out - 1);
		ret = inflate(&zs, Z_NO_FLUSH);
	} while (ret == Z_OK);
	inflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(p);
		return -1;
	}
	p[zs.total_out] = '\0';
	*out = p;
	*outlen = zs.total_out;
	return 0;
}
