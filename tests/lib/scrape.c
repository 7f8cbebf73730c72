/* scrape.c: GET /metrics from a test daemon, parsed, and comparisons between scrapes. */
#include <stdio.h>
#include <string.h>
#include "proc.h"
#include "scrape.h"

int scrape_get(int port, struct scrape *s, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = httpc_get("127.0.0.1", port, "/metrics", 5000, &s->http);
	if (ret) {
		snprintf(err, errlen, "GET /metrics on port %d: %s", port, strerror(-ret));
		return -1;
	}
	if (s->http.status != 200) {
		snprintf(err, errlen, "GET /metrics on port %d: status %d", port, s->http.status);
		return -1;
	}
	return promx_parse(s->http.body, &s->m, err, errlen);
}

void scrape_free(struct scrape *s)
{
	httpc_resp_free(&s->http);
	promx_free(&s->m);
}

double scrape_sum(int port, const char *name, const char *subset)
{
	struct scrape s;
	char err[256];
	double sum = -1;

	if (!scrape_get(port, &s, err, sizeof(err)))
		promx_match(&s.m, name, subset, &sum);
	scrape_free(&s);
	return sum;
}

double scrape_wait_sum(int port, const char *name, const char *subset, double target,
		       int timeout_ms)
{
	long long deadline = e2e_now_ms() + timeout_ms;
	double sum;

	for (;;) {
		sum = scrape_sum(port, name, subset);
		if (sum >= target || e2e_now_ms() > deadline)
			return sum;
		e2e_sleep_ms(50);
	}
}

double scrape_frames(const struct promx *m)
{
	static const char *const fams[] = { "darknet_packets_total",
		"darknet_passed_packets_total", "darknet_malformed_packets_total" };
	double total = 0, sum;

	for (int i = 0; i < 3; i++) {
		promx_match(m, fams[i], NULL, &sum);
		total += sum;
	}
	return total;
}

double scrape_wait_frames(int port, double target, int timeout_ms)
{
	long long deadline = e2e_now_ms() + timeout_ms;
	double total;

	for (;;) {
		struct scrape s;
		char err[256];

		total = scrape_get(port, &s, err, sizeof(err)) ? -1 : scrape_frames(&s.m);
		scrape_free(&s);
		if (total >= target || e2e_now_ms() > deadline)
			return total;
		e2e_sleep_ms(50);
	}
}

double scrape_delta(const struct promx *before, const struct promx *after,
		    const struct promx_series *s_after)
{
	const struct promx_series *b = promx_same(before, s_after);

	(void)after;
	return b ? s_after->value - b->value : s_after->value;
}

static void note(char *msg, size_t len, int n, const char *what)
{
	size_t used = strlen(msg);

	if (n <= 5 && used + 1 < len)
		snprintf(msg + used, len - used, "%s%s", used ? "; " : "", what);
}

int scrape_counters_backwards(const struct promx *before, const struct promx *after,
			      char *msg, size_t len)
{
	int bad = 0;

	msg[0] = '\0';
	for (size_t i = 0; i < before->n; i++) {
		const struct promx_series *b = &before->s[i];
		const struct promx_family *f = promx_family_of(before, b->name);
		const struct promx_series *a = promx_same(after, b);
		char what[512];

		if (!f || !f->type || strcmp(f->type, "counter"))
			continue;
		if (a && a->value >= b->value)
			continue;
		if (a)
			snprintf(what, sizeof(what), "%s went from %.17g to %.17g", b->key,
				 b->value, a->value);
		else
			snprintf(what, sizeof(what), "%s (%.17g) is gone", b->key, b->value);
		note(msg, len, ++bad, what);
	}
	return bad;
}
