/* webconfig.h: --web.config.file in the Prometheus exporter-toolkit format (TLS, basic auth). */
#ifndef DN_WEBCONFIG_H
#define DN_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "auth.h"
#include "http.h"

/* TLS protocol versions, exporter-toolkit's names TLS10..TLS13. */
enum webconfig_tls_version {
	WEBCONFIG_TLS10,
	WEBCONFIG_TLS11,
	WEBCONFIG_TLS12,
	WEBCONFIG_TLS13,
};

#define WEBCONFIG_MAX_FILE (1 << 20)   /* config, certificate and key files */
/* Flow collections ([...], {...}) nested deeper are refused before libyaml
 * loads the file (docs/hardening.md). */
#define WEBCONFIG_MAX_DEPTH 32

struct dn_webconfig {
	char *path;                        /* NULL: no --web.config.file */
	bool tls;                          /* cert_file and key_file given */
	/* Paths as given, relative ones resolved against the config file's
	 * directory (as exporter-toolkit does). */
	char *cert_file;
	char *key_file;
	char *client_ca_file;              /* NULL: none */
	enum http_client_auth client_auth;
	enum webconfig_tls_version min_version;  /* default TLS12 */
	enum webconfig_tls_version max_version;  /* default TLS13 */
	char priorities[128];              /* GnuTLS priority string */
	/* File contents, read and checked (key matches certificate, CA file
	 * holds certificates) at load so that a bad file stops the start. */
	char *cert_pem;
	char *key_pem;
	char *ca_pem;
	struct auth_db *auth;              /* NULL: no basic_auth_users */
};

/* Parse and check path (NULL: nothing configured, plain HTTP, no auth) and
 * read the files it names. 0, or -errno with a one-line reason naming the
 * file (and line) in err; wc holds nothing to free then. */
int webconfig_load(const char *path, struct dn_webconfig *wc, char *err, size_t errlen);
/* Fill the TLS and auth fields of opts; wc must outlive the HTTP server. */
void webconfig_apply(const struct dn_webconfig *wc, struct http_options *opts);
/* Release everything; the key's bytes are wiped. */
void webconfig_free(struct dn_webconfig *wc);

const char *webconfig_client_auth_name(enum http_client_auth a);
/* exporter-toolkit's name of a TLS version ("TLS12"), "?" out of range. */
const char *webconfig_tls_version_name(enum webconfig_tls_version v);

/* For webconfig*.c: a whole regular file of at most WEBCONFIG_MAX_FILE
 * bytes into a NUL-terminated buffer (0 or -errno), and the TLS half of
 * webconfig_load(): read and check the PEM files, build the priorities
 * (0 with nothing to do unless wc->tls; -errno with "CONFIG: reason"). */
int webconfig_read_file(const char *path, char **out, size_t *len);
int webconfig_tls_load(struct dn_webconfig *wc, char *err, size_t errlen);
/* 0, or -E2BIG with the line (from 1) where text's flow collections nest
 * deeper than WEBCONFIG_MAX_DEPTH; YAML errors are left to the load. */
int webconfig_check_depth(const char *text, size_t len, size_t *line);

#endif
