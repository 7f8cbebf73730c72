/* bench_daemon.c: runs the real daemon on the bench's veth: its RSS and CPU time per HTTP scrape. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "bench_drop.skel.h"
#include "bpffs.h"
#include "netns.h"
#include "strbuf.h"

/* The daemon attaches to the receiving veth in its namespace (--netns),
 * serves HTTP on loopback in ours, and keeps its maps pinned under a
 * bench-only bpffs directory that --detach-on-exit removes. Its CPU time
 * is the sum over its threads (/proc/PID/task/N/schedstat, ns), taken
 * around HTTP scrapes, so it includes accepting, reading every map,
 * rendering and sending. */

#define HTTP_SCRAPES 10
#define START_TIMEOUT_MS 10000

static int http_get(int port, struct strbuf *body)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	char buf[65536];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	strbuf_reset(body);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		err = -errno;
	while (!err && (n = read(fd, buf, sizeof(buf))) > 0)
		err = strbuf_append(body, buf, n);
	close(fd);
	if (!err && strncmp(strbuf_str(body), "HTTP/1.", 7))
		err = -EPROTO;
	return err;
}

static size_t body_series(const struct strbuf *sb)
{
	const char *p = strstr(strbuf_str(sb), "\r\n\r\n");
	size_t n = 0;

	for (p = p ? p + 4 : NULL; p && *p; ) {
		if (*p != '#' && *p != '\n')
			n++;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return n;
}

/* CPU time of every thread of pid, in ns. */
static uint64_t proc_cpu_ns(pid_t pid)
{
	char path[PATH_MAX];
	uint64_t total = 0, v;
	struct dirent *e;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%" SCNu64, &v) == 1)
			total += v;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return total;
}

static long proc_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

struct daemon {
	pid_t pid;
	int port;
	char pin_root[PATH_MAX];
	char log[PATH_MAX];
};

static void exec_daemon(const struct bench *b, const struct daemon *d)
{
	char listen[32];
	int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", d->port);
	execl(b->opt.daemon, b->opt.daemon, "--netns", b->opt.rx_ns, "--xdp-mode", "native",
	      "--web.listen-address", listen, "--bpffs-dir", d->pin_root, "--detach-on-exit",
	      "--darknet", "198.51.100.0/24", "--darknet", "203.0.113.0/24",
	      "--darknet", "2001:db8::/32", "--scanners", b->opt.scanners,
	      b->opt.rx_if, (char *)NULL);
	_exit(127);
}

/* Start the daemon and wait until it answers; retries another port if the
 * first is taken (the daemon then exits at once). */
static int daemon_start(struct bench *b, struct daemon *d, struct strbuf *body)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		d->port = 20000 + (getpid() * 7 + attempt * 101) % 20000;
		d->pid = fork();
		if (d->pid < 0)
			return -errno;
		if (!d->pid)
			exec_daemon(b, d);
		for (int ms = 0; ms < START_TIMEOUT_MS; ms += 50) {
			if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
				d->pid = -1;
				break;
			}
			if (!http_get(d->port, body))
				return 0;
			usleep(50000);
		}
		if (d->pid > 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
			d->pid = -1;
		}
	}
	fprintf(stderr, "bench: %s did not start; its log is %s\n", b->opt.daemon, d->log);
	return -ETIMEDOUT;
}

static void daemon_stop(struct daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	for (int ms = 0; ms < 5000; ms += 50) {
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
			return;
		usleep(50000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
}

static int detach_rx(void *p)
{
	struct bench *b = p;

	return bpf_xdp_detach(b->rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

/* CPU ms per HTTP scrape, averaged over HTTP_SCRAPES. */
static int timed_scrapes(struct daemon *d, struct strbuf *body, double *ms)
{
	uint64_t t0 = proc_cpu_ns(d->pid);
	int err = 0;

	for (int i = 0; !err && i < HTTP_SCRAPES; i++)
		err = http_get(d->port, body);
	*ms = (proc_cpu_ns(d->pid) - t0) / 1e6 / HTTP_SCRAPES;
	return err;
}

int bench_section_daemon(struct bench *b)
{
	struct daemon d = { .pid = -1 };
	struct strbuf body = STRBUF_INIT;
	struct dn_maps m = { 0 };
	char pin_dir[PATH_MAX];
	long rss0, rss1, hwm;
	double idle_ms, full_ms;
	size_t idle_series;
	int err;

	snprintf(d.pin_root, sizeof(d.pin_root), "/sys/fs/bpf/darknet-bench-%d", getpid());
	snprintf(d.log, sizeof(d.log), "/tmp/darknet-bench-daemon-%d.log", getpid());
	/* the daemon attaches itself, and leaves a foreign program alone */
	err = bench_in_netns(b->opt.rx_ns, detach_rx, b);
	err = err ?: daemon_start(b, &d, &body);
	err = err ?: timed_scrapes(&d, &body, &idle_ms);
	idle_series = body_series(&body);
	rss0 = d.pid > 0 ? proc_status_kb(d.pid, "VmRSS") : -1;
	/* then every counter slot non-zero, written into its pinned maps */
	bpffs_iface_dir(pin_dir, sizeof(pin_dir), d.pin_root, b->opt.rx_if, b->opt.rx_ns);
	err = err ?: maps_open_pinned(&m, pin_dir);
	err = err ?: bench_fill_maps(&m, 0, true);
	err = err ?: timed_scrapes(&d, &body, &full_ms);
	rss1 = d.pid > 0 ? proc_status_kb(d.pid, "VmRSS") : -1;
	hwm = d.pid > 0 ? proc_status_kb(d.pid, "VmHWM") : -1;
	if (!err) {
		fprintf(b->out, "  the daemon (%s, default options, on %s), CPU per HTTP scrape "
			"(all threads, mean of %d):\n", b->opt.daemon, b->opt.rx_if, HTTP_SCRAPES);
		fprintf(b->out, "    quiet maps:      %6zu series %7.1f ms   RSS %.1f MiB\n",
			idle_series, idle_ms, rss0 / 1024.0);
		fprintf(b->out, "    every slot set:  %6zu series %7.1f ms   RSS %.1f MiB "
			"(peak %.1f MiB)\n", body_series(&body), full_ms, rss1 / 1024.0,
			hwm / 1024.0);
	}
	if (m.class_counters > 0)
		maps_close(&m);
	daemon_stop(&d);
	strbuf_free(&body);
	if (!err)
		unlink(d.log);
	/* the bench's own sink again, for anything that follows */
	bench_attach_rx(b, bpf_program__fd(b->sink->progs.bench_drop));
	return err;
}
