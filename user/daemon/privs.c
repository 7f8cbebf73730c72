/* privs.c: checking the capabilities the daemon needs, and dropping the rest. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* What the daemon still does after setup, and the capability each needs:
 * reading per-CPU maps and reloading lists (map create/update)  CAP_BPF;
 * checking that the program is still attached (netlink query)   CAP_NET_ADMIN;
 * creating maps beyond RLIMIT_MEMLOCK on old kernels             none here:
 * since 5.11 map memory is charged to the cgroup. CAP_SYS_ADMIN, CAP_SETUID
 * and everything else goes. */
#define KEEP_CAPS ((1ull << CAP_BPF) | (1ull << CAP_NET_ADMIN))

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

static int caps_set(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return !!(data[cap / 32].effective & (1u << (cap % 32)));
}

int privs_check(char *err, size_t errlen)
{
	struct __user_cap_data_struct data[2];
	int bpf, net;

	if (caps_get(data))
		return 0;   /* cannot tell: let the first bpf() call say */
	bpf = has_cap(data, CAP_BPF) || has_cap(data, CAP_SYS_ADMIN);
	net = has_cap(data, CAP_NET_ADMIN);
	if (bpf && net)
		return 0;
	snprintf(err, errlen, "missing privileges:%s%s (run as root, or grant them, "
		 "e.g. with the systemd unit in deploy/systemd)", bpf ? "" : " CAP_BPF",
		 net ? "" : " CAP_NET_ADMIN");
	return -EPERM;
}

static int switch_user(const char *name, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(name);

	if (!pw) {
		snprintf(err, errlen, "--user %s: no such user", name);
		return -ENOENT;
	}
	/* Keep the permitted set across setuid so the kept caps survive. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) ||
	    setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		int e = errno;

		snprintf(err, errlen, "cannot switch to user %s: %s", name, strerror(e));
		return -e;
	}
	return 0;
}

int privs_drop(const char *user, char *err, size_t errlen)
{
	struct __user_cap_data_struct data[2];
	int ret;

	if (user && (ret = switch_user(user, err, errlen)))
		return ret;
	ret = caps_get(data);
	for (int i = 0; !ret && i < 2; i++) {
		__u32 keep = (__u32)(KEEP_CAPS >> (32 * i));

		data[i].permitted &= keep;
		data[i].effective = data[i].permitted;
		data[i].inheritable = 0;
	}
	ret = ret ?: caps_set(data);
	/* no regaining anything through exec of a setuid binary */
	if (!ret && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "cannot drop privileges: %s", strerror(-ret));
	return ret;
}
