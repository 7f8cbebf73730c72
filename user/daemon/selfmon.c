/* selfmon.c: the daemon's own health metrics: reloads, lists, map reads, process. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "selfmon.h"

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values here are paths from the command line: escape what the text
 * format requires (backslash, quote, newline). */
static void put_label(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_putc(sb, '\\');
		if (*s == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_putc(sb, *s);
	}
}

static void render_lists(struct strbuf *sb, const struct selfmon_info *in)
{
	family(sb, "darknet_list_entries", "gauge",
	       "Prefixes in force, by list kind, after the last successful load.");
	strbuf_printf(sb, "darknet_list_entries{list=\"darknet\"} %zu\n", in->darknet_entries);
	strbuf_printf(sb, "darknet_list_entries{list=\"scanners\"} %zu\n", in->scanner_entries);
	family(sb, "darknet_scanner_list_timestamp_seconds", "gauge",
	       "Modification time of each --scanners file or directory: lists drift, refresh them.");
	for (int i = 0; i < in->nr_lists; i++) {
		strbuf_puts(sb, "darknet_scanner_list_timestamp_seconds{list=\"");
		put_label(sb, in->lists[i].path);
		strbuf_printf(sb, "\"} %lld\n", (long long)in->lists[i].mtime);
	}
}

static void render_reloads(struct strbuf *sb, const struct selfmon_info *in)
{
	family(sb, "darknet_config_reload_errors_total", "counter",
	       "List reloads (SIGHUP or a changed file) refused; the previous lists stayed in force.");
	strbuf_printf(sb, "darknet_config_reload_errors_total %llu\n",
		      (unsigned long long)in->reload_errors);
	family(sb, "darknet_config_last_reload_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful list load.");
	strbuf_printf(sb, "darknet_config_last_reload_success_timestamp_seconds %.3f\n",
		      in->last_reload_success);
}

/* Resident set size from /proc/self/statm (pages). */
static long rss_bytes(void)
{
	long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%ld %ld", &size, &resident);
	fclose(f);
	return n == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

static void render_process(struct strbuf *sb, const struct selfmon_info *in)
{
	family(sb, "darknet_map_read_errors_total", "counter",
	       "Failed reads of the BPF maps during scrapes; their interface's values are stale.");
	strbuf_printf(sb, "darknet_map_read_errors_total %llu\n",
		      (unsigned long long)in->map_read_errors);
	family(sb, "process_start_time_seconds", "gauge",
	       "Start time of the process since unix epoch in seconds.");
	strbuf_printf(sb, "process_start_time_seconds %.3f\n", in->start_time);
	family(sb, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	strbuf_printf(sb, "process_resident_memory_bytes %ld\n", rss_bytes());
}

void selfmon_render(struct strbuf *sb, const struct selfmon_info *in)
{
	render_lists(sb, in);
	render_reloads(sb, in);
	render_process(sb, in);
}
