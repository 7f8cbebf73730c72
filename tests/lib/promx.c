/* promx.c: Prometheus text format 0.0.4 parsed into series, leniently or as the daemon promises. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "promx.h"
#include "array_size.h"

/* One parse: where it is and, when strict, which family may speak. */
struct parse {
	struct promx *e;
	bool strict;
	int line;
	int help_line;             /* strict: line of the last HELP, its family in help */
	char help[256];
	char current[256];         /* strict: the family whose samples may follow */
	bool histogram;            /* strict: current is a histogram (_bucket, _sum, _count) */
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *what, const char *text)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "line %d: %s: %s", p->line, what, text);
	return -1;
}

static int is_name_char(int c, int first)
{
	return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

static size_t name_len(const char *s)
{
	size_t n = 0;

	while (is_name_char((unsigned char)s[n], n == 0))
		n++;
	return n;
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
	return f->name ? f : NULL;
}

static int known_type(const char *t, size_t len)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "summary",
					     "untyped" };

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strlen(types[i]) == len && !strncmp(types[i], t, len))
			return 1;
	return 0;
}

/* Strict: HELP with text, then TYPE of the same family on the next line, once. */
static int strict_comment(struct parse *p, const struct promx_family *f, int help,
			  const char *end, const char *l)
{
	if (help) {
		if (*end != ' ' || !end[1])
			return fail(p, "HELP without text", l);
		for (const char *c = end; (c = strchr(c, '\\')); c += 2)
			if (c[1] != '\\' && c[1] != 'n')
				return fail(p, "bad escape in HELP", l);
		if (f->help_lines)
			return fail(p, "family declared twice", l);
		snprintf(p->help, sizeof(p->help), "%s", f->name);
		p->help_line = p->line;
		p->current[0] = '\0';          /* no samples between HELP and TYPE */
		return 0;
	}
	if (p->help_line != p->line - 1 || strcmp(p->help, f->name))
		return fail(p, "TYPE not right after its HELP", l);
	if (f->type_lines)
		return fail(p, "family declared twice", l);
	snprintf(p->current, sizeof(p->current), "%s", f->name);
	return 0;
}

/* "# HELP name ..." / "# TYPE name type"; other comments are ignored (strict: refused). */
static int parse_comment(struct parse *p, const char *l)
{
	int help = !strncmp(l, "# HELP ", 7), type = !strncmp(l, "# TYPE ", 7);
	const char *name = l + 7, *end, *t, *te;
	struct promx_family *f;

	if (!help && !type)
		return p->strict ? fail(p, "unexpected comment", l) : 0;
	end = name + name_len(name);
	if (end == name || (*end != ' ' && *end))
		return fail(p, help ? "malformed HELP line" : "malformed TYPE line", l);
	f = family_get(p->e, name, (size_t)(end - name));
	if (!f)
		return fail(p, "out of memory", l);
	if (p->strict && strict_comment(p, f, help, end, l))
		return -1;
	if (help) {
		f->help_lines++;
		return 0;
	}
	f->type_lines++;
	if (*end != ' ')
		return fail(p, "malformed TYPE line", l);
	t = te = end + 1;
	while (*te && *te != ' ')
		te++;
	if (p->strict && (!known_type(t, (size_t)(te - t)) || *te))
		return fail(p, "unknown type", l);
	p->histogram = (size_t)(te - t) == strlen("histogram") && !strncmp(t, "histogram", te - t);
	free(f->type);
	f->type = strndup(t, (size_t)(te - t));
	return f->type ? 0 : fail(p, "out of memory", l);
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct promx_label *)a)->name, ((const struct promx_label *)b)->name);
}

/* Appends v escaped as the text format escapes label values. */
static char *put_escaped(char *p, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			*p++ = '\\';
		*p++ = *v == '\n' ? 'n' : *v;
	}
	return p;
}

/* name{labels} as a canonical key: labels sorted by name, values escaped. */
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
		for (int i = 0; i < s->nlabels; i++) {
			p += sprintf(p, "%s%s=\"", i ? "," : "", sorted[i].name);
			p = put_escaped(p, sorted[i].value);
			*p++ = '"';
		}
		strcpy(p, "}");
	}
	free(sorted);
	return key;
}

/* The value of a label from just after its opening quote, unescaped into a
 * new string; *pp left on the closing quote. NULL if malformed. */
static char *label_value(const char **pp)
{
	const char *s = *pp;
	char *v = malloc(strlen(s) + 1);
	size_t vi = 0;

	if (!v)
		return NULL;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\') {
			s++;
			if (*s != 'n' && *s != '\\' && *s != '"')
				goto bad;   /* no other escapes in 0.0.4 */
			v[vi++] = *s == 'n' ? '\n' : *s;
			continue;
		}
		v[vi++] = *s;
	}
	if (*s != '"')
		goto bad;
	v[vi] = '\0';
	*pp = s;
	return v;
bad:
	free(v);
	return NULL;
}

/* {a="x",b="y\"z"} starting at *pp (at '{'); advances *pp past '}'.
 * Strict: no spaces, no label twice. */
static int parse_labels(struct parse *p, const char **pp, struct promx_series *s)
{
	const char *c = *pp + 1;

	for (;;) {
		struct promx_label *l;
		size_t n;

		while (!p->strict && *c == ' ')
			c++;
		if (*c == '}')
			break;
		n = name_len(c);
		if (!n || c[n] != '=' || c[n + 1] != '"')
			return -1;
		l = realloc(s->labels, ((size_t)s->nlabels + 1) * sizeof(*l));
		if (!l)
			return -1;
		s->labels = l;
		l = &s->labels[s->nlabels++];
		l->name = strndup(c, n);
		c += n + 2;
		l->value = label_value(&c);
		if (!l->name || !l->value)
			return -1;
		for (int i = 0; p->strict && i < s->nlabels - 1; i++)
			if (!strcmp(s->labels[i].name, l->name))
				return -1;
		c++;
		if (*c == ',') {
			c++;
			continue;
		}
		if (*c != '}')
			return -1;
		break;
	}
	*pp = c + 1;
	return 0;
}

static void series_free(struct promx_series *s)
{
	for (int j = 0; j < s->nlabels; j++) {
		free(s->labels[j].name);
		free(s->labels[j].value);
	}
	free(s->labels);
	free(s->name);
	free(s->key);
}

/* Strict: whether a sample named l (n bytes) belongs to the current family:
 * its name, or for a histogram its name with _bucket, _sum or _count. */
static bool in_family(const struct parse *p, const char *l, size_t n)
{
	static const char *const parts[] = { "_bucket", "_sum", "_count" };
	size_t len = strlen(p->current);

	if (n == len && !strncmp(l, p->current, n))
		return true;
	if (!p->histogram || n <= len || strncmp(l, p->current, len))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		if (n - len == strlen(parts[i]) && !strncmp(l + len, parts[i], n - len))
			return true;
	return false;
}

static int parse_sample(struct parse *p, const char *l)
{
	struct promx_series s = { .line = p->line }, *grown;
	const char *c = l, *what = "malformed sample";
	size_t n = name_len(l);
	char *end;

	if (!n)
		goto bad;
	if (p->strict && !in_family(p, l, n)) {
		what = "sample outside its family's HELP/TYPE group";
		goto bad;
	}
	s.name = strndup(l, n);
	c += n;
	if (*c == '{' && parse_labels(p, &c, &s)) {
		what = "malformed labels";
		goto bad;
	}
	if (*c++ != ' ')
		goto bad;
	while (*c == ' ' && !p->strict)
		c++;
	/* strtod would skip more blanks: strict allows one */
	s.value = strtod(c, &end);
	if (end == c || isspace((unsigned char)*c) || (*end && (p->strict || *end != ' '))) {
		what = "value does not parse";
		goto bad;
	}
	s.key = make_key(&s);
	grown = s.key ? realloc(p->e->s, (p->e->n + 1) * sizeof(*grown)) : NULL;
	if (!grown)
		goto bad;
	p->e->s = grown;
	p->e->s[p->e->n++] = s;
	return 0;
bad:
	series_free(&s);
	return fail(p, what, l);
}

static int series_key_cmp(const void *a, const void *b)
{
	const struct promx_series *x = *(const struct promx_series *const *)a;
	const struct promx_series *y = *(const struct promx_series *const *)b;
	int d = strcmp(x->key, y->key);

	return d ? d : x->line - y->line;
}

/* Strict: the first series that repeats an earlier one, by line. */
static int strict_duplicates(struct parse *p)
{
	const struct promx_series **v = calloc(p->e->n + 1, sizeof(*v));
	const struct promx_series *dup = NULL, *first = NULL;
	char what[64];

	if (!v)
		return fail(p, "out of memory", "");
	for (size_t i = 0; i < p->e->n; i++)
		v[i] = &p->e->s[i];
	qsort(v, p->e->n, sizeof(*v), series_key_cmp);
	for (size_t i = 1; i < p->e->n; i++)
		if (!strcmp(v[i]->key, v[i - 1]->key) && (!dup || v[i]->line < dup->line)) {
			dup = v[i];
			first = v[i - 1];
		}
	free(v);
	if (!dup)
		return 0;
	p->line = dup->line;
	snprintf(what, sizeof(what), "duplicate series (first on line %d)", first->line);
	return fail(p, what, dup->key);
}

/* The text copied and cut at its newlines. */
static int split_lines(struct promx *e, const char *text)
{
	size_t cap = 0;

	e->text = strdup(text);
	if (!e->text)
		return -ENOMEM;
	for (char *l = e->text; *l; ) {
		char *nl = strchr(l, '\n');

		if (e->nlines == cap) {
			char **v = realloc(e->lines, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			e->lines = v;
		}
		e->lines[e->nlines++] = l;
		if (!nl)
			break;
		*nl = '\0';
		l = nl + 1;
	}
	return 0;
}

static int parse_text(const char *text, struct promx *e, bool strict, char *err, size_t errlen)
{
	struct parse p = { .e = e, .strict = strict, .err = err, .errlen = errlen };

	memset(e, 0, sizeof(*e));
	if (err && errlen)
		err[0] = '\0';
	if (split_lines(e, text))
		return fail(&p, "out of memory", "");
	for (size_t i = 0; i < e->nlines; i++) {
		const char *l = e->lines[i];
		int ret = 0;

		p.line = (int)i + 1;
		if (l[0] == '#')
			ret = parse_comment(&p, l);
		else if (strict ? l[0] != '\0' : strspn(l, " \t") != strlen(l))
			ret = parse_sample(&p, l);
		if (ret)
			return -1;
	}
	if (strict && text[0] && text[strlen(text) - 1] != '\n')
		return fail(&p, "no newline at the end", e->lines[e->nlines - 1]);
	return strict ? strict_duplicates(&p) : 0;
}

int promx_parse(const char *text, struct promx *e, char *err, size_t errlen)
{
	return parse_text(text, e, false, err, errlen);
}

int promx_parse_strict(const char *text, struct promx *e, char *err, size_t errlen)
{
	return parse_text(text, e, true, err, errlen);
}

void promx_free(struct promx *e)
{
	for (size_t i = 0; i < e->n; i++)
		series_free(&e->s[i]);
	for (size_t i = 0; i < e->nf; i++) {
		free(e->f[i].name);
		free(e->f[i].type);
	}
	free(e->s);
	free(e->f);
	free(e->lines);
	free(e->text);
	memset(e, 0, sizeof(*e));
}
