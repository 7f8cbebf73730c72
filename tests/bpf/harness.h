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
void dp_close(struct dp *d);

/* NULL-terminated "CIDR" (darknets) or "CIDR ORG" (scanners) lines. Return
 * listmaps' result; err gets its message. */
int dp_install_darknets(struct dp *d, const char *const *lines, char *err, size_t errlen);
int dp_install_scanners(struct dp *d, const char *const *lines, char *err, size_t errlen);

/* One BPF_PROG_TEST_RUN of frame; returns the XDP verdict. */
uint32_t dp_run(struct dp *d, const uint8_t *frame, uint32_t len);

struct dn_iface_snapshot *dp_snapshot_new(void);
void dp_snapshot_free(struct dn_iface_snapshot *s);
void dp_snapshot(struct dp *d, struct dn_iface_snapshot *s);
void dp_snapshot_copy(struct dn_iface_snapshot *dst, const struct dn_iface_snapshot *src);

/* Id of the darknet prefix (text) in prefix_info, or of org in org_names; -1 if absent. */
int dp_prefix_id(const struct dn_iface_snapshot *s, const char *cidr);
int dp_org_id(const struct dn_iface_snapshot *s, const char *org);

#endif
