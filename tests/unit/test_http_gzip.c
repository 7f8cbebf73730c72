/* test_http_gzip.c: reading Accept-Encoding: gzip only when its weight is above zero. */
#include <criterion/criterion.h>
#include <stdbool.h>

#include "array_size.h"
#include "http.h"

Test(http_gzip, accept_encoding_weights)
{
	static const struct { const char *ae; bool gzip; } cases[] = {
		{ "gzip", true },
		{ "GZip", true },
		{ "x-gzip", true },
		{ "deflate, gzip", true },
		{ "gzip;q=1.0, identity; q=0.5, *;q=0", true },
		{ "gzip;q=0.001", true },
		{ "gzip ; q=0.5", true },
		{ "gzip;q=0", false },
		{ "gzip;q=0.000", false },
		{ "gzip; q=0 ", false },
		{ "gzip;Q=0", false },
		{ "deflate, gzip;q=0", false },
		{ "gzip;q=0, *", false },         /* named refusal wins over "*" */
		{ "*", true },
		{ "*;q=0", false },
		{ "br, *;q=0.1", true },
		{ "identity", false },
		{ "gzipx", false },
		{ "x-gzip2", false },
		{ "deflate;q=0.5", false },
		{ "gzip;q=2", false },            /* not a weight: refused */
		{ "gzip;q=abc", false },
		{ "", false },
		{ ",,, ,", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		cr_expect_eq(http_accepts_gzip(cases[i].ae), cases[i].gzip,
			     "Accept-Encoding: %s -> gzip %d", cases[i].ae, cases[i].gzip);
}
