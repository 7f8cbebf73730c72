/* scrape.h: GET /metrics from a test daemon, parsed, and comparisons between scrapes. */
#ifndef DN_TEST_SCRAPE_H
#define DN_TEST_SCRAPE_H

#include "httpc.h"
#include "promx.h"

struct scrape {
	struct httpc_resp http;
	struct promx m;
};

/* GET http://127.0.0.1:PORT/metrics. 0 when it answered 200 and parsed;
 * -1 with a reason in err otherwise (s is still initialised). */
int scrape_get(int port, struct scrape *s, char *err, size_t errlen);
void scrape_free(struct scrape *s);

/* Sum of name{subset} now, or -1 when the scrape fails. */
double scrape_sum(int port, const char *name, const char *subset);
/* Poll (every 50 ms) until the sum of name{subset} reaches target or
 * timeout_ms passes; the last sum seen. */
double scrape_wait_sum(int port, const char *name, const char *subset, double target,
		       int timeout_ms);

/* Every frame the program sees lands in exactly one of darknet_packets_total,
 * darknet_passed_packets_total, darknet_malformed_packets_total: their
 * total over all series, or -1 when the scrape fails. */
double scrape_frames(const struct promx *m);
/* Poll until the frame total reaches target; the last total seen. */
double scrape_wait_frames(int port, double target, int timeout_ms);

/* after - before of one series (absent counts as 0). */
double scrape_delta(const struct promx *before, const struct promx *after,
		    const struct promx_series *s_after);

/* Every series of `before` whose family is a counter: present in `after`
 * with a value not smaller. Returns how many break that, the first few
 * named in msg. */
int scrape_counters_backwards(const struct promx *before, const struct promx *after,
			      char *msg, size_t len);

#endif
