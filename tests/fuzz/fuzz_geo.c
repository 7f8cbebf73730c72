/* fuzz_geo.c: libFuzzer harness for the geo database reader (range CSV or .mmdb), as country and as ASN file. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "geo.h"

static char path[] = "/tmp/dn-fuzz-geo-XXXXXX";
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct geo_db db;
	char err[1024];

	if (fd < 0 && (fd = mkstemp(path)) < 0)
		abort();
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	for (int kind = GEO_COUNTRY; kind <= GEO_ASN; kind++) {
		geo_db_init(&db, kind);
		if (!geo_db_load_file(&db, path, err, sizeof(err)) &&
		    !geo_db_finish(&db, err, sizeof(err)))
			for (size_t i = 1; i < db.len; i++)   /* what finish promises */
				if (db.ranges[i].family == db.ranges[i - 1].family &&
				    db.ranges[i].first <= db.ranges[i - 1].last)
					abort();
		geo_db_free(&db);
	}
	return 0;
}
