/* test_list_file.c: list files that are empty, not regular, endless or unreadable are refused without hanging. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "list_file.h"
#include "prefix.h"

static char dir[] = "/tmp/dn-listfile-XXXXXX";
static char path_buf[512];
static struct dn_prefix_list list;

static void setup(void)
{
	strcpy(dir, "/tmp/dn-listfile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "setup: mkdtemp");
	prefix_list_init(&list);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	prefix_list_free(&list);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(list_file, .init = setup, .fini = teardown);

/* Writes content to dir/name and returns the path (one static buffer). */
static const char *write_file(const char *name, const char *content)
{
	FILE *f;

	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	f = fopen(path_buf, "w");
	cr_assert_not_null(f, "writing %s", path_buf);
	cr_assert_eq(fputs(content, f) >= 0, 1, "writing %s", path_buf);
	fclose(f);
	return path_buf;
}

/* path: MSG, the list untouched, ret as given. */
static void expect_file_error(const char *path, int ret, const char *msg, const char *what)
{
	char err[512] = "", want[600];
	int got;

	got = prefix_list_load_darknets(&list, path, err, sizeof(err));
	cr_expect_eq(got, ret, "%s: returns %d, got %d (%s)", what, ret, got, err);
	snprintf(want, sizeof(want), "%s: %s", path, msg);
	cr_expect_str_eq(err, want, "%s: message", what);
	cr_expect_eq(list.len, 0, "%s: nothing kept", what);
}

/* An empty darknet list would count nothing; one that reads as empty (a
 * file caught mid-rewrite) is an error, not "no darknet". */
Test(list_file, empty_darknet_file_is_an_error)
{
	expect_file_error(write_file("empty.txt", ""), -ENODATA, "no darknet prefix in it",
			  "empty darknet file");
	expect_file_error(write_file("comments.txt", "# nothing yet\n\n   \n# 10.0.0.0/8\n"),
			  -ENODATA, "no darknet prefix in it", "comments-only darknet file");
}

/* A FIFO would block the reload (or the start) until someone writes. */
Test(list_file, fifo_is_refused_without_blocking, .timeout = 5)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0, "fifo: mkfifo %s", path);
	expect_file_error(path, -EINVAL, "not a regular file", "darknet FIFO");
	cr_expect_eq(prefix_list_load_scanners(&list, path, (char[256]){0}, 256), -EINVAL,
		     "scanner FIFO: refused");
}

/* A device reads forever (/dev/zero) or blocks. */
Test(list_file, device_is_refused, .timeout = 5)
{
	expect_file_error("/dev/zero", -EINVAL, "not a regular file", "darknet /dev/zero");
}

/* One endless line is refused at the bound, not read into memory. */
Test(list_file, huge_line_is_refused)
{
	static char text[DN_LIST_MAX_LINE + 64];
	char err[512] = "", want[600];
	const char *path;

	strcpy(text, "203.0.113.0/24\n#");
	memset(text + strlen(text), 'x', sizeof(text) - strlen(text) - 2);
	text[sizeof(text) - 2] = '\n';
	path = write_file("huge.txt", text);
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), -E2BIG,
		     "huge line: -E2BIG (%s)", err);
	snprintf(want, sizeof(want), "%s:2: line longer than %d bytes", path, DN_LIST_MAX_LINE);
	cr_expect_str_eq(err, want, "huge line: message");
	cr_expect_eq(list.len, 0, "huge line: nothing kept");

	/* exactly the bound, newline included, is a line like any other */
	memset(text, ' ', DN_LIST_MAX_LINE - 1);
	memcpy(text, "198.51.100.0/24 #", 17);
	text[DN_LIST_MAX_LINE - 1] = '\n';
	text[DN_LIST_MAX_LINE] = '\0';
	path = write_file("long.txt", text);
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), 0,
		     "line at the bound: %s", err);
	cr_expect_eq(list.len, 1, "line at the bound: one prefix");
}

/* A read error is not the end of the file: /proc/self/mem is a regular
 * file whose read at offset 0 fails (EIO), as a disk error or ENOMEM would. */
Test(list_file, read_error_is_not_end_of_file)
{
	expect_file_error("/proc/self/mem", -EIO, strerror(EIO), "read error");
}
