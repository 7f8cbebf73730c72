/* exposition.c: reads Prometheus text output back, for the rendering tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit/exposition.h"

int expo_load(struct expo *e, const char *text)
{
	size_t cap = 0;
	char *save = NULL;

	memset(e, 0, sizeof(*e));
	e->text = strdup(text);
	if (!e->text)
		return -ENOMEM;
	for (char *l = strtok_r(e->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (e->n == cap) {
			char **v = realloc(e->lines, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			e->lines = v;
		}
		e->lines[e->n++] = l;
	}
	return 0;
}

void expo_free(struct expo *e)
{
	free(e->lines);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

bool expo_has_line(const struct expo *e, const char *line)
{
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->lines[i], line) == 0)
			return true;
	}
	return false;
}

size_t expo_count_prefix(const struct expo *e, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (size_t i = 0; i < e->n; i++)
		n += strncmp(e->lines[i], prefix, len) == 0;
	return n;
}

bool expo_value(const struct expo *e, const char *series, double *v)
{
	size_t len = strlen(series);

	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->lines[i], series, len) == 0 && e->lines[i][len] == ' ') {
			*v = strtod(e->lines[i] + len + 1, NULL);
			return true;
		}
	}
	return false;
}

static char *problem(size_t line, const char *what, const char *text)
{
	char *s = NULL;

	if (asprintf(&s, "line %zu: %s: %s", line, what, text) < 0)
		return strdup("out of memory");
	return s;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

static size_t name_len(const char *s)
{
	size_t n = 0;

	while (name_char(s[n], n == 0))
		n++;
	return n;
}

/* {a="x",b="y\"z"}: returns the length through '}', or 0 if malformed. */
static size_t labels_len(const char *s)
{
	size_t i = 1, n;

	if (s[0] != '{')
		return 0;
	while (s[i] != '}') {
		if (!(n = name_len(s + i)) || s[i + n] != '=' || s[i + n + 1] != '"')
			return 0;
		for (i += n + 2; s[i] != '"'; i++) {
			if (!s[i] || s[i] == '\n')
				return 0;
			if (s[i] == '\\' && s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n')
				return 0;
			i += s[i] == '\\';
		}
		i++;
		if (s[i] == ',')
			i++;
		else if (s[i] != '}')
			return 0;
	}
	return i + 1;
}

struct family_state {
	char help[128], type[128], current[128];
	char **seen;       /* families with a TYPE so far */
	size_t nr_seen;
};

static bool seen_before(struct family_state *st, const char *name)
{
	for (size_t i = 0; i < st->nr_seen; i++) {
		if (strcmp(st->seen[i], name) == 0)
			return true;
	}
	st->seen = realloc(st->seen, (st->nr_seen + 1) * sizeof(*st->seen));
	st->seen[st->nr_seen++] = strdup(name);
	return false;
}

static char *check_comment(struct family_state *st, size_t no, const char *l)
{
	char name[128];

	if (sscanf(l, "# HELP %127s ", name) == 1) {
		if (strlen(l) <= strlen("# HELP  ") + strlen(name))
			return problem(no, "HELP without text", l);
		snprintf(st->help, sizeof(st->help), "%s", name);
		return NULL;
	}
	if (sscanf(l, "# TYPE %127s ", name) == 1) {
		if (strcmp(name, st->help))
			return problem(no, "TYPE not right after its HELP", l);
		if (seen_before(st, name))
			return problem(no, "family declared twice", l);
		snprintf(st->current, sizeof(st->current), "%s", name);
		st->help[0] = '\0';
		return NULL;
	}
	return problem(no, "unexpected comment", l);
}

static char *check_sample(struct family_state *st, size_t no, const char *l)
{
	size_t n = name_len(l), lab = 0;
	char *end;

	if (!n || strncmp(l, st->current, n) || st->current[n])
		return problem(no, "sample outside its family's HELP/TYPE group", l);
	if (l[n] == '{' && !(lab = labels_len(l + n)))
		return problem(no, "malformed labels", l);
	if (l[n + lab] != ' ')
		return problem(no, "no space before the value", l);
	strtod(l + n + lab + 1, &end);
	if (end == l + n + lab + 1 || *end)
		return problem(no, "value does not parse", l);
	return NULL;
}

static int series_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t nx = strrchr(x, ' ') - x, ny = strrchr(y, ' ') - y;
	int d = strncmp(x, y, nx < ny ? nx : ny);

	return d ? d : (nx > ny) - (nx < ny);
}

static char *check_duplicates(char **samples, size_t n)
{
	qsort(samples, n, sizeof(*samples), series_cmp);
	for (size_t i = 1; i < n; i++) {
		if (series_cmp(&samples[i - 1], &samples[i]) == 0)
			return problem(0, "duplicate series", samples[i]);
	}
	return NULL;
}

char *expo_check(const char *text)
{
	struct family_state st = { 0 };
	struct expo e;
	char **samples, *err = NULL;
	size_t nr = 0;

	if (expo_load(&e, text))
		return strdup("out of memory");
	if (text[0] && text[strlen(text) - 1] != '\n')
		err = problem(e.n, "no newline at the end", "");
	samples = calloc(e.n + 1, sizeof(*samples));
	for (size_t i = 0; i < e.n && !err; i++) {
		if (e.lines[i][0] == '#')
			err = check_comment(&st, i + 1, e.lines[i]);
		else
			err = check_sample(&st, i + 1, samples[nr++] = e.lines[i]);
	}
	if (!err)
		err = check_duplicates(samples, nr);
	for (size_t i = 0; i < st.nr_seen; i++)
		free(st.seen[i]);
	free(st.seen);
	free(samples);
	expo_free(&e);
	return err;
}

int expo_promtool(const char *text)
{
	char path[] = "/tmp/dn-expo-XXXXXX", cmd[128], line[512];
	FILE *pipe;
	int fd, status;
	size_t len = strlen(text);

	if (access("/usr/bin/promtool", X_OK))
		return -1;
	fd = mkstemp(path);
	if (fd < 0)
		return -2;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -2;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics < %s 2>&1", path);
	/* Show what promtool said: a failing test should say why. */
	pipe = popen(cmd, "r");
	if (!pipe) {
		unlink(path);
		return -2;
	}
	while (fgets(line, sizeof(line), pipe))
		fprintf(stderr, "promtool: %s", line);
	status = pclose(pipe);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}
