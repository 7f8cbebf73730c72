/* exposition.h: reads Prometheus text output back, for the rendering tests. */
#ifndef DN_TEST_EXPOSITION_H
#define DN_TEST_EXPOSITION_H

#include <stdbool.h>
#include <stddef.h>

/* The output split into lines (the text is copied; lines point into it). */
struct expo {
	char *text;
	char **lines;
	size_t n;
};

int expo_load(struct expo *e, const char *text);
void expo_free(struct expo *e);
bool expo_has_line(const struct expo *e, const char *line);
/* Lines starting with prefix. */
size_t expo_count_prefix(const struct expo *e, const char *prefix);
/* The value of the sample whose "name{labels}" is series; false if absent. */
bool expo_value(const struct expo *e, const char *series, double *v);

/* Checks text format 0.0.4 the way we promise it: every family has HELP then
 * TYPE exactly once, its samples follow it directly, label values are
 * quoted and escaped, values parse, and no series appears twice. NULL when
 * well formed, else a malloc()ed description of the first problem. */
char *expo_check(const char *text);

/* Exit status of `promtool check metrics` on text; -1 when promtool is not
 * installed (the caller skips). */
int expo_promtool(const char *text);

#endif
