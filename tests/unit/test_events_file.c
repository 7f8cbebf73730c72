/* test_events_file.c: the events file: appends, rotation, ids read back from the tail, an unwritable path and a full disk. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "events_file.h"
#include "events_json.h"

static char dir[] = "/tmp/dn-evfile-XXXXXX";
static char path[256];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.ndjson", dir);
}

static void teardown(void)
{
	char p[300];

	snprintf(p, sizeof(p), "%s.1", path);
	unlink(p);
	unlink(path);
	rmdir(dir);
	strcpy(dir, "/tmp/dn-evfile-XXXXXX");
}

TestSuite(events_file, .init = setup, .fini = teardown);

static off_t file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : st.st_size;
}

static void put(struct ev_file *f, const char *id)
{
	char line[128], err[256];

	snprintf(line, sizeof(line), "{\"id\":\"%s\",\"type\":\"scan\"}\n", id);
	cr_assert_eq(ev_file_write(f, line, strlen(line), err, sizeof(err)), 0, "%s", err);
}

Test(events_file, appends_whole_lines)
{
	struct ev_file f;
	char err[256];

	cr_assert_eq(ev_file_open(&f, path, 1 << 20, err, sizeof(err)), 0, "%s", err);
	put(&f, "scan/a/1");
	put(&f, "scan/a/2");
	cr_assert_eq(file_size(path), 2 * (off_t)strlen("{\"id\":\"scan/a/1\",\"type\":\"scan\"}\n"));
	cr_assert_eq(f.write_errors, 0);
	ev_file_close(&f);
}

Test(events_file, rotates_past_the_size_to_dot_one)
{
	struct ev_file f;
	char err[256], rotated[300];
	size_t line = strlen("{\"id\":\"scan/a/1\",\"type\":\"scan\"}\n");

	snprintf(rotated, sizeof(rotated), "%s.1", path);
	/* room for two lines: the third rotates */
	cr_assert_eq(ev_file_open(&f, path, 2 * line, err, sizeof(err)), 0, "%s", err);
	put(&f, "scan/a/1");
	put(&f, "scan/a/2");
	cr_assert_eq(f.rotations, 0);
	put(&f, "scan/a/3");
	cr_assert_eq(f.rotations, 1);
	cr_assert_eq(file_size(rotated), 2 * (off_t)line);
	cr_assert_eq(file_size(path), (off_t)line);
	ev_file_close(&f);
}

Test(events_file, ids_of_the_tails_are_read_back)
{
	struct ev_file f;
	char err[256];
	size_t line = strlen("{\"id\":\"scan/a/1\",\"type\":\"scan\"}\n");

	cr_assert_eq(ev_file_open(&f, path, 2 * line, err, sizeof(err)), 0, "%s", err);
	put(&f, "scan/a/1");
	put(&f, "scan/a/2");
	put(&f, "scan/a/3");   /* rotated: 1 and 2 are in .1 now */
	cr_assert_not(ev_file_seen(&f, "scan/a/3"), "only a predecessor's ids count");
	ev_file_close(&f);

	cr_assert_eq(ev_file_open(&f, path, 2 * line, err, sizeof(err)), 0, "%s", err);
	cr_assert(ev_file_seen(&f, "scan/a/1"), "from the rotated file");
	cr_assert(ev_file_seen(&f, "scan/a/2"));
	cr_assert(ev_file_seen(&f, "scan/a/3"), "from the file");
	cr_assert_not(ev_file_seen(&f, "scan/a/4"));
	cr_assert_not(ev_file_seen(&f, "scan/a/"), "a prefix of an id is not the id");
	ev_file_close(&f);
}

Test(events_file, a_line_cut_by_the_tail_start_is_skipped)
{
	struct ev_idset *s;
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp);
	fputs("{\"id\":\"scan/cut/1\",\"pad\":\"xxxxxxxxxxxxxxxxxxxx\"}\n", fp);
	fputs("{\"id\":\"scan/whole/2\"}\n", fp);
	fputs("{\"id\":\"scan/torn", fp);   /* a line cut by a crash */
	fclose(fp);
	cr_assert_eq(ev_idset_new(&s), 0);
	/* the tail starts inside the first line's id */
	cr_assert_eq(ev_idset_read_tail(s, path, file_size(path) - 10), 0);
	cr_assert_not(ev_idset_has(s, "scan/cut/1", strlen("scan/cut/1")));
	cr_assert(ev_idset_has(s, "scan/whole/2", strlen("scan/whole/2")));
	cr_assert_eq(ev_idset_size(s), 1, "the torn line has no id");
	ev_idset_free(s);
}

Test(events_file, idset_grows)
{
	struct ev_idset *s;
	char id[32];

	cr_assert_eq(ev_idset_new(&s), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "dos/x/%d", i);
		cr_assert_eq(ev_idset_add(s, id, strlen(id)), 0);
	}
	cr_assert_eq(ev_idset_add(s, "dos/x/7", 7), 0);
	cr_assert_eq(ev_idset_size(s), 5000);
	for (int i = 0; i < 5000; i += 499) {
		snprintf(id, sizeof(id), "dos/x/%d", i);
		cr_assert(ev_idset_has(s, id, strlen(id)), "%s", id);
	}
	cr_assert_not(ev_idset_has(s, "dos/x/5000", 10));
	ev_idset_free(s);
}

Test(events_file, an_unwritable_path_is_named_and_writes_count_as_errors)
{
	struct ev_file f;
	char err[256] = "", bad[300];

	snprintf(bad, sizeof(bad), "%s/no/such/dir/events", dir);
	cr_assert_eq(ev_file_open(&f, bad, 1 << 20, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, bad), "the message names the file: %s", err);
	cr_assert_eq(f.fd, -1);
	cr_assert_eq(ev_file_write(&f, "{}\n", 3, err, sizeof(err)), -ENOENT);
	cr_assert_eq(ev_file_write(&f, "{}\n", 3, err, sizeof(err)), -ENOENT);
	cr_assert_eq(f.write_errors, 2);
	ev_file_close(&f);
}

Test(events_file, a_full_disk_counts_errors_and_keeps_going)
{
	struct ev_file f;
	char err[256] = "";

	cr_assert_eq(ev_file_open(&f, "/dev/full", 1ull << 40, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ev_file_write(&f, "{\"id\":\"a\"}\n", 11, err, sizeof(err)), -ENOSPC);
	cr_assert(strstr(err, "/dev/full") && strstr(err, "No space"), "%s", err);
	cr_assert_eq(ev_file_write(&f, "{\"id\":\"b\"}\n", 11, err, sizeof(err)), -ENOSPC);
	cr_assert_eq(f.write_errors, 2);
	cr_assert_eq(f.last_errno, ENOSPC);
	ev_file_close(&f);
}

Test(events_json, strings_are_escaped)
{
	struct strbuf sb = STRBUF_INIT;

	ev_json_string(&sb, "a\"b\\c\nd\x01");
	cr_assert_str_eq(sb.buf, "\"a\\\"b\\\\c\\u000ad\\u0001\"");
	strbuf_free(&sb);
}

Test(events_json, rfc3339_utc_with_milliseconds)
{
	char buf[40];

	ev_rfc3339(1700000000.25, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2023-11-14T22:13:20.250Z");
}

Test(events_json, a_closed_scan_line)
{
	struct strbuf sb = STRBUF_INIT;
	struct ev_entry e = { .type = EV_SCAN, .family = 2, .proto = 6, .port = 6379,
			      .first_ns = 1000000000ull, .last_ns = 11000000000ull, .packets = 300,
			      .bytes = 18000, .distinct = 250, .classes = 1u << 3 };
	struct ev_event ev;

	e.addr[0] = 203, e.addr[1] = 0, e.addr[2] = 113, e.addr[3] = 9;
	ev_describe(&ev, &e, 1700000000.0, 65536);
	ev.closed = true;
	snprintf(ev.iface, sizeof(ev.iface), "eth1");
	snprintf(ev.org, sizeof(ev.org), "Example \"Org\"");
	ev_json(&sb, &ev);
	cr_assert(strstr(sb.buf, "{\"id\":\"scan/eth1/203.0.113.9/6/6379/1000000000\","),
		  "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\"state\":\"closed\""), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\"source\":\"203.0.113.9\""), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\"protocol\":\"tcp\",\"ports\":[6379]"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\"first_seen\":\"2023-11-14T22:13:21.000Z\""), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\"distinct_destinations\":250"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\"research_org\":\"Example \\\"Org\\\"\""), "%s", sb.buf);
	strbuf_free(&sb);
}
