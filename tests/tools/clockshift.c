/* clockshift.c: an LD_PRELOAD library that sets the wall clock back, to test what does not depend on it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

/*
 * DN_CLOCKSHIFT_AFTER seconds after the first clock read, time() and
 * CLOCK_REALTIME go DN_CLOCKSHIFT_BACK seconds back, as when NTP or an
 * operator sets the clock back. CLOCK_MONOTONIC is left alone. Only the
 * process it is preloaded into sees it; the system clock is not touched.
 */
typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn real_clock_gettime(void)
{
	static clock_gettime_fn fn;

	if (!fn)
		fn = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	return fn;
}

static long env_long(const char *name)
{
	const char *v = getenv(name);

	return v ? atol(v) : 0;
}

static time_t shift(void)
{
	static struct timespec start;
	struct timespec now;

	real_clock_gettime()(CLOCK_MONOTONIC, &now);
	if (!start.tv_sec)
		start = now;
	return now.tv_sec - start.tv_sec >= env_long("DN_CLOCKSHIFT_AFTER") ?
	       env_long("DN_CLOCKSHIFT_BACK") : 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int ret = real_clock_gettime()(id, ts);

	if (!ret && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec -= shift();
	return ret;
}

time_t time(time_t *out)
{
	struct timespec ts;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	if (out)
		*out = t;
	return t;
}
