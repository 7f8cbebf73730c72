/* geo_csv.c: range CSVs: "first,last,CC" (country) and "first,last,ASN,org" (ASN), ip-location-db's formats. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "darknet_counter.h"
#include "geo.h"
#include "list_file.h"

/* One address, either family; 0 or -EINVAL. */
static int parse_addr(const char *s, __u8 *family, unsigned __int128 *out)
{
	unsigned char b[16];

	*out = 0;
	if (inet_pton(AF_INET, s, b) == 1) {
		*family = DN_FAMILY_IPV4;
		for (int i = 0; i < 4; i++)
			*out = *out << 8 | b[i];
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		*family = DN_FAMILY_IPV6;
		for (int i = 0; i < 16; i++)
			*out = *out << 8 | b[i];
		return 0;
	}
	return -EINVAL;
}

/* Cut the next comma-separated field from *p, in place. A field may be
 * quoted, "" standing for one quote (RFC 4180); the last field takes the
 * rest of the line. NULL when the quoting is broken. */
static char *field(char **p, int last)
{
	char *s = *p, *out, *in;

	if (*s != '"') {
		char *comma = last ? NULL : strchr(s, ',');

		if (!last && !comma)
			return NULL;   /* a field is missing */
		*p = comma ? comma + 1 : s + strlen(s);
		if (comma)
			*comma = '\0';
		return s;
	}
	for (out = s, in = s + 1;; in++) {
		if (!*in)
			return NULL;
		if (*in == '"' && in[1] != '"')
			break;
		*out++ = *in;
		in += *in == '"';
	}
	in++;
	if ((*in && *in != ',') || (!last && !*in))
		return NULL;
	*out = '\0';
	*p = *in ? in + 1 : in;
	return s;
}

struct csv_file {
	struct geo_db *db;
	const char *path;
	__u16 file;
	__u32 line;
	int family;           /* the first range's, -1 before it */
	__u32 family_line;
	char *err;
	size_t errlen;
};

static int refuse(struct csv_file *c, const char *fmt, const char *arg)
{
	char why[256];

	snprintf(why, sizeof(why), fmt, arg);
	snprintf(c->err, c->errlen, "%s:%u: %s", c->path, c->line, why);
	return -EINVAL;
}

static int parse_line(struct csv_file *c, char *s)
{
	static const char *const fam[] = { "IPv4", "IPv6" };
	int asn = c->db->kind == GEO_ASN;
	char *first = field(&s, 0), *last = first ? field(&s, 0) : NULL;
	char *value = last ? field(&s, !asn) : NULL, *org = NULL, *end;
	struct geo_range r = { .line = c->line, .file = c->file };
	__u8 f2;
	char why[96];

	if (value && asn)
		org = field(&s, 1);
	if (!value || (asn && !org) || (!asn && strchr(value, ',')))
		return refuse(c, "malformed line: expected %s", asn ? "first,last,ASN,org"
								    : "first,last,CC");
	if (parse_addr(first, &r.family, &r.first))
		return refuse(c, "invalid address '%s'", first);
	if (parse_addr(last, &f2, &r.last))
		return refuse(c, "invalid address '%s'", last);
	if (f2 != r.family)
		return refuse(c, "first and last address of different families%s", "");
	if (r.last < r.first)
		return refuse(c, "reversed range: last %s is before first", last);
	if (c->family < 0) {
		c->family = r.family;
		c->family_line = c->line;
	} else if (r.family != c->family) {
		snprintf(why, sizeof(why), "%s range in an %s file (line %u is %s)",
			 fam[r.family], fam[c->family], c->family_line, fam[c->family]);
		return refuse(c, "%s", why);
	}
	if (!asn) {
		if (!(r.value = geo_cc_index(value)))
			return refuse(c, "unknown country code '%s'", value);
		return geo_db_add(c->db, &r);
	}
	errno = 0;
	unsigned long long n = strtoull(value, &end, 10);
	if (errno || end == value || *end || n == 0 || n > UINT32_MAX || *value == '-')
		return refuse(c, "invalid AS number '%s'", value);
	r.value = n;
	return geo_db_add(c->db, &r) ?: geo_db_add_name(c->db, r.value, org, strlen(org));
}

int geo_csv_load(struct geo_db *db, const char *path, __u16 file, char *err, size_t errlen)
{
	struct csv_file c = { .db = db, .path = path, .file = file, .family = -1,
			      .err = err, .errlen = errlen };
	char buf[DN_LIST_MAX_LINE + 1], why[128];
	size_t n;
	FILE *f;
	int ret;

	if ((ret = list_file_open(path, &f, why, sizeof(why)))) {
		snprintf(err, errlen, "%s: %s", path, why);
		return ret;
	}
	while ((ret = list_file_line(f, buf, sizeof(buf), &n)) == 1) {
		c.line++;
		ret = strlen(buf) == n ? 0 : refuse(&c, "malformed line: a NUL byte%s", "");
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!ret && buf[0] && buf[0] != '#')
			ret = parse_line(&c, buf);
		if (ret)
			break;
		ret = 1;
	}
	fclose(f);
	if (ret == -E2BIG)
		snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, c.line + 1,
			 DN_LIST_MAX_LINE);
	else if (ret < 0 && ret != -EINVAL)
		snprintf(err, errlen, "%s:%u: %s", path, c.line, strerror(-ret));
	return ret < 0 ? ret : 0;
}
