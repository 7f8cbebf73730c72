/* test_exposition.c: the format checker used by the rendering tests catches what it claims to. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "unit/exposition.h"
#include "array_size.h"

#define FAMILY_A "# HELP a_total A.\n# TYPE a_total counter\n"
#define FAMILY_B "# HELP b B.\n# TYPE b gauge\n"

Test(exposition, accepts_well_formed_text)
{
	char *p = expo_check(FAMILY_A "a_total{x=\"1\",y=\"q\\\"\\\\\\n\"} 3\na_total{x=\"2\"} 0\n"
			     FAMILY_B "b 1.5e+24\n");

	cr_expect_null(p, "well formed: %s", p ? p : "");
	free(p);
}

Test(exposition, rejects_each_violation)
{
	static const struct {
		const char *what, *text;
	} bad[] = {
		{ "duplicate series", FAMILY_A "a_total{x=\"1\"} 3\na_total{x=\"1\"} 4\n" },
		{ "family declared twice", FAMILY_A "a_total 1\n" FAMILY_A },
		{ "sample outside its group", FAMILY_A FAMILY_B "a_total 1\n" },
		{ "sample before any TYPE", "a_total 1\n" },
		{ "TYPE without HELP", "# TYPE a_total counter\na_total 1\n" },
		{ "bad escape", FAMILY_A "a_total{x=\"\\t\"} 1\n" },
		{ "unquoted label", FAMILY_A "a_total{x=1} 1\n" },
		{ "bad value", FAMILY_A "a_total 1x\n" },
		{ "no trailing newline", FAMILY_A "a_total 1" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *p = expo_check(bad[i].text);

		cr_expect_not_null(p, "%s: must be rejected", bad[i].what);
		free(p);
	}
}

Test(exposition, promtool_rejects_a_lint_failure)
{
	int rc = expo_promtool("# HELP a A.\n# TYPE a counter\na 1\n");

	if (rc == -1)
		cr_skip_test("promtool: not installed");
	cr_expect_neq(rc, 0, "promtool: a counter without _total fails the lint");
}
