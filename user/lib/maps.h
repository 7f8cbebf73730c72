/* maps.h: the file descriptors of one interface's maps, from a skeleton or from pins. */
#ifndef DN_MAPS_H
#define DN_MAPS_H

#include <stddef.h>

/* Every map of bpf/darknet_counter.bpf.c, once. X(name) expands per map so
 * that pinning, opening and closing never list the maps by hand. */
#define DN_MAPS(X)                                                          \
	X(class_counters) X(tcp_port_low) X(tcp_port_high)              \
	X(udp_port_low) X(udp_port_high) X(port_touched)                 \
	X(icmp_counters) X(prefix_counters) X(org_counters)                  \
	X(reason_counters) X(darknet_v4) X(darknet_v6) X(darknet_small)   \
	X(scanner_v4_dir)                                                     \
	X(scanner_v4_long) X(scanner_chunks) X(scanner_v6)                \
	X(scanner_buckets) X(scanner_v6_bits) X(org_names)              \
	X(prefix_info) X(series_state)                                     \
	X(sketches) X(sketch_gen) X(sketch_ports) X(dst_slot) X(dst_bitmap)    \
	X(sketch_hist) X(sketch_hdir)                                         \
	X(scan_events) X(dos_victims) X(event_stats) X(event_totals)           \
	X(geo_v4) X(geo_v6) X(geo_cc_counts) X(geo_asn_counts)                 \
	X(geo_asn_low) X(geo_asn_high) X(geo_asn_slot) X(geo_asn_ids)

/* The kernel keeps 15 characters of a map's name (BPF_OBJ_NAME_LEN - 1):
 * a longer one would show cut short in bpftool and in pins. */
#define DN_MAP_NAME_FITS(name) \
	_Static_assert(sizeof(#name) <= 16, "map name " #name " is over 15 characters");
DN_MAPS(DN_MAP_NAME_FITS)
#undef DN_MAP_NAME_FITS

struct dn_maps {
#define DN_MAP_FIELD(name) int name;
	DN_MAPS(DN_MAP_FIELD)
#undef DN_MAP_FIELD
};

struct darknet_counter_bpf;
struct dn_prefix_list;

/* How the scan-campaign and DoS-victim tables are set up at load
 * (include/darknet_events.h, docs/events.md). */
struct dn_events_opts {
	unsigned int scan_entries;     /* scan_events max_entries */
	unsigned int victim_entries;   /* dos_victims max_entries */
	unsigned int dst_shift;        /* destinations sampled 1 in 2^dst_shift */
	int enabled;                   /* 0: the datapath never touches the tables */
};

/* The defaults: both tables at their default size, enabled, no sampling. */
void maps_events_defaults(struct dn_events_opts *o);
/* The sampling shift for a darknet list: from its IPv4 addresses (the
 * estimated rates scale by them; IPv6 darknets alone take shift 0). */
unsigned int maps_events_dst_shift(const struct dn_prefix_list *darknets);
/* Set the tables' sizes and the program's event settings before load;
 * disabled, both tables hold 1 entry. 0 or -errno. */
int maps_size_events(struct darknet_counter_bpf *skel, const struct dn_events_opts *o);

/* Size the tables that hold one block per CPU (low bytes, touched bits,
 * the small counters) for cpus CPUs, or with cpus 0 for the possible CPUs, before the skeleton
 * is loaded. Every loader must call it; only the bench asks for another
 * count (a large sensor's maps on a small machine). 0 or -errno. */
int maps_size_for_cpus(struct darknet_counter_bpf *skel, int cpus);
/* Borrow the fds of a loaded skeleton (not to be closed by maps_close). */
void maps_from_skel(struct dn_maps *m, const struct darknet_counter_bpf *skel);
/* Open every map pinned in dir. Returns 0 or -errno; on error nothing is open. */
int maps_open_pinned(struct dn_maps *m, const char *dir);
/* The same, with a one-line reason naming the pin that failed in err. */
int maps_open_pinned_err(struct dn_maps *m, const char *dir, char *err, size_t errlen);
void maps_close(struct dn_maps *m);

#endif
