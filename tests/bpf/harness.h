/* harness.h: loads the XDP program for BPF_PROG_TEST_RUN tests, installs lists, snapshots counters. */
#ifndef DN_TEST_HARNESS_H
#define DN_TEST_HARNESS_H

#include <stdint.h>
#include "counters.h"
#include "maps.h"
#include "snapshot.h"

struct darknet_counter_bpf;

struct dp {
	struct darknet_counter_bpf *skel;
	struct dn_maps maps;
	struct counters_reader reader;
	int prog_fd;
};

/* Load a fresh skeleton whose counted darknet packets get verdict action.
 * Lists start empty. Criterion-asserts on failure. */
void dp_open(struct dp *d, uint32_t action);
/* The same, with setup(skel) called before load (read-only data, sizes). */
void dp_open_with(struct dp *d, uint32_t action, void (*setup)(struct darknet_counter_bpf *));
/* The same with dn_geo_enabled = geo (DN_GEO_ON_* bits). */
void dp_open_geo(struct dp *d, uint32_t action, uint32_t geo);
/* Both: geo bits, then setup(skel) just before load (NULL: none). */
void dp_open_full(struct dp *d, uint32_t action, uint32_t geo,
		  void (*setup)(struct darknet_counter_bpf *));
void dp_close(struct dp *d);

/* NULL-terminated "CIDR" (darknets) or "CIDR ORG" (scanners) lines. Return
 * listmaps' result; err gets its message. */
int dp_install_darknets(struct dp *d, const char *const *lines, char *err, size_t errlen);
int dp_install_scanners(struct dp *d, const char *const *lines, char *err, size_t errlen);

/* The inner map in slot 0 of an outer map (caller closes), or -ENOENT. */
int dp_slot_fd(int outer);

/* One BPF_PROG_TEST_RUN of frame; returns the XDP verdict. */
uint32_t dp_run(struct dp *d, const uint8_t *frame, uint32_t len);

/* A snapshot that reads every port group and clears no touched bit, or
 * one that owns the bits and reads what changed, as the daemon's does
 * (at most one of those per loaded program). */
struct dn_iface_snapshot *dp_snapshot_new(void);
struct dn_iface_snapshot *dp_snapshot_new_tracked(void);
void dp_snapshot_free(struct dn_iface_snapshot *s);
void dp_snapshot(struct dp *d, struct dn_iface_snapshot *s);
/* Counters of src into dst; dst keeps its own port reader (untracked). */
void dp_snapshot_copy(struct dn_iface_snapshot *dst, const struct dn_iface_snapshot *src);

/* The counters one table row is checked against, summed over CPUs: every
 * map except the two port tables in full, and those at one port. Reading
 * the 65,536-port tables costs tens of ms, so a table checks them per row
 * at the row's port and in full once at its end (dp_snapshot). */
struct dp_counts {
	struct dn_count classes[DN_CLASS_KEYS];
	struct dn_count reasons[DN_REASON_MAX];
	struct dn_count prefixes[DN_MAX_PREFIX_IDS];
	struct dn_count orgs[DN_MAX_SCANNER_ORGS + 1];
	struct dn_icmp_type icmp[DN_FAMILY_MAX * DN_NR_ICMP_TYPES];
	struct dn_tcp_port tcp;   /* tcp_port_high[port] + low bytes of every CPU */
	struct dn_udp_port udp;   /* udp_port_high[port] + low bytes of every CPU */
};

void dp_counts_read(struct dp *d, struct dp_counts *c, uint32_t port);

/* One TCP SYN from src to dst, port 445; returns the verdict and reads the
 * counters at that port into c. */
uint32_t dp_send_syn(struct dp *d, struct dp_counts *c, const char *src, const char *dst);

/* Id of the darknet prefix (text) in prefix_info, or of org in org_names; -1 if absent. */
int dp_prefix_id(const struct dn_iface_snapshot *s, const char *cidr);
int dp_org_id(const struct dn_iface_snapshot *s, const char *org);

#endif
