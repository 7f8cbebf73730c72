/* selfmon.h: the daemon's own health metrics: reloads, lists, map reads, process. */
#ifndef DN_SELFMON_H
#define DN_SELFMON_H

#include <stdint.h>
#include <time.h>
#include "strbuf.h"

#define SELFMON_MAX_LISTS 32

/* One --scanners file or directory. */
struct selfmon_list {
	const char *path;
	time_t mtime;            /* newest modification time; 0 unreadable */
};

struct selfmon_info {
	uint64_t reload_errors;
	double last_reload_success;      /* Unix time */
	size_t darknet_entries, scanner_entries;
	uint64_t map_read_errors;
	double start_time;               /* Unix time */
	struct selfmon_list lists[SELFMON_MAX_LISTS];
	int nr_lists;
};

/* Append the self-monitoring families; errors stick in sb->err. */
void selfmon_render(struct strbuf *sb, const struct selfmon_info *info);

#endif
