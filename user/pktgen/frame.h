/* frame.h: builds Ethernet frames for tests, the traffic generator and benches. */
#ifndef DN_FRAME_H
#define DN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 1600

enum frame_l4 { FRAME_TCP = 6, FRAME_UDP = 17, FRAME_ICMP = 1, FRAME_ICMPV6 = 58 };

/* ipv6_ext entry for a hop-by-hop header: IPPROTO_HOPOPTS is 0, which ends the list. */
#define FRAME_EXT_HOPOPTS 255

/* Everything one frame is made of. Addresses are text ("198.51.100.7",
 * "2001:db8::1"); ports, ids and sequence numbers are host order. Fields left
 * zero take sensible defaults (TTL 64, window 1024, a fixed MAC pair). */
struct frame_spec {
	const char *src, *dst;        /* family follows the address form */
	uint8_t proto;                /* IP protocol number (any, not just enum frame_l4) */
	uint16_t sport, dport;        /* TCP/UDP */
	uint8_t tcp_flags;            /* TH_SYN etc. as in netinet/tcp.h */
	uint32_t seq, ack;
	uint8_t icmp_type, icmp_code;
	uint16_t ip_id;               /* IPv4 identification */
	uint16_t frag_offset;         /* in 8-byte units; IPv6 adds a fragment header */
	int more_fragments;
	uint8_t ipv4_opt_words;       /* IPv4 options length in 32-bit words, 0..10 */
	uint8_t ipv6_ext[8];          /* IPv6 extension headers in order: IPPROTO_HOPOPTS,
					 IPPROTO_ROUTING, IPPROTO_DSTOPTS (0 ends the list,
					 so hop-by-hop is FRAME_EXT_HOPOPTS); IPPROTO_FRAGMENT
					 places the fragment header, else it comes last */
	uint16_t vlan[2];             /* VLAN ids; nonzero ones add tags, outer first */
	int qinq;                     /* outer tag is 802.1ad (0x88a8) */
	uint16_t payload;             /* bytes of zero payload after L4 */
	/* ICMP/ICMPv6 errors: the packet that caused the error, quoted after
	 * the ICMP header as RFC 792 and RFC 4443 say (its IP header and first
	 * 8 bytes). quote_src NULL: no quote. Same family as the frame. */
	const char *quote_src, *quote_dst;
	uint8_t quote_proto;          /* TCP or UDP: ports go in the quoted L4 */
	uint16_t quote_sport, quote_dport;
};

/* Build the frame into buf (FRAME_MAX bytes). Returns its length, or -EINVAL
 * for an address that does not parse or a frame over FRAME_MAX. */
int frame_build(const struct frame_spec *spec, uint8_t *buf);

#endif
