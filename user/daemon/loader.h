/* loader.h: loads, pins, attaches, adopts and detaches one interface's XDP counter. */
#ifndef DN_LOADER_H
#define DN_LOADER_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <xdp/libxdp.h>
#include "maps.h"

struct darknet_counter_bpf;

struct dn_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	char pin_dir[PATH_MAX / 2];   /* leaves room for a map name after it */
	struct darknet_counter_bpf *skel;
	struct xdp_program *prog;
	struct dn_maps maps;
	enum xdp_attach_mode mode;   /* the mode in effect: native or skb */
	bool legacy;                 /* libxdp runs us without its dispatcher */
	bool adopted;                /* counters continue a predecessor's pins */
	__u32 prog_id;
	__u32 attached_id;           /* what netlink reports: ours, or libxdp's dispatcher */
};

/* Resolve the interface and open the skeleton with its maps pinned under
 * pin_root, which must be on bpffs (counters continue if a predecessor left
 * them). 0 or -errno, with a one-line reason naming the interface, path or
 * map in err; on error no skeleton is held (loader_close is still safe). */
struct dn_events_opts;
/* ev: the event tables' sizes and settings (NULL: the defaults). */
int loader_open(struct dn_iface *ifc, const char *name, const char *netns,
		const char *pin_root, unsigned int action, const struct dn_events_opts *ev,
		char *err, size_t errlen);
/* Load and attach. A darknet-counter program already on the interface is
 * replaced atomically (its maps are ours, so no packet goes uncounted); any
 * other program is left alone and reported. 0 or -errno with a one-line
 * reason naming the interface in err. */
int loader_attach(struct dn_iface *ifc, enum xdp_attach_mode mode,
		  char *err, size_t errlen);
/* Detach our program and remove the pinned state. 0 or -errno with a
 * one-line reason in err. */
int loader_detach(struct dn_iface *ifc, char *err, size_t errlen);
/* Free user-space handles; the program stays attached and keeps counting. */
void loader_close(struct dn_iface *ifc);
/* 1 if our program is still the one attached, 0 if not, -errno on error. */
int loader_is_attached(const struct dn_iface *ifc);

/* What is attached to ifindex: our program's id (0 if none or foreign), the
 * mode, and whether libxdp's dispatcher or legacy mode is in use. Used by
 * `status` and `detach`, which run with no daemon. */
struct dn_attachment {
	__u32 prog_id;
	__u32 foreign_id;            /* some other program is attached */
	char foreign_name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode mode;
	bool legacy;
};
int loader_query(int ifindex, struct dn_attachment *a);
/* Detach whatever darknet-counter program is on ifindex (none: 0). */
int loader_detach_ifindex(int ifindex);

#endif
