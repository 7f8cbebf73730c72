/* fuzz_list_file.c: libFuzzer harness for the list-file reader, as darknet and as scanner list. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "prefix.h"

static char path[] = "/tmp/dn-fuzz-list-XXXXXX";
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dn_prefix_list l;
	char err[512];

	if (fd < 0 && (fd = mkstemp(path)) < 0)
		abort();
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	prefix_list_init(&l);
	prefix_list_load_darknets(&l, path, err, sizeof(err));
	prefix_list_free(&l);
	prefix_list_init(&l);
	prefix_list_load_scanners(&l, path, err, sizeof(err));
	prefix_list_free(&l);
	return 0;
}
