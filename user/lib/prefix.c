/* prefix.c: parse, format, compare and size IPv4/IPv6 CIDR prefixes. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "prefix.h"

/* Longest text we try to parse: an IPv6 address with an embedded IPv4 tail
 * (45 chars), '/', three digits. Anything longer cannot be a prefix. */
#define PREFIX_TEXT_MAX (INET6_ADDRSTRLEN + 4)

static unsigned int family_bits(uint8_t family)
{
	return family == DN_FAMILY_IPV4 ? 32 : 128;
}

static const char *family_name(uint8_t family)
{
	return family == DN_FAMILY_IPV4 ? "IPv4" : "IPv6";
}

/* Digits only: strtoul would accept "+24", " 24" and "0x18", none of which
 * an operator means as a prefix length. */
static int parse_len(const char *s, unsigned int max, unsigned int *out,
		     char *err, size_t errlen)
{
	unsigned int v = 0;
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(err, errlen, "missing prefix length after '/'");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		/* Four digits already exceed 128: stop before overflowing. */
		if (s[i] < '0' || s[i] > '9' || i >= 3) {
			snprintf(err, errlen, "invalid prefix length %s", s);
			return -EINVAL;
		}
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > max) {
		snprintf(err, errlen, "invalid prefix length %u", v);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Clears every bit past len; returns whether any of them was set. */
static int clear_host_bits(uint8_t *addr, unsigned int bits, unsigned int len)
{
	int was_set = 0;

	for (unsigned int i = len / 8; i < bits / 8; i++) {
		uint8_t keep = i == len / 8 ? (uint8_t)(0xff00u >> (len % 8)) : 0;

		was_set |= (addr[i] & ~keep) != 0;
		addr[i] &= keep;
	}
	return was_set;
}

static int parse_addr(const char *s, struct dn_prefix *p, char *err, size_t errlen)
{
	if (s[0] == '\0') {
		snprintf(err, errlen, "missing address before '/'");
		return -EINVAL;
	}
	/* The address form alone decides the family: IPv6 always has a colon. */
	p->family = strchr(s, ':') ? DN_FAMILY_IPV6 : DN_FAMILY_IPV4;
	if (inet_pton(p->family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6, s, p->addr) != 1) {
		snprintf(err, errlen, "invalid %s address %s", family_name(p->family), s);
		return -EINVAL;
	}
	return 0;
}

int prefix_parse(const char *text, struct dn_prefix *out, char *err, size_t errlen)
{
	char buf[PREFIX_TEXT_MAX + 1];
	struct dn_prefix p = { 0 };
	unsigned int bits, len;
	char *slash;
	int ret;

	if (text[0] == '\0') {
		snprintf(err, errlen, "empty prefix");
		return -EINVAL;
	}
	if (strlen(text) > PREFIX_TEXT_MAX) {
		snprintf(err, errlen, "invalid prefix %.*s... (too long)", PREFIX_TEXT_MAX, text);
		return -EINVAL;
	}
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	ret = parse_addr(buf, &p, err, errlen);
	if (ret)
		return ret;
	bits = family_bits(p.family);
	len = bits;
	if (slash) {
		ret = parse_len(slash + 1, bits, &len, err, errlen);
		if (ret)
			return ret;
	}
	p.len = (uint8_t)len;
	/* A prefix with host bits set is usually a typo for a different
	 * network; counting it as its network would hide the mistake. */
	if (clear_host_bits(p.addr, bits, len)) {
		char net[DN_PREFIX_STRLEN];

		prefix_format(&p, net, sizeof(net));
		snprintf(err, errlen, "host bits set in %s (network is %s)", text, net);
		return -EINVAL;
	}
	*out = p;
	return 0;
}

void prefix_format(const struct dn_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int af = p->family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6;

	if (!inet_ntop(af, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, p->len);
}

double prefix_addresses(const struct dn_prefix *p)
{
	return ldexp(1.0, (int)family_bits(p->family) - p->len);
}

int prefix_equal(const struct dn_prefix *a, const struct dn_prefix *b)
{
	/* Only the family's bytes: an IPv4 prefix built by hand may carry
	 * anything in addr[4..15]. */
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, family_bits(a->family) / 8) == 0;
}
