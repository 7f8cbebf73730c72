/* test_prefix_list.c: list files and directories, every error with its "file:line: reason". */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prefix.h"

static char dir[] = "/tmp/dn-lists-XXXXXX";
static char path_buf[4][512];
static struct dn_prefix_list list;

static void setup(void)
{
	strcpy(dir, "/tmp/dn-lists-XXXXXX");
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

TestSuite(prefix_list, .init = setup, .fini = teardown);

/* Writes content to dir/name (len bytes, so content may hold NULs) and
 * returns the path; slot picks one of four static buffers. */
static const char *write_n(int slot, const char *name, const char *content, size_t len)
{
	char *path = path_buf[slot];
	FILE *f;

	snprintf(path, sizeof(path_buf[slot]), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "writing %s", path);
	cr_assert_eq(fwrite(content, 1, len, f), len, "writing %s", path);
	fclose(f);
	return path;
}

static const char *write_file(int slot, const char *name, const char *content)
{
	return write_n(slot, name, content, strlen(content));
}

static void expect_prefix(size_t i, const char *text, const char *org, const char *what)
{
	char got[DN_PREFIX_STRLEN];

	cr_assert_lt(i, list.len, "%s: entry %zu exists", what, i);
	prefix_format(&list.entries[i].prefix, got, sizeof(got));
	cr_expect_str_eq(got, text, "%s: entry %zu prefix", what, i);
	cr_expect_str_eq(list.entries[i].org, org, "%s: entry %zu org", what, i);
}

/* Loads content as a darknet (or scanner) file and expects ret and the
 * exact "path:line: reason" message, the path being the file's. */
static void expect_error(bool scanners, const char *content, int ret, int line,
			 const char *reason, const char *what)
{
	const char *path = write_file(0, "list.txt", content);
	char err[512] = "", want[600];
	int got;

	got = scanners ? prefix_list_load_scanners(&list, path, err, sizeof(err))
		       : prefix_list_load_darknets(&list, path, err, sizeof(err));
	cr_expect_eq(got, ret, "%s: returns %d, got %d (%s)", what, ret, got, err);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, reason);
	cr_expect_str_eq(err, want, "%s: message", what);
	cr_expect_eq(list.len, 0, "%s: nothing kept", what);
}

Test(prefix_list, darknet_file_with_comments_blanks_and_whitespace)
{
	const char *path = write_file(0, "darknets.txt",
				      "# darknets of the lab\n"
				      "\n"
				      "   \t \n"
				      "  203.0.113.0/24  \n"
				      "2001:db8:dead::/48 # trailing comment\n"
				      "\t198.51.100.0/25\r\n"
				      "#203.0.113.0/24 commented out\n"
				      "192.0.2.0/24");   /* no newline at the end */
	char err[256] = "";

	cr_assert_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), 0,
		     "darknet file: %s", err);
	cr_assert_eq(list.len, 4, "darknet file: four prefixes, got %zu", list.len);
	expect_prefix(0, "203.0.113.0/24", "", "darknet file");
	expect_prefix(1, "2001:db8:dead::/48", "", "darknet file");
	expect_prefix(2, "198.51.100.0/25", "", "darknet file");
	expect_prefix(3, "192.0.2.0/24", "", "darknet file");
}

Test(prefix_list, darknet_errors)
{
	expect_error(false, "203.0.113.0/24\n\n10.0.0.0/33\n", -EINVAL, 3,
		     "invalid prefix length 33", "darknet length");
	expect_error(false, "# x\n198.51.100.1/24\n", -EINVAL, 2,
		     "host bits set in 198.51.100.1/24 (network is 198.51.100.0/24)", "darknet host bits");
	expect_error(false, "203.0.113.0/24 lab\n", -EINVAL, 1,
		     "unexpected text after prefix: lab", "darknet extra text");
	expect_error(false, "203.0.113.0\\24\n", -EINVAL, 1,
		     "invalid IPv4 address 203.0.113.0\\24", "darknet bad address");
	expect_error(false, "2001:db8::/32\n2001:db8:::/48\n", -EINVAL, 2,
		     "invalid IPv6 address 2001:db8:::", "darknet bad IPv6 address");
}

Test(prefix_list, nul_byte_is_refused)
{
	static const char bin[] = "203.0.113.0/24\n\x7f" "ELF\0\0\n";
	const char *path = write_n(0, "bin.txt", bin, sizeof(bin) - 1);
	char err[512] = "", want[600];

	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), -EINVAL, "NUL: fails");
	snprintf(want, sizeof(want), "%s:2: NUL byte in line (not a text file?)", path);
	cr_expect_str_eq(err, want, "NUL: message");
	cr_expect_eq(list.len, 0, "NUL: nothing kept");
}

Test(prefix_list, missing_file)
{
	char err[512] = "", path[512], want[600];

	snprintf(path, sizeof(path), "%s/nope.txt", dir);
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), -ENOENT,
		     "missing darknet file: -ENOENT");
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	cr_expect_str_eq(err, want, "missing darknet file: message");
	cr_expect_eq(prefix_list_load_scanners(&list, path, err, sizeof(err)), -ENOENT,
		     "missing scanner path: -ENOENT");
	cr_expect_str_eq(err, want, "missing scanner path: message");
}

Test(prefix_list, darknet_path_that_is_a_directory)
{
	char err[512] = "", want[600];

	cr_expect_eq(prefix_list_load_darknets(&list, dir, err, sizeof(err)), -EISDIR,
		     "darknet dir: -EISDIR");
	snprintf(want, sizeof(want), "%s: is a directory", dir);
	cr_expect_str_eq(err, want, "darknet dir: message");
}

Test(prefix_list, unreadable_file)
{
	const char *path = write_file(0, "secret.txt", "203.0.113.0/24\n");
	char err[512] = "", want[600];

	if (geteuid() == 0)
		cr_skip_test("unreadable file: root reads any file");
	chmod(path, 0);
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), -EACCES,
		     "unreadable: -EACCES");
	snprintf(want, sizeof(want), "%s: Permission denied", path);
	cr_expect_str_eq(err, want, "unreadable: message");
}

Test(prefix_list, darknet_limit_per_family)
{
	size_t size = (DN_MAX_DARKNET_PREFIXES + 1) * 24 + DN_MAX_DARKNET_PREFIXES * 24;
	char *text = malloc(size), *p = text;
	char err[512] = "";
	const char *path;

	/* A full IPv6 list, then a full IPv4 list and one more IPv4. */
	for (unsigned int i = 0; i < DN_MAX_DARKNET_PREFIXES; i++)
		p += sprintf(p, "2001:db8:%x::/48\n", i);
	for (unsigned int i = 0; i <= DN_MAX_DARKNET_PREFIXES; i++)
		p += sprintf(p, "10.%u.%u.0/24\n", i >> 8, i & 0xff);
	path = write_file(0, "many.txt", text);
	free(text);
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), -ENOSPC,
		     "darknet limit: -ENOSPC");
	cr_expect(strstr(err, ":8193: too many darknet IPv4 prefixes (limit 4096)") != NULL,
		  "darknet limit: message names line 8193, got %s", err);
	cr_expect_eq(list.len, 0, "darknet limit: nothing kept");
}

Test(prefix_list, darknet_limit_reached_exactly_is_fine)
{
	char *text = malloc(DN_MAX_DARKNET_PREFIXES * 24), *p = text, err[512] = "";
	const char *path;

	for (unsigned int i = 0; i < DN_MAX_DARKNET_PREFIXES; i++)
		p += sprintf(p, "10.%u.%u.0/24\n", i >> 8, i & 0xff);
	path = write_file(0, "full.txt", text);
	free(text);
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), 0,
		     "darknet full: loads (%s)", err);
	cr_expect_eq(list.len, DN_MAX_DARKNET_PREFIXES, "darknet full: all kept");
}

Test(prefix_list, identical_duplicates_are_kept_once)
{
	const char *path = write_file(0, "dups.txt",
				      "203.0.113.0/24\n2001:db8::/32\n203.0.113.0/24\n");
	struct dn_prefix p;
	char err[256] = "";

	prefix_parse("2001:db8::/32", &p, err, sizeof(err));
	cr_assert_eq(prefix_list_add(&list, &p, ""), 0, "dups: add from the command line");
	cr_expect_eq(prefix_list_load_darknets(&list, path, err, sizeof(err)), 0, "dups: %s", err);
	cr_expect_eq(list.len, 2, "dups: two distinct prefixes, got %zu", list.len);
	expect_prefix(0, "2001:db8::/32", "", "dups");
	expect_prefix(1, "203.0.113.0/24", "", "dups");
}

Test(prefix_list, all_or_nothing_keeps_what_was_there)
{
	const char *good = write_file(0, "good.txt", "203.0.113.0/24\n198.51.100.0/24\n");
	const char *bad = write_file(1, "bad.txt",
				     "192.0.2.0/24\n2001:db8::/32\n2001:db8::/32\n10.0.0.0/40\n");
	char err[512] = "", want[600];

	cr_assert_eq(prefix_list_load_darknets(&list, good, err, sizeof(err)), 0, "aon: %s", err);
	cr_expect_eq(prefix_list_load_darknets(&list, bad, err, sizeof(err)), -EINVAL, "aon: fails");
	snprintf(want, sizeof(want), "%s:4: invalid prefix length 40", bad);
	cr_expect_str_eq(err, want, "aon: message");
	cr_expect_eq(list.len, 2, "aon: only the two earlier prefixes, got %zu", list.len);
	expect_prefix(0, "203.0.113.0/24", "", "aon");
	expect_prefix(1, "198.51.100.0/24", "", "aon");
	/* The list still works after a failed load. */
	cr_expect_eq(prefix_list_load_darknets(&list, good, err, sizeof(err)), 0, "aon: reload");
	cr_expect_eq(list.len, 2, "aon: reloading the same file adds nothing");
}

Test(prefix_list, scanner_file)
{
	const char *path = write_file(0, "scanners.txt",
				      "# Censys\n"
				      "162.142.125.0/24 censys\n"
				      "2602:80d:1000::/48\tcensys\n"
				      "  64.62.156.0/24\tshadowserver  # hosts *.shadowserver.org\n"
				      "5.63.151.96/27 rapid7#comment right after\n"
				      "71.6.233.0/24 Project_Sonar-2.0\n"
				      "162.142.125.0/24 censys\n");
	char err[256] = "";

	cr_assert_eq(prefix_list_load_scanners(&list, path, err, sizeof(err)), 0,
		     "scanner file: %s", err);
	cr_assert_eq(list.len, 5, "scanner file: five entries (one repeat), got %zu", list.len);
	expect_prefix(0, "162.142.125.0/24", "censys", "scanner file");
	expect_prefix(1, "2602:80d:1000::/48", "censys", "scanner file");
	expect_prefix(2, "64.62.156.0/24", "shadowserver", "scanner file");
	expect_prefix(3, "5.63.151.96/27", "rapid7", "scanner file");
	expect_prefix(4, "71.6.233.0/24", "Project_Sonar-2.0", "scanner file");
}

Test(prefix_list, scanner_errors)
{
	char longest_ok[64], too_long[64];

	expect_error(true, "162.142.125.0/24\n", -EINVAL, 1,
		     "missing organisation after 162.142.125.0/24 (expected \"CIDR ORG\")",
		     "scanner without org");
	expect_error(true, "162.142.125.0/24 censys\n167.94.138.0/24 Censys Inc\n", -EINVAL, 2,
		     "unexpected text after organisation: Inc", "scanner org with a space");
	expect_error(true, "162.142.125.0/24 censys!\n", -EINVAL, 1,
		     "invalid character '!' in organisation name \"censys!\": a label value made "
		     "of [A-Za-z0-9_.-] is required", "scanner org bad char");
	expect_error(true, "162.142.125.0/24 a\"b\n", -EINVAL, 1,
		     "invalid character '\"' in organisation name \"a\"b\": a label value made "
		     "of [A-Za-z0-9_.-] is required", "scanner org quote");
	expect_error(true, "162.142.125.0/24 caf\xc3\xa9\n", -EINVAL, 1,
		     "invalid character '\xc3' in organisation name \"caf\xc3\xa9\": a label value "
		     "made of [A-Za-z0-9_.-] is required", "scanner org non-ASCII");
	memset(too_long, 'o', DN_ORG_NAME_LEN);
	too_long[DN_ORG_NAME_LEN] = '\0';
	{
		char content[128], reason[128];

		snprintf(content, sizeof(content), "162.142.125.0/24 %s\n", too_long);
		snprintf(reason, sizeof(reason),
			 "organisation name \"%s\" must be 1-31 characters long", too_long);
		expect_error(true, content, -EINVAL, 1, reason, "scanner org too long");
	}
	expect_error(true, "162.142.125.0/24 censys\n162.142.125.0/24 rapid7\n", -EEXIST, 2,
		     "162.142.125.0/24 already listed for organisation censys", "scanner conflict");
	expect_error(true, "162.142.125.0/33 censys\n", -EINVAL, 1, "invalid prefix length 33",
		     "scanner bad prefix");
	/* 31 characters is the longest name that fits with its NUL. */
	memset(longest_ok, 'o', DN_ORG_NAME_LEN - 1);
	longest_ok[DN_ORG_NAME_LEN - 1] = '\0';
	{
		char content[128], err[256] = "";
		const char *path;

		snprintf(content, sizeof(content), "162.142.125.0/24 %s\n", longest_ok);
		path = write_file(1, "ok.txt", content);
		cr_expect_eq(prefix_list_load_scanners(&list, path, err, sizeof(err)), 0,
			     "scanner org of 31 chars: %s", err);
		cr_expect_str_eq(list.len ? list.entries[0].org : "", longest_ok,
				 "scanner org of 31 chars: kept whole");
	}
}

Test(prefix_list, scanner_org_limit)
{
	char *text = malloc(300 * 32), *p = text, err[512] = "";
	const char *path;

	for (unsigned int i = 1; i <= DN_MAX_SCANNER_ORGS + 1; i++)
		p += sprintf(p, "10.0.%u.0/24 org%u\n", i, i);
	path = write_file(0, "orgs.txt", text);
	free(text);
	cr_expect_eq(prefix_list_load_scanners(&list, path, err, sizeof(err)), -ENOSPC,
		     "org limit: -ENOSPC");
	cr_expect(strstr(err, "orgs.txt:255: too many organisations (limit 254)") != NULL,
		  "org limit: message, got %s", err);
	cr_expect_eq(list.len, 0, "org limit: nothing kept");
}

Test(prefix_list, scanner_org_limit_counts_orgs_already_loaded)
{
	char *text = malloc(300 * 32), *p = text, err[512] = "";
	const char *first, *second;

	for (unsigned int i = 1; i <= DN_MAX_SCANNER_ORGS; i++)
		p += sprintf(p, "10.0.%u.0/24 org%u\n", i, i);
	first = write_file(0, "orgs.txt", text);
	free(text);
	second = write_file(1, "more.txt", "192.0.2.0/24 org1\n198.51.100.0/24 newcomer\n");
	cr_assert_eq(prefix_list_load_scanners(&list, first, err, sizeof(err)), 0,
		     "org limit across files: first file (%s)", err);
	cr_expect_eq(prefix_list_load_scanners(&list, second, err, sizeof(err)), -ENOSPC,
		     "org limit across files: second file refused");
	cr_expect(strstr(err, "more.txt:2: too many organisations (limit 254)") != NULL,
		  "org limit across files: message, got %s", err);
	cr_expect_eq(list.len, DN_MAX_SCANNER_ORGS, "org limit across files: first file kept");
}

Test(prefix_list, scanner_limit_per_family)
{
	size_t n = DN_MAX_SCANNER_PREFIXES + 1;
	char *text = malloc(n * 24), *p = text, err[512] = "";
	const char *path;

	/* /32s from 10.0.0.0 upward: 2^20 + 1 distinct IPv4 prefixes. */
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "10.%zu.%zu.%zu o\n", i >> 16, (i >> 8) & 0xff, i & 0xff);
	path = write_file(0, "huge.txt", text);
	free(text);
	cr_expect_eq(prefix_list_load_scanners(&list, path, err, sizeof(err)), -ENOSPC,
		     "scanner limit: -ENOSPC");
	cr_expect(strstr(err, "huge.txt:1048577: too many scanner IPv4 prefixes (limit 1048576)"),
		  "scanner limit: message, got %s", err);
	cr_expect_eq(list.len, 0, "scanner limit: nothing kept");
}

Test(prefix_list, scanner_directory_in_name_order)
{
	char sub[600], link[600], err[512] = "";

	write_file(0, "b.txt", "198.51.100.0/24 bravo\n");
	write_file(1, "a.txt", "203.0.113.0/24 alpha\n");
	write_file(2, ".hidden", "this is not a list\n");
	write_file(3, "C.list", "192.0.2.0/24 charlie\n");
	snprintf(sub, sizeof(sub), "%s/sub.d", dir);
	cr_assert_eq(mkdir(sub, 0755), 0, "dir: mkdir");
	snprintf(link, sizeof(link), "%s/z-link", dir);
	cr_assert_eq(symlink("a.txt", link), 0, "dir: symlink");
	cr_assert_eq(prefix_list_load_scanners(&list, dir, err, sizeof(err)), 0, "dir: %s", err);
	/* Byte order: "C.list" < "a.txt" < "b.txt"; the link repeats a.txt. */
	cr_assert_eq(list.len, 3, "dir: three entries, got %zu", list.len);
	expect_prefix(0, "192.0.2.0/24", "charlie", "dir");
	expect_prefix(1, "203.0.113.0/24", "alpha", "dir");
	expect_prefix(2, "198.51.100.0/24", "bravo", "dir");
}

Test(prefix_list, scanner_directory_error_names_the_file_and_keeps_nothing)
{
	const char *bad;
	char err[512] = "", want[600];

	write_file(0, "a.txt", "203.0.113.0/24 alpha\n");
	bad = write_file(1, "b.txt", "# b\n198.51.100.0/24 bravo\n203.0.113.0/24 bravo\n");
	cr_expect_eq(prefix_list_load_scanners(&list, dir, err, sizeof(err)), -EEXIST,
		     "dir error: -EEXIST");
	snprintf(want, sizeof(want), "%s:3: 203.0.113.0/24 already listed for organisation alpha",
		 bad);
	cr_expect_str_eq(err, want, "dir error: message");
	cr_expect_eq(list.len, 0, "dir error: a.txt rolled back too");
}

Test(prefix_list, empty_scanner_directory)
{
	char err[256] = "";

	cr_expect_eq(prefix_list_load_scanners(&list, dir, err, sizeof(err)), 0, "empty dir: %s", err);
	cr_expect_eq(list.len, 0, "empty dir: nothing");
}

Test(prefix_list, add_checks_org_and_duplicates)
{
	struct dn_prefix p;
	char err[64];

	prefix_parse("203.0.113.0/24", &p, err, sizeof(err));
	cr_expect_eq(prefix_list_add(&list, &p, "bad org"), -EINVAL, "add: invalid org");
	cr_expect_eq(prefix_list_add(&list, &p, NULL), 0, "add: NULL org means none");
	cr_expect_str_eq(list.entries[0].org, "", "add: empty org stored");
	cr_expect_eq(prefix_list_add(&list, &p, ""), 0, "add: identical repeat accepted");
	cr_expect_eq(list.len, 1, "add: identical repeat kept once");
	cr_expect_eq(prefix_list_add(&list, &p, "censys"), -EEXIST, "add: conflicting org");
	cr_expect_eq(list.len, 1, "add: conflict not added");
}

Test(prefix_list, add_grows_and_keeps_order)
{
	struct dn_prefix p = { .family = DN_FAMILY_IPV4, .len = 32 };

	for (unsigned int i = 0; i < 1000; i++) {
		p.addr[2] = (uint8_t)(i >> 8);
		p.addr[3] = (uint8_t)i;
		cr_assert_eq(prefix_list_add(&list, &p, "o"), 0, "grow: add %u", i);
	}
	cr_assert_eq(list.len, 1000, "grow: all added");
	for (unsigned int i = 0; i < 1000; i++) {
		cr_expect_eq(list.entries[i].prefix.addr[3], (uint8_t)i, "grow: entry %u in order", i);
		cr_expect_eq(list.entries[i].prefix.addr[2], (uint8_t)(i >> 8), "grow: entry %u", i);
	}
	prefix_list_free(&list);
	cr_expect_eq(list.len, 0, "free: empty");
	cr_expect_null(list.entries, "free: no storage");
}
