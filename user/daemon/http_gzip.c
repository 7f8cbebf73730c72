/* http_gzip.c: gzip for responses, and reading Accept-Encoding (RFC 9110 section 12.5.3). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "http.h"

int http_gzip(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream zs = {0};
	size_t cap = compressBound(len) + 32;   /* + gzip header and trailer */
	int ret;

	*out = malloc(cap);
	if (!*out)
		return -ENOMEM;
	/* windowBits 15 + 16 asks zlib for a gzip wrapper, not raw zlib */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(*out);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	zs.next_out = (Bytef *)*out;
	zs.avail_out = cap;
	ret = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(*out);
		return -EIO;
	}
	return 0;
}

#define OWS " \t"

/* The weight of one "coding;q=W;..." element: 1 without a q parameter, 0
 * for a q that is not 0..1 with up to three decimals (RFC 9110 section
 * 12.4.2), as if the coding were refused. */
static double element_weight(const char *params, size_t len)
{
	const char *p = params, *end = params + len;

	while (p < end) {
		const char *semi = memchr(p, ';', end - p);
		const char *stop = semi ? semi : end;

		p += strspn(p, OWS);
		if (stop - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			char num[8] = "";
			size_t n = stop - (p + 2);
			char *e;
			double q;

			while (n && strchr(OWS, p[2 + n - 1]))
				n--;
			if (n == 0 || n >= sizeof(num))
				return 0;
			memcpy(num, p + 2, n);
			q = strtod(num, &e);
			return *e || q < 0 || q > 1 ? 0 : q;
		}
		p = semi ? semi + 1 : end;
	}
	return 1;
}

bool http_accepts_gzip(const char *ae)
{
	double gzip = -1, star = -1;   /* -1: not named */

	while (*ae) {
		size_t len = strcspn(ae, ","), name;
		const char *el = ae + strspn(ae, OWS);

		if (el > ae + len)
			el = ae + len;
		name = strcspn(el, ";," OWS);
		if ((name == 4 && !strncasecmp(el, "gzip", 4)) ||
		    (name == 6 && !strncasecmp(el, "x-gzip", 6)))
			gzip = element_weight(el + name, ae + len - (el + name));
		else if (name == 1 && el[0] == '*')
			star = element_weight(el + name, ae + len - (el + name));
		ae += len + (ae[len] == ',');
	}
	/* gzip;q=0 refuses it even when "*" would allow it */
	return gzip >= 0 ? gzip > 0 : star > 0;
}
