/* test_http.c: end-to-end: the HTTP endpoints and their hardening, with real sockets. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "lib/daemonctl.h"
#include "lib/httpc.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"
#include "array_size.h"

#define IDLE_CONNECTIONS 200

static struct netfix fx;
static struct dctl dd;
static int port;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "http setup: %s", err);
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet");
	dctl_arg(&dd, "198.51.100.0/24");
	dctl_arg(&dd, "--darknet");
	dctl_arg(&dd, "2001:db8::/32");
	cr_assert_eq(dctl_start(&dd, 10000), 0, "http: daemon did not start (exit %d); log:\n%s",
		     dd.last_status, dctl_log(&dd));
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
}

/* A normal scrape still works (the daemon carried on). */
static void scrape_ok(const char *what)
{
	struct scrape s;
	char err[256];

	cr_expect_eq(scrape_get(port, &s, err, sizeof(err)), 0, "%s: then a scrape fails: %s",
		     what, err);
	scrape_free(&s);
	cr_expect_eq(dd.pid != 0 && dctl_signal(&dd, 0) == 0, 1, "%s: the daemon died", what);
}

static int status_of(const char *method, const char *path, struct httpc_resp *r)
{
	int ret = httpc_request("127.0.0.1", port, NULL, method, path, NULL, 5000, r);

	cr_assert_eq(ret, 0, "http %s %s: no response (%s)", method, path, strerror(-ret));
	return r->status;
}

Test(http, landing_page_404_405, .init = setup, .fini = teardown, .timeout = 30)
{
	struct httpc_resp r;
	char ct[256];

	cr_expect_eq(status_of("GET", "/", &r), 200, "http GET /: status %d", r.status);
	cr_expect(httpc_header(&r, "Content-Type", ct, sizeof(ct)) && strstr(ct, "text/html"),
		  "http GET /: Content-Type is not text/html");
	cr_expect(r.body && strcasestr(r.body, "<html"), "http GET /: body is not HTML");
	cr_expect(r.body && strstr(r.body, "/metrics"), "http GET /: no link to /metrics");
	httpc_resp_free(&r);

	cr_expect_eq(status_of("GET", "/nope", &r), 404, "http GET /nope: status %d", r.status);
	httpc_resp_free(&r);
	cr_expect_eq(status_of("GET", "/metrics/extra", &r), 404,
		     "http GET /metrics/extra: status %d", r.status);
	httpc_resp_free(&r);
	cr_expect_eq(status_of("POST", "/metrics", &r), 405, "http POST /metrics: status %d",
		     r.status);
	httpc_resp_free(&r);
	cr_expect_eq(status_of("DELETE", "/metrics", &r), 405, "http DELETE /metrics: status %d",
		     r.status);
	httpc_resp_free(&r);
	cr_expect_eq(status_of("HEAD", "/metrics", &r), 200, "http HEAD /metrics: status %d",
		     r.status);
	cr_expect_eq(r.body_len, 0, "http HEAD /metrics: %zu body bytes", r.body_len);
	httpc_resp_free(&r);
	scrape_ok("http endpoints");
}

Test(http, idle_connections_do_not_block_a_scrape, .init = setup, .fini = teardown,
     .timeout = 60)
{
	static int fds[IDLE_CONNECTIONS];
	struct httpc_resp r;
	long long t0, ms;
	int open = 0, ret;

	for (int i = 0; i < IDLE_CONNECTIONS; i++) {
		fds[i] = httpc_connect("127.0.0.1", port, "127.0.0.1", 2000);
		open += fds[i] >= 0;
	}
	cr_expect_eq(open, IDLE_CONNECTIONS, "http idle: only %d of %d connections opened",
		     open, IDLE_CONNECTIONS);
	e2e_sleep_ms(200);   /* let the server take them all in */

	/* another loopback source: the per-address limit is not ours to hit */
	t0 = e2e_now_ms();
	ret = httpc_request("127.0.0.1", port, "127.0.0.2", "GET", "/metrics", NULL, 1000, &r);
	ms = e2e_now_ms() - t0;
	cr_expect_eq(ret, 0, "http idle: scrape from 127.0.0.2 failed (%s) after %lld ms with %d "
		     "idle connections open", strerror(-ret), ms, open);
	cr_expect_eq(r.status, 200, "http idle: scrape from 127.0.0.2 got status %d", r.status);
	cr_expect(r.body && strstr(r.body, "darknet_packets_total"),
		  "http idle: scrape from 127.0.0.2 has no darknet_packets_total");
	cr_expect_lt(ms, 1000, "http idle: scrape took %lld ms, want < 1000", ms);
	httpc_resp_free(&r);

	for (int i = 0; i < IDLE_CONNECTIONS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* the server sees the closes a moment later; 127.0.0.1 may scrape
	 * again once it has */
	{
		long long end = e2e_now_ms() + 3000;
		double sum;

		do {
			sum = scrape_sum(port, "darknet_build_info", NULL);
		} while (sum != 1 && e2e_now_ms() < end && (e2e_sleep_ms(50), 1));
		cr_expect_eq(sum, 1, "http idle: 127.0.0.1 cannot scrape 3 s after closing its "
			     "idle connections");
	}
}

Test(http, garbage_gets_400_and_serving_goes_on, .init = setup, .fini = teardown,
     .timeout = 60)
{
	/* libmicrohttpd 0.9.75 answers a malformed HTTP/1.x request with 400;
	 * a line with no HTTP version at all is not HTTP/1.x, so it closes the
	 * connection without a response (there is no protocol to answer in).
	 * Either way the daemon must go on serving. */
	static const struct {
		const char *name;
		const char *req;
		bool may_close;
	} cases[] = {
		{ "not HTTP", "GARBAGE\r\n\r\n", true },
		{ "no path", "GET\r\n\r\n", true },
		{ "bad version", "GET /metrics HTTP/9.x\r\nHost: a\r\n\r\n", false },
		{ "binary", "\x01\x02\x03\xff\xfe\r\n\r\n", true },
		{ "header without colon", "GET /metrics HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", false },
	};
	static char big[70000];
	struct httpc_resp r;
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ret = httpc_raw("127.0.0.1", port, NULL, cases[i].req, strlen(cases[i].req), 3000, &r);
		if (cases[i].may_close)
			cr_expect(ret || r.status == 400 || r.status == 0,
				  "http garbage %s: status %d, want 400 or a closed connection",
				  cases[i].name, r.status);
		else
			cr_expect(!ret && r.status == 400, "http garbage %s: status %d (%s), want 400",
				  cases[i].name, r.status, ret ? strerror(-ret) : "answered");
		httpc_resp_free(&r);
		scrape_ok(cases[i].name);
	}

	/* a request larger than any limit: refused with a 4xx, not served */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', sizeof(big) - 40);
	strcpy(big + sizeof(big) - 35, " HTTP/1.1\r\nHost: a\r\n\r\n");
	ret = httpc_raw("127.0.0.1", port, NULL, big, strlen(big), 3000, &r);
	cr_expect(ret || (r.status >= 400 && r.status < 500),
		  "http garbage oversized request: status %d, want 4xx or a closed connection",
		  r.status);
	httpc_resp_free(&r);
	scrape_ok("oversized request");
}

Test(http, gzip_when_asked, .init = setup, .fini = teardown, .timeout = 30)
{
	struct httpc_resp z;
	struct scrape plain;
	struct promx unz;
	char ce[64], err[256], *text = NULL;
	size_t len = 0;
	struct tgen_result tg;

	/* something to count, so that the body is more than headers */
	cr_assert_eq(tgen_run(&fx, "exact", 42, 1, NULL, &tg), 0, "http gzip: trafgen: %s", tg.err);
	tgen_free(&tg);
	scrape_wait_frames(port, 42, 3000);

	cr_assert_eq(httpc_request("127.0.0.1", port, NULL, "GET", "/metrics",
				   "Accept-Encoding: gzip\r\n", 5000, &z), 0, "http gzip: no response");
	cr_expect_eq(z.status, 200, "http gzip: status %d", z.status);
	cr_expect(httpc_header(&z, "Content-Encoding", ce, sizeof(ce)) && !strcasecmp(ce, "gzip"),
		  "http gzip: no Content-Encoding: gzip");
	cr_assert(z.body_len > 2 && (unsigned char)z.body[0] == 0x1f &&
		  (unsigned char)z.body[1] == 0x8b, "http gzip: body does not start with the gzip magic");
	cr_assert_eq(httpc_gunzip(z.body, z.body_len, &text, &len), 0,
		     "http gzip: zlib cannot inflate the body");
	cr_assert_eq(promx_parse(text, &unz, err, sizeof(err)), 0,
		     "http gzip: inflated body does not parse: %s", err);
	cr_assert_eq(scrape_get(port, &plain, err, sizeof(err)), 0, "http gzip: plain scrape: %s", err);
	cr_expect(!httpc_header(&plain.http, "Content-Encoding", ce, sizeof(ce)),
		  "http gzip: a plain request got Content-Encoding %s", ce);

	/* same exposition: same series, same counter values (nothing was sent) */
	cr_expect_eq(unz.n, plain.m.n, "http gzip: %zu series inflated, %zu plain", unz.n,
		     plain.m.n);
	for (size_t i = 0; i < plain.m.n; i++) {
		const struct promx_series *p = &plain.m.s[i];
		const struct promx_family *f = promx_family_of(&plain.m, p->name);
		const struct promx_series *q = promx_same(&unz, p);

		cr_expect(q, "http gzip: %s missing from the gzip body", p->key);
		if (q && f && f->type && !strcmp(f->type, "counter"))
			cr_expect_eq(q->value, p->value, "http gzip: %s is %g gzipped, %g plain",
				     p->key, q->value, p->value);
	}
	promx_free(&unz);
	scrape_free(&plain);
	httpc_resp_free(&z);
	free(text);
}

/* RFC 9112 section 3.2: an HTTP/1.1 request needs exactly one Host header;
 * HTTP/1.0 may leave it out. */
Test(http, host_header_required_once, .init = setup, .fini = teardown, .timeout = 30)
{
	static const struct { const char *name, *req; int status; } cases[] = {
		{ "no Host", "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", 400 },
		{ "two Host", "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
			      "Connection: close\r\n\r\n", 400 },
		{ "two Host, 1.0", "GET /metrics HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400 },
		{ "one Host", "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 200 },
		{ "1.0 without Host", "GET /metrics HTTP/1.0\r\n\r\n", 200 },
	};
	struct httpc_resp r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = httpc_raw("127.0.0.1", port, NULL, cases[i].req, strlen(cases[i].req),
				    3000, &r);

		cr_expect(!ret && r.status == cases[i].status, "http %s: status %d (%s), want %d",
			  cases[i].name, r.status, ret ? strerror(-ret) : "answered",
			  cases[i].status);
		httpc_resp_free(&r);
	}
	scrape_ok("Host header checks");
}

/* "gzip;q=0" refuses gzip (RFC 9110 section 12.5.3). */
Test(http, gzip_refused_with_q0, .init = setup, .fini = teardown, .timeout = 30)
{
	static const char *const refusals[] = {
		"Accept-Encoding: gzip;q=0\r\n",
		"Accept-Encoding: deflate, gzip; q=0, *;q=0\r\n",
	};
	struct httpc_resp r;
	char ce[64];

	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		cr_assert_eq(httpc_request("127.0.0.1", port, NULL, "GET", "/metrics", refusals[i],
					   5000, &r), 0, "http q=0: no response");
		cr_expect_eq(r.status, 200, "http q=0: status %d", r.status);
		cr_expect(!httpc_header(&r, "Content-Encoding", ce, sizeof(ce)),
			  "http q=0: %.*s got Content-Encoding %s", (int)strlen(refusals[i]) - 2,
			  refusals[i], ce);
		cr_expect(r.body && strstr(r.body, "darknet_packets_total"),
			  "http q=0: the body is not the plain exposition");
		httpc_resp_free(&r);
	}
}
