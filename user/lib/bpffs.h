/* bpffs.h: making sure bpffs is mounted and the pin directories exist. */
#ifndef DN_BPFFS_H
#define DN_BPFFS_H

#include <stddef.h>

/* Mount bpffs at the mount point that holds root (normally /sys/fs/bpf) if
 * nothing is mounted there yet. Returns 0 or -errno with a reason in err. */
int bpffs_ensure(const char *root, char *err, size_t errlen);
/* mkdir -p */
int bpffs_mkdirs(const char *dir);
/* Remove every file in dir, then dir and its two parents (vN/, the root)
 * if that left them empty; missing is fine. */
int bpffs_remove_dir(const char *dir);
/* Pin directory of one interface: ROOT/vLAYOUT/IFNAME, or IFNAME@NETNS when
 * the interface lives in a named namespace (names may repeat across them). */
void bpffs_iface_dir(char *buf, size_t len, const char *root, const char *ifname,
		     const char *netns);

#endif
