/* geo_load.c: the country and ASN files read at once, one thread each: parsing is most of a load. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "geo.h"

struct job {
	struct geo_db *db;
	const char *const *files;
	int nr;
	int ret;
	char err[512];
};

static void *run(void *arg)
{
	struct job *j = arg;

	j->ret = 0;
	j->err[0] = '\0';
	for (int i = 0; i < j->nr && !j->ret; i++)
		j->ret = geo_db_load_file(j->db, j->files[i], j->err, sizeof(j->err));
	j->ret = j->ret ?: geo_db_finish(j->db, j->err, sizeof(j->err));
	return NULL;
}

int geo_db_load_both(struct geo_db *country, const char *const *cf, int nc, struct geo_db *asn,
		     const char *const *af, int na, int *which, char *err, size_t errlen)
{
	struct job c = { .db = country, .files = cf, .nr = nc };
	struct job a = { .db = asn, .files = af, .nr = na };
	pthread_t t;
	int threaded = nc && na && !pthread_create(&t, NULL, run, &a);

	run(&c);
	if (threaded)
		pthread_join(t, NULL);
	else
		run(&a);
	/* The country's error first: a start names one problem at a time. */
	*which = c.ret ? GEO_COUNTRY : GEO_ASN;
	snprintf(err, errlen, "%s", c.ret ? c.err : a.err);
	return c.ret ?: a.ret;
}
