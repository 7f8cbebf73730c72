/* union.c: `darknet-counter union URL...`: the distinct sources of several sensors together, by merging their /api/v1/sketches. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "distinct_window.h"
#include "names.h"
#include "sketch_api.h"
#include "sketch_json.h"
#include "union.h"

#define UNION_TIMEOUT_S 10
#define UNION_MAX_BODY (64u << 20)
#define UNION_FAMILIES (DN_FAMILY_MAX + 1)   /* ipv4, ipv6, then "all" */

/* Sketches by (family, class, window); family DN_FAMILY_MAX with class 0
 * holds the all-traffic union. seen: a sketch of that key came in. */
struct union_table {
	struct dn_sketch s[UNION_FAMILIES][DN_CLASS_MAX][DWIN_MAX];
	bool seen[UNION_FAMILIES][DN_CLASS_MAX][DWIN_MAX];
};

struct union_opts {
	bool json;
	const char *username, *password_file;
	char auth[512];    /* "Authorization: Basic ...\r\n" or "" */
};

/* Where an entry goes; false for names this program does not know (a
 * newer sensor's class), which are left out. */
static bool entry_key(const struct sketch_json_entry *e, int *f, int *c, int *w)
{
	*f = *c = *w = -1;
	for (int i = 0; i < DWIN_MAX; i++)
		if (!strcmp(e->window, dwin_name(i)))
			*w = i;
	if (!strcmp(e->family, "all") && !strcmp(e->cls, "all")) {
		*f = DN_FAMILY_MAX;
		*c = 0;
	} else {
		for (int i = 0; i < DN_FAMILY_MAX; i++)
			if (!strcmp(e->family, names_family(i)))
				*f = i;
		*c = names_class_lookup(e->cls);
	}
	return *f >= 0 && *c >= 0 && *w >= 0;
}

/* sketch_json_fn: merge an entry into one sensor's table (all its
 * interfaces together). */
static int merge_entry(void *ctx, const struct sketch_json_entry *e)
{
	struct union_table *t = ctx;
	int f, c, w;

	if (!entry_key(e, &f, &c, &w))
		return 0;
	sketch_merge(&t->s[f][c][w], &e->s);
	t->seen[f][c][w] = true;
	return 0;
}

/* "http://HOST[:PORT][/PATH]" into host, port and the path to GET:
 * PATH itself if it names the API, else PATH + /api/v1/sketches. */
static int parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
		     char *path, size_t pathlen, char *err, size_t errlen)
{
	const char *h, *end, *slash;
	size_t n;

	if (!strncasecmp(url, "https://", 8)) {
		snprintf(err, errlen, "%s: https:// is not supported: union fetches over plain "
			 "http:// only (reach a TLS sensor through a local proxy or tunnel)", url);
		return -EPROTONOSUPPORT;
	}
	if (strncasecmp(url, "http://", 7)) {
		snprintf(err, errlen, "%s: not an http:// URL", url);
		return -EINVAL;
	}
	h = url + 7;
	slash = strchr(h, '/');
	end = slash ? slash : h + strlen(h);
	if (*h == '[') {
		const char *close = memchr(h, ']', end - h);

		if (!close || (close + 1 != end && close[1] != ':'))
			goto bad;
		n = close - h - 1;
		snprintf(port, portlen, "%.*s", close + 1 == end ? 2 : (int)(end - close - 2),
			 close + 1 == end ? "80" : close + 2);
		h++;
	} else {
		const char *colon = memchr(h, ':', end - h);

		n = (colon ? colon : end) - h;
		snprintf(port, portlen, "%.*s", colon ? (int)(end - colon - 1) : 2,
			 colon ? colon + 1 : "80");
	}
	if (!n || n >= hostlen || !port[0] || strspn(port, "0123456789") != strlen(port))
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	n = strlen(end);
	while (n && end[n - 1] == '/')
		n--;
	if (n >= strlen(SKETCH_API_PATH) && !strncmp(end + n - strlen(SKETCH_API_PATH),
						      SKETCH_API_PATH, strlen(SKETCH_API_PATH)))
		snprintf(path, pathlen, "%.*s", (int)n, end);
	else
		snprintf(path, pathlen, "%.*s%s", (int)n, end, SKETCH_API_PATH);
	return 0;
bad:
	snprintf(err, errlen, "%s: expected http://HOST[:PORT][/PATH]", url);
	return -EINVAL;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	struct timeval tv = { .tv_sec = UNION_TIMEOUT_S };
	int fd = -EHOSTUNREACH;

	if (getaddrinfo(host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);

		if (s < 0)
			continue;
		/* SO_SNDTIMEO bounds connect() too */
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(s, ai->ai_addr, ai->ai_addrlen)) {
			fd = s;
			break;
		}
		fd = -errno;
		close(s);
	}
	freeaddrinfo(res);
	return fd;
}

/* A chunked body decoded in place; its length, or -EPROTO. */
static long dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	for (;;) {
		char *end;
		unsigned long n = strtoul(b + in, &end, 16);
		char *crlf = strstr(b + in, "\r\n");

		if (!crlf || end == b + in || (size_t)(crlf - b) + 2 + n > len)
			return -EPROTO;
		in = crlf - b + 2;
		if (!n)
			return (long)out;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
	}
}

/* GET path from host:port; the body (malloc'd, NUL-terminated) of a 200. */
static int fetch(const char *url, const struct union_opts *o, char **body, size_t *len,
		 char *err, size_t errlen)
{
	char host[256], port[8], path[1024], req[2048], *buf = NULL, *hdr_end, *p;
	size_t n = 0, cap = 0;
	int fd, status = 0, ret = parse_url(url, host, sizeof(host), port, sizeof(port), path,
					    sizeof(path), err, errlen);
	ssize_t r;

	if (ret)
		return ret;
	fd = dial(host, port);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot connect: %s", url, strerror(-fd));
		return fd;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nAccept: "
		 "application/json\r\nConnection: close\r\n%s\r\n", path,
		 strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, o->auth);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		ret = -errno ?: -EIO;
		snprintf(err, errlen, "%s: cannot send the request: %s", url, strerror(-ret));
		goto cleanup;
	}
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = cap < UNION_MAX_BODY ? realloc(buf, cap = cap ? cap * 2 : 65536)
							: NULL;
			if (!nb) {
				ret = -EFBIG;
				snprintf(err, errlen, "%s: the answer is over %u MiB", url,
					 UNION_MAX_BODY >> 20);
				goto cleanup;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: reading the answer: %s", url, strerror(errno));
			goto cleanup;
		}
		if (!r)
			break;
		n += r;
	}
	buf[n] = '\0';
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		ret = -EPROTO;
		snprintf(err, errlen, "%s: not an HTTP answer", url);
		goto cleanup;
	}
	*hdr_end = '\0';
	p = hdr_end + 4;
	*len = n - (p - buf);
	if (status != 200) {
		ret = status == 401 ? -EACCES : -EPROTO;
		snprintf(err, errlen, "%s: HTTP %d%s", url, status, status == 401 ?
			 " (give --username and --password-file)" : status == 404 ?
			 " (a sensor older than the sketch API, or --no-distinct?)" : "");
		goto cleanup;
	}
	if (strcasestr(buf, "\r\nTransfer-Encoding: chunked")) {
		long m = dechunk(p, *len);

		if (m < 0) {
			ret = -EPROTO;
			snprintf(err, errlen, "%s: bad chunked encoding", url);
			goto cleanup;
		}
		*len = m;
	}
	memmove(buf, p, *len);
	buf[*len] = '\0';
	*body = buf;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

static int basic_auth(struct union_opts *o, char *err, size_t errlen)
{
	char pass[256] = "", cred[600];
	struct strbuf sb = STRBUF_INIT;
	FILE *f;

	if (!o->username && !o->password_file)
		return 0;
	if (!o->username || !o->password_file) {
		snprintf(err, errlen, "--username and --password-file go together");
		return -EINVAL;
	}
	f = fopen(o->password_file, "r");
	if (!f || !fgets(pass, sizeof(pass), f)) {
		snprintf(err, errlen, "--password-file %s: %s", o->password_file,
			 f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		return -EINVAL;
	}
	fclose(f);
	pass[strcspn(pass, "\r\n")] = '\0';
	snprintf(cred, sizeof(cred), "%s:%s", o->username, pass);
	sketch_json_base64(&sb, (const unsigned char *)cred, strlen(cred));
	snprintf(o->auth, sizeof(o->auth), "Authorization: Basic %s\r\n", strbuf_str(&sb));
	strbuf_free(&sb);
	return sb.err;
}

static double estimate(const struct union_table *t, int f, int c, int w)
{
	return t->seen[f][c][w] ? round(sketch_estimate(&t->s[f][c][w])) : 0;
}

static bool row_seen(const struct union_table *t, int f, int c)
{
	return t->seen[f][c][DWIN_5M] || t->seen[f][c][DWIN_1H] || t->seen[f][c][DWIN_24H];
}

/* The union's rows; sum holds, per key, the sum of each sensor's own
 * count: what adding the sensors' gauges would wrongly give. */
static void print(const struct union_table *u, const double sum[][DN_CLASS_MAX][DWIN_MAX],
		  int sensors, bool json)
{
	int first = 1;

	if (json)
		printf("{\"sensors\":%d,\"unions\":[", sensors);
	else
		printf("%-6s %-12s %10s %10s %10s   %s\n", "FAMILY", "CLASS", "5m", "1h", "24h",
		       "(24h summed over sensors)");
	for (int f = 0; f < UNION_FAMILIES; f++)
		for (int c = 0; c < (f == DN_FAMILY_MAX ? 1 : DN_CLASS_MAX); c++) {
			const char *fam = f == DN_FAMILY_MAX ? "all" : names_family(f);
			const char *cls = f == DN_FAMILY_MAX ? "all" : names_class(c);

			if (!row_seen(u, f, c))
				continue;
			if (!json) {
				printf("%-6s %-12s %10.0f %10.0f %10.0f   (%.0f)\n", fam, cls,
				       estimate(u, f, c, DWIN_5M), estimate(u, f, c, DWIN_1H),
				       estimate(u, f, c, DWIN_24H), sum[f][c][DWIN_24H]);
				continue;
			}
			for (int w = 0; w < DWIN_MAX; w++) {
				printf("%s\n{\"family\":\"%s\",\"class\":\"%s\",\"window\":\"%s\","
				       "\"sources\":%.0f,\"sum_of_sensors\":%.0f}", first ? "" : ",",
				       fam, cls, dwin_name(w), estimate(u, f, c, w), sum[f][c][w]);
				first = 0;
			}
		}
	if (json)
		printf("\n]}\n");
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: darknet-counter union [--json] [--username USER --password-file "
		"FILE] URL...\n\nFetches each sensor's %s (URL: http://HOST:PORT, plain HTTP "
		"only),\nmerges the sketches (register-wise maximum) over sensors and interfaces "
		"and\nprints the distinct sources of the union per class and window.\n",
		SKETCH_API_PATH);
}

int union_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "username", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct union_opts o = { .json = false };
	struct union_table *u = calloc(1, sizeof(*u)), *one = malloc(sizeof(*one));
	double (*sum)[DN_CLASS_MAX][DWIN_MAX] = calloc(UNION_FAMILIES, sizeof(*sum));
	char err[512] = "", *body = NULL;
	size_t len = 0;
	int c, ret = 2;

	if (!u || !one || !sum) {
		fprintf(stderr, "darknet-counter union: out of memory\n");
		goto cleanup;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			ret = 0;
			goto cleanup;
		}
		if (c == '?')
			goto cleanup;
		if (c == 'j')
			o.json = true;
		else if (c == 'u')
			o.username = optarg;
		else
			o.password_file = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "darknet-counter union: no sensor URL given (try --help)\n");
		goto cleanup;
	}
	if (basic_auth(&o, err, sizeof(err))) {
		fprintf(stderr, "darknet-counter union: %s\n", err);
		goto cleanup;
	}
	ret = 1;
	for (int i = optind; i < argc; i++) {
		memset(one, 0, sizeof(*one));
		if (fetch(argv[i], &o, &body, &len, err, sizeof(err)) ||
		    sketch_json_parse(body, len, merge_entry, one, NULL, err, sizeof(err))) {
			fprintf(stderr, "darknet-counter union: %s%s%s\n", body ? argv[i] : "",
				body ? ": " : "", err);
			goto cleanup;
		}
		free(body);
		body = NULL;
		for (int f = 0; f < UNION_FAMILIES; f++)
			for (int k = 0; k < DN_CLASS_MAX; k++)
				for (int w = 0; w < DWIN_MAX; w++) {
					if (!one->seen[f][k][w])
						continue;
					sum[f][k][w] += estimate(one, f, k, w);
					sketch_merge(&u->s[f][k][w], &one->s[f][k][w]);
					u->seen[f][k][w] = true;
				}
	}
	print(u, (const double (*)[DN_CLASS_MAX][DWIN_MAX])sum, argc - optind, o.json);
	ret = 0;
cleanup:
	free(body);
	free(sum);
	free(one);
	free(u);
	return ret;
}
