/* netfix.h: the end-to-end fixture: two network namespaces joined by a veth pair. */
#ifndef DN_TEST_NETFIX_H
#define DN_TEST_NETFIX_H

#include <net/if.h>

/*
 * ns_sensor holds if_sensor, where the daemon attaches; ns_inet holds
 * if_inet, where frames are sent from. IPv6 is disabled in both namespaces
 * before the link comes up, so the veth emits no ND/MLD frames: every frame
 * the program sees is one a test sent. Nothing has an address or a route, so
 * nothing leaves the namespaces. Names carry the test process's pid and a
 * sequence number; pin_dir (a bpffs directory) and tmpdir follow the same
 * scheme. netfix_teardown() removes all of it and runs again at exit, and
 * netfix_setup() first removes what tests of dead processes left behind.
 */
struct netfix {
	char ns_sensor[48], ns_inet[48];
	char if_sensor[IFNAMSIZ], if_inet[IFNAMSIZ];
	char pin_dir[128];        /* /sys/fs/bpf/dn-e2e-PID-N, not created */
	char tmpdir[128];         /* /tmp/dn-e2e-PID-N, created */
	int up;
};

/* 0, or -1 with a reason in err. */
int netfix_setup(struct netfix *f, char *err, size_t errlen);
void netfix_teardown(struct netfix *f);

/* Remove what fixtures of processes that are gone left behind (a test that
 * crashed or timed out runs no fini): namespaces, pin and temp directories
 * whose names carry a dead pid. netfix_setup() calls it first. */
void netfix_sweep_stale(void);

/* A path under f->tmpdir, strdup'ed. */
char *netfix_tmp(const struct netfix *f, const char *name);

/* `ip -n NS -d link show IFACE`: 1 if an XDP program is attached, 0 if not,
 * -1 on error; id receives the program id when attached (may be NULL). */
int netfix_xdp_attached(const struct netfix *f, int *id);

/* Attach a program of nobody's (two instructions: return XDP_PASS) to
 * if_sensor in skb (generic) or native mode, as another tool would. Its
 * program id, or -errno. The veth going away at teardown removes it. */
int netfix_attach_foreign(const struct netfix *f, int native);

#endif
