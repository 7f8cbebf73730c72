/* prefix.h: IPv4/IPv6 prefixes and the list files that hold them. */
#ifndef DN_PREFIX_H
#define DN_PREFIX_H

#include <stddef.h>
#include <stdint.h>
#include "darknet_counter.h"

/* A CIDR prefix. addr is network byte order, IPv4 in the first four bytes,
 * host bits always zero (parsing rejects prefixes with host bits set). */
struct dn_prefix {
	uint8_t family;     /* enum dn_family */
	uint8_t len;        /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* One list entry: a prefix and, for scanner lists, its organisation. */
struct dn_prefix_entry {
	struct dn_prefix prefix;
	char org[DN_ORG_NAME_LEN];   /* "" for darknet lists */
};

struct dn_prefix_list {
	struct dn_prefix_entry *entries;
	size_t len, cap;
};

/* Longest text form of a prefix: an IPv6 address, '/', three digits. */
#define DN_PREFIX_STRLEN 48

/* Parse "a.b.c.d/n" or "x:y::/n" (a bare address means /32 or /128).
 * Returns 0, or -EINVAL with a one-line reason in err (e.g.
 * "invalid prefix length 33"). */
int prefix_parse(const char *text, struct dn_prefix *out, char *err, size_t errlen);
void prefix_format(const struct dn_prefix *p, char *buf, size_t len);
/* Number of addresses a prefix covers, as a double (2^128 does not fit). */
double prefix_addresses(const struct dn_prefix *p);
int prefix_equal(const struct dn_prefix *a, const struct dn_prefix *b);

void prefix_list_init(struct dn_prefix_list *l);
void prefix_list_free(struct dn_prefix_list *l);
int prefix_list_add(struct dn_prefix_list *l, const struct dn_prefix *p, const char *org);

/* Darknet list file: one CIDR a line, '#' comments, blank lines ignored.
 * Scanner list file: "CIDR ORG" a line. Both append to l. On bad input they
 * return a negative errno and write "file:line: reason" into err; l keeps
 * only what was there before the call. A scanner path may be a directory:
 * every regular file in it not starting with '.' is read, in name order. */
int prefix_list_load_darknets(struct dn_prefix_list *l, const char *path,
			      char *err, size_t errlen);
int prefix_list_load_scanners(struct dn_prefix_list *l, const char *path,
			      char *err, size_t errlen);

#endif
