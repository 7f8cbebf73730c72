/* loader.c: loads, pins, attaches, adopts and detaches one interface's XDP counter. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "darknet_counter.skel.h"
#include "bpffs.h"
#include "log.h"
#include "loader.h"
#include "maps.h"

#define PROG_NAME "darknet_counter"

static bool is_ours(struct xdp_program *p)
{
	return p && !strcmp(xdp_program__name(p), PROG_NAME);
}

int loader_query(int ifindex, struct dn_attachment *a)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	long err = libxdp_get_error(mp);

	memset(a, 0, sizeof(*a));
	if (err == -ENOENT || !mp)
		return 0;
	if (err)
		return err;
	a->mode = xdp_multiprog__attach_mode(mp);
	a->legacy = xdp_multiprog__is_legacy(mp);
	p = a->legacy ? xdp_multiprog__main_prog(mp) : xdp_multiprog__next_prog(NULL, mp);
	for (; p; p = a->legacy ? NULL : xdp_multiprog__next_prog(p, mp)) {
		if (is_ours(p)) {
			a->prog_id = xdp_program__id(p);
			break;
		}
		a->foreign_id = xdp_program__id(p);
		snprintf(a->foreign_name, sizeof(a->foreign_name), "%s", xdp_program__name(p));
	}
	xdp_multiprog__close(mp);
	return 0;
}

/* An event table pinned with another size: only its size differs. */
static bool resized_event_table(struct bpf_map *map, const struct bpf_map_info *info)
{
	const char *name = bpf_map__name(map);

	return (!strcmp(name, "scan_events") || !strcmp(name, "dos_victims")) &&
	       info->type == bpf_map__type(map) && info->key_size == bpf_map__key_size(map) &&
	       info->value_size == bpf_map__value_size(map) &&
	       info->max_entries != bpf_map__max_entries(map);
}

/* libbpf reuses a pinned map only if type, sizes and flags match; check first
 * so that the user reads which map differs instead of a bare -EINVAL. */
static int check_pinned(const struct dn_iface *ifc, struct bpf_map *map, const char *path,
			char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), ret = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "cannot open pinned map %s: %s", path, strerror(-ret));
		return ret;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read pinned map %s: %s", path, strerror(-ret));
	} else if (resized_event_table(map, &info)) {
		/* a new --scan-table-entries, --dos-table-entries or --no-events:
		 * the operator's choice, so the events in progress go */
		pr_warn("%s: %s had %u entries, now %u: its events in progress are dropped\n",
			ifc->name, bpf_map__name(map), info.max_entries, bpf_map__max_entries(map));
		if (unlink(path)) {
			ret = -errno;
			snprintf(err, errlen, "cannot remove pinned map %s: %s", path,
				 strerror(-ret));
		}
	} else if (info.type != bpf_map__type(map) ||
		 info.key_size != bpf_map__key_size(map) ||
		 info.value_size != bpf_map__value_size(map) ||
		 info.max_entries != bpf_map__max_entries(map)) {
		snprintf(err, errlen, "pinned map %s was made by an incompatible build "
			 "(type %u, key %u, value %u, entries %u; this build: %u, %u, %u, %u); "
			 "run the build that made it, or remove the old state with "
			 "'darknet-counter detach %s' (same --netns and --bpffs-dir; its "
			 "counters are lost)", path, info.type, info.key_size, info.value_size,
			 info.max_entries, bpf_map__type(map), bpf_map__key_size(map),
			 bpf_map__value_size(map), bpf_map__max_entries(map), ifc->name);
		ret = -EINVAL;
	}
	close(fd);
	return ret;
}

static int pin_maps(struct dn_iface *ifc, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int ret;

	bpf_object__for_each_map(map, ifc->skel->obj) {
		if (bpf_map__is_internal(map))
			continue;   /* .rodata: set per load, never shared */
		snprintf(path, sizeof(path), "%s/%s", ifc->pin_dir, bpf_map__name(map));
		if (!access(path, F_OK))
			ifc->adopted = true;
		ret = check_pinned(ifc, map, path, err, errlen);
		if (ret)
			return ret;
		ret = bpf_map__set_pin_path(map, path);
		if (ret) {
			snprintf(err, errlen, "cannot pin map %s at %s: %s", bpf_map__name(map),
				 path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int loader_open(struct dn_iface *ifc, const char *name, const char *netns,
		const char *pin_root, unsigned int action, const struct dn_events_opts *ev,
		char *err, size_t errlen)
{
	struct dn_events_opts defaults;
	int ret;

	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = if_nametoindex(name);
	if (!ifc->ifindex) {
		snprintf(err, errlen, "unknown interface %s%s%s", name,
			 netns ? " in network namespace " : "", netns ? netns : "");
		return -ENODEV;
	}
	ret = bpffs_iface_dir(ifc->pin_dir, sizeof(ifc->pin_dir), pin_root, name, netns);
	if (ret) {
		snprintf(err, errlen, "no pin directory for %s under %s: %s", name, pin_root,
			 strerror(-ret));
		return ret;
	}
	ret = bpffs_mkdirs(ifc->pin_dir);
	if (ret) {
		snprintf(err, errlen, "cannot create pin directory %s: %s", ifc->pin_dir,
			 strerror(-ret));
		return ret;
	}
	/* Pinning anywhere else fails inside the load with a bare EPERM. */
	if (!bpffs_holds(ifc->pin_dir)) {
		snprintf(err, errlen, "pin directory %s is not on bpffs (mount it with: "
			 "mount -t bpf bpf %s)", ifc->pin_dir, pin_root);
		return -EINVAL;
	}
	ifc->skel = darknet_counter_bpf__open();
	if (!ifc->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object for %s: %s", name,
			 strerror(-ret));
		return ret;
	}
	ifc->skel->rodata->dn_action = action;
	ret = maps_size_for_cpus(ifc->skel, 0);
	if (ret) {
		snprintf(err, errlen, "cannot size the port maps of %s for the possible CPUs: %s",
			 name, strerror(-ret));
		goto cleanup;
	}
	if (!ev) {
		maps_events_defaults(&defaults);
		ev = &defaults;
	}
	ret = maps_size_events(ifc->skel, ev);
	if (ret) {
		snprintf(err, errlen, "cannot size the event tables of %s (%u and %u entries): %s",
			 name, ev->scan_entries, ev->victim_entries, strerror(-ret));
		goto cleanup;
	}
	ret = pin_maps(ifc, err, errlen);
	if (ret)
		goto cleanup;
	return 0;
cleanup:
	darknet_counter_bpf__destroy(ifc->skel);
	ifc->skel = NULL;
	return ret;
}

static __u32 mode_flags(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* A predecessor's program is attached in legacy mode: load ours on the same
 * pinned maps and swap it in with one netlink call (XDP_FLAGS_REPLACE), so
 * every packet is counted by exactly one of the two. */
static int replace_legacy(struct dn_iface *ifc, const struct dn_attachment *old,
			  char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int old_fd, ret;

	ret = darknet_counter_bpf__load(ifc->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the XDP program for %s: %s", ifc->name,
			 strerror(-ret));
		return ret;
	}
	old_fd = bpf_prog_get_fd_by_id(old->prog_id);
	if (old_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the running XDP program (id %u) on %s: %s",
			 old->prog_id, ifc->name, strerror(-ret));
		return ret;
	}
	opts.old_prog_fd = old_fd;
	ret = bpf_xdp_attach(ifc->ifindex, bpf_program__fd(ifc->skel->progs.darknet_counter),
			     mode_flags(old->mode) | XDP_FLAGS_REPLACE, &opts);
	close(old_fd);
	if (ret) {
		snprintf(err, errlen, "failed to replace the XDP program on %s (%s mode): %s",
			 ifc->name, old->mode == XDP_MODE_SKB ? "skb" : "native", strerror(-ret));
		return ret;
	}
	ifc->prog = xdp_program__from_fd(bpf_program__fd(ifc->skel->progs.darknet_counter));
	ret = libxdp_get_error(ifc->prog);
	if (ret) {
		ifc->prog = NULL;
		snprintf(err, errlen, "cannot open the XDP program just attached to %s: %s",
			 ifc->name, strerror(-ret));
	}
	return ret;
}

static int attach_fresh(struct dn_iface *ifc, enum xdp_attach_mode mode,
			char *err, size_t errlen)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = ifc->skel->obj,
			    .prog_name = PROG_NAME);
	enum xdp_attach_mode try = mode == XDP_MODE_UNSPEC ? XDP_MODE_NATIVE : mode;
	int ret;

	ifc->prog = xdp_program__create(&opts);
	ret = libxdp_get_error(ifc->prog);
	if (ret) {
		ifc->prog = NULL;
		snprintf(err, errlen, "cannot open the XDP program for %s: %s", ifc->name,
			 strerror(-ret));
		return ret;
	}
	ret = xdp_program__attach(ifc->prog, ifc->ifindex, try, 0);
	if (ret && mode == XDP_MODE_UNSPEC) {
		pr_debug("native XDP on %s failed (%s); trying skb mode\n", ifc->name,
			 strerror(-ret));
		try = XDP_MODE_SKB;
		ret = xdp_program__attach(ifc->prog, ifc->ifindex, try, 0);
	}
	if (ret)
		snprintf(err, errlen, "failed to attach XDP program to %s (%s mode): %s",
			 ifc->name, try == XDP_MODE_SKB ? "skb" : "native", strerror(-ret));
	return ret;
}

/* Netlink only (bpf_xdp_query): unlike libxdp's lookups, which open programs
 * by id, this needs no CAP_SYS_ADMIN, so it still works after privs_drop(). */
static int attached_id(int ifindex, __u32 *id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ret = bpf_xdp_query(ifindex, 0, &q);

	*id = q.attach_mode == XDP_ATTACHED_SKB ? q.skb_prog_id : q.drv_prog_id;
	return ret;
}

/* What is attached now, with the reason in err on failure. */
static int query(const struct dn_iface *ifc, struct dn_attachment *a, char *err, size_t errlen)
{
	int ret = loader_query(ifc->ifindex, a);

	if (ret)
		snprintf(err, errlen, "cannot query the XDP programs on %s: %s", ifc->name,
			 strerror(-ret));
	return ret;
}

/* A loopback interface carries the host's own traffic, never a darknet's:
 * with the default verdict (drop) the program would cut the host off from
 * itself, so it is refused whatever the mode. */
static int refuse_loopback(const struct dn_iface *ifc, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* the attach itself will say what is wrong */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_LOOPBACK)) {
		snprintf(err, errlen, "refusing to attach to %s: a loopback interface "
			 "carries the host's own traffic, not a darknet's", ifc->name);
		ret = -EINVAL;
	}
	close(fd);
	return ret;
}

int loader_attach(struct dn_iface *ifc, enum xdp_attach_mode mode,
		  char *err, size_t errlen)
{
	struct dn_attachment cur;
	int ret = refuse_loopback(ifc, err, errlen);

	ret = ret ?: query(ifc, &cur, err, errlen);
	if (ret)
		return ret;
	if (cur.foreign_id && cur.legacy) {
		snprintf(err, errlen, "%s already has XDP program %s (id %u) attached; "
			 "darknet-counter does not replace other programs", ifc->name,
			 cur.foreign_name, cur.foreign_id);
		return -EBUSY;
	}
	if (cur.prog_id && cur.legacy) {
		if (mode != XDP_MODE_UNSPEC && mode != cur.mode)
			pr_warn("%s: keeping the running program's %s mode; detach first to change it\n",
				ifc->name, cur.mode == XDP_MODE_SKB ? "skb" : "native");
		ret = replace_legacy(ifc, &cur, err, errlen);
	} else {
		ret = attach_fresh(ifc, mode, err, errlen);
	}
	if (ret)
		return ret;
	maps_from_skel(&ifc->maps, ifc->skel);
	ret = query(ifc, &cur, err, errlen);
	if (ret)
		return ret;
	ifc->mode = cur.mode;
	ifc->legacy = cur.legacy;
	ifc->prog_id = cur.prog_id;
	ret = attached_id(ifc->ifindex, &ifc->attached_id);
	if (ret) {
		snprintf(err, errlen, "cannot query the XDP program attached to %s: %s",
			 ifc->name, strerror(-ret));
		return ret;
	}
	if (cur.prog_id && !cur.legacy && ifc->adopted)
		pr_warn("%s: libxdp dispatcher in use; the previous program stays in the "
			"chain until detached\n", ifc->name);
	return 0;
}

int loader_detach_ifindex(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	long ret = libxdp_get_error(mp);

	if (ret == -ENOENT || !mp)
		return 0;
	if (ret)
		return ret;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		ret = is_ours(p) ? xdp_multiprog__detach(mp) : 0;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
			if (is_ours(p))
				ret = ret ?: xdp_program__detach(p, ifindex,
								 xdp_multiprog__attach_mode(mp), 0);
	}
	xdp_multiprog__close(mp);
	return ret;
}

/* With our own program fd at hand, netlink detaches it with CAP_NET_ADMIN
 * alone (the daemon at exit, after privs_drop()); naming the old fd makes
 * the kernel refuse if someone else's program has replaced ours meanwhile. */
static int detach_own(const struct dn_iface *ifc)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int fd = ifc->prog ? xdp_program__fd(ifc->prog) : -1;

	if (fd < 0 || !ifc->legacy)
		return -ENOENT;
	opts.old_prog_fd = fd;
	return bpf_xdp_detach(ifc->ifindex, mode_flags(ifc->mode), &opts);
}

int loader_detach(struct dn_iface *ifc, char *err, size_t errlen)
{
	int ret = detach_own(ifc), rm;

	if (ret == -ENOENT)
		ret = loader_detach_ifindex(ifc->ifindex);
	if (ret)
		snprintf(err, errlen, "failed to detach the XDP program from %s: %s", ifc->name,
			 strerror(-ret));
	/* the pins go even so: a program left attached keeps its maps */
	if (ifc->skel)
		bpf_object__unpin_maps(ifc->skel->obj, NULL);
	rm = bpffs_remove_dir(ifc->pin_dir);
	if (rm && !ret) {
		snprintf(err, errlen, "cannot remove the pinned state of %s in %s: %s",
			 ifc->name, ifc->pin_dir, strerror(-rm));
		ret = rm;
	}
	return ret;
}

void loader_close(struct dn_iface *ifc)
{
	xdp_program__close(ifc->prog);
	darknet_counter_bpf__destroy(ifc->skel);
	ifc->prog = NULL;
	ifc->skel = NULL;
}

int loader_is_attached(const struct dn_iface *ifc)
{
	__u32 id;
	int ret = attached_id(ifc->ifindex, &id);

	return ret ? ret : id && id == ifc->attached_id;
}
