/* daemonctl.h: starting, signalling and stopping darknet-counter for end-to-end tests. */
#ifndef DN_TEST_DAEMONCTL_H
#define DN_TEST_DAEMONCTL_H

#include <sys/types.h>
#include "netfix.h"

#define DCTL_MAX_ARGS 48

/*
 * One daemon of a test. dctl_init() sets the arguments every test passes
 * (--netns, --web.listen-address 127.0.0.1:PORT, --bpffs-dir, -v off);
 * dctl_arg() adds more; dctl_start() appends the interface, starts it with
 * stdout and stderr appended to log_path (restarts share the log) and waits
 * until GET /metrics answers 200. The daemon dies with the test process
 * (PR_SET_PDEATHSIG) and is killed at exit if a test did not stop it.
 */
struct dctl {
	pid_t pid;                 /* 0: not running */
	int port;
	char log_path[256];
	const char *iface;
	char *argv[DCTL_MAX_ARGS];
	int argc;                  /* arguments before the interface */
	int last_status;           /* exit code of the last stop (128+sig) */
	const char *ready_headers; /* of the readiness GET (credentials), or NULL */
};

void dctl_init(struct dctl *d, const struct netfix *f, int port);
void dctl_arg(struct dctl *d, const char *arg);
/* The lab's lists: the three documentation darknets (198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32), the scanner list at scanners, and no
 * periodic reload (tests send SIGHUP when they mean it). */
void dctl_lab_lists(struct dctl *d, const char *scanners);
void dctl_free(struct dctl *d);

/* 0 once /metrics answers, -1 if the daemon exited first (d->last_status
 * then holds its exit code) or did not answer within timeout_ms. */
int dctl_start(struct dctl *d, int timeout_ms);

int dctl_signal(const struct dctl *d, int sig);
/* Send sig (if not 0) and wait for the exit, SIGKILL after timeout_ms.
 * Returns the exit code (128 + signal for a signal), -1 if not running. */
int dctl_stop(struct dctl *d, int sig, int timeout_ms);
/* SIGKILL and reap, quietly; for fini functions. */
void dctl_kill(struct dctl *d);

/* The daemon's log so far, malloc()ed. */
char *dctl_log(const struct dctl *d);

#endif
