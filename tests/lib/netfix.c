/* netfix.c: the end-to-end fixture: two network namespaces joined by a veth pair. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "netns.h"
#include "netfix.h"
#include "proc.h"

#define PREFIX "dn-e2e-"
#define MAX_FIXTURES 8

/* Fixtures set up by this process, torn down at exit if a test did not. */
static struct netfix *live[MAX_FIXTURES];
static int atexit_done;
static unsigned int seq;

static void teardown_all(void)
{
	for (int i = 0; i < MAX_FIXTURES; i++)
		if (live[i])
			netfix_teardown(live[i]);
}

/* "dn-e2e-PID-..." of a process that no longer exists: ours, left behind. */
static int stale(const char *name)
{
	long pid;
	char *end;

	if (strncmp(name, PREFIX, strlen(PREFIX)))
		return 0;
	pid = strtol(name + strlen(PREFIX), &end, 10);
	if (end == name + strlen(PREFIX) || *end != '-' || pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

static void sweep_dir(const char *dir, int netns)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[512];

		if (!stale(e->d_name))
			continue;
		if (netns) {
			e2e_sh("ip netns del '%s'", e->d_name);
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			e2e_rm_rf(path);
		}
	}
	closedir(d);
}

/* Leftovers of crashed test processes: namespaces (and so their veths), pin
 * directories and temp directories, all recognised by a dead pid. */
void netfix_sweep_stale(void)
{
	sweep_dir("/run/netns", 1);
	sweep_dir("/sys/fs/bpf", 0);
	sweep_dir("/tmp", 0);
}

/* Write a sysctl of namespace ns (we enter it: /proc/sys/net is per netns). */
static int ns_sysctl(const char *ns, const char *path, const char *value)
{
	int saved, ret = netns_enter(ns, &saved);

	if (ret)
		return ret;
	ret = e2e_write_file(path, value);
	netns_restore(saved);
	return ret;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "fixture: %s failed", what);
	return -1;
}

int netfix_setup(struct netfix *f, char *err, size_t errlen)
{
	unsigned int pid = (unsigned int)getpid(), n = seq++;
	const char *ns[2];

	memset(f, 0, sizeof(*f));
	netfix_sweep_stale();
	snprintf(f->ns_sensor, sizeof(f->ns_sensor), PREFIX "%u-%u-sensor", pid, n);
	snprintf(f->ns_inet, sizeof(f->ns_inet), PREFIX "%u-%u-inet", pid, n);
	snprintf(f->if_sensor, sizeof(f->if_sensor), "dn%u-%us", pid, n % 100);
	snprintf(f->if_inet, sizeof(f->if_inet), "dn%u-%ui", pid, n % 100);
	snprintf(f->pin_dir, sizeof(f->pin_dir), "/sys/fs/bpf/" PREFIX "%u-%u", pid, n);
	snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/" PREFIX "%u-%u", pid, n);

	/* Registered before anything exists, so that a failure half-way is
	 * undone too (teardown ignores what is missing). */
	f->up = 1;
	for (int i = 0; i < MAX_FIXTURES; i++)
		if (!live[i]) {
			live[i] = f;
			break;
		}
	if (!atexit_done++)
		atexit(teardown_all);

	if (mkdir(f->tmpdir, 0755))
		return fail(err, errlen, "mkdir of the temp directory");
	ns[0] = f->ns_sensor;
	ns[1] = f->ns_inet;
	for (int i = 0; i < 2; i++) {
		if (e2e_sh("ip netns add '%s'", ns[i]))
			return fail(err, errlen, "ip netns add");
		if (ns_sysctl(ns[i], "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") ||
		    ns_sysctl(ns[i], "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"))
			return fail(err, errlen, "disabling IPv6 in a namespace");
		if (e2e_sh("ip -n '%s' link set lo up", ns[i]))
			return fail(err, errlen, "ip link set lo up");
	}
	if (e2e_sh("ip link add '%s' netns '%s' type veth peer name '%s' netns '%s'",
		   f->if_sensor, f->ns_sensor, f->if_inet, f->ns_inet))
		return fail(err, errlen, "ip link add (veth)");
	if (e2e_sh("ip -n '%s' link set '%s' up", f->ns_sensor, f->if_sensor) ||
	    e2e_sh("ip -n '%s' link set '%s' up", f->ns_inet, f->if_inet))
		return fail(err, errlen, "ip link set up (veth)");
	return 0;
}

void netfix_teardown(struct netfix *f)
{
	if (!f->up)
		return;
	f->up = 0;
	for (int i = 0; i < MAX_FIXTURES; i++)
		if (live[i] == f)
			live[i] = NULL;
	/* The veth first: a process still inside the namespace would keep it
	 * (and the pair) alive after `ip netns del`. */
	e2e_sh("ip -n '%s' link del '%s'", f->ns_sensor, f->if_sensor);
	e2e_sh("ip -n '%s' link del '%s'", f->ns_inet, f->if_inet);
	e2e_sh("ip netns del '%s'", f->ns_sensor);
	e2e_sh("ip netns del '%s'", f->ns_inet);
	e2e_rm_rf(f->pin_dir);
	e2e_rm_rf(f->tmpdir);
}

char *netfix_tmp(const struct netfix *f, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->tmpdir, name);
	return strdup(path);
}

int netfix_xdp_attached(const struct netfix *f, int *id)
{
	struct e2e_run r;
	const char *p;
	int ret;

	if (e2e_runl(5000, &r, "ip", "-n", f->ns_sensor, "-d", "link", "show", "dev",
		     f->if_sensor, (char *)NULL) || r.status) {
		e2e_run_free(&r);
		return -1;
	}
	/* "prog/xdp id 203 name ..." (or prog/xdpgeneric, prog/xdpdrv) */
	p = strstr(r.out, "prog/xdp");
	ret = p != NULL;
	if (p && id) {
		p = strstr(p, " id ");
		*id = p ? atoi(p + 4) : -1;
	}
	e2e_run_free(&r);
	return ret;
}

int netfix_attach_foreign(const struct netfix *f, int native)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info info = { 0 };
	__u32 info_len = sizeof(info);
	int saved, fd, ifindex, ret = netns_enter(f->ns_sensor, &saved);

	if (ret)
		return ret;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "dn_e2e_foreign", "GPL", prog, 2, NULL);
	ret = fd < 0 ? fd : 0;
	ifindex = (int)if_nametoindex(f->if_sensor);
	if (!ret && !ifindex)
		ret = -ENODEV;
	if (!ret)
		ret = bpf_xdp_attach(ifindex, fd, native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE,
				     NULL);
	if (!ret)
		ret = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	netns_restore(saved);
	if (fd >= 0)
		close(fd);
	return ret ? ret : (int)info.id;
}
