/* promx_query.c: series and families looked up in a parsed exposition, and checks over it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "promx.h"
#include "array_size.h"

int promx_has_line(const struct promx *e, const char *line)
{
	for (size_t i = 0; i < e->nlines; i++)
		if (!strcmp(e->lines[i], line))
			return 1;
	return 0;
}

size_t promx_count_prefix(const struct promx *e, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (size_t i = 0; i < e->nlines; i++)
		n += !strncmp(e->lines[i], prefix, len);
	return n;
}

const struct promx_series *promx_same(const struct promx *e, const struct promx_series *s)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].key, s->key))
			return &e->s[i];
	return NULL;
}

const char *promx_label(const struct promx_series *s, const char *label)
{
	for (int i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, label))
			return s->labels[i].value;
	return NULL;
}

/* Calls fn for each k=v pair of spec; stops at the first non-zero result. */
static int spec_each(const char *spec, int (*fn)(const char *k, const char *v, void *ctx),
		     void *ctx)
{
	char buf[1024], *save = NULL;

	if (!spec || !*spec)
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int ret;

		if (!eq)
			return -1;
		*eq = '\0';
		ret = fn(tok, eq + 1, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

static int label_differs(const char *k, const char *v, void *ctx)
{
	const char *have = promx_label(ctx, k);

	return !have || strcmp(have, v);
}

static int count_pair(const char *k, const char *v, void *ctx)
{
	(void)k;
	(void)v;
	(*(int *)ctx)++;
	return 0;
}

int promx_has_labels(const struct promx_series *s, const char *spec)
{
	return !spec_each(spec, label_differs, (void *)s);
}

const struct promx_series *promx_find(const struct promx *e, const char *name,
				      const char *labels)
{
	int want = 0;

	spec_each(labels, count_pair, &want);
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].name, name) && e->s[i].nlabels == want &&
		    promx_has_labels(&e->s[i], labels))
			return &e->s[i];
	return NULL;
}

size_t promx_match(const struct promx *e, const char *name, const char *subset, double *sum)
{
	size_t n = 0;

	if (sum)
		*sum = 0;
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].name, name) && promx_has_labels(&e->s[i], subset)) {
			n++;
			if (sum)
				*sum += e->s[i].value;
		}
	return n;
}

double promx_value(const struct promx *e, const char *name, const char *labels, double dflt)
{
	const struct promx_series *s = promx_find(e, name, labels);

	return s ? s->value : dflt;
}

const struct promx_family *promx_family(const struct promx *e, const char *name)
{
	for (size_t i = 0; i < e->nf; i++)
		if (!strcmp(e->f[i].name, name))
			return &e->f[i];
	return NULL;
}

const struct promx_family *promx_family_of(const struct promx *e, const char *sample)
{
	static const char *const suffixes[] = { "_total", "_count", "_sum", "_bucket" };
	const struct promx_family *f = promx_family(e, sample);
	size_t len = strlen(sample);

	for (size_t i = 0; !f && i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		char base[256];

		if (len <= sl || len - sl >= sizeof(base) || strcmp(sample + len - sl, suffixes[i]))
			continue;
		memcpy(base, sample, len - sl);
		base[len - sl] = '\0';
		f = promx_family(e, base);
	}
	return f;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void note(char *msg, size_t len, int n, const char *what)
{
	size_t used = strlen(msg);

	if (n <= 3 && used + 1 < len)
		snprintf(msg + used, len - used, "%s%s", used ? "; " : "", what);
}

int promx_duplicates(const struct promx *e, char *msg, size_t len)
{
	char **keys = calloc(e->n + 1, sizeof(*keys));
	int dups = 0;

	msg[0] = '\0';
	if (!keys)
		return -1;
	for (size_t i = 0; i < e->n; i++)
		keys[i] = e->s[i].key;
	qsort(keys, e->n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < e->n; i++)
		if (!strcmp(keys[i], keys[i - 1]))
			note(msg, len, ++dups, keys[i]);
	free(keys);
	return dups;
}

int promx_check_meta(const struct promx *e, char *msg, size_t len)
{
	int bad = 0;

	msg[0] = '\0';
	for (size_t i = 0; i < e->n; i++) {
		const struct promx_family *f = promx_family_of(e, e->s[i].name);
		char what[512];

		if (f && f->help_lines == 1 && f->type_lines == 1 && f->type)
			continue;
		/* one report per family: skip samples of a family already named */
		if (i && f && promx_family_of(e, e->s[i - 1].name) == f)
			continue;
		snprintf(what, sizeof(what), "%s: %d HELP, %d TYPE lines", e->s[i].name,
			 f ? f->help_lines : 0, f ? f->type_lines : 0);
		note(msg, len, ++bad, what);
	}
	return bad;
}

int promx_promtool(const char *text, char *out, size_t outlen)
{
	char path[] = "/tmp/dn-promtool-XXXXXX", cmd[256];
	int fd = mkstemp(path), status, ret;
	size_t len = strlen(text);
	FILE *p;

	out[0] = '\0';
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len) {
		ret = -EIO;
		close(fd);
		goto out;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	if (!p) {
		ret = -errno;
		goto out;
	}
	len = fread(out, 1, outlen - 1, p);
	out[len] = '\0';
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status))
		ret = -ECHILD;
	else    /* the shell's 127: no promtool on the PATH */
		ret = WEXITSTATUS(status) == 127 ? -ENOENT : WEXITSTATUS(status);
out:
	unlink(path);
	return ret;
}
