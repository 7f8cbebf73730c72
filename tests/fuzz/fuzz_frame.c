/* fuzz_frame.c: libFuzzer harness for frame_build() (user/pktgen) on a fuzzed frame spec and address texts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "frame.h"

/*
 * The input is the fixed fields of a frame_spec (sizeof bytes of them, the
 * address pointers overwritten), then the source and destination address
 * texts separated by a NUL. frame_build() must refuse what it cannot build
 * and never write past FRAME_MAX.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_spec spec;
	uint8_t *buf;
	char text[128], *sep;
	size_t n;
	int len;

	if (size < sizeof(spec))
		return 0;
	memcpy(&spec, data, sizeof(spec));
	n = size - sizeof(spec) < sizeof(text) - 1 ? size - sizeof(spec) : sizeof(text) - 1;
	memcpy(text, data + sizeof(spec), n);
	text[n] = '\0';
	sep = memchr(text, '\0', n + 1);
	spec.src = text;
	spec.dst = sep < text + n ? sep + 1 : "198.51.100.1";
	buf = malloc(FRAME_MAX);   /* exactly: ASan sees a write past it */
	if (!buf)
		abort();
	len = frame_build(&spec, buf);
	if (len > FRAME_MAX)
		abort();
	free(buf);
	return 0;
}
