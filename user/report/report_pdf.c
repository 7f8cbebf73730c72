/* report_pdf.c: the HTML page printed to PDF by headless Chromium, when it is installed. */
#define _GNU_SOURCE
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "report_pdf.h"

extern char **environ;

#define PDF_TIMEOUT_S 120

/* $CHROMIUM, else the first of the usual names in PATH. */
int rpt_find_chromium(char *path, size_t n)
{
	static const char *const names[] = { "chromium", "chromium-browser", "google-chrome" };
	const char *env = getenv("CHROMIUM"), *dirs = getenv("PATH");

	if (env && env[0]) {
		snprintf(path, n, "%s", env);
		return access(path, X_OK) ? -ENOENT : 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *d = dirs ? dirs : "/usr/bin:/bin";

		while (*d) {
			size_t len = strcspn(d, ":");

			snprintf(path, n, "%.*s/%s", (int)len, d, names[i]);
			if (len && !access(path, X_OK))
				return 0;
			d += len + (d[len] == ':');
		}
	}
	return -ENOENT;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void last_line(const char *log, char *buf, size_t n)
{
	char line[512];
	FILE *f = fopen(log, "r");

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			snprintf(buf, n, "%s", line);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static int wait_bounded(pid_t pid, int *status)
{
	for (int i = 0; i < PDF_TIMEOUT_S * 10; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -errno;
		usleep(100 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -ETIMEDOUT;
}

int rpt_print_pdf(const char *chromium, const char *html, const char *pdf,
		  char *err, size_t errlen)
{
	char dir[] = "/tmp/darknet-report.XXXXXX", log[64], why[256];
	char abs_html[PATH_MAX], url[PATH_MAX + 16], out_arg[PATH_MAX + 32], profile[96];
	posix_spawn_file_actions_t fa;
	char head[5] = "";
	pid_t pid;
	int ret, status = 0;
	FILE *f;

	if (!realpath(html, abs_html)) {
		snprintf(err, errlen, "%s: %s", html, strerror(errno));
		return -errno;
	}
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "PDF: a temporary directory: %s", strerror(errno));
		return -errno;
	}
	snprintf(log, sizeof(log), "%s/chromium.log", dir);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", dir);
	snprintf(url, sizeof(url), "file://%s", abs_html);
	snprintf(out_arg, sizeof(out_arg), "--print-to-pdf=%s", pdf);
	unlink(pdf);
	{
		/* --no-sandbox: Chromium's sandbox refuses to run as root. No
		 * header or footer: the page carries its own. */
		char *const argv[] = { (char *)chromium, "--headless", "--no-sandbox",
			"--disable-gpu", "--no-first-run", "--no-pdf-header-footer",
			profile, out_arg, url, NULL };

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		ret = -posix_spawn(&pid, chromium, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (ret) {
		snprintf(err, errlen, "PDF: cannot run %s: %s", chromium, strerror(-ret));
		goto out;
	}
	ret = wait_bounded(pid, &status);
	last_line(log, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "PDF: %s did not finish in %d s", chromium, PDF_TIMEOUT_S);
		goto out;
	}
	f = fopen(pdf, "rb");
	if (f) {
		if (fread(head, 1, 4, f) != 4)
			head[0] = '\0';
		fclose(f);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) || strcmp(head, "%PDF")) {
		snprintf(err, errlen, "PDF: %s wrote no PDF to %s (exit %d)%s%s", chromium, pdf,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, why[0] ? ": " : "", why);
		ret = -EIO;
	}
out:
	/* The profile Chromium left behind: our own directory only. */
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
