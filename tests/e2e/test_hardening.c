/* test_hardening.c: end-to-end: privileges of every daemon thread, and limits that keep scrapes served under abuse. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <crypt.h>
#include <dirent.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
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

#define FLOODERS 60
#define GOOD_PASS "scrape-pw"

static void base64(const char *in, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned int v = (unsigned char)in[i] << 16;

		v |= i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char)in[i + 2] : 0;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

static void auth_header(const char *user, const char *pass, char *out, size_t len)
{
	char plain[128], b64[200];

	snprintf(plain, sizeof(plain), "%s:%s", user, pass);
	base64(plain, b64);
	snprintf(out, len, "Authorization: Basic %s\r\n", b64);
}

/* The daemon with basic auth: alice, bcrypt cost 10 (htpasswd's default). */
static char good_auth[256];

static void setup_auth(void)
{
	struct crypt_data data = {0};
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], *cfg, text[256];
	const char *h;

	fixture();
	cr_assert_not_null(crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof(salt)), "gensalt");
	h = crypt_rn(GOOD_PASS, salt, &data, sizeof(data));
	cr_assert_not_null(h, "crypt_rn");
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n", h);
	cfg = netfix_tmp(&fx, "web.yml");
	e2e_put(cfg, text);
	dctl_arg(&dd, "--web.config.file");
	dctl_arg(&dd, cfg);
	auth_header("alice", GOOD_PASS, good_auth, sizeof(good_auth));
	dd.ready_headers = good_auth;   /* also fills the cache of good logins */
	e2e_start(&dd, "hardening auth");
	free(cfg);
}

struct flooder {
	int id;
	volatile int *stop;
	int requests, refused;
};

/* Wrong passwords, a new one each time, from 127.0.0.(2+id). */
static void *flood(void *arg)
{
	struct flooder *f = arg;
	char src[16], pw[32], hdr[256];

	snprintf(src, sizeof(src), "127.0.0.%d", 2 + f->id);
	for (int n = 0; !*f->stop; n++) {
		struct httpc_resp r;

		snprintf(pw, sizeof(pw), "wrong-%d-%d", f->id, n);
		auth_header("alice", pw, hdr, sizeof(hdr));
		if (!httpc_request("127.0.0.1", port, src, "GET", "/metrics", hdr, 5000, &r)) {
			f->requests++;
			f->refused += r.status == 401 || r.status == 429;
		}
		httpc_resp_free(&r);
	}
	return NULL;
}

Test(hardening, bad_password_flood_does_not_slow_a_cached_scrape, .init = setup_auth,
     .fini = teardown, .timeout = 120)
{
	static struct flooder f[FLOODERS];
	pthread_t t[FLOODERS];
	volatile int stop = 0;
	long long worst = 0;
	int failed = 0, requests = 0, refused = 0;

	for (int i = 0; i < FLOODERS; i++) {
		f[i] = (struct flooder){ .id = i, .stop = &stop };
		cr_assert_eq(pthread_create(&t[i], NULL, flood, &f[i]), 0, "flood: thread %d", i);
	}
	e2e_sleep_ms(1000);
	for (int i = 0; i < SCRAPES; i++) {
		struct httpc_resp r;
		long long t0 = e2e_now_ms(), ms;
		int ret = httpc_request("127.0.0.1", port, NULL, "GET", "/metrics", good_auth, 1000,
					&r);

		ms = e2e_now_ms() - t0;
		if (ret || r.status != 200)
			failed++, ms = 1000 + ms;
		if (ms > worst)
			worst = ms;
		httpc_resp_free(&r);
		e2e_sleep_ms(500);
	}
	stop = 1;
	for (int i = 0; i < FLOODERS; i++) {
		pthread_join(t[i], NULL);
		requests += f[i].requests;
		refused += f[i].refused;
	}
	printf("auth flood: worst of %d cached scrapes under %d bad-password clients: %lld ms "
	       "(%d failed; %d bad requests, %d refused)\n", SCRAPES, FLOODERS, worst, failed,
	       requests, refused);
	cr_expect_eq(refused, requests, "auth flood: a wrong password was let in");
	cr_expect_eq(failed, 0, "auth flood: %d of %d scrapes failed", failed, SCRAPES);
	cr_expect_lt(worst, 1000, "auth flood: worst scrape %lld ms, want < 1000", worst);
}

/* Binding comes before the drop: a port below 1024 still works. */
Test(hardening, privileged_port_still_binds, .fini = teardown, .timeout = 30)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char addr[32], err[256];
	int low = 0;

	/* a port below 1024 that is free on 127.0.0.1 now */
	for (int p = 1023; p > 600 && !low; p--) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		sa.sin_port = htons(p);
		if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			low = p;
		if (fd >= 0)
			close(fd);
	}
	cr_assert_gt(low, 0, "privileged port: none free in 601..1023");
	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "privileged port setup: %s", err);
	dctl_init(&dd, &fx, low);
	dctl_arg(&dd, "--darknet");
	dctl_arg(&dd, "198.51.100.0/24");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", low);
	dctl_arg(&dd, "--web.listen-address");
	dctl_arg(&dd, addr);
	e2e_start(&dd, "privileged port");
}
