/* bogons.h: the bogon source prefixes (docs/bogons.md), once, for the XDP program, the generator and tests. */
#ifndef DN_BOGONS_H
#define DN_BOGONS_H

/* The table as X-macros: each user defines X and expands the list. Network
 * addresses are host order with their host bits zero (a unit test checks);
 * the RFC of every entry is in docs/bogons.md. */

/* X(net, len): IPv4 network as one 32-bit word. */
#define DN_BOGONS_V4(X)                                                     \
	X(0x00000000u, 8)    /* 0.0.0.0/8        "this network"         */ \
	X(0x0a000000u, 8)    /* 10.0.0.0/8       private use            */ \
	X(0x64400000u, 10)   /* 100.64.0.0/10    shared address space   */ \
	X(0x7f000000u, 8)    /* 127.0.0.0/8      loopback               */ \
	X(0xa9fe0000u, 16)   /* 169.254.0.0/16   link local             */ \
	X(0xac100000u, 12)   /* 172.16.0.0/12    private use            */ \
	X(0xc0000000u, 24)   /* 192.0.0.0/24     IETF protocol assign.  */ \
	X(0xc0000200u, 24)   /* 192.0.2.0/24     TEST-NET-1             */ \
	X(0xc0586300u, 24)   /* 192.88.99.0/24   6to4 relay anycast     */ \
	X(0xc0a80000u, 16)   /* 192.168.0.0/16   private use            */ \
	X(0xc6120000u, 15)   /* 198.18.0.0/15    benchmarking           */ \
	X(0xc6336400u, 24)   /* 198.51.100.0/24  TEST-NET-2             */ \
	X(0xcb007100u, 24)   /* 203.0.113.0/24   TEST-NET-3             */ \
	X(0xe0000000u, 4)    /* 224.0.0.0/4      multicast              */ \
	X(0xf0000000u, 4)    /* 240.0.0.0/4      reserved, broadcast    */

/* X(w0, w1, w2, w3, len): IPv6 network as four 32-bit words, w0 first. */
#define DN_BOGONS_V6(X)                                                          \
	X(0x00000000u, 0u, 0u, 0u, 128)          /* ::/128         unspecified */ \
	X(0x00000000u, 0u, 0u, 1u, 128)          /* ::1/128        loopback    */ \
	X(0x00000000u, 0u, 0x0000ffffu, 0u, 96)  /* ::ffff:0:0/96  IPv4-mapped */ \
	X(0x20010db8u, 0u, 0u, 0u, 32)           /* 2001:db8::/32  documentation */ \
	X(0xfc000000u, 0u, 0u, 0u, 7)            /* fc00::/7       unique local */ \
	X(0xfe800000u, 0u, 0u, 0u, 10)           /* fe80::/10      link local  */ \
	X(0xff000000u, 0u, 0u, 0u, 8)            /* ff00::/8       multicast   */

/* The network mask of a prefix of len bits over one 32-bit word: the IPv4
 * address, or word i of an IPv6 one. A 64-bit shift by 0..32 keeps every
 * length, 0 included, defined. */
#define DN_BOGON_CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))
#define DN_BOGON_MASK32(bits) ((unsigned int)(0xffffffffull << (32 - (bits))))
#define DN_BOGON_V4_MASK(len) DN_BOGON_MASK32(DN_BOGON_CLAMP((int)(len), 0, 32))
#define DN_BOGON_V6_MASK(len, i) DN_BOGON_MASK32(DN_BOGON_CLAMP((int)(len) - 32 * (i), 0, 32))

/* First octets (the top 8 bits of the first word) a prefix covers: one for
 * /8 and longer, a run for shorter ones (224.0.0.0/4: 224-239). */
#define DN_BOGON_OCT_LO(w0, len) ((int)((unsigned int)(w0) >> 24))
#define DN_BOGON_OCT_HI(w0, len) \
	(DN_BOGON_OCT_LO(w0, len) | 0xff >> DN_BOGON_CLAMP((int)(len), 0, 8))

/* The bits of a 256-bit first-octet set that a prefix covers, in 64-bit word
 * w (octets 64w..64w+63). Shift counts stay within 0..63 for any entry. */
#define DN_BOGON_OCT_RUN(w, lo, hi)                                    \
	((hi) < 64 * (w) || (lo) > 64 * (w) + 63 ? 0ull :              \
	 (~0ull >> (63 - DN_BOGON_CLAMP((hi) - 64 * (w), 0, 63))) &    \
	 (~0ull << DN_BOGON_CLAMP((lo) - 64 * (w), 0, 63)))
#define DN_BOGON_OCT_BITS(w, w0, len) \
	DN_BOGON_OCT_RUN(w, DN_BOGON_OCT_LO(w0, len), DN_BOGON_OCT_HI(w0, len))

#define DN_BOGON_V4_OCT0(net, len) | DN_BOGON_OCT_BITS(0, net, len)
#define DN_BOGON_V4_OCT1(net, len) | DN_BOGON_OCT_BITS(1, net, len)
#define DN_BOGON_V4_OCT2(net, len) | DN_BOGON_OCT_BITS(2, net, len)
#define DN_BOGON_V4_OCT3(net, len) | DN_BOGON_OCT_BITS(3, net, len)
#define DN_BOGON_V6_OCT0(w0, w1, w2, w3, len) | DN_BOGON_OCT_BITS(0, w0, len)
#define DN_BOGON_V6_OCT1(w0, w1, w2, w3, len) | DN_BOGON_OCT_BITS(1, w0, len)
#define DN_BOGON_V6_OCT2(w0, w1, w2, w3, len) | DN_BOGON_OCT_BITS(2, w0, len)
#define DN_BOGON_V6_OCT3(w0, w1, w2, w3, len) | DN_BOGON_OCT_BITS(3, w0, len)

/* Initializers of a __u64[4] / uint64_t[4]: bit o set when some prefix of
 * the table starts with first octet o. A source whose octet is clear is no
 * bogon, and the datapath stops there. */
#define DN_BOGON_V4_OCTETS {                     \
	0ull DN_BOGONS_V4(DN_BOGON_V4_OCT0),     \
	0ull DN_BOGONS_V4(DN_BOGON_V4_OCT1),     \
	0ull DN_BOGONS_V4(DN_BOGON_V4_OCT2),     \
	0ull DN_BOGONS_V4(DN_BOGON_V4_OCT3),     \
}
#define DN_BOGON_V6_OCTETS {                     \
	0ull DN_BOGONS_V6(DN_BOGON_V6_OCT0),     \
	0ull DN_BOGONS_V6(DN_BOGON_V6_OCT1),     \
	0ull DN_BOGONS_V6(DN_BOGON_V6_OCT2),     \
	0ull DN_BOGONS_V6(DN_BOGON_V6_OCT3),     \
}

#endif /* DN_BOGONS_H */
