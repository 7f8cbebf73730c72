/* test_exposition.c: the text format parser of the tests finds and refuses what it claims to. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/promx.h"
#include "array_size.h"

#define FAMILY_A "# HELP a_total A.\n# TYPE a_total counter\n"
#define FAMILY_B "# HELP b B.\n# TYPE b gauge\n"

static char out[65536];

Test(exposition, accepts_well_formed_text)
{
	struct promx m;
	char err[256];
	int rc;

	rc = promx_parse_strict(FAMILY_A "a_total{x=\"1\",y=\"q\\\"\\\\\\n\"} 3\na_total{x=\"2\"} 0\n"
				FAMILY_B "b 1.5e+24\n", &m, err, sizeof(err));
	cr_assert_eq(rc, 0, "well formed: %s", err);
	cr_assert_eq(m.n, 3, "three samples, got %zu", m.n);
	cr_expect_eq(m.nf, 2, "two families, got %zu", m.nf);
	cr_expect_eq(promx_value(&m, "b", NULL, -1), 1.5e24, "b's value");
	cr_expect_eq(promx_value(&m, "a_total", "y=q\"\\\n,x=1", -1), 3,
		     "label values unescaped, found in any order");
	cr_expect_str_eq(m.s[0].key, "a_total{x=\"1\",y=\"q\\\"\\\\\\n\"}", "key escaped again");
	cr_expect_eq(m.s[2].line, 7, "b's line");
	promx_free(&m);
}

Test(exposition, rejects_each_violation)
{
	static const struct {
		const char *what, *text;
		int line;
	} bad[] = {
		{ "duplicate series", FAMILY_A "a_total{x=\"1\"} 3\na_total{x=\"1\"} 4\n", 4 },
		{ "duplicate in another label order",
		  FAMILY_A "a_total{x=\"1\",y=\"2\"} 3\na_total{y=\"2\",x=\"1\"} 4\n", 4 },
		{ "family declared twice", FAMILY_A "a_total 1\n" FAMILY_A, 4 },
		{ "sample outside its group", FAMILY_A FAMILY_B "a_total 1\n", 5 },
		{ "sample before any TYPE", "a_total 1\n", 1 },
		{ "sample between HELP and TYPE", "# HELP a_total A.\na_total 1\n", 2 },
		{ "TYPE without HELP", "# TYPE a_total counter\na_total 1\n", 1 },
		{ "TYPE not right after its HELP", "# HELP a_total A.\n# HELP b B.\n"
		  "# TYPE a_total counter\n", 3 },
		{ "TYPE of another family", "# HELP a_total A.\n# TYPE b gauge\n", 2 },
		{ "HELP without text", "# HELP a_total\n# TYPE a_total counter\n", 1 },
		{ "bad escape in HELP", "# HELP a_total A\\t.\n# TYPE a_total counter\n", 1 },
		{ "unknown type", "# HELP a_total A.\n# TYPE a_total count\n", 2 },
		{ "other comment", FAMILY_A "# hello\na_total 1\n", 3 },
		{ "bad escape", FAMILY_A "a_total{x=\"\\t\"} 1\n", 3 },
		{ "unquoted label", FAMILY_A "a_total{x=1} 1\n", 3 },
		{ "unterminated label", FAMILY_A "a_total{x=\"1} 1\n", 3 },
		{ "label twice", FAMILY_A "a_total{x=\"1\",x=\"2\"} 1\n", 3 },
		{ "space in labels", FAMILY_A "a_total{ x=\"1\"} 1\n", 3 },
		{ "bad value", FAMILY_A "a_total 1x\n", 3 },
		{ "no value", FAMILY_A "a_total\n", 3 },
		{ "two spaces", FAMILY_A "a_total  1\n", 3 },
		{ "timestamp", FAMILY_A "a_total 1 1700000000000\n", 3 },
		{ "leading space", FAMILY_A " a_total 1\n", 3 },
		{ "blank line of spaces", FAMILY_A "a_total 1\n \n", 4 },
		{ "no trailing newline", FAMILY_A "a_total 1", 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct promx m;
		char err[256], want[32];
		int rc = promx_parse_strict(bad[i].text, &m, err, sizeof(err));

		cr_expect_eq(rc, -1, "%s: must be rejected", bad[i].what);
		snprintf(want, sizeof(want), "line %d: ", bad[i].line);
		cr_expect(rc && !strncmp(err, want, strlen(want)), "%s: reported as \"%s\", want %s",
			  bad[i].what, err, want);
		promx_free(&m);
	}
}

Test(exposition, lenient_parse_reads_any_valid_sample)
{
	struct promx m;
	char err[256];

	cr_assert_eq(promx_parse("# a comment\n# HELP a_total\n# TYPE a_total counter\n"
				 "a_total{ x=\"1\"}   7 1700000000000\n\n  \nb 2", &m, err,
				 sizeof(err)), 0, "lenient: %s", err);
	cr_expect_eq(promx_value(&m, "a_total", "x=1", -1), 7, "timestamp and blanks skipped");
	cr_expect_eq(promx_value(&m, "b", "", -1), 2, "last line without newline");
	cr_expect_eq(m.nlines, 7, "lines kept as they came: %zu", m.nlines);
	cr_expect(promx_has_line(&m, "  "), "blank lines kept");
	promx_free(&m);
}

Test(exposition, lenient_parse_rejects_malformed_samples)
{
	static const char *const bad[] = {
		"a{x=\"\\t\"} 1\n", "a{x=1} 1\n", "a{x=\"1\" 1\n", "a 1x\n", "a\n", "{x=\"1\"} 1\n",
		"a{x=\"1\"}1\n", "# TYPE a\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct promx m;
		char err[256];
		int rc = promx_parse(bad[i], &m, err, sizeof(err));

		cr_expect_eq(rc, -1, "lenient: %s must be rejected", bad[i]);
		cr_expect(rc && !strncmp(err, "line 1: ", 8), "lenient: %s reported as \"%s\"",
			  bad[i], err);
		promx_free(&m);
	}
}

Test(exposition, lookups)
{
	struct promx m, other;
	char err[256];

	cr_assert_eq(promx_parse_strict(FAMILY_A "a_total{p=\"1\",q=\"x\"} 3\n"
					"a_total{p=\"2\",q=\"x\"} 4\na_total{p=\"2\"} 5\n" FAMILY_B "b 6\n",
					&m, err, sizeof(err)), 0, "lookups: %s", err);
	cr_assert_eq(promx_parse("a_total{q=\"x\",p=\"2\"} 9\n", &other, err, sizeof(err)), 0,
		     "lookups, other: %s", err);
	cr_expect_eq(promx_value(&m, "a_total", "p=2", -1), 5, "find: exactly these labels");
	cr_expect_null(promx_find(&m, "a_total", "q=x"), "find: a subset is not a match");
	cr_expect_eq(promx_value(&m, "a_total", "p=3", -2), -2, "value: absent, the default");
	cr_expect_eq(promx_match(&m, "a_total", "q=x", NULL), 2, "match: a subset");
	{
		double sum = 0;

		cr_expect_eq(promx_match(&m, "a_total", NULL, &sum), 3, "match: every series");
		cr_expect_eq(sum, 12, "match: their sum");
	}
	cr_expect_eq(promx_same(&m, &other.s[0]), &m.s[1], "same: across scrapes, any order");
	cr_expect_str_eq(promx_label(&m.s[0], "q"), "x", "label");
	cr_expect_null(promx_label(&m.s[2], "q"), "label: absent");
	cr_expect(promx_has_labels(&m.s[1], "q=x,p=2") && !promx_has_labels(&m.s[1], "q=y"),
		  "has_labels");
	cr_expect_str_eq(promx_family(&m, "b")->type, "gauge", "family: its type");
	cr_expect_eq(promx_family_of(&m, "b_total"), promx_family(&m, "b"), "family_of: _total");
	cr_expect_null(promx_family_of(&m, "c"), "family_of: none");
	cr_expect(promx_has_line(&m, "a_total{p=\"2\"} 5"), "has_line: exact text");
	cr_expect(!promx_has_line(&m, "a_total{p=\"2\"} 5.0"), "has_line: nothing else");
	cr_expect_eq(promx_count_prefix(&m, "a_total{p=\"2\""), 2, "count_prefix");
	promx_free(&other);
	promx_free(&m);
}

Test(exposition, duplicates_and_meta_counted_after_a_lenient_parse)
{
	struct promx m;
	char err[256], msg[256];

	cr_assert_eq(promx_parse("# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",y=\"2\"} 1\n"
				 "a_total{y=\"2\",x=\"1\"} 2\nc 1\n# HELP d D.\nd 1\n", &m, err,
				 sizeof(err)), 0, "lenient: %s", err);
	cr_expect_eq(promx_duplicates(&m, msg, sizeof(msg)), 1, "one duplicate: %s", msg);
	cr_expect_str_eq(msg, "a_total{x=\"1\",y=\"2\"}", "the duplicate named");
	cr_expect_eq(promx_check_meta(&m, msg, sizeof(msg)), 2, "c and d lack metadata: %s", msg);
	cr_expect(strstr(msg, "c: 0 HELP, 0 TYPE") && strstr(msg, "d: 1 HELP, 0 TYPE"),
		  "both named: %s", msg);
	promx_free(&m);
}

Test(exposition, promtool_rejects_a_lint_failure)
{
	int rc = promx_promtool("# HELP a A.\n# TYPE a counter\na 1\n", out, sizeof(out));

	if (rc == -ENOENT)
		cr_skip_test("promtool: not installed");
	cr_expect_gt(rc, 0, "promtool: a counter without _total fails the lint: %d", rc);
	cr_expect(strstr(out, "_total"), "promtool says why: %s", out);
	rc = promx_promtool(FAMILY_A "a_total 1\n", out, sizeof(out));
	cr_expect_eq(rc, 0, "promtool: a well-formed counter passes: %d\n%s", rc, out);
}
