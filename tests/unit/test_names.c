/* test_names.c: the labels of every class, reason, family, protocol and UDP slot. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

/* The metric contract (README, Metrics): these exact strings, in enum order. */
static const char *const classes[DN_CLASS_MAX] = {
	"spoofed", "backscatter", "research", "zmap", "mirai", "masscan", "scan",
	"tcp_other", "udp_probe", "fragment", "icmp_request", "other",
};

static const char *const reasons[DN_REASON_MAX] = {
	"not_ip", "not_darknet", "truncated_l2", "vlan_too_deep", "truncated_l3",
	"bad_version", "bad_ihl", "bad_length", "ext_truncated", "ext_too_long",
	"truncated_l4",
};

Test(names, class_labels_and_help)
{
	for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
		cr_expect_str_eq(names_class(c), classes[c], "class %u: label", c);
		cr_expect(names_class_help(c) && names_class_help(c)[0], "class %u: help", c);
		cr_expect_eq(names_class_lookup(classes[c]), (int)c, "class %s: lookup", classes[c]);
	}
	cr_expect_null(names_class(DN_CLASS_MAX), "class out of range: NULL");
	cr_expect_eq(names_class_lookup("ddos"), -ENOENT, "class lookup unknown: -ENOENT");
}

Test(names, reason_labels_and_kinds)
{
	for (unsigned int r = 0; r < DN_REASON_MAX; r++) {
		cr_expect_str_eq(names_reason(r), reasons[r], "reason %u: label", r);
		cr_expect(names_reason_help(r) && names_reason_help(r)[0], "reason %u: help", r);
		cr_expect_eq(names_reason_lookup(reasons[r]), (int)r, "reason %s: lookup", reasons[r]);
		cr_expect_eq(names_reason_is_malformed(r), r >= 2, "reason %s: malformed?", reasons[r]);
	}
	cr_expect_null(names_reason(DN_REASON_MAX), "reason out of range: NULL");
	cr_expect(!names_reason_is_malformed(DN_REASON_MAX), "reason out of range: not malformed");
	cr_expect_eq(names_reason_lookup("nope"), -ENOENT, "reason lookup unknown: -ENOENT");
}

Test(names, families)
{
	cr_expect_str_eq(names_family(DN_FAMILY_IPV4), "ipv4", "family ipv4");
	cr_expect_str_eq(names_family(DN_FAMILY_IPV6), "ipv6", "family ipv6");
	cr_expect_null(names_family(DN_FAMILY_MAX), "family out of range: NULL");
}

Test(names, protocols)
{
	char buf[NAMES_PROTO_LEN];

	cr_expect_str_eq(names_proto(6, buf), "tcp", "proto 6");
	cr_expect_str_eq(names_proto(17, buf), "udp", "proto 17");
	cr_expect_str_eq(names_proto(1, buf), "icmp", "proto 1");
	cr_expect_str_eq(names_proto(58, buf), "icmpv6", "proto 58");
	cr_expect_str_eq(names_proto(0, buf), "0", "proto 0");
	cr_expect_str_eq(names_proto(47, buf), "47", "proto 47 (GRE)");
	cr_expect_str_eq(names_proto(255, buf), "255", "proto 255");
}

Test(names, udp_slots_map_to_classes)
{
	static const int want[DN_UDP_PORT_SLOTS] = {
		DN_CLASS_SPOOFED, DN_CLASS_BACKSCATTER, DN_CLASS_RESEARCH, DN_CLASS_ZMAP,
		DN_CLASS_UDP_PROBE,
	};

	for (unsigned int s = 0; s < DN_UDP_PORT_SLOTS; s++)
		cr_expect_eq(names_udp_slot_class(s), want[s], "udp slot %u", s);
	cr_expect_eq(names_udp_slot_class(DN_UDP_PORT_SLOTS), -1, "udp slot out of range");
}
