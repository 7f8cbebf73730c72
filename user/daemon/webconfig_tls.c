/* webconfig_tls.c: the TLS half of --web.config.file: certificate, key and CA files read and checked, GnuTLS priorities. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include "webconfig.h"
#include "array_size.h"

static const struct {
	const char *name;      /* exporter-toolkit */
	const char *gnutls;    /* priority string keyword */
} tls_versions[] = {
	[WEBCONFIG_TLS10] = { "TLS10", "VERS-TLS1.0" },
	[WEBCONFIG_TLS11] = { "TLS11", "VERS-TLS1.1" },
	[WEBCONFIG_TLS12] = { "TLS12", "VERS-TLS1.2" },
	[WEBCONFIG_TLS13] = { "TLS13", "VERS-TLS1.3" },
};
#define NR_TLS_VERSIONS (ARRAY_SIZE(tls_versions))

const char *webconfig_tls_version_name(enum webconfig_tls_version v)
{
	return (size_t)v < ARRAY_SIZE(tls_versions) ? tls_versions[v].name : "?";
}

/* Whole regular file into a NUL-terminated buffer. 0 or -errno. */
int webconfig_read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	struct stat st;
	ssize_t n = 0;
	char *buf;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else if (st.st_size > WEBCONFIG_MAX_FILE)
		ret = -EFBIG;
	buf = ret ? NULL : malloc(st.st_size + 1);
	if (!ret && !buf)
		ret = -ENOMEM;
	for (off_t done = 0; !ret && done < st.st_size; done += n) {
		n = read(fd, buf + done, st.st_size - done);
		if (n <= 0)
			ret = n ? -errno : -EIO;   /* 0: the file shrank under us */
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[st.st_size] = '\0';
	*out = buf;
	*len = st.st_size;
	return 0;
}

/* Where a TLS check's reason goes. */
struct tls_load {
	struct dn_webconfig *wc;
	char *err;
	size_t errlen;
};

/* "CONFIG: message", as the YAML half reports file-level errors. */
__attribute__((format(printf, 2, 3)))
static int fail(struct tls_load *p, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s: %s", p->wc->path, msg);
	return -EINVAL;
}

static int read_pem(struct tls_load *p, const char *what, const char *file, char **out)
{
	size_t len;
	int ret = webconfig_read_file(file, out, &len);

	if (ret)
		fail(p, "cannot read %s %s: %s", what, file,
		     ret == -EFBIG ? "larger than 1 MiB" : strerror(-ret));
	return ret;
}

static gnutls_datum_t datum(const char *s)
{
	return (gnutls_datum_t){ .data = (unsigned char *)s, .size = strlen(s) };
}

/* GnuTLS reads the files now, as libmicrohttpd will: a key that does not
 * match its certificate is refused here with the reason, not later with
 * "cannot start the HTTP server". */
static int check_pems(struct tls_load *p)
{
	struct dn_webconfig *wc = p->wc;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = datum(wc->cert_pem), key = datum(wc->key_pem), ca;
	int ret, n;

	/* GnuTLS's own words for these ("Base64 decoding error", "The
	 * requested data were not available") do not say which file is wrong */
	if (!strstr(wc->cert_pem, "-----BEGIN CERTIFICATE-----"))
		return fail(p, "cert_file %s: no PEM certificate in it", wc->cert_file);
	if (!strstr(wc->key_pem, "-----BEGIN ") || !strstr(wc->key_pem, "PRIVATE KEY-----"))
		return fail(p, "key_file %s: no PEM private key in it", wc->key_file);
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return fail(p, "out of memory");
	ret = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (ret < 0) {
		ret = fail(p, "cert_file %s with key_file %s: %s", wc->cert_file,
			   wc->key_file, gnutls_strerror(ret));
	} else if (wc->ca_pem) {
		ca = datum(wc->ca_pem);
		/* the number of certificates read, or a GnuTLS error */
		n = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (n <= 0)
			ret = fail(p, "client_ca_file %s: %s", wc->client_ca_file,
				   n ? gnutls_strerror(n) : "no PEM certificate in it");
	}
	gnutls_certificate_free_credentials(cred);
	return ret < 0 ? ret : 0;
}

/* "NORMAL" with only the versions from min_version to max_version. */
static int make_priorities(struct tls_load *p)
{
	struct dn_webconfig *wc = p->wc;
	gnutls_priority_t prio;
	size_t n = snprintf(wc->priorities, sizeof(wc->priorities), "NORMAL:-VERS-ALL");
	const char *where;

	for (int v = wc->max_version; v >= (int)wc->min_version; v--)
		n += snprintf(wc->priorities + n, sizeof(wc->priorities) - n, ":+%s",
			      tls_versions[v].gnutls);
	/* GnuTLS may lack a version (or a system policy may forbid it) */
	if (gnutls_priority_init(&prio, wc->priorities, &where) < 0)
		return fail(p, "TLS versions %s to %s are not available in this GnuTLS",
			    tls_versions[wc->min_version].name,
			    tls_versions[wc->max_version].name);
	gnutls_priority_deinit(prio);
	return 0;
}

int webconfig_tls_load(struct dn_webconfig *wc, char *err, size_t errlen)
{
	struct tls_load t = { .wc = wc, .err = err, .errlen = errlen };
	struct tls_load *p = &t;
	int ret;

	if (!wc->tls)
		return 0;
	ret = read_pem(p, "cert_file", wc->cert_file, &wc->cert_pem);
	ret = ret ?: read_pem(p, "key_file", wc->key_file, &wc->key_pem);
	if (!ret && wc->client_ca_file)
		ret = read_pem(p, "client_ca_file", wc->client_ca_file, &wc->ca_pem);
	ret = ret ?: check_pems(p);
	return ret ?: make_priorities(p);
}
