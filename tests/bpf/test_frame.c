/* test_frame.c: frame_build lays out headers, lengths and checksums as the wire expects. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include "frame.h"

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* One's-complement sum, folded: 0xffff over data that carries its checksum. */
static uint16_t csum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += i & 1 ? p[i] : p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t l4_csum(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t proto,
			const uint8_t *l4, size_t len)
{
	uint32_t sum = csum(0, src, alen) + csum(0, dst, alen) + proto + len;

	return csum(sum, l4, len);
}

Test(frame, ipv4_tcp_with_options_in_qinq)
{
	struct frame_spec f = { .src = "45.33.32.156", .dst = "44.44.44.5", .proto = IPPROTO_TCP,
				.sport = 1234, .dport = 23, .tcp_flags = TH_SYN, .seq = 0x2c2c2c05,
				.ip_id = 54321, .ipv4_opt_words = 2, .vlan = { 10, 20 }, .qinq = 1,
				.payload = 5 };
	uint8_t b[FRAME_MAX], *ip = b + 22, *tcp = ip + 28;
	int len = frame_build(&f, b);

	cr_assert_eq(len, 22 + 28 + 20 + 5, "v4 qinq: length");
	cr_expect_eq(get16(b + 12), 0x88a8, "v4 qinq: outer tpid");
	cr_expect_eq(get16(b + 14), 10, "v4 qinq: outer vid");
	cr_expect_eq(get16(b + 16), 0x8100, "v4 qinq: inner tpid");
	cr_expect_eq(get16(b + 18), 20, "v4 qinq: inner vid");
	cr_expect_eq(get16(b + 20), 0x0800, "v4 qinq: ethertype");
	cr_expect_eq(ip[0], 0x47, "v4 qinq: version and ihl");
	cr_expect_eq(get16(ip + 2), 28 + 20 + 5, "v4 qinq: total length");
	cr_expect_eq(get16(ip + 4), 54321, "v4 qinq: id");
	cr_expect_eq(ip[9], IPPROTO_TCP, "v4 qinq: protocol");
	cr_expect_eq(csum(0, ip, 28), 0xffff, "v4 qinq: header checksum");
	cr_expect_eq(get16(tcp + 2), 23, "v4 qinq: dport");
	cr_expect_eq(get16(tcp + 4) << 16 | get16(tcp + 6), 0x2c2c2c05, "v4 qinq: seq");
	cr_expect_eq(tcp[13], TH_SYN, "v4 qinq: flags");
	cr_expect_eq(l4_csum(ip + 12, ip + 16, 4, IPPROTO_TCP, tcp, 25), 0xffff,
		     "v4 qinq: tcp checksum");
}

Test(frame, ipv4_fragments)
{
	struct frame_spec f = { .src = "45.33.32.156", .dst = "44.44.44.5", .proto = IPPROTO_UDP,
				.frag_offset = 185, .more_fragments = 1, .payload = 16 };
	uint8_t b[FRAME_MAX];

	cr_assert_eq(frame_build(&f, b), 14 + 20 + 16, "v4 fragment: no udp header");
	cr_expect_eq(get16(b + 20), 0x2000 | 185, "v4 fragment: flags and offset");
	f.frag_offset = 0;
	cr_assert_eq(frame_build(&f, b), 14 + 20 + 8 + 16, "v4 first fragment: udp header");
	cr_expect_eq(get16(b + 20), 0x2000, "v4 first fragment: more fragments");
}

Test(frame, ipv6_extension_chain_and_fragment)
{
	struct frame_spec f = { .src = "2a01:4f8::1", .dst = "2a0d:3dc1:1::5", .proto = IPPROTO_UDP,
				.sport = 53, .dport = 5353, .more_fragments = 1, .ip_id = 7,
				.ipv6_ext = { FRAME_EXT_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS },
				.payload = 10 };
	uint8_t b[FRAME_MAX], *ip = b + 14, *ext = ip + 40, *udp = ext + 32;
	int len = frame_build(&f, b);

	cr_assert_eq(len, 14 + 40 + 32 + 8 + 10, "v6 chain: length");
	cr_expect_eq(get16(b + 12), 0x86dd, "v6 chain: ethertype");
	cr_expect_eq(ip[0] >> 4, 6, "v6 chain: version");
	cr_expect_eq(get16(ip + 4), 32 + 8 + 10, "v6 chain: payload length");
	cr_expect_eq(ip[6], IPPROTO_HOPOPTS, "v6 chain: first header");
	cr_expect_eq(ext[0], IPPROTO_ROUTING, "v6 chain: after hop-by-hop");
	cr_expect_eq(ext[8], IPPROTO_DSTOPTS, "v6 chain: after routing");
	cr_expect_eq(ext[16], IPPROTO_FRAGMENT, "v6 chain: fragment header last");
	cr_expect_eq(ext[24], IPPROTO_UDP, "v6 chain: upper layer");
	cr_expect_eq(get16(ext + 26), 1, "v6 chain: offset 0, more fragments");
	cr_expect_eq(get16(udp + 4), 18, "v6 chain: udp length");
	cr_expect_eq(l4_csum(ip + 8, ip + 24, 16, IPPROTO_UDP, udp, 18), 0xffff,
		     "v6 chain: udp checksum");
}

Test(frame, icmpv6_checksum)
{
	struct frame_spec f = { .src = "2a01:4f8::1", .dst = "2a0d:3dc1:1::5",
				.proto = IPPROTO_ICMPV6, .icmp_type = 128, .payload = 32 };
	uint8_t b[FRAME_MAX], *ip = b + 14;
	int len = frame_build(&f, b);

	cr_assert_eq(len, 14 + 40 + 8 + 32, "icmpv6: length");
	cr_expect_eq(ip[40], 128, "icmpv6: type");
	cr_expect_eq(l4_csum(ip + 8, ip + 24, 16, IPPROTO_ICMPV6, ip + 40, 40), 0xffff,
		     "icmpv6: checksum");
}

Test(frame, bad_input_is_rejected)
{
	struct frame_spec f = { .src = "45.33.32.156", .dst = "2a0d:3dc1:1::5", .proto = 6 };
	uint8_t b[FRAME_MAX];

	cr_expect_eq(frame_build(&f, b), -EINVAL, "bad input: mixed families");
	f.dst = "44.44.44.300";
	cr_expect_eq(frame_build(&f, b), -EINVAL, "bad input: address");
	f.dst = "44.44.44.5";
	f.payload = FRAME_MAX;
	cr_expect_eq(frame_build(&f, b), -EINVAL, "bad input: over FRAME_MAX");
	f.payload = 0;
	f.ipv4_opt_words = 11;
	cr_expect_eq(frame_build(&f, b), -EINVAL, "bad input: 11 option words");
}
