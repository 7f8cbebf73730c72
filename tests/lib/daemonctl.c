/* daemonctl.c: starting, signalling and stopping darknet-counter for end-to-end tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "daemonctl.h"
#include "httpc.h"
#include "proc.h"
#include "array_size.h"

#define MAX_DAEMONS 8

static struct dctl *running[MAX_DAEMONS];
static int atexit_done;

static void kill_all(void)
{
	for (int i = 0; i < MAX_DAEMONS; i++)
		if (running[i])
			dctl_kill(running[i]);
}

static void track(struct dctl *d, int on)
{
	for (int i = 0; i < MAX_DAEMONS; i++) {
		if (on && !running[i]) {
			running[i] = d;
			break;
		}
		if (!on && running[i] == d)
			running[i] = NULL;
	}
	if (on && !atexit_done++)
		atexit(kill_all);
}

void dctl_arg(struct dctl *d, const char *arg)
{
	if (d->argc < DCTL_MAX_ARGS - 3)
		d->argv[d->argc++] = strdup(arg);
}

void dctl_lab_lists(struct dctl *d, const char *scanners)
{
	static const char *const darknets[] = { "198.51.100.0/24", "203.0.113.0/24",
						"2001:db8::/32" };

	for (size_t i = 0; i < ARRAY_SIZE(darknets); i++) {
		dctl_arg(d, "--darknet");
		dctl_arg(d, darknets[i]);
	}
	dctl_arg(d, "--scanners");
	dctl_arg(d, scanners);
	dctl_arg(d, "--reload-interval");
	dctl_arg(d, "0");
}

void dctl_init(struct dctl *d, const struct netfix *f, int port)
{
	char addr[64];

	memset(d, 0, sizeof(*d));
	d->port = port;
	d->iface = f->if_sensor;
	snprintf(d->log_path, sizeof(d->log_path), "%s/daemon-%d.log", f->tmpdir, port);
	d->argv[d->argc++] = e2e_prog("darknet-counter");
	dctl_arg(d, "--netns");
	dctl_arg(d, f->ns_sensor);
	dctl_arg(d, "--bpffs-dir");
	dctl_arg(d, f->pin_dir);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	dctl_arg(d, "--web.listen-address");
	dctl_arg(d, addr);
}

void dctl_free(struct dctl *d)
{
	dctl_kill(d);
	for (int i = 0; i < d->argc; i++)
		free(d->argv[i]);
	d->argc = 0;
}

/* Reap without blocking: 1 and the exit code if it is gone. */
static int reaped(struct dctl *d)
{
	int st;

	if (!d->pid || waitpid(d->pid, &st, WNOHANG) != d->pid)
		return 0;
	d->last_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	d->pid = 0;
	track(d, 0);
	return 1;
}

int dctl_start(struct dctl *d, int timeout_ms)
{
	long long deadline = e2e_now_ms() + timeout_ms;
	int log;

	d->argv[d->argc] = (char *)d->iface;
	d->argv[d->argc + 1] = NULL;
	log = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log < 0)
		return -1;
	fflush(NULL);
	d->pid = fork();
	if (d->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 0);
		dup2(log, 1);
		dup2(log, 2);
		execv(d->argv[0], d->argv);
		fprintf(stderr, "cannot run %s: %s\n", d->argv[0], strerror(errno));
		_exit(127);
	}
	close(log);
	if (d->pid < 0) {
		d->pid = 0;
		return -1;
	}
	track(d, 1);
	while (e2e_now_ms() < deadline) {
		struct httpc_resp r;
		int ok;

		if (reaped(d))
			return -1;
		/* Up to the deadline: before the daemon listens the connection is
		 * refused at once; after, a first scrape slowed by a busy machine
		 * must not be cut short and asked again and again. */
		ok = !httpc_request("127.0.0.1", d->port, NULL, "GET", "/metrics",
				    d->ready_headers, (int)(deadline - e2e_now_ms()) + 1, &r) &&
		     r.status == 200;
		httpc_resp_free(&r);
		if (ok)
			return 0;
		e2e_sleep_ms(50);
	}
	return -1;
}

int dctl_signal(const struct dctl *d, int sig)
{
	return d->pid ? kill(d->pid, sig) : -1;
}

int dctl_stop(struct dctl *d, int sig, int timeout_ms)
{
	long long deadline = e2e_now_ms() + timeout_ms;

	if (!d->pid)
		return -1;
	if (sig)
		kill(d->pid, sig);
	while (!reaped(d)) {
		if (e2e_now_ms() > deadline) {
			dctl_kill(d);
			return -1;
		}
		e2e_sleep_ms(10);
	}
	return d->last_status;
}

void dctl_kill(struct dctl *d)
{
	int st;

	if (!d->pid)
		return;
	kill(d->pid, SIGKILL);
	if (waitpid(d->pid, &st, 0) == d->pid)
		d->last_status = 128 + SIGKILL;
	d->pid = 0;
	track(d, 0);
}

char *dctl_log(const struct dctl *d)
{
	char *text = e2e_read_file(d->log_path, NULL);

	return text ? text : strdup("");
}
