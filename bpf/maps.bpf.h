/* maps.bpf.h: BPF-only definitions of every map of the darknet counter, with what each key and value is. */
#ifndef DN_MAPS_BPF_H
#define DN_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "darknet_counter.h"
#include "darknet_sketch.h"
#include "darknet_events.h"
#include "darknet_geo.h"

/* The small counters: plain arrays with one block of keys_per_cpu values
 * per CPU, at cpu * keys_per_cpu + key; user space sizes them before load
 * (maps_size_for_cpus()) and reads them through mmap, so that a scrape
 * copies nothing per key and per CPU through a syscall. An XDP program runs
 * to completion on one CPU without preemption by itself and writes only
 * its own CPU's block, so plain increments cannot race; user space sums
 * the blocks. Only the port tables' high parts are shared (see struct
 * dn_port_low): an atomic add once per DN_PORT_CARRY packets of a port.
 * docs/memory.md: what is per CPU, what is shared, and why. */
#define CPU_BLOCK_ARRAY(name, keys_per_cpu, value_type)    \
	_Static_assert((keys_per_cpu) * sizeof(value_type) % 64 == 0, \
		       #name ": a CPU's block is whole cache lines"); \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY);          \
		__uint(max_entries, keys_per_cpu);         \
		__uint(map_flags, BPF_F_MMAPABLE);         \
		__type(key, __u32);                        \
		__type(value, value_type);                 \
	} name SEC(".maps")
_Static_assert(DN_ORG_CPU_KEYS >= DN_ORG_KEYS && DN_REASON_CPU_KEYS >= DN_REASON_MAX,
	       "a CPU's block holds every key");
/* cpu block + dn_class_key(family, proto, class) -> packets, bytes */
CPU_BLOCK_ARRAY(class_counters, DN_CLASS_CPU_KEYS, struct dn_count);
/* Low tables: one block of DN_PORT_LOW_CPU_KEYS values per CPU, at
 * cpu * DN_PORT_LOW_CPU_KEYS + port; user space sizes them before load
 * (maps_size_for_cpus()). Plain arrays rather than per-CPU ones: a per-CPU
 * lookup first loads the value's per-CPU pointer, a dependent load that
 * misses for scattered ports (13-18 ns a packet, measured with make bench).
 * Each CPU writes only its own block, so plain increments stay race-free.
 * mmap-able, because user space reads a counter's parts word by word
 * (see struct dn_port_low). */
#define PORT_LOW_TABLE(name)                               \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY);          \
		__uint(max_entries, DN_PORT_LOW_CPU_KEYS); \
		__uint(map_flags, BPF_F_MMAPABLE);         \
		__type(key, __u32);                        \
		__type(value, struct dn_port_low);         \
	} name SEC(".maps")

/* High tables: one value per port, shared by all CPUs (atomic adds). */
#define PORT_HIGH_TABLE(name, value_type)                  \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY);          \
		__uint(max_entries, DN_PORT_KEYS);         \
		__uint(map_flags, BPF_F_MMAPABLE);         \
		__type(key, __u32);                        \
		__type(value, value_type);                 \
	} name SEC(".maps")

/* cpu block + TCP destination port -> low byte per class */
PORT_LOW_TABLE(tcp_port_low);
/* TCP destination port -> high part per class: one cache line, all CPUs */
PORT_HIGH_TABLE(tcp_port_high, struct dn_tcp_port);
/* cpu block + UDP destination port -> low byte per enum dn_udp_slot */
PORT_LOW_TABLE(udp_port_low);
/* UDP destination port -> high part per enum dn_udp_slot, all CPUs */
PORT_HIGH_TABLE(udp_port_high, struct dn_udp_port);
/* cpu * DN_TOUCHED_CPU_WORDS + word -> one bit per port group that this
 * CPU counted since the reader last cleared it (darknet_counter.h); sized
 * by user space like the low tables, mmap-able so that the reader can
 * clear bits with an atomic exchange. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_TOUCHED_CPU_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} port_touched SEC(".maps");
/* cpu block + family * 256 + ICMP(v6) type -> packets per class */
CPU_BLOCK_ARRAY(icmp_counters, DN_ICMP_CPU_KEYS, struct dn_icmp_type);
/* cpu block + darknet prefix id -> packets, bytes */
CPU_BLOCK_ARRAY(prefix_counters, DN_PREFIX_CPU_KEYS, struct dn_count);
/* cpu block + research-scanner org id -> packets, bytes (id 0 unused) */
CPU_BLOCK_ARRAY(org_counters, DN_ORG_CPU_KEYS, struct dn_count);
/* cpu block + enum dn_reason -> packets, bytes of frames not counted as
 * darknet traffic */
CPU_BLOCK_ARRAY(reason_counters, DN_REASON_CPU_KEYS, struct dn_count);

/* Inner maps. User space (user/listmaps.c) builds a new one per list load
 * and swaps it into slot 0 of the outer array, so a packet sees one whole
 * list or the other. LPM tries must be NO_PREALLOC; their max_entries is
 * not part of the inner-map compatibility check, the dir array's is. */
#define LPM_TRIE(key_type, entries)                        \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);       \
		__uint(max_entries, entries);              \
		__uint(map_flags, BPF_F_NO_PREALLOC);      \
		__uint(key_size, sizeof(key_type));        \
		__uint(value_size, sizeof(__u32));         \
	}

/* One byte per IPv4 /24, three filters and the chunk slots, in 4 MiB
 * blocks (see scanner_table.h). */
#define SCANNER_DIR                                        \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY);          \
		__uint(max_entries, DN_SCANNER_DIR_BLOCKS); \
		__uint(key_size, sizeof(__u32));           \
		__uint(value_size, DN_SCANNER_DIR_BLOCK_BYTES); \
	}

/* Inner tries give key_size rather than a key type: a struct reached only
 * through the pointers of __array() gets a BTF forward declaration, and
 * libbpf could not size it. */
#define LIST_SLOT(name, inner)                             \
	struct {                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);  \
		__uint(max_entries, 1);                    \
		__type(key, __u32);                        \
		__array(values, inner);                    \
	} name SEC(".maps")

/* slot 0: destination -> darknet prefix id; empty = no darknet */
LIST_SLOT(darknet_v4, LPM_TRIE(struct dn_lpm_v4, DN_MAX_DARKNET_PREFIXES));
LIST_SLOT(darknet_v6, LPM_TRIE(struct dn_lpm_v6, DN_MAX_DARKNET_PREFIXES));
/* slot 0: each family's darknet as a short list, when it is one; empty = the tries */
LIST_SLOT(darknet_small, struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_darknet_small));
});
/* slot 0: source /24 -> org byte; empty = no IPv4 scanner list */
LIST_SLOT(scanner_v4_dir, SCANNER_DIR);
/* slot 0: source -> org id, every IPv4 scanner prefix */
LIST_SLOT(scanner_v4_long, LPM_TRIE(struct dn_lpm_v4, DN_MAX_SCANNER_PREFIXES));
/* slot 0: source /24 -> org byte per address, for DN_SCANNER_LONGER /24s */
LIST_SLOT(scanner_chunks, struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);   /* a template: user space sizes each list's map */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_scanner_chunk));
});
/* slot 0: source -> org id */
LIST_SLOT(scanner_v6, LPM_TRIE(struct dn_lpm_v6, DN_MAX_SCANNER_PREFIXES));
/* slot 0: first 32 bits of a source -> the scanner prefixes touching them */
LIST_SLOT(scanner_buckets, struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);   /* a template: user space sizes each list's map */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_scanner_v6_bucket));
});
/* slot 0: hash of a source's first 32 bits -> may be a scanner; empty = ask the trie */
LIST_SLOT(scanner_v6_bits, struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_V6_FILTER_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
});

/* org id -> name, and prefix id -> prefix: written and read by user space
 * only, kept here so that they live (and are pinned) with the counters. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_SCANNER_ORGS + 1);
	__type(key, __u32);
	__type(value, struct dn_org_name);
} org_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_PREFIX_IDS);
	__type(key, __u32);
	__type(value, struct dn_prefix_info);
} prefix_info SEC(".maps");

/* Never read here: promoted port series and their baselines, pinned with
 * the counters so that series stay monotonic across daemon restarts. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_PORT_SERIES_STATE);
	__type(key, __u32);
	__type(value, struct dn_port_series_entry);
} series_state SEC(".maps");

/* Distinct sources and destinations (include/darknet_sketch.h, docs/distinct-sources.md).
 * Shared by all CPUs, not per CPU: a HyperLogLog register only grows, so
 * after warm-up a packet only reads it; the rare raise is a
 * compare-and-exchange. mmap-able so the daemon copies and clears a
 * generation in one pass. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_SKETCH_KEYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dn_sketch);
} sketches SEC(".maps");

/* key 0: the generation written now (the daemon flips it each interval) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dn_sketch_gen);
} sketch_gen SEC(".maps");

/* key 0: (proto, port) -> port sketch slot + 1, written by the daemon */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dn_sketch_ports);
} sketch_ports SEC(".maps");

/* darknet prefix id -> where its destinations are counted */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_MAX_PREFIX_IDS);
	__type(key, __u32);
	__type(value, struct dn_dst_slot);
} dst_slot SEC(".maps");

/* gen * DN_DST_BITMAP_WORDS + word -> 64 IPv4 darknet destinations hit */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_DST_BITMAP_KEYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} dst_bitmap SEC(".maps");

/* The daemon's window history, pinned for restarts; never used here
 * (include/darknet_sketch.h, DN_HIST_POOL). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_HIST_POOL);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dn_sketch);
} sketch_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dn_hist_dir);
} sketch_hdir SEC(".maps");

/* Scan campaigns and DoS victims (include/darknet_events.h, docs/events.md).
 * LRU hashes shared by all CPUs, not per CPU, so that their memory is not
 * multiplied by the CPU count; always preallocated, so it is fixed when
 * the map is made. User space sets max_entries before load (1 with
 * --no-events). Pinned with the counters: events in progress survive a
 * restart. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DN_SCAN_TABLE_DEFAULT);
	__type(key, struct dn_scan_key);
	__type(value, struct dn_scan_state);
} scan_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DN_VICTIM_TABLE_DEFAULT);
	__type(key, struct dn_victim_key);
	__type(value, struct dn_victim_state);
} dos_victims SEC(".maps");

/* cpu block + enum dn_event_stat -> count (inserts, failed inserts) */
CPU_BLOCK_ARRAY(event_stats, DN_EVENT_STAT_CPU_KEYS, __u64);

/* The daemon's event totals, pinned for restarts; never used here. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_EVENT_TOTAL_KEYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} event_totals SEC(".maps");
/* Source country and origin AS (include/darknet_geo.h, docs/geo.md). */
/* slot 0: source /16, or split block -> row of geo entries; empty = no
 * IPv4 geo table. BPF_F_INNER_MAP: each table is sized for its splits, and
 * the template (made once by libbpf to create the outer map) stays small. */
LIST_SLOT(geo_v4, struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct dn_geo_v4_row));
});
/* slot 0: first 64 bits of a source -> geo entry; empty = no IPv6 table */
LIST_SLOT(geo_v6, LPM_TRIE(struct dn_geo_lpm6, DN_GEO_V6_MAX_PREFIXES));
/* cpu block + country index * DN_CLASS_MAX + class -> packets, bytes */
CPU_BLOCK_ARRAY(geo_cc_counts, DN_GEO_COUNTRY_CPU_KEYS, struct dn_count);
/* cpu block + AS series slot * DN_CLASS_MAX + class -> packets, bytes */
CPU_BLOCK_ARRAY(geo_asn_counts, DN_GEO_ASN_CPU_KEYS, struct dn_count);
/* cpu block + AS index / 8 -> one low byte of the AS's total per AS */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_GEO_ASN_LOW_CPU_KEYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} geo_asn_low SEC(".maps");
/* AS index -> high part of its total, shared by all CPUs (atomic carries) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_GEO_MAX_ASNS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} geo_asn_high SEC(".maps");
/* AS index -> its series slot (0 = "other"), written by the daemon */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_GEO_MAX_ASNS);
	__type(key, __u32);
	__type(value, __u16);
} geo_asn_slot SEC(".maps");
/* Never read here: AS index -> AS number (0 = free), pinned with the
 * counters so that indices survive reloads and restarts. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DN_GEO_MAX_ASNS);
	__type(key, __u32);
	__type(value, __u32);
} geo_asn_ids SEC(".maps");

#endif /* DN_MAPS_BPF_H */
