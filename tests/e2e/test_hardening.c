/* test_hardening.c: end-to-end: privileges of every daemon thread, and limits that keep scrapes served under abuse. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "e2e_steps.h"
#include "lib/httpc.h"

/* What privs.c keeps: CAP_NET_ADMIN (12) and CAP_BPF (39). */
#define KEPT_CAPS ((1ull << 12) | (1ull << 39))

static struct netfix fx;
static struct dctl dd;
static int port;

static void fixture(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "hardening setup: %s", err);
	port = e2e_free_port();
	dctl_init(&dd, &fx, port);
	dctl_arg(&dd, "--darknet");
	dctl_arg(&dd, "198.51.100.0/24");
}

static void setup(void)
{
	fixture();
	e2e_start(&dd, "hardening");
}

static void teardown(void)
{
	dctl_free(&dd);
	netfix_teardown(&fx);
}

/* CapEff and NoNewPrivs of one thread, from /proc/PID/task/TID/status. */
static int thread_privs(pid_t pid, const char *tid, uint64_t *cap_eff, int *nnp)
{
	char path[128], line[256];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "CapEff: %" SCNx64, cap_eff) == 1;
		found += sscanf(line, "NoNewPrivs: %d", nnp) == 1;
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

/* The HTTP threads parse TLS, headers and passwords from anyone: each must
 * hold no more than the main thread kept, and no_new_privs. */
Test(hardening, every_thread_dropped_privileges, .init = setup, .fini = teardown, .timeout = 30)
{
	char path[64];
	struct dirent *e;
	int threads = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)dd.pid);
	d = opendir(path);
	cr_assert(d, "hardening privs: cannot list %s", path);
	while ((e = readdir(d))) {
		uint64_t eff = ~0ull;
		int nnp = -1;

		if (e->d_name[0] == '.')
			continue;
		if (thread_privs(dd.pid, e->d_name, &eff, &nnp))
			continue;   /* the thread ended meanwhile */
		threads++;
		cr_expect_eq(eff & ~KEPT_CAPS, 0, "hardening privs: thread %s has CapEff %016" PRIx64
			     ", want at most %016llx", e->d_name, eff, KEPT_CAPS);
		cr_expect_eq(nnp, 1, "hardening privs: thread %s has NoNewPrivs %d", e->d_name, nnp);
	}
	closedir(d);
	/* main + the HTTP pool: a test that saw one thread proved nothing */
	cr_expect_gt(threads, 1, "hardening privs: only %d thread(s) seen", threads);
}
