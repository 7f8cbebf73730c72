/* names.c: the one table from counter enums to metric labels and help text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

struct name {
	const char *label;
	const char *help;
};

/* Indexed by enum so that a reordered enum cannot shift the labels; the
 * asserts catch a member added without its name. */
static const struct name class_names[] = {
	[DN_CLASS_SPOOFED] = { "spoofed", "bogon source address, or source == destination" },
	[DN_CLASS_BACKSCATTER] = { "backscatter",
				   "replies to spoofed traffic: TCP SYN+ACK or RST, ICMP errors "
				   "and echo replies, UDP from port 53" },
	[DN_CLASS_RESEARCH] = { "research", "source in a loaded research-scanner list" },
	[DN_CLASS_ZMAP] = { "zmap", "IPv4 ID 54321 (ZMap up to v4.0)" },
	[DN_CLASS_MIRAI] = { "mirai", "IPv4 TCP SYN whose sequence number is the destination" },
	[DN_CLASS_MASSCAN] = { "masscan", "IPv4 TCP SYN with Masscan's IP ID fingerprint" },
	[DN_CLASS_SCAN] = { "scan", "other TCP SYN" },
	[DN_CLASS_TCP_OTHER] = { "tcp_other", "other TCP (ACK, FIN, NULL, Xmas, ...)" },
	[DN_CLASS_UDP_PROBE] = { "udp_probe", "other UDP" },
	[DN_CLASS_FRAGMENT] = { "fragment", "non-first IP fragment (no transport header)" },
	[DN_CLASS_ICMP_REQUEST] = { "icmp_request", "other ICMP or ICMPv6" },
	[DN_CLASS_OTHER] = { "other", "any other IP protocol" },
};

static const struct name reason_names[] = {
	[DN_REASON_NOT_IP] = { "not_ip", "not IPv4 or IPv6" },
	[DN_REASON_NOT_DARKNET] = { "not_darknet", "destination outside the darknet" },
	[DN_REASON_TRUNCATED_L2] = { "truncated_l2", "Ethernet or VLAN header cut short" },
	[DN_REASON_VLAN_TOO_DEEP] = { "vlan_too_deep", "more VLAN tags than the parser follows" },
	[DN_REASON_TRUNCATED_L3] = { "truncated_l3", "IP header cut short" },
	[DN_REASON_BAD_VERSION] = { "bad_version", "IP version differs from the ethertype's" },
	[DN_REASON_BAD_IHL] = { "bad_ihl", "IPv4 header length below 5 words" },
	[DN_REASON_BAD_LENGTH] = { "bad_length", "IP length field shorter than the header" },
	[DN_REASON_EXT_TRUNCATED] = { "ext_truncated", "IPv6 extension header cut short" },
	[DN_REASON_EXT_TOO_LONG] = { "ext_too_long",
				     "more IPv6 extension headers than the parser follows" },
	[DN_REASON_TRUNCATED_L4] = { "truncated_l4", "darknet packet with its L4 header cut short" },
};

static const char *const family_names[] = {
	[DN_FAMILY_IPV4] = "ipv4",
	[DN_FAMILY_IPV6] = "ipv6",
};

static const unsigned char udp_slot_class[] = {
	[DN_UDP_SLOT_SPOOFED] = DN_CLASS_SPOOFED,
	[DN_UDP_SLOT_BACKSCATTER] = DN_CLASS_BACKSCATTER,
	[DN_UDP_SLOT_RESEARCH] = DN_CLASS_RESEARCH,
	[DN_UDP_SLOT_ZMAP] = DN_CLASS_ZMAP,
	[DN_UDP_SLOT_UDP_PROBE] = DN_CLASS_UDP_PROBE,
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(NELEMS(class_names) == DN_CLASS_MAX, "a class without a name");
_Static_assert(NELEMS(reason_names) == DN_REASON_MAX, "a reason without a name");
_Static_assert(NELEMS(family_names) == DN_FAMILY_MAX, "a family without a name");
_Static_assert(NELEMS(udp_slot_class) == DN_UDP_PORT_SLOTS, "a UDP slot without a class");
/* tcp_port_high slots are classes: the first DN_TCP_PORT_SLOTS of them. */
_Static_assert(DN_CLASS_TCP_OTHER + 1 == DN_TCP_PORT_SLOTS, "TCP slots are classes");

const char *names_class(unsigned int cls)
{
	return cls < NELEMS(class_names) ? class_names[cls].label : NULL;
}

const char *names_class_help(unsigned int cls)
{
	return cls < NELEMS(class_names) ? class_names[cls].help : NULL;
}

const char *names_reason(unsigned int reason)
{
	return reason < NELEMS(reason_names) ? reason_names[reason].label : NULL;
}

const char *names_reason_help(unsigned int reason)
{
	return reason < NELEMS(reason_names) ? reason_names[reason].help : NULL;
}

const char *names_family(unsigned int family)
{
	return family < NELEMS(family_names) ? family_names[family] : NULL;
}

static int lookup(const struct name *names, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i].label, label) == 0)
			return (int)i;
	}
	return -ENOENT;
}

int names_class_lookup(const char *label)
{
	return lookup(class_names, NELEMS(class_names), label);
}

int names_reason_lookup(const char *label)
{
	return lookup(reason_names, NELEMS(reason_names), label);
}

bool names_reason_is_malformed(unsigned int reason)
{
	return reason >= DN_REASON_FIRST_MALFORMED && reason < DN_REASON_MAX;
}

const char *names_proto(unsigned int family, unsigned int proto, char buf[NAMES_PROTO_LEN])
{
	if (proto == 1 && family == DN_FAMILY_IPV4)
		return "icmp";
	if (proto == 58 && family == DN_FAMILY_IPV6)
		return "icmpv6";
	if (proto == 6)
		return "tcp";
	if (proto == 17)
		return "udp";
	/* IP protocol numbers are 8 bits; the mask keeps buf's bound obvious. */
	snprintf(buf, NAMES_PROTO_LEN, "%u", proto & 0xff);
	return buf;
}

int names_udp_slot_class(unsigned int slot)
{
	return slot < NELEMS(udp_slot_class) ? udp_slot_class[slot] : -1;
}
