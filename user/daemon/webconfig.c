/* webconfig.c: --web.config.file in the Prometheus exporter-toolkit format (TLS, basic auth). */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "log.h"
#include "webconfig.h"
#include "array_size.h"

static const char *const client_auth_names[] = {
	[HTTP_CLIENT_CERT_NONE] = "NoClientCert",
	[HTTP_CLIENT_CERT_REQUEST] = "RequestClientCert",
	[HTTP_CLIENT_CERT_REQUIRE_ANY] = "RequireAnyClientCert",
	[HTTP_CLIENT_CERT_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[HTTP_CLIENT_CERT_REQUIRE_VERIFY] = "RequireAndVerifyClientCert",
};
#define NR_CLIENT_AUTH (ARRAY_SIZE(client_auth_names))

/* exporter-toolkit keys darknet-counter knows but does not implement: named
 * as such rather than "unknown", and refused rather than ignored, since
 * each one narrows what a client may do. */
static const char *const unsupported_tls_keys[] = {
	"cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
	"client_allowed_sans", "cert", "key",
};

/* One parse: where errors go, and the nodes cross-key checks point at. */
struct wc_parse {
	const char *path;
	yaml_document_t *doc;
	struct dn_webconfig *wc;
	const char *cert_file, *key_file, *ca_file;   /* borrowed from doc */
	yaml_node_t *tls_node, *client_auth_node, *ca_node, *version_node;
	bool tls_keys;            /* tls_server_config sets something */
	char *err;
	size_t errlen;
};

typedef int (*key_fn)(struct wc_parse *p, const char *key, yaml_node_t *k, yaml_node_t *v);

const char *webconfig_client_auth_name(enum http_client_auth a)
{
	return (size_t)a < NR_CLIENT_AUTH ? client_auth_names[a] : "?";
}

/* "PATH:LINE: message" (libyaml's lines count from 0), or "PATH: message". */
__attribute__((format(printf, 3, 4)))
static int fail(struct wc_parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->err, p->errlen, "%s:%zu: %s", p->path, n->start_mark.line + 1, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	return -EINVAL;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "mapping" :
	       n->type == YAML_SEQUENCE_NODE ? "list" : "string";
}

/* A string value; NULL for null or "" (unset, as exporter-toolkit reads it). */
static int get_string(struct wc_parse *p, const char *key, yaml_node_t *v,
		      const char **out)
{
	*out = NULL;
	if (is_null(v))
		return 0;
	if (v->type != YAML_SCALAR_NODE)
		return fail(p, v, "%s: expected a string, found a %s", key, node_kind(v));
	/* a "\0" escape would cut the string short where C reads it */
	if (strlen((char *)v->data.scalar.value) != v->data.scalar.length)
		return fail(p, v, "%s: contains a NUL character", key);
	if (v->data.scalar.length)
		*out = (const char *)v->data.scalar.value;
	return 0;
}

static bool same_scalar(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->type == YAML_SCALAR_NODE && b->type == YAML_SCALAR_NODE &&
	       a->data.scalar.length == b->data.scalar.length &&
	       !memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length);
}

struct wc_key {
	const yaml_node_t *node;
	size_t pos;
};

static int key_cmp(const void *a, const void *b)
{
	const struct wc_key *x = a, *y = b;
	size_t lx = x->node->data.scalar.length, ly = y->node->data.scalar.length;
	int c = lx != ly ? (lx < ly ? -1 : 1) :
		memcmp(x->node->data.scalar.value, y->node->data.scalar.value, lx);

	return c ?: (x->pos > y->pos) - (x->pos < y->pos);
}

/* The position of the first key (in file order) that repeats an earlier
 * one, n if none: sorted by value then position, in O(n log n) where
 * comparing each key with those before it took minutes for 10,000 users. */
static int first_duplicate(struct wc_parse *p, yaml_node_pair_t *pairs, size_t n,
			   size_t *dup)
{
	struct wc_key *keys = calloc(n ?: 1, sizeof(*keys));
	size_t nr = 0;

	if (!keys)
		return fail(p, NULL, "out of memory"), -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pairs[i].key);

		if (k && k->type == YAML_SCALAR_NODE)
			keys[nr++] = (struct wc_key){ .node = k, .pos = i };
	}
	qsort(keys, nr, sizeof(*keys), key_cmp);
	*dup = n;
	for (size_t i = 1; i < nr; i++)
		if (same_scalar(keys[i - 1].node, keys[i].node) && keys[i].pos < *dup)
			*dup = keys[i].pos;
	free(keys);
	return 0;
}

/* Call fn for each key of the mapping v (null: an empty one). libyaml
 * keeps duplicate keys, which Go's strict YAML refuses: so do we. */
static int walk_mapping(struct wc_parse *p, yaml_node_t *v, const char *what, key_fn fn)
{
	yaml_node_pair_t *start, *top;
	size_t dup;
	int ret;

	if (is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return fail(p, v, "%s: expected a mapping, found a %s", what, node_kind(v));
	start = v->data.mapping.pairs.start;
	top = v->data.mapping.pairs.top;
	ret = first_duplicate(p, start, top - start, &dup);
	if (ret)
		return ret;
	for (yaml_node_pair_t *pair = start; pair < top; pair++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *val = yaml_document_get_node(p->doc, pair->value);
		const char *key;

		ret = get_string(p, what, k, &key);
		if (ret || !key || k->type != YAML_SCALAR_NODE)
			return ret ?: fail(p, k, "%s: keys must be non-empty strings", what);
		if ((size_t)(pair - start) == dup)
			return fail(p, k, "%s: duplicate key '%s'", what, key);
		ret = fn(p, key, k, val);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_client_auth(struct wc_parse *p, yaml_node_t *v)
{
	const char *s;
	int ret = get_string(p, "client_auth_type", v, &s);

	if (ret || !s)
		return ret;
	for (size_t i = 0; i < NR_CLIENT_AUTH; i++)
		if (!strcmp(s, client_auth_names[i])) {
			p->wc->client_auth = i;
			return 0;
		}
	/* exporter-toolkit's older name, kept there for compatibility */
	if (!strcmp(s, "RequireClientCert")) {
		p->wc->client_auth = HTTP_CLIENT_CERT_REQUIRE_ANY;
		return 0;
	}
	return fail(p, v, "client_auth_type: unknown value '%s' (expected NoClientCert, "
		    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven "
		    "or RequireAndVerifyClientCert)", s);
}

static int parse_version(struct wc_parse *p, const char *key, yaml_node_t *v,
			 enum webconfig_tls_version *out)
{
	const char *s;
	int ret = get_string(p, key, v, &s);

	if (ret || !s)
		return ret;
	for (size_t i = 0; i <= WEBCONFIG_TLS13; i++)
		if (!strcmp(s, webconfig_tls_version_name(i))) {
			*out = i;
			return 0;
		}
	return fail(p, v, "%s: unknown value '%s' (expected TLS10, TLS11, TLS12 or TLS13)",
		    key, s);
}

static int tls_key(struct wc_parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	p->tls_keys |= !is_null(v);
	if (!strcmp(key, "cert_file"))
		return get_string(p, key, v, &p->cert_file);
	if (!strcmp(key, "key_file"))
		return get_string(p, key, v, &p->key_file);
	if (!strcmp(key, "client_ca_file")) {
		p->ca_node = k;
		return get_string(p, key, v, &p->ca_file);
	}
	if (!strcmp(key, "client_auth_type")) {
		p->client_auth_node = k;
		return parse_client_auth(p, v);
	}
	if (!strcmp(key, "min_version") || !strcmp(key, "max_version")) {
		p->version_node = k;
		return parse_version(p, key, v, !strcmp(key, "min_version") ?
				     &p->wc->min_version : &p->wc->max_version);
	}
	for (size_t i = 0; i < sizeof(unsupported_tls_keys) / sizeof(char *); i++)
		if (!strcmp(key, unsupported_tls_keys[i]))
			return fail(p, k, "tls_server_config: '%s' is not supported by "
				    "darknet-counter", key);
	return fail(p, k, "tls_server_config: unknown key '%s' (expected cert_file, "
		    "key_file, client_auth_type, client_ca_file, min_version or "
		    "max_version)", key);
}

static int user_key(struct wc_parse *p, const char *name, yaml_node_t *k, yaml_node_t *v)
{
	const char *hash;
	int ret = get_string(p, name, v, &hash);

	if (ret)
		return ret;
	if (strchr(name, ':'))
		return fail(p, k, "basic_auth_users: user name '%s' contains ':', which "
			    "basic auth cannot send", name);
	if (!hash || !auth_is_bcrypt(hash))
		return fail(p, v, "basic_auth_users: the password of '%s' is not a bcrypt "
			    "hash ($2y$..., e.g. from htpasswd -nBC 10 %s)", name, name);
	if (!p->wc->auth && (ret = auth_create(&p->wc->auth)))
		return fail(p, k, "basic_auth_users: %s", strerror(-ret));
	ret = auth_add_user(p->wc->auth, name, hash);
	return ret ? fail(p, k, "basic_auth_users: '%s': %s", name, strerror(-ret)) : 0;
}

static int http_key(struct wc_parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	(void)v;
	if (!strcmp(key, "http2")) {
		pr_debug("%s:%zu: http_server_config.http2 ignored: darknet-counter serves "
			 "HTTP/1.1 only\n", p->path, k->start_mark.line + 1);
		return 0;
	}
	if (!strcmp(key, "headers")) {
		/* a warning, not a debug note: these are often security headers */
		pr_warn("%s:%zu: http_server_config.headers ignored: darknet-counter does "
			"not add response headers\n", p->path, k->start_mark.line + 1);
		return 0;
	}
	return fail(p, k, "http_server_config: unknown key '%s' (expected http2 or headers)",
		    key);
}

static int top_key(struct wc_parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config")) {
		p->tls_node = k;
		return walk_mapping(p, v, key, tls_key);
	}
	if (!strcmp(key, "basic_auth_users"))
		return walk_mapping(p, v, key, user_key);
	if (!strcmp(key, "http_server_config"))
		return walk_mapping(p, v, key, http_key);
	return fail(p, k, "unknown key '%s' (expected tls_server_config, basic_auth_users "
		    "or http_server_config)", key);
}

/* The rules that span keys, checked once the whole file is read. */
static int check_tls(struct wc_parse *p)
{
	struct dn_webconfig *wc = p->wc;
	const char *need = webconfig_client_auth_name(wc->client_auth);

	if (!p->tls_keys)
		return 0;
	if (!p->cert_file)
		return fail(p, p->tls_node, "tls_server_config: cert_file is missing");
	if (!p->key_file)
		return fail(p, p->tls_node, "tls_server_config: key_file is missing");
	if ((wc->client_auth == HTTP_CLIENT_CERT_VERIFY_IF_GIVEN ||
	     wc->client_auth == HTTP_CLIENT_CERT_REQUIRE_VERIFY) && !p->ca_file)
		return fail(p, p->client_auth_node, "tls_server_config: client_auth_type "
			    "%s needs client_ca_file", need);
	if (p->ca_file && wc->client_auth == HTTP_CLIENT_CERT_NONE)
		return fail(p, p->ca_node, "tls_server_config: client_ca_file is set but "
			    "client_auth_type is NoClientCert");
	if (wc->min_version > wc->max_version)
		return fail(p, p->version_node, "tls_server_config: min_version %s is above "
			    "max_version %s", webconfig_tls_version_name(wc->min_version),
			    webconfig_tls_version_name(wc->max_version));
	wc->tls = true;
	return 0;
}

/* Relative to the config file's directory, as exporter-toolkit resolves them. */
static int resolve(const char *config, const char *file, char **out)
{
	char *copy;
	int n;

	*out = NULL;
	if (!file)
		return 0;
	if (file[0] == '/') {
		*out = strdup(file);
		return *out ? 0 : -ENOMEM;
	}
	copy = strdup(config);
	if (!copy)
		return -ENOMEM;
	n = asprintf(out, "%s/%s", dirname(copy), file);
	free(copy);
	if (n < 0)
		*out = NULL;
	return n < 0 ? -ENOMEM : 0;
}

static int yaml_failure(struct wc_parse *p, const yaml_parser_t *y)
{
	snprintf(p->err, p->errlen, "%s:%zu:%zu: invalid YAML: %s%s%s", p->path,
		 y->problem_mark.line + 1, y->problem_mark.column + 1,
		 y->problem ?: "parse error", y->context ? " " : "", y->context ?: "");
	return -EINVAL;
}

static int walk_document(struct wc_parse *p, yaml_parser_t *y)
{
	yaml_node_t *root = yaml_document_get_root_node(p->doc);
	yaml_document_t next;
	int ret;

	if (root) {
		ret = walk_mapping(p, root, "top level", top_key);
		if (ret)
			return ret;
	}
	/* Go's YAML reads the first document only; a second is refused
	 * rather than silently dropped */
	if (!yaml_parser_load(y, &next))
		return yaml_failure(p, y);
	root = yaml_document_get_root_node(&next);
	ret = root ? fail(p, root, "a second YAML document; one is expected") : 0;
	yaml_document_delete(&next);
	return ret ?: check_tls(p);
}

static int parse_file(struct wc_parse *p)
{
	struct dn_webconfig *wc = p->wc;
	yaml_parser_t y;
	yaml_document_t doc;
	size_t len, line;
	char *text;
	int ret = webconfig_read_file(p->path, &text, &len);

	if (ret) {
		snprintf(p->err, p->errlen, "cannot read web config file %s: %s", p->path,
			 strerror(-ret));
		return ret;
	}
	if (webconfig_check_depth(text, len, &line)) {
		snprintf(p->err, p->errlen, "%s:%zu: nesting deeper than %d", p->path, line,
			 WEBCONFIG_MAX_DEPTH);
		free(text);
		return -EINVAL;
	}
	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (unsigned char *)text, len);
	if (!yaml_parser_load(&y, &doc)) {
		ret = yaml_failure(p, &y);
		goto cleanup_parser;
	}
	p->doc = &doc;
	ret = walk_document(p, &y);
	/* copy the paths out before the document that holds them goes */
	ret = ret ?: resolve(p->path, p->cert_file, &wc->cert_file);
	ret = ret ?: resolve(p->path, p->key_file, &wc->key_file);
	ret = ret ?: resolve(p->path, p->ca_file, &wc->client_ca_file);
	if (ret == -ENOMEM)
		fail(p, NULL, "out of memory");
	yaml_document_delete(&doc);
cleanup_parser:
	yaml_parser_delete(&y);
	free(text);
	return ret;
}

int webconfig_load(const char *path, struct dn_webconfig *wc, char *err, size_t errlen)
{
	struct wc_parse p = { .path = path, .wc = wc, .err = err, .errlen = errlen };
	int ret;

	*wc = (struct dn_webconfig){
		.min_version = WEBCONFIG_TLS12,   /* exporter-toolkit's defaults */
		.max_version = WEBCONFIG_TLS13,
	};
	if (!path)
		return 0;
	wc->path = strdup(path);
	ret = wc->path ? parse_file(&p) : (fail(&p, NULL, "out of memory"), -ENOMEM);
	ret = ret ?: webconfig_tls_load(wc, err, errlen);
	if (ret) {
		webconfig_free(wc);
		return ret;
	}
	if (!wc->tls && !wc->auth)
		pr_warn("%s: sets neither TLS nor basic auth: serving plain HTTP to anyone\n",
			path);
	pr_debug("%s: TLS %s (client certificates: %s), basic auth for %zu users\n", path,
		 wc->tls ? wc->priorities : "off", webconfig_client_auth_name(wc->client_auth),
		 wc->auth ? auth_nr_users(wc->auth) : 0);
	return 0;
}

void webconfig_apply(const struct dn_webconfig *wc, struct http_options *opts)
{
	if (wc->tls) {
		opts->tls_cert_pem = wc->cert_pem;
		opts->tls_key_pem = wc->key_pem;
		opts->tls_client_ca_pem = wc->ca_pem;
		opts->tls_client_auth = wc->client_auth;
		opts->tls_priorities = wc->priorities;
	}
	if (wc->auth) {
		opts->auth = auth_check_peer;
		opts->auth_ctx = wc->auth;
	}
}

void webconfig_free(struct dn_webconfig *wc)
{
	if (wc->key_pem)
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));   /* the private key */
	free(wc->key_pem);
	free(wc->cert_pem);
	free(wc->ca_pem);
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->client_ca_file);
	free(wc->path);
	auth_free(wc->auth);
	*wc = (struct dn_webconfig){0};
}
