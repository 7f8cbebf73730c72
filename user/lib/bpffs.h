/* bpffs.h: making sure bpffs is mounted and the pin directories exist. */
#ifndef DN_BPFFS_H
#define DN_BPFFS_H

#include <stdbool.h>
#include <stddef.h>

/* Under /sys/fs/bpf: mount bpffs there if nothing is mounted yet. Elsewhere:
 * create root, which must be on a bpffs the user mounted. Returns 0 or
 * -errno with a reason naming the path in err. */
int bpffs_ensure(const char *root, char *err, size_t errlen);
/* Whether path is on bpffs (the only place maps can be pinned). */
bool bpffs_holds(const char *path);
/* mkdir -p */
int bpffs_mkdirs(const char *dir);
/* Remove every file in dir, then dir and its two parents (vN/, the root)
 * if that left them empty; missing is fine. */
int bpffs_remove_dir(const char *dir);
/* Pin directory of one interface: ROOT/vLAYOUT/IFNAME, or IFNAME@NETNS when
 * the interface lives in a named namespace (names may repeat across them).
 * 0, -EINVAL for a name that is no single path component (pathname.h; buf
 * is then ""), -ENAMETOOLONG when it does not fit in buf. */
int bpffs_iface_dir(char *buf, size_t len, const char *root, const char *ifname,
		    const char *netns);

#endif
