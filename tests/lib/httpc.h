/* httpc.h: a minimal HTTP/1.1 client over a plain socket, for scraping in tests. */
#ifndef DN_TEST_HTTPC_H
#define DN_TEST_HTTPC_H

#include <stddef.h>

/* A response: status code, the raw header block (status line included, up to
 * the blank line) and the body, de-chunked, NUL-terminated. status is 0 when
 * nothing that parses came back. */
struct httpc_resp {
	int status;
	char *head;
	char *body;
	size_t body_len;
};

/*
 * One request on a fresh connection ("Connection: close"). host and src are
 * IPv4 literals; src, when not NULL, is the local address to bind (e.g.
 * 127.0.0.2, another loopback source). extra_headers are whole lines, each
 * ending in "\r\n", or NULL. Returns 0 when a response was read, -errno
 * otherwise; r is always initialised and must be freed.
 */
int httpc_request(const char *host, int port, const char *src, const char *method,
		  const char *path, const char *extra_headers, int timeout_ms,
		  struct httpc_resp *r);
int httpc_get(const char *host, int port, const char *path, int timeout_ms,
	      struct httpc_resp *r);
/* Send raw bytes as the request and read whatever comes back. */
int httpc_raw(const char *host, int port, const char *src, const void *req, size_t len,
	      int timeout_ms, struct httpc_resp *r);
void httpc_resp_free(struct httpc_resp *r);

/* A header's value (case-insensitive name), copied into buf; NULL if absent. */
const char *httpc_header(const struct httpc_resp *r, const char *name, char *buf, size_t len);

/* A connected TCP socket (blocking), from src if not NULL; -errno on error. */
int httpc_connect(const char *host, int port, const char *src, int timeout_ms);

/* Inflate a gzip member into a malloc()ed NUL-terminated buffer; 0 or -1. */
int httpc_gunzip(const void *in, size_t len, char **out, size_t *outlen);

#endif
