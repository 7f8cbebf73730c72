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
	char *key;                 /* name{a="x",b="y"}: labels sorted and escaped, for identity */
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
	/* The text as it came, split at newlines: checks of the exact rendering. */
	char *text;
	char **lines;
	size_t nlines;
};

/*
 * Parse text (NUL-terminated). 0, or -1 with "line N: reason: line" in err.
 * Either way free e with promx_free.
 * promx_parse reads any text format 0.0.4 samples (timestamps, spaces) and
 * ignores comments other than HELP and TYPE.
 * promx_parse_strict also holds the text to what the daemon promises: every
 * family has one HELP line directly followed by one TYPE line of a known
 * type, its samples follow directly and carry the family's name, a sample
 * is `name{labels} value` with one space and no timestamp, labels are not
 * repeated, no other comments, no series appears twice (in any label
 * order), and the text ends with a newline.
 */
int promx_parse(const char *text, struct promx *e, char *err, size_t errlen);
int promx_parse_strict(const char *text, struct promx *e, char *err, size_t errlen);
void promx_free(struct promx *e);

/* Is line (without its newline) one of the text's lines? */
int promx_has_line(const struct promx *e, const char *line);
/* How many lines start with prefix. */
size_t promx_count_prefix(const struct promx *e, const char *prefix);

/*
 * Label specs are "k=v,k=v" (no quotes; values unescaped, without commas),
 * e.g. "iface=dn1s,family=ipv4,proto=tcp,class=scan".
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
/* The series of e with the same name and label set as s (s may belong to
 * another scrape), or NULL. */
const struct promx_series *promx_same(const struct promx *e, const struct promx_series *s);
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

/* `promtool check metrics` on text: its exit status, its output in out;
 * -ENOENT when promtool is not installed (the caller skips), another
 * -errno when it could not be run. */
int promx_promtool(const char *text, char *out, size_t outlen);

#endif
