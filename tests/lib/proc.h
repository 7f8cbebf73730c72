/* proc.h: running programs for the end-to-end tests: capture, timeouts, paths, ports. */
#ifndef DN_TEST_PROC_H
#define DN_TEST_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* What a finished command left: its exit code (128 + signal when killed,
 * -1 when it timed out and was killed) and everything it wrote. */
struct e2e_run {
	int status;
	char *out;        /* stdout, NUL-terminated */
	char *err;        /* stderr, NUL-terminated */
	size_t outlen, errlen;
};

/* Run argv (argv[0] is a path or a name looked up in PATH) with no stdin,
 * capture stdout and stderr, kill it with SIGKILL after timeout_ms. Returns 0
 * when it ran (see r->status), -errno when it could not be started. The child
 * dies with us (PR_SET_PDEATHSIG). */
int e2e_run(char *const argv[], int timeout_ms, struct e2e_run *r);
/* Same, the command given as a NULL-terminated list of strings. */
int e2e_runl(int timeout_ms, struct e2e_run *r, const char *arg0, ...)
	__attribute__((sentinel));
void e2e_run_free(struct e2e_run *r);

/* A program left running: e2e_spawn() starts argv as e2e_run() does;
 * e2e_finish() sends sig (if not 0), reads what it wrote until it exits
 * (SIGKILL after timeout_ms) and reaps it. Nothing is read in between: for
 * programs that write less than a pipe holds (64 KiB) until they end. */
struct e2e_child {
	pid_t pid;                 /* 0: none */
	int out, err;              /* read ends of its stdout and stderr */
};

int e2e_spawn(char *const argv[], struct e2e_child *c);
/* Has it exited already (without reaping it)? */
int e2e_exited(const struct e2e_child *c);
int e2e_finish(struct e2e_child *c, int sig, int timeout_ms, struct e2e_run *r);

/* Run a shell command line quietly (output to /dev/null); its exit code, or
 * -1 when it could not run. For setup steps such as `ip netns add`. */
int e2e_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Directory of the project's programs: $DN_E2E_BINDIR, else the parent of
 * the directory of the running test binary (build/tests/x -> build). */
const char *e2e_bindir(void);
/* Full path of a program there ("darknet-counter"), strdup'ed. */
char *e2e_prog(const char *name);
/* A file of the source tree (e.g. "deploy/research-scanners.txt"):
 * $DN_E2E_SRCDIR, else the current directory, else two levels above the
 * binary directory. strdup'ed. */
char *e2e_srcfile(const char *rel);

/* A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
int e2e_free_port(void);

/* Milliseconds on the monotonic clock, and a sleep. */
long long e2e_now_ms(void);
void e2e_sleep_ms(int ms);

/* Whole file into a malloc()ed NUL-terminated buffer (NULL on error), and
 * writing a string to a file (0 or -errno). */
char *e2e_read_file(const char *path, size_t *len);
int e2e_write_file(const char *path, const char *text);

/* rm -rf for a directory tree of our own (a temp dir or a bpffs pin dir). */
int e2e_rm_rf(const char *path);

/* Entries (files or directories) below dir, recursively; 0 if it is absent. */
int e2e_count_entries(const char *dir);

/* Number of lines with any non-space character. */
int e2e_count_lines(const char *text);

#endif
