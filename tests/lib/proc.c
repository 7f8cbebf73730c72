/* proc.c: running programs for the end-to-end tests: capture, timeouts, paths, ports. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"

long long e2e_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void e2e_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A growing capture buffer, always NUL-terminated. */
struct capbuf {
	char *p;
	size_t len, cap;
};

static int capbuf_read(struct capbuf *b, int fd)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 8192) + (size_t)n;
		char *p = realloc(b->p, cap);

		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, tmp, (size_t)n);
	b->len += (size_t)n;
	b->p[b->len] = '\0';
	return 1;
}

static char *capbuf_take(struct capbuf *b, size_t *len)
{
	*len = b->len;
	return b->p ? b->p : strdup("");
}

/* In the child: stdin from /dev/null, stdout/stderr into the pipes, die
 * with the parent so that a crashed test leaves no process behind. */
static void child_exec(char *const argv[], int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (null >= 0)
		dup2(null, 0);
	dup2(out, 1);
	dup2(err, 2);
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int wait_status(pid_t pid, int *status, long long deadline)
{
	int st;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (deadline && e2e_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			*status = -1;
			return 0;
		}
		e2e_sleep_ms(5);
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

int e2e_spawn(char *const argv[], struct e2e_child *c)
{
	int po[2], pe[2], ret;

	memset(c, 0, sizeof(*c));
	c->out = c->err = -1;
	if (pipe2(po, O_CLOEXEC))
		return -errno;
	if (pipe2(pe, O_CLOEXEC)) {
		ret = -errno;
		close(po[0]);
		close(po[1]);
		return ret;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0)
		child_exec(argv, po[1], pe[1]);
	ret = c->pid < 0 ? -errno : 0;
	close(po[1]);
	close(pe[1]);
	if (ret) {
		close(po[0]);
		close(pe[0]);
		c->pid = 0;
		return ret;
	}
	c->out = po[0];
	c->err = pe[0];
	return 0;
}

int e2e_exited(const struct e2e_child *c)
{
	siginfo_t si = { 0 };

	/* WNOWAIT: look without reaping, so that e2e_finish still can */
	return c->pid && !waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
	       si.si_pid == c->pid;
}

int e2e_finish(struct e2e_child *c, int sig, int timeout_ms, struct e2e_run *r)
{
	int fd[2] = { c->out, c->err }, open_fds = 2, ret = 0;
	struct capbuf out = { 0 }, err = { 0 };
	long long deadline = e2e_now_ms() + timeout_ms;

	memset(r, 0, sizeof(*r));
	if (!c->pid)
		return -ECHILD;
	if (sig)
		kill(c->pid, sig);
	while (open_fds) {
		struct pollfd fds[2] = { { .fd = fd[0], .events = POLLIN },
					 { .fd = fd[1], .events = POLLIN } };
		long long left = deadline - e2e_now_ms();

		if (left <= 0)
			break;
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (fd[i] >= 0 && (fds[i].revents & (POLLIN | POLLHUP)) &&
			    !capbuf_read(i ? &err : &out, fd[i])) {
				close(fd[i]);
				fd[i] = -1;
				open_fds--;
			}
	}
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	/* pipes still open: it outlived the deadline, wait_status kills it */
	ret = wait_status(c->pid, &r->status, open_fds ? 1 : deadline + 5000);
	r->out = capbuf_take(&out, &r->outlen);
	r->err = capbuf_take(&err, &r->errlen);
	memset(c, 0, sizeof(*c));
	return ret;
}

int e2e_run(char *const argv[], int timeout_ms, struct e2e_run *r)
{
	struct e2e_child c;
	int ret = e2e_spawn(argv, &c);

	if (ret) {
		memset(r, 0, sizeof(*r));
		return ret;
	}
	return e2e_finish(&c, 0, timeout_ms, r);
}

int e2e_runl(int timeout_ms, struct e2e_run *r, const char *arg0, ...)
{
	const char *argv[64];
	int n = 0;
	va_list ap;

	argv[n++] = arg0;
	va_start(ap, arg0);
	while (n < 63 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return e2e_run((char *const *)argv, timeout_ms, r);
}

void e2e_run_free(struct e2e_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int e2e_sh(const char *fmt, ...)
{
	char cmd[2048], full[2100];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "( %s ) >/dev/null 2>&1", cmd);
	fflush(NULL);
	st = system(full);
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *e2e_bindir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("DN_E2E_BINDIR");
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
		return dir;
	}
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		snprintf(dir, sizeof(dir), "build");
		return dir;
	}
	dir[n] = '\0';
	/* .../build/tests/e2e-tests -> .../build */
	for (int up = 0; up < 2; up++) {
		slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = '\0';
	}
	return dir;
}

char *e2e_prog(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", e2e_bindir(), name);
	return strdup(path);
}

char *e2e_srcfile(const char *rel)
{
	char path[PATH_MAX];
	const char *env = getenv("DN_E2E_SRCDIR");

	if (env && *env) {
		snprintf(path, sizeof(path), "%s/%s", env, rel);
		return strdup(path);
	}
	if (!access(rel, R_OK)) {
		char cwd[PATH_MAX];

		if (getcwd(cwd, sizeof(cwd))) {
			snprintf(path, sizeof(path), "%s/%s", cwd, rel);
			return strdup(path);
		}
	}
	snprintf(path, sizeof(path), "%s/../%s", e2e_bindir(), rel);
	return strdup(path);
}

int e2e_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

char *e2e_read_file(const char *path, size_t *len)
{
	struct capbuf b = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t dummy;

	if (fd < 0)
		return NULL;
	while (capbuf_read(&b, fd))
		;
	close(fd);
	return capbuf_take(&b, len ? len : &dummy);
}

int e2e_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

int e2e_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? -errno : 0;
	d = opendir(path);
	if (d) {
		while ((e = readdir(d))) {
			char sub[PATH_MAX];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			e2e_rm_rf(sub);
		}
		closedir(d);
	}
	return rmdir(path) ? -errno : 0;
}

int e2e_count_lines(const char *text)
{
	int n = 0, content = 0;

	for (const char *p = text; ; p++) {
		if (*p == '\n' || !*p) {
			n += content;
			content = 0;
			if (!*p)
				break;
		} else if (*p != ' ' && *p != '\t' && *p != '\r') {
			content = 1;
		}
	}
	return n;
}

int e2e_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char sub[PATH_MAX];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		n += 1 + e2e_count_entries(sub);
	}
	closedir(d);
	return n;
}
