/* darknet_events.h: scan-campaign and DoS-victim tables shared by the XDP program and user space. */
#ifndef DN_EVENTS_H
#define DN_EVENTS_H

/* Fixed-width types and #defines only: every struct is a map key or value.
 * The design, the memory and the eviction accounting are in docs/events.md.
 * Time stamps are bpf_ktime_get_boot_ns() (CLOCK_BOOTTIME, ns); user space
 * adds CLOCK_REALTIME - CLOCK_BOOTTIME to show them. */
#include <linux/types.h>
#include "darknet_counter.h"

/* Linear counting of distinct darknet destinations (Whang et al., ACM TODS
 * 1990): a destination sets bit dn_event_dst_bit(hash) of a bitmap of
 * DN_EVENT_DST_BITS; n ~= -m ln(zero bits / m), times 2^shift for the
 * sampling below. Standard error sqrt(m (e^t - t - 1)) / n with t = n / m:
 * 3.3 % at 2048 sampled destinations, which the sampling keeps a whole
 * darknet under. */
#define DN_EVENT_DST_BITS 1024
#define DN_EVENT_DST_WORDS (DN_EVENT_DST_BITS / 64)

/* Destinations are sampled 1 in 2^dn_event_dst_shift (a const volatile set
 * at load from the darknet's size): a destination counts when the top
 * dn_event_dst_shift bits of its hash are zero. Shift 0 up to
 * DN_EVENT_DST_FULL addresses, so that a big darknet does not saturate
 * the bitmap. dn_event_dst_shift_for() is what user space sets. */
#define DN_EVENT_DST_FULL 2048
#define DN_EVENT_DST_MAX_SHIFT 32

static inline __u32 dn_event_dst_shift_for(__u64 darknet_addresses)
{
	__u32 shift = 0;

	while (shift < DN_EVENT_DST_MAX_SHIFT &&
	       ((__u64)DN_EVENT_DST_FULL << shift) < darknet_addresses)
		shift++;
	return shift;
}

static inline __u32 dn_event_dst_bit(__u64 hash)
{
	return hash & (DN_EVENT_DST_BITS - 1);
}

/* The hash of a destination: dn_mix64 (include/darknet_sketch.h's mixer,
 * repeated here so that this header stands alone) of the address's bytes in
 * packet order loaded as host words. IPv4: its 32 bits; IPv6: the two
 * 64-bit halves chained. */
static inline __u64 dn_event_mix64(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline __u64 dn_event_dst_hash4(__u32 addr)
{
	return dn_event_mix64(addr ^ 0x3c6ef372fe94f82bULL);
}

static inline __u64 dn_event_dst_hash6(__u64 hi, __u64 lo)
{
	return dn_event_mix64(lo ^ dn_event_mix64(hi ^ 0xa54ff53a5f1d36f1ULL));
}

/* Default table sizes: with the per-entry kernel cost of an LRU hash
 * (docs/events.md measures it from the maps' memlock), both tables
 * together stay under 64 MiB, shared by all CPUs. */
#define DN_SCAN_TABLE_DEFAULT 131072
#define DN_VICTIM_TABLE_DEFAULT 65536
#define DN_EVENT_TABLE_MAX 1048576     /* per table: about 260 MiB of kernel memory */

/* Default length of a DoS victim's packet window (dn_event_window_ns). */
#define DN_EVENT_WINDOW_NS_DEFAULT (60ULL * 1000000000ULL)

/* scan_events key: one (source, protocol, destination port). */
struct dn_scan_key {
	__u8 addr[16];     /* source, network order; IPv4 in the first four, rest zero */
	__u8 family;       /* enum dn_family */
	__u8 proto;        /* IP protocol (after IPv6 extension headers) */
	__u16 port;        /* host order: TCP/UDP destination port, ICMP(v6): the type, else 0 */
};

/* scan_events value. classes is the OR of 1 << enum dn_class over the
 * packets: a single bit set means every packet had that class (how the
 * tool is named). */
struct dn_scan_state {
	__u64 first_ns;
	__u64 last_ns;
	__u64 packets;
	__u64 bytes;       /* frame bytes, as the counters count them */
	__u64 dst[DN_EVENT_DST_WORDS];
	__u32 classes;
	__u32 org;         /* research org id of the last packet, 0 = none */
};

/* dos_victims key: one victim (the source of the backscatter; for an ICMP
 * error, the destination of the quoted IP header if the quote is in the
 * frame, else the outer source) and the attack's protocol. */
struct dn_victim_key {
	__u8 addr[16];     /* network order; IPv4 in the first four, rest zero */
	__u8 family;       /* enum dn_family */
	__u8 proto;        /* TCP for SYN-ACK/RST, the quoted protocol for an
			    * ICMP error, ICMP(v6) for an echo reply, UDP for
			    * DNS answers, the outer protocol otherwise */
	__u16 pad;
};

/* dos_victims value kinds: which backscatter the victim sent. */
enum dn_victim_kind {
	DN_VICTIM_SYNACK,
	DN_VICTIM_RST,
	DN_VICTIM_ICMP_ERROR,
	DN_VICTIM_ECHO_REPLY,
	DN_VICTIM_OTHER,
	DN_VICTIM_KIND_MAX,
};

/* dos_victims value. win_packets counts the packets of the window that
 * began at win_start_ns; when a packet comes dn_event_window_ns or more
 * after win_start_ns, the window closes (win_max = max(win_max,
 * win_packets)) and a new one starts at that packet. The most packets in
 * any window is max(win_max, win_packets). dst: the spread of spoofed
 * addresses seen (the darknet destinations), as in dn_scan_state. */
struct dn_victim_state {
	__u64 first_ns;
	__u64 last_ns;
	__u64 packets;
	__u64 bytes;
	__u64 win_start_ns;
	__u32 win_packets;
	__u32 win_max;
	__u64 dst[DN_EVENT_DST_WORDS];
	__u32 kinds;       /* 1 << enum dn_victim_kind, ORed */
	__u16 port;        /* host order: the victim's source port of the first packet (0 = none) */
	__u16 pad;
};

/* event_stats: one block of DN_EVENT_STAT_CPU_KEYS u64 per CPU, at
 * cpu * DN_EVENT_STAT_CPU_KEYS + key, like the small counters. An insert
 * is a lookup that missed and created the entry: evictions, silent in an
 * LRU map, are inserts - entries closed by the daemon - entries live.
 * A failed insert never drops or uncounts the packet. */
enum dn_event_stat {
	DN_EVENT_STAT_SCAN_INSERTS,
	DN_EVENT_STAT_VICTIM_INSERTS,
	DN_EVENT_STAT_SCAN_FAILED,      /* insert failed (not a lost race) */
	DN_EVENT_STAT_VICTIM_FAILED,
	DN_EVENT_STAT_MAX,
};
#define DN_EVENT_STAT_CPU_KEYS 8        /* one cache line */

/* event_totals: user-side storage only (the XDP program never touches it),
 * pinned with the tables so that the daemon's event totals stay monotonic
 * across restarts; the daemon owns the layout of its DN_EVENT_TOTAL_KEYS
 * u64 values. */
#define DN_EVENT_TOTAL_KEYS 1024

#ifndef __bpf__
_Static_assert(sizeof(struct dn_scan_key) == 20, "dn_scan_key is a map key");
_Static_assert(sizeof(struct dn_victim_key) == 20, "dn_victim_key is a map key");
_Static_assert(sizeof(struct dn_scan_state) == 32 + 8 * DN_EVENT_DST_WORDS + 8,
	       "dn_scan_state is a map value");
_Static_assert(sizeof(struct dn_victim_state) == 48 + 8 * DN_EVENT_DST_WORDS + 8,
	       "dn_victim_state is a map value");
_Static_assert(DN_EVENT_STAT_MAX <= DN_EVENT_STAT_CPU_KEYS, "a CPU's block holds every key");
_Static_assert(DN_EVENT_STAT_CPU_KEYS * 8 % 64 == 0, "a CPU's block is whole cache lines");
_Static_assert(DN_CLASS_MAX <= 32, "classes fit dn_scan_state.classes");
_Static_assert(DN_EVENT_DST_BITS % 64 == 0 && (DN_EVENT_DST_BITS & (DN_EVENT_DST_BITS - 1)) == 0,
	       "the bitmap is whole words and a power of two");
#endif

#endif /* DN_EVENTS_H */
