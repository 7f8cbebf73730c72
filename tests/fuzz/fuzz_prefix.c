/* fuzz_prefix.c: libFuzzer harness for prefix_parse(): no crash, and what parses formats back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "prefix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], again[128], err[256];
	struct dn_prefix p, q;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (prefix_parse(text, &p, err, sizeof(err)))
		return 0;
	/* a parsed prefix prints as a prefix that parses to the same */
	prefix_format(&p, again, sizeof(again));
	if (prefix_parse(again, &q, err, sizeof(err)) || !prefix_equal(&p, &q))
		abort();
	return 0;
}
