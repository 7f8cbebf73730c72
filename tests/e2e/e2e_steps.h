/* e2e_steps.h: steps the daemon e2e suites share, asserting with Criterion. */
#ifndef DN_E2E_STEPS_H
#define DN_E2E_STEPS_H

#include <stdint.h>
#include <criterion/criterion.h>
#include "lib/daemonctl.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "lib/scrape.h"
#include "lib/traffic.h"

/* Start the daemon d describes and wait until it serves /metrics. */
static inline void e2e_start(struct dctl *d, const char *what)
{
	cr_assert_eq(dctl_start(d, 10000), 0, "%s: daemon did not serve /metrics (exit %d); log:\n%s",
		     what, d->last_status, dctl_log(d));
}

/* GET /metrics from the daemon on port, parsed into s (free it). */
static inline void e2e_scrape(int port, struct scrape *s, const char *what)
{
	char err[512];

	cr_assert_eq(scrape_get(port, s, err, sizeof(err)), 0, "%s: scrape: %s", what, err);
}

/* Write a list file of the test; its path names the case when it fails. */
static inline void e2e_put(const char *path, const char *text)
{
	cr_assert_eq(e2e_write_file(path, text), 0, "cannot write the test file %s", path);
}

/* Send n frames of mix (research sources from scanners) through fx. */
static inline void e2e_send_mix(const struct netfix *fx, const char *scanners, const char *what,
				const char *mix, uint64_t n, uint64_t seed)
{
	char err[512];

	cr_assert_eq(tgen_send(fx, mix, n, seed, scanners, err, sizeof(err)), 0, "%s: %s",
		     what, err);
}

#endif
