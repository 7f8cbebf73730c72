/* prom.c: GETs on the Prometheus HTTP API with libcurl, answers parsed with jansson. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "prom.h"

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct strbuf *sb = arg;

	/* Bounded: a wrong URL must not fill memory with someone's video. */
	if (sb->len + size * nmemb > (256u << 20))
		return 0;
	return strbuf_append(sb, data, size * nmemb) ? 0 : size * nmemb;
}

static int read_password(const char *path, char *buf, size_t n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t len;
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "--password-file %s: %s", path, strerror(errno));
		return ret;
	}
	len = fread(buf, 1, n - 1, f);
	buf[len] = '\0';
	/* The file's trailing newline is not part of the password. */
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "--password-file %s: read error", path);
	}
	fclose(f);
	return ret;
}

int prom_open(struct prom_client *c, const struct prom_opts *o, char *err, size_t errlen)
{
	size_t len;
	CURL *h;
	int ret;

	memset(c, 0, sizeof(*c));
	c->o = *o;
	if (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8)) {
		snprintf(err, errlen, "--prometheus %s: not an http:// or https:// URL", o->url);
		return -EINVAL;
	}
	snprintf(c->base, sizeof(c->base), "%s", o->url);
	len = strlen(c->base);
	while (len && c->base[len - 1] == '/')
		c->base[--len] = '\0';
	if (o->password_file && !o->username) {
		snprintf(err, errlen, "--password-file needs --username");
		return -EINVAL;
	}
	if (o->password_file) {
		ret = read_password(o->password_file, c->password, sizeof(c->password), err, errlen);
		if (ret)
			return ret;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "libcurl: global initialisation failed");
		return -ENOMEM;
	}
	h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "libcurl: cannot create a handle");
		curl_global_cleanup();
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 60L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "darknet-counter-report/" DN_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (o->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert_file);
	if (o->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, o->key_file);
	if (o->insecure_skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->username) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, o->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	c->curl = h;
	return 0;
}

void prom_close(struct prom_client *c)
{
	if (!c->curl)
		return;
	curl_easy_cleanup(c->curl);
	curl_global_cleanup();
	memset(c->password, 0, sizeof(c->password));
	c->curl = NULL;
}

/* A reply that is JSON with "status" is the API's, whatever its HTTP code. */
static int parse_reply(struct prom_client *c, const char *path, long code,
		       const struct strbuf *body, json_t **data, char *err, size_t errlen)
{
	json_t *root, *status;
	json_error_t jerr;
	int ret = 0;

	root = json_loadb(body->buf ? body->buf : "", body->len, 0, &jerr);
	status = root ? json_object_get(root, "status") : NULL;
	if (!json_is_string(status)) {
		if (code == 401 || code == 403)
			snprintf(err, errlen, "%s%s: HTTP %ld: access refused "
				 "(check --username and --password-file)", c->base, path, code);
		else
			snprintf(err, errlen, "%s is not a Prometheus HTTP API: GET %s "
				 "answered HTTP %ld %s", c->base, path, code,
				 root ? "without a \"status\" member" : "with no JSON");
		json_decref(root);
		return -EPROTO;
	}
	if (strcmp(json_string_value(status), "success")) {
		const char *e = json_string_value(json_object_get(root, "error"));

		snprintf(err, errlen, "%s%s: Prometheus answered HTTP %ld: %s", c->base, path,
			 code, e ? e : "error without a message");
		ret = -EPROTO;
	} else {
		*data = json_incref(json_object_get(root, "data"));
	}
	json_decref(root);
	return ret;
}

int prom_get(struct prom_client *c, const char *path, const char *const *params,
	     json_t **data, char *err, size_t errlen)
{
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT;
	CURLcode cc;
	long code = 0;
	int ret;

	*data = NULL;
	strbuf_printf(&url, "%s%s", c->base, path);
	for (size_t i = 0; params && params[i]; i += 2) {
		char *v = curl_easy_escape(c->curl, params[i + 1], 0);

		strbuf_printf(&url, "%c%s=%s", i ? '&' : '?', params[i], v ? v : "");
		curl_free(v);
	}
	if (url.err) {
		snprintf(err, errlen, "%s%s: out of memory", c->base, path);
		ret = -ENOMEM;
		goto out;
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url.buf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &body);
	cc = curl_easy_perform(c->curl);
	c->queries++;
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "cannot reach Prometheus at %s: %s", c->base,
			 curl_easy_strerror(cc));
		ret = -EHOSTUNREACH;
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	ret = parse_reply(c, path, code, &body, data, err, errlen);
out:
	strbuf_free(&url);
	strbuf_free(&body);
	return ret;
}

static void series_key(json_t *metric, const char *const *labels, char *key, size_t n)
{
	size_t o = 0;

	key[0] = '\0';
	for (size_t i = 0; labels && labels[i]; i++) {
		const char *v = json_string_value(json_object_get(metric, labels[i]));

		o += snprintf(key + o, o < n ? n - o : 0, "%s%s", i ? "/" : "", v ? v : "");
	}
}

int prom_query_vector(struct prom_client *c, const char *expr, double t,
		      const char *const *labels, struct rpt_table *out,
		      char *err, size_t errlen)
{
	char ts[32], key[RPT_KEY];
	const char *params[] = { "query", expr, "time", ts, NULL };
	json_t *data, *result, *s;
	size_t i;
	int ret, n = 0;

	snprintf(ts, sizeof(ts), "%.3f", t);
	ret = prom_get(c, "/api/v1/query", params, &data, err, errlen);
	if (ret)
		return ret;
	result = json_object_get(data, "result");
	if (strcmp(json_string_value(json_object_get(data, "resultType")) ?: "", "vector") ||
	    !json_is_array(result)) {
		snprintf(err, errlen, "%s: query %s: the answer is not an instant vector",
			 c->base, expr);
		json_decref(data);
		return -EPROTO;
	}
	json_array_foreach(result, i, s) {
		const char *v = json_string_value(json_array_get(json_object_get(s, "value"), 1));
		double d;

		if (!v) {
			snprintf(err, errlen, "%s: query %s: a sample without a value", c->base, expr);
			ret = -EPROTO;
			break;
		}
		d = strtod(v, NULL);
		if (!isfinite(d))   /* 0/0 of a ratio over an idle sensor */
			continue;
		series_key(json_object_get(s, "metric"), labels, key, sizeof(key));
		ret = rpt_table_add(out, key, d);
		if (ret) {
			snprintf(err, errlen, "query %s: out of memory", expr);
			break;
		}
		n++;
	}
	json_decref(data);
	return ret ? ret : n;
}

int prom_metric_names(struct prom_client *c, double start, double end,
		      struct rpt_table *names, char *err, size_t errlen)
{
	char s[32], e[32];
	const char *params[] = { "start", s, "end", e, NULL };
	json_t *data, *v;
	size_t i;
	int ret;

	snprintf(s, sizeof(s), "%.0f", start);
	snprintf(e, sizeof(e), "%.0f", end);
	ret = prom_get(c, "/api/v1/label/__name__/values", params, &data, err, errlen);
	if (ret)
		return ret;
	if (!json_is_array(data)) {
		snprintf(err, errlen, "%s is not a Prometheus HTTP API: metric names are "
			 "not a list", c->base);
		json_decref(data);
		return -EPROTO;
	}
	json_array_foreach(data, i, v) {
		if (json_is_string(v) && rpt_table_add(names, json_string_value(v), 1)) {
			ret = -ENOMEM;
			snprintf(err, errlen, "metric names: out of memory");
			break;
		}
	}
	json_decref(data);
	return ret;
}
