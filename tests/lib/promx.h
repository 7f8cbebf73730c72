/* promx.h: Prometheus text format 0.0.4 parsed into series, with lookups and checks. */
#ifndef DN_TEST_PROMX_H
#define DN_TEST_PROMX_H

#include <stddef.h>

struct promx_label {
	char *name, *value;        /* value unescaped */
};

struct promx_series {
	char *name;
	struct promx_label *labels;
	int nlabels;
	char *key;                 /* name{a="x",b="y"}: labels sorted, for identity */
	double value;
	int line;
};

/* A metric family as its HELP and TYPE lines declare it. */
struct promx_family {
	char *name;
	char *type;                /* NULL without a TYPE line */
	int help_lines, type_lines;
};

struct promx {
	struct promx_series *s;
	size_t n;
	struct promx_family *f;
	size_t nf;
};

/* Parse text (NUL-terminated). 0, or -1 with "line N: reason" in err. */
int promx_parse(const char *text, struct promx *e, char *err, size_t errlen);
void promx_free(struct promx *e);

/*
 * Label specs are "k=v,k=v" (no quotes; values without commas), e.g.
 * "iface=dn1s,family=ipv4,proto=tcp,class=scan".
 * promx_find: the series with exactly these labels (NULL if none).
 * promx_match: how many series carry at least these labels; their sum in *sum.
 */
const struct promx_series *promx_find(const struct promx *e, const char *name,
				      const char *labels);
size_t promx_match(const struct promx *e, const char *name, const char *subset,
		   double *sum);
/* promx_find's value, or dflt when the series is absent. */
double promx_value(const struct promx *e, const char *name, const char *labels,
		   double dflt);
/* The value of label `label` of series s, or NULL. */
const char *promx_label(const struct promx_series *s, const char *label);
/* Does series s carry every label of spec? */
int promx_has_labels(const struct promx_series *s, const char *spec);

const struct promx_family *promx_family(const struct promx *e, const char *name);
/* The family a sample belongs to: its own name, or its name less _total,
 * _count, _sum or _bucket when that names a family. NULL if none. */
const struct promx_family *promx_family_of(const struct promx *e, const char *sample);

/* Series that appear more than once (same name and label set): their count,
 * the first few listed in msg. */
int promx_duplicates(const struct promx *e, char *msg, size_t len);
/* Families with samples but without exactly one HELP and one TYPE line: their
 * count, the first few listed in msg. */
int promx_check_meta(const struct promx *e, char *msg, size_t len);

/* `promtool check metrics` on text: its exit code (-1 if it could not be
 * run), its output in out. */
int promx_promtool(const char *text, char *out, size_t outlen);

#endif
