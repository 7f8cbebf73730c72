/* bpffs.c: making sure bpffs is mounted and the pin directories exist. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "darknet_counter.h"
#include "bpffs.h"
#include "pathname.h"

bool bpffs_holds(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

int bpffs_ensure(const char *root, char *err, size_t errlen)
{
	const char *mnt = "/sys/fs/bpf";
	int ret;

	if (!strncmp(root, mnt, strlen(mnt))) {
		if (bpffs_holds(mnt))
			return 0;
		if (mount("bpf", mnt, "bpf", 0, "mode=0700")) {
			ret = -errno;
			snprintf(err, errlen, "bpffs is not mounted at %s and mounting it failed: "
				 "%s (mount it with: mount -t bpf bpf %s)", mnt, strerror(-ret), mnt);
			return ret;
		}
		return 0;
	}
	/* Elsewhere we mount nothing: the user chose a place, it must be bpffs
	 * (pinning anywhere else fails later with a bare EPERM). */
	ret = bpffs_mkdirs(root);
	if (ret) {
		snprintf(err, errlen, "cannot create --bpffs-dir %s: %s", root, strerror(-ret));
		return ret;
	}
	if (!bpffs_holds(root)) {
		snprintf(err, errlen, "--bpffs-dir %s is not on bpffs (mount one there with: "
			 "mount -t bpf bpf %s)", root, root);
		return -EINVAL;
	}
	return 0;
}

int bpffs_mkdirs(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(path, 0700) && errno != EEXIST ? -errno : 0;
}

int bpffs_remove_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	/* The vN/ and root directories go with their last interface; rmdir
	 * refuses while another interface's state is still in them. */
	snprintf(path, sizeof(path), "%s", dir);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');

		if (!slash || slash == path)
			break;
		*slash = '\0';
		if (rmdir(path))
			break;
	}
	return 0;
}

int bpffs_iface_dir(char *buf, size_t len, const char *root, const char *ifname,
		    const char *netns)
{
	char why[160];
	int n;

	/* "../x" would lead the pin directory, and detach's removal, elsewhere */
	if (pathname_check_ifname(ifname, why, sizeof(why)) ||
	    (netns && pathname_check_netns(netns, why, sizeof(why)))) {
		snprintf(buf, len, "%s", "");
		return -EINVAL;
	}
	if (netns)
		n = snprintf(buf, len, "%s/v%d/%s@%s", root, DN_LAYOUT_VERSION, ifname, netns);
	else
		n = snprintf(buf, len, "%s/v%d/%s", root, DN_LAYOUT_VERSION, ifname);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
