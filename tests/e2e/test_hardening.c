/* test_hardening.c: end-to-end: privileges of every daemon thread, and limits that keep scrapes served under abuse. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/socket.h>
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

/* A header byte every DRIP_MS on each of DRIP_ADDRS x DRIP_PER_ADDR
 * connections, reconnecting when the server closes one: every slot the
 * daemon has, held without credentials. */
#define DRIP_ADDRS 8
#define DRIP_PER_ADDR 64
#define DRIP_MS 5000
#define SCRAPES 15

struct drip {
	int fd[DRIP_ADDRS * DRIP_PER_ADDR];
	long long last[DRIP_ADDRS * DRIP_PER_ADDR];
	volatile int stop;
	int reconnects;
};

static const char drip_start[] = "GET /metrics HTTP/1.1\r\nHost: a\r\nX-Drip: ";

static void drip_open(struct drip *d, int i)
{
	char src[16];

	snprintf(src, sizeof(src), "127.0.0.%d", 2 + i / DRIP_PER_ADDR);
	d->fd[i] = httpc_connect("127.0.0.1", port, src, 500);
	d->last[i] = e2e_now_ms();
	if (d->fd[i] >= 0 && send(d->fd[i], drip_start, strlen(drip_start), MSG_NOSIGNAL) < 0) {
		close(d->fd[i]);
		d->fd[i] = -1;
	}
}

static void *drip_run(void *arg)
{
	struct drip *d = arg;
	const int n = DRIP_ADDRS * DRIP_PER_ADDR;
	char buf[512];

	for (int i = 0; i < n; i++)
		drip_open(d, i);
	while (!d->stop) {
		for (int i = 0; i < n && !d->stop; i++) {
			long long now = e2e_now_ms();

			if (d->fd[i] >= 0 && recv(d->fd[i], buf, sizeof(buf), MSG_DONTWAIT) == 0) {
				close(d->fd[i]);   /* closed by the server: come back */
				d->fd[i] = -1;
			}
			if (d->fd[i] < 0 && now - d->last[i] >= 200) {
				drip_open(d, i);
				d->reconnects++;
			} else if (d->fd[i] >= 0 && now - d->last[i] >= DRIP_MS) {
				if (send(d->fd[i], "a", 1, MSG_NOSIGNAL) < 0) {
					close(d->fd[i]);
					d->fd[i] = -1;
				}
				d->last[i] = now;
			}
		}
		e2e_sleep_ms(20);
	}
	for (int i = 0; i < n; i++)
		if (d->fd[i] >= 0)
			close(d->fd[i]);
	return NULL;
}

/* A header that never ends is cut at the header deadline, however steadily
 * it trickles in (the idle timeout alone never fires). */
Test(hardening, headers_have_a_deadline, .init = setup, .fini = teardown, .timeout = 60)
{
	int fd = httpc_connect("127.0.0.1", port, NULL, 2000);
	long long t0 = e2e_now_ms(), closed = -1;
	char c;

	cr_assert_geq(fd, 0, "deadline: cannot connect");
	cr_assert_gt(send(fd, drip_start, strlen(drip_start), MSG_NOSIGNAL), 0, "deadline: send");
	while (e2e_now_ms() - t0 < 25000 && closed < 0) {
		e2e_sleep_ms(1000);
		if (send(fd, "a", 1, MSG_NOSIGNAL) < 0 ||
		    recv(fd, &c, 1, MSG_DONTWAIT) == 0)
			closed = e2e_now_ms() - t0;
	}
	close(fd);
	cr_log_info("deadline: the drip-fed connection was closed after %lld ms", closed);
	cr_expect(closed >= 0 && closed <= 14000,
		  "deadline: a header dripped 1 byte/s was still open after %lld ms, want closed "
		  "within the 10 s deadline", closed < 0 ? e2e_now_ms() - t0 : closed);
}

Test(hardening, drip_feeders_do_not_starve_a_scrape, .init = setup, .fini = teardown,
     .timeout = 120)
{
	static struct drip d;
	long long worst = 0;
	int failed = 0;
	pthread_t t;

	memset(&d, 0, sizeof(d));
	cr_assert_eq(pthread_create(&t, NULL, drip_run, &d), 0, "drip: thread");
	e2e_sleep_ms(3000);   /* every slot taken */
	for (int i = 0; i < SCRAPES; i++) {
		struct httpc_resp r;
		long long t0 = e2e_now_ms(), ms;
		int ret = httpc_request("127.0.0.1", port, NULL, "GET", "/metrics", NULL, 1000, &r);

		ms = e2e_now_ms() - t0;
		if (ret || r.status != 200)
			failed++, ms = 1000 + ms;
		if (ms > worst)
			worst = ms;
		httpc_resp_free(&r);
		e2e_sleep_ms(1000);
	}
	d.stop = 1;
	pthread_join(t, NULL);
	printf("drip: worst of %d scrapes under %d drip-fed connections: %lld ms "
	       "(%d failed, %d reconnects)\n", SCRAPES, DRIP_ADDRS * DRIP_PER_ADDR, worst, failed,
	       d.reconnects);
	cr_expect_eq(failed, 0, "drip: %d of %d scrapes failed", failed, SCRAPES);
	cr_expect_lt(worst, 1000, "drip: worst scrape %lld ms, want < 1000", worst);
}
