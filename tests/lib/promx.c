/* promx.c: Prometheus text format 0.0.4 parsed into series, with lookups and checks. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "promx.h"
#include "proc.h"
#include "array_size.h"

static int is_name_char(int c, int first)
{
	return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

static struct promx_family *family_get(struct promx *e, const char *name, size_t len)
{
	struct promx_family *f;

	for (size_t i = 0; i < e->nf; i++)
		if (strlen(e->f[i].name) == len && !strncmp(e->f[i].name, name, len))
			return &e->f[i];
	f = realloc(e->f, (e->nf + 1) * sizeof(*f));
	if (!f)
		return NULL;
	e->f = f;
	f = &e->f[e->nf++];
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, len);
	return f;
}

/* "# HELP name ..." / "# TYPE name type"; other comments are ignored. */
static int parse_comment(struct promx *e, const char *p, char *err, size_t errlen, int line)
{
	int help = !strncmp(p, "# HELP ", 7), type = !strncmp(p, "# TYPE ", 7);
	const char *name = p + 7, *end = name;
	struct promx_family *f;

	if (!help && !type)
		return 0;
	while (is_name_char((unsigned char)*end, end == name))
		end++;
	if (end == name || (*end != ' ' && *end != '\n' && *end))
		goto bad;
	f = family_get(e, name, (size_t)(end - name));
	if (!f)
		return -1;
	if (help) {
		f->help_lines++;
		return 0;
	}
	f->type_lines++;
	if (*end == ' ') {
		const char *t = end + 1, *te = t;

		while (*te && *te != '\n' && *te != ' ')
			te++;
		free(f->type);
		f->type = strndup(t, (size_t)(te - t));
		return 0;
	}
bad:
	snprintf(err, errlen, "line %d: malformed %s line", line, help ? "HELP" : "TYPE");
	return -1;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct promx_label *)a)->name, ((const struct promx_label *)b)->name);
}

/* name{labels} as a canonical key: labels sorted by name. */
static char *make_key(const struct promx_series *s)
{
	struct promx_label *sorted = calloc((size_t)s->nlabels + 1, sizeof(*sorted));
	size_t cap = strlen(s->name) + 3;
	char *key, *p;

	if (!sorted)
		return NULL;
	for (int i = 0; i < s->nlabels; i++) {
		sorted[i] = s->labels[i];
		cap += strlen(s->labels[i].name) + 2 * strlen(s->labels[i].value) + 4;
	}
	qsort(sorted, (size_t)s->nlabels, sizeof(*sorted), label_cmp);
	key = p = malloc(cap);
	if (key) {
		p += sprintf(p, "%s{", s->name);
		for (int i = 0; i < s->nlabels; i++)
			p += sprintf(p, "%s%s=\"%s\"", i ? "," : "", sorted[i].name, sorted[i].value);
		sprintf(p, "}");
	}
	free(sorted);
	return key;
}

/* {a="x",b="y\"z"} starting at *pp (at '{'); advances *pp past '}'. */
static int parse_labels(const char **pp, struct promx_series *s)
{
	const char *p = *pp + 1;

	for (;;) {
		const char *n = p;
		struct promx_label *l;
		char *v;
		size_t vi = 0;

		while (*p == ' ')
			p++;
		if (*p == '}')
			break;
		n = p;
		while (is_name_char((unsigned char)*p, p == n))
			p++;
		if (p == n || *p != '=' || p[1] != '"')
			return -1;
		l = realloc(s->labels, ((size_t)s->nlabels + 1) * sizeof(*l));
		if (!l)
			return -1;
		s->labels = l;
		l = &s->labels[s->nlabels++];
		l->name = strndup(n, (size_t)(p - n));
		p += 2;
		v = l->value = malloc(strlen(p) + 1);
		if (!v)
			return -1;
		while (*p && *p != '"' && *p != '\n') {
			if (*p == '\\') {
				p++;
				if (*p == 'n')
					v[vi++] = '\n';
				else if (*p == '\\' || *p == '"')
					v[vi++] = *p;
				else
					return -1;   /* no other escapes in 0.0.4 */
				p++;
				continue;
			}
			v[vi++] = *p++;
		}
		v[vi] = '\0';
		if (*p != '"')
			return -1;
		p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != '}')
			return -1;
		break;
	}
	*pp = p + 1;
	return 0;
}

static int parse_sample(struct promx *e, const char *p, char *err, size_t errlen, int line)
{
	struct promx_series s = { .line = line }, *grown;
	const char *n = p;
	char *end;

	while (is_name_char((unsigned char)*p, p == n))
		p++;
	if (p == n)
		goto bad;
	s.name = strndup(n, (size_t)(p - n));
	if (*p == '{' && parse_labels(&p, &s))
		goto bad;
	if (*p != ' ')
		goto bad;
	while (*p == ' ')
		p++;
	errno = 0;
	s.value = strtod(p, &end);
	if (end == p || (*end && *end != ' ' && *end != '\n'))
		goto bad;
	s.key = make_key(&s);
	grown = realloc(e->s, (e->n + 1) * sizeof(*grown));
	if (!grown || !s.key)
		goto bad;
	e->s = grown;
	e->s[e->n++] = s;
	return 0;
bad:
	snprintf(err, errlen, "line %d: malformed sample", line);
	free(s.name);
	for (int i = 0; i < s.nlabels; i++) {
		free(s.labels[i].name);
		free(s.labels[i].value);
	}
	free(s.labels);
	free(s.key);
	return -1;
}

int promx_parse(const char *text, struct promx *e, char *err, size_t errlen)
{
	int line = 0;

	memset(e, 0, sizeof(*e));
	if (err && errlen)
		err[0] = '\0';
	for (const char *p = text; p && *p; ) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *copy = strndup(p, len);
		int ret = 0;

		line++;
		if (!copy)
			return -1;
		if (copy[0] == '#')
			ret = parse_comment(e, copy, err, errlen, line);
		else if (len && strspn(copy, " \t") != len)
			ret = parse_sample(e, copy, err, errlen, line);
		free(copy);
		if (ret)
			return -1;
		p = eol ? eol + 1 : NULL;
	}
	return 0;
}

void promx_free(struct promx *e)
{
	for (size_t i = 0; i < e->n; i++) {
		struct promx_series *s = &e->s[i];

		for (int j = 0; j < s->nlabels; j++) {
			free(s->labels[j].name);
			free(s->labels[j].value);
		}
		free(s->labels);
		free(s->name);
		free(s->key);
	}
	for (size_t i = 0; i < e->nf; i++) {
		free(e->f[i].name);
		free(e->f[i].type);
	}
	free(e->s);
	free(e->f);
	memset(e, 0, sizeof(*e));
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
	int fd = mkstemp(path), status;
	size_t len = strlen(text);
	FILE *p;

	out[0] = '\0';
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	if (!p) {
		unlink(path);
		return -1;
	}
	len = fread(out, 1, outlen - 1, p);
	out[len] = '\0';
	status = pclose(p);
	unlink(path);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
}
