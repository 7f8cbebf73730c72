/* netns.c: entering a named network namespace and coming back. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "netns.h"
#include "pathname.h"

int netns_enter(const char *name, int *saved)
{
	char path[PATH_MAX], why[160];
	int fd, err;

	*saved = -1;
	/* the name is a path component under /var/run/netns, never a path */
	if (pathname_check_netns(name, why, sizeof(why)))
		return -EINVAL;
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	if (!err)
		return 0;
fail:
	close(*saved);
	*saved = -1;
	return err;
}

int netns_enter_err(const char *name, int *saved, char *err, size_t errlen)
{
	int ret = netns_enter(name, saved);

	if (ret == -EINVAL && pathname_check_netns(name, err, errlen))
		return ret;
	if (ret == -ENOENT)
		snprintf(err, errlen, "no network namespace %s (/var/run/netns/%s: %s; "
			 "ip netns add creates one)", name, name, strerror(-ret));
	else if (ret)
		snprintf(err, errlen, "cannot enter network namespace %s: %s", name,
			 strerror(-ret));
	return ret;
}

int netns_restore(int saved)
{
	int err = setns(saved, CLONE_NEWNET) ? -errno : 0;

	close(saved);
	return err;
}
