/* fuzz_webconfig.c: libFuzzer harness for webconfig_load() on a file of fuzzed YAML. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "webconfig.h"

static char path[] = "/tmp/dn-fuzz-web-XXXXXX";
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dn_webconfig wc;
	char err[512];

	if (fd < 0 && (fd = mkstemp(path)) < 0)
		abort();
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (!webconfig_load(path, &wc, err, sizeof(err)))
		webconfig_free(&wc);
	return 0;
}
