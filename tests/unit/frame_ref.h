/* frame_ref.h: a reference reading of generated frames (fields, quoted packet, class) for the unit tests. */
#ifndef DN_TEST_FRAME_REF_H
#define DN_TEST_FRAME_REF_H

#include <stdint.h>
#include "prefix.h"

struct frame_ref {
	int family;                 /* DN_FAMILY_* */
	uint8_t src[16], dst[16];
	uint8_t proto;
	int fragment;               /* non-first fragment */
	uint16_t ip_id, sport, dport;
	uint32_t seq;
	uint8_t flags, icmp_type, icmp_code;
	/* ICMPv4 errors: the quoted packet, when the frame holds one */
	int quoted;
	uint8_t quote_src[4], quote_dst[4];
	uint8_t quote_proto;
	uint16_t quote_sport, quote_dport;
};

/* Read a frame as the datapath would (asserting with Criterion). */
void frame_ref_parse(const uint8_t *f, int len, struct frame_ref *p);
/* The class docs/classification.md gives it, first match wins; research
 * sources are those of scanners. */
int frame_ref_classify(const struct frame_ref *p, const struct dn_prefix_list *scanners);
/* Longest scanner prefix holding a: its org, or NULL. */
const char *frame_ref_scanner(const struct dn_prefix_list *scanners, const uint8_t *a,
			      int family);
int frame_ref_in_net(const uint8_t *a, const char *cidr);

#endif
