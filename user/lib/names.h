/* names.h: metric label and help text of every class, reason, family and protocol. */
#ifndef DN_NAMES_H
#define DN_NAMES_H

#include <stdbool.h>
#include "darknet_counter.h"

/* The label value of an enum member, and one line saying what it counts.
 * Out-of-range values give NULL: callers iterate over the enum's range. */
const char *names_class(unsigned int cls);
const char *names_class_help(unsigned int cls);
const char *names_reason(unsigned int reason);
const char *names_reason_help(unsigned int reason);
const char *names_family(unsigned int family);

/* Label value -> enum value, or -ENOENT (for tests and option parsing). */
int names_class_lookup(const char *label);
int names_reason_lookup(const char *label);

/* Passed frames (not_ip, not_darknet) versus malformed ones. */
bool names_reason_is_malformed(unsigned int reason);

/* "tcp", "udp", "icmp" (1, IPv4 only), "icmpv6" (58, IPv6 only), or the
 * protocol number in decimal, written into buf (NAMES_PROTO_LEN bytes) and
 * returned: ICMP's number means ICMP in its own family only
 * (docs/datapath-rules.md). */
#define NAMES_PROTO_LEN 4
const char *names_proto(unsigned int family, unsigned int proto, char buf[NAMES_PROTO_LEN]);

/* The class a udp_port_high slot counts (enum dn_udp_slot -> dn_class),
 * or -1 out of range. A tcp_port_high slot is its class (see the enum). */
int names_udp_slot_class(unsigned int slot);

#endif
