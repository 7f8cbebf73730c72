/* metrics_text.h: text-format pieces and the families rendered outside metrics.c; for user/lib/metrics*.c only. */
#ifndef DN_METRICS_TEXT_H
#define DN_METRICS_TEXT_H

#include <net/if.h>
#include "snapshot.h"
#include "strbuf.h"

/* An escaped interface name: every byte may double. */
#define IFACE_LABEL_LEN (2 * IF_NAMESIZE + 1)

/* Label values escape backslash, double quote and newline (at most n bytes of s). */
void metrics_put_escaped(struct strbuf *sb, const char *s, size_t n);
void metrics_escape_iface(char out[IFACE_LABEL_LEN], const char *name);
/* # HELP and # TYPE lines of a family. */
void metrics_header(struct strbuf *sb, const char *name, const char *type, const char *help);
/* The shortest text that reads back as v. */
void metrics_put_double(struct strbuf *sb, double v);

/* darknet_scanner_packets_total. */
void metrics_render_orgs(struct strbuf *sb, const struct dn_snapshot *snap);
/* darknet_prefix_packets_total and darknet_prefix_addresses. 0 or -ENOMEM. */
int metrics_render_prefixes(struct strbuf *sb, const struct dn_snapshot *snap);

#endif
