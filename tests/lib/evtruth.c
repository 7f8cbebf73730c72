/* evtruth.c: campaign runs of darknet-trafgen, their truth file, and matching the daemon's events against it. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evtruth.h"

int evt_load_truth(const char *path, struct evt_truth **rows, size_t *n, char *err,
		   size_t errlen)
{
	char *text = e2e_read_file(path, NULL), *line, *save = NULL;
	size_t cap = 0;

	*rows = NULL;
	*n = 0;
	if (!text) {
		snprintf(err, errlen, "cannot read the truth file %s", path);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct evt_truth t = { 0 };
		char expect[8];

		if (!strncmp(line, "type\t", 5))
			continue;
		if (sscanf(line, "%7[^\t]\t%7[^\t]\t%23[^\t]\t%47[^\t]\t%7[^\t]\t%u\t%15[^\t]\t"
			   "%63[^\t]\t%" SCNu64 "\t%" SCNu64 "\t%u\t%*f\t%*f\t%lf\t%lf", t.type,
			   expect, t.reason, t.addr, t.proto, &t.port, t.tool, t.org, &t.packets,
			   &t.bytes, &t.destinations, &t.first_s, &t.last_s) != 13) {
			snprintf(err, errlen, "%s: bad line: %s", path, line);
			goto fail;
		}
		t.expect = !strcmp(expect, "event");
		if (*n == cap) {
			struct evt_truth *grown = realloc(*rows, (cap = cap ? 2 * cap : 16) * sizeof(t));

			if (!grown)
				goto fail;
			*rows = grown;
		}
		(*rows)[(*n)++] = t;
	}
	free(text);
	return 0;
fail:
	free(text);
	free(*rows);
	*rows = NULL;
	return -1;
}

/* The text value of "key":"..." in [obj, end), or "" (no escapes expected). */
static void str_field(const char *obj, const char *end, const char *key, char *out, size_t len)
{
	char pat[48];
	const char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	out[0] = '\0';
	p = strstr(obj, pat);
	if (!p || p >= end)
		return;
	for (p += strlen(pat); *p && *p != '"' && i + 1 < len; p++)
		out[i++] = *p;
	out[i] = '\0';
}

static double num_field(const char *obj, const char *end, const char *key)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(obj, pat);
	if (!p || p >= end)
		return -1;
	p += strlen(pat);
	if (*p == '[')
		p++;
	return strtod(p, NULL);
}

int evt_parse_events(const char *text, struct evt_event **evs, size_t *n)
{
	const char *p = strstr(text, "{\"id\":");
	size_t cap = 0;

	*evs = NULL;
	*n = 0;
	while (p) {
		const char *next = strstr(p + 1, "{\"id\":"), *end = next ? next : p + strlen(p);
		struct evt_event e = { 0 };

		str_field(p, end, "type", e.type, sizeof(e.type));
		str_field(p, end, "state", e.state, sizeof(e.state));
		str_field(p, end, !strcmp(e.type, "dos") ? "victim" : "source", e.addr,
			  sizeof(e.addr));
		str_field(p, end, "protocol", e.proto, sizeof(e.proto));
		str_field(p, end, "tool", e.tool, sizeof(e.tool));
		str_field(p, end, "research_org", e.org, sizeof(e.org));
		e.port = (unsigned int)num_field(p, end, "ports");
		e.packets = (uint64_t)num_field(p, end, "packets");
		e.bytes = (uint64_t)num_field(p, end, "bytes");
		e.distinct = num_field(p, end, "distinct_destinations");
		if (*n == cap) {
			struct evt_event *grown = realloc(*evs, (cap = cap ? 2 * cap : 16) * sizeof(e));

			if (!grown) {
				free(*evs);
				*evs = NULL;
				return -1;
			}
			*evs = grown;
		}
		(*evs)[(*n)++] = e;
		p = next;
	}
	return 0;
}

size_t evt_count(const struct evt_event *evs, size_t n, const char *type, const char *addr)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !strcmp(evs[i].type, type) && !strcmp(evs[i].addr, addr);
	return k;
}

__attribute__((format(printf, 3, 4)))
static void add_err(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used = strlen(err);
	va_list ap;

	if (used + 1 >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

static void match_one(const struct evt_truth *t, const struct evt_event *e, char *err,
		      size_t errlen)
{
	int scan = !strcmp(t->type, "scan");
	const char *org = strcmp(t->org, "-") ? t->org : "";

	if (strcmp(e->proto, t->proto))
		add_err(err, errlen, "%s %s: protocol %s, want %s\n", t->type, t->addr, e->proto,
			t->proto);
	if (e->port != t->port)
		add_err(err, errlen, "%s %s: port %u, want %u\n", t->type, t->addr, e->port,
			t->port);
	if (t->packets && e->packets != t->packets)
		add_err(err, errlen, "%s %s: %" PRIu64 " packets, want %" PRIu64 "\n", t->type,
			t->addr, e->packets, t->packets);
	if (scan && strcmp(e->tool, t->tool))
		add_err(err, errlen, "scan %s: tool %s, want %s\n", t->addr, e->tool, t->tool);
	if (scan && strcmp(e->org, org))
		add_err(err, errlen, "scan %s: org '%s', want '%s'\n", t->addr, e->org, org);
}

int evt_match(const struct evt_truth *rows, size_t nrows, const struct evt_event *evs,
	      size_t nevs, char *err, size_t errlen)
{
	size_t want = 0;

	err[0] = '\0';
	for (size_t i = 0; i < nrows; i++) {
		const struct evt_truth *t = &rows[i];
		size_t k = evt_count(evs, nevs, t->type, t->addr);

		want += (size_t)t->expect;
		if (k != (size_t)t->expect) {
			add_err(err, errlen, "%s %s (%s %s/%u, %s, %" PRIu64 " packets%s%s): %zu "
				"events, want %d\n", t->type, t->addr, t->tool, t->proto, t->port,
				t->expect ? "above the thresholds" : "below", t->packets,
				t->expect ? "" : ", ", t->expect ? "" : t->reason, k, t->expect);
			continue;
		}
		for (size_t j = 0; k && j < nevs; j++)
			if (!strcmp(evs[j].type, t->type) && !strcmp(evs[j].addr, t->addr))
				match_one(t, &evs[j], err, errlen);
	}
	if (nevs != want)
		add_err(err, errlen, "%zu events in all, want %zu\n", nevs, want);
	return err[0] ? -1 : 0;
}

int tgen_campaign_start(const struct netfix *f, const char *spec, uint64_t seed,
			const char *scanners, const char *truth, struct e2e_child *c)
{
	char *prog = e2e_prog("darknet-trafgen"), seed_text[32];
	const char *argv[20];
	int argc = 0, ret;

	snprintf(seed_text, sizeof(seed_text), "%" PRIu64, seed);
	argv[argc++] = prog;
	argv[argc++] = "--netns";
	argv[argc++] = f->ns_inet;
	argv[argc++] = "--iface";
	argv[argc++] = f->if_inet;
	argv[argc++] = "--mix";
	argv[argc++] = "campaign";
	argv[argc++] = "--campaign";
	argv[argc++] = spec;
	argv[argc++] = "--seed";
	argv[argc++] = seed_text;
	argv[argc++] = "--truth";
	argv[argc++] = truth;
	argv[argc++] = "-q";
	if (scanners) {
		argv[argc++] = "--scanners";
		argv[argc++] = scanners;
	}
	argv[argc] = NULL;
	ret = e2e_spawn((char *const *)argv, c);
	free(prog);
	return ret;
}

int tgen_campaign_wait(struct e2e_child *c, int timeout_ms, struct tgen_result *r)
{
	struct e2e_run run;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = e2e_finish(c, 0, timeout_ms, &run);
	return ret ? ret : tgen_result_of(&run, r);
}
