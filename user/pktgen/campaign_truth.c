/* campaign_truth.c: a campaign's configuration text and its ground truth (expected events) as JSON or TSV. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "campaign_actor.h"
#include "mix_addr.h"
#include "array_size.h"

#define TWO32 4294967296.0
#define NSEC 1e9

/* A lab profile: thresholds scaled so that every kind of actor fits in a
 * run of seconds on the lab's 512 IPv4 darknet addresses (scan-min-rate
 * 5e8 is about 60 pps sent to them). The daemon must use the same ones. */
void campaign_config_defaults(struct campaign_config *cfg)
{
	*cfg = (struct campaign_config){
		.seed = 1, .scanners_n = 7, .slow_n = 2, .victims_n = 3, .weak_n = 3,
		.duration_s = 12, .max_gap_s = 0.5, .max_pps = 1000,
		.th = {
			.scan_min_destinations = 100, .scan_min_rate = 5e8,
			.dos_min_packets = 25, .dos_min_duration_s = 2, .dos_window_s = 1,
			.dos_min_window_packets = 30,
		},
	};
}

static int parse_value(const char *key, const char *val, double *out, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	*out = strtod(val, &end);
	if (errno || end == val || *end || !(*out >= 0) || *out > 1e15) {
		snprintf(err, errlen, "campaign: %s=%s is not a number >= 0", key, val);
		return -EINVAL;
	}
	return 0;
}

int campaign_config_parse(struct campaign_config *cfg, const char *spec, char *err,
			  size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *item;
	int ret = copy ? 0 : -ENOMEM;

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		double v = 0;

		if (!eq) {
			snprintf(err, errlen, "campaign: '%s' is not key=value", item);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		if ((ret = parse_value(item, eq + 1, &v, err, errlen)))
			break;
		if (!strcmp(item, "scanners")) cfg->scanners_n = (uint32_t)v;
		else if (!strcmp(item, "slow")) cfg->slow_n = (uint32_t)v;
		else if (!strcmp(item, "victims")) cfg->victims_n = (uint32_t)v;
		else if (!strcmp(item, "weak")) cfg->weak_n = (uint32_t)v;
		else if (!strcmp(item, "duration")) cfg->duration_s = v;
		else if (!strcmp(item, "gap")) cfg->max_gap_s = v;
		else if (!strcmp(item, "pps")) cfg->max_pps = v;
		else if (!strcmp(item, "scan-min-destinations")) cfg->th.scan_min_destinations = (uint32_t)v;
		else if (!strcmp(item, "scan-min-rate")) cfg->th.scan_min_rate = v;
		else if (!strcmp(item, "dos-min-packets")) cfg->th.dos_min_packets = (uint32_t)v;
		else if (!strcmp(item, "dos-min-duration")) cfg->th.dos_min_duration_s = v;
		else if (!strcmp(item, "dos-window")) cfg->th.dos_window_s = v;
		else if (!strcmp(item, "dos-min-window-packets")) cfg->th.dos_min_window_packets = (uint32_t)v;
		else {
			snprintf(err, errlen, "campaign: unknown key '%s'", item);
			ret = -EINVAL;
		}
	}
	free(copy);
	return ret;
}

const char *campaign_tool_name(unsigned int tool)
{
	static const char *const names[] = { "zmap", "masscan", "mirai", "research", "unknown" };

	return tool < ARRAY_SIZE(names) ? names[tool] : "?";
}

const char *campaign_reason_name(unsigned int reason)
{
	static const char *const names[] = { "", "few_destinations", "slow", "few_packets",
					     "short", "low_peak" };

	return reason < ARRAY_SIZE(names) ? names[reason] : "?";
}

/* Most packets in a window, windows tumbling from the first packet as the
 * datapath keeps them (a packet past the window starts the next). */
static uint32_t peak_of(const struct campaign_actor *a, double window_s)
{
	uint64_t w = (uint64_t)(window_s * NSEC), start = a->start_ns;
	uint32_t n = 0, peak = 0;

	for (uint32_t j = 0; j < a->packets; j++) {
		uint64_t t = a->start_ns + j * a->gap_ns;

		if (t - start >= w) {
			start = t;
			n = 0;
		}
		if (++n > peak)
			peak = n;
	}
	return peak;
}

int campaign_truth_fill(struct campaign_state *st, char *err, size_t errlen)
{
	uint8_t buf[FRAME_MAX];

	st->truth = calloc(st->nr_actors ? st->nr_actors : 1, sizeof(*st->truth));
	if (!st->truth)
		return -ENOMEM;
	for (size_t i = 0; i < st->nr_actors; i++) {
		const struct campaign_actor *a = &st->actors[i];
		struct campaign_truth *t = &st->truth[i];
		double dur = (double)a->gap_ns * (a->packets ? a->packets - 1 : 0) / NSEC;

		*t = (struct campaign_truth){
			.is_dos = a->is_dos, .reason = a->reason, .tool = a->tool,
			.proto = a->proto, .port = a->port, .destinations = a->dests,
			.packets = a->packets, .first_ns = a->start_ns,
			.last_ns = a->start_ns + a->gap_ns * (a->packets ? a->packets - 1 : 0),
			.coverage = (double)a->dests / (double)st->darknet_size,
			.est_rate = dur > 0 ? a->packets * TWO32 / (double)st->darknet_size / dur : 0,
			.org = a->tool == CAMPAIGN_RESEARCH && !a->is_dos
				? mix_addr_scanner_org(&st->base, DN_FAMILY_IPV4, a->src) : NULL,
		};
		memcpy(t->addr, a->src, 16);
		if (a->is_dos)
			t->peak = peak_of(a, st->cfg.th.dos_window_s);
		for (uint32_t j = 0; j < a->packets; j++) {
			uint32_t kind;
			int len = campaign_build(st, i, j, buf, &kind);

			if (len < 0) {
				snprintf(err, errlen, "campaign: actor %zu frame %u: cannot build it",
					 i, j);
				return len;
			}
			t->bytes += (uint64_t)len;
			t->kinds |= kind;
		}
	}
	return 0;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "icmp";
}

/* Backscatter kinds as a comma-separated list ("" for none). */
static void kinds_text(uint32_t kinds, char *buf, size_t len)
{
	static const char *const names[] = { "syn-ack", "rst", "icmp-error", "echo-reply" };
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (kinds & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						names[i]);
}

/* Org names come from a list file: escape what JSON needs escaped. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

int campaign_truth_write_json(const struct campaign_state *st, FILE *out)
{
	const struct campaign_thresholds *th = &st->cfg.th;

	fprintf(out, "{\"seed\":%llu,\"darknet_ipv4_addresses\":%llu,\"duration_s\":%g,"
		"\"packets\":%zu,\n \"thresholds\":{\"scan_min_destinations\":%u,"
		"\"scan_min_rate\":%g,\"dos_min_packets\":%u,\"dos_min_duration_s\":%g,"
		"\"dos_window_s\":%g,\"dos_min_window_packets\":%u},\n \"events\":[",
		(unsigned long long)st->cfg.seed, (unsigned long long)st->darknet_size,
		st->cfg.duration_s, st->nr_pkts, th->scan_min_destinations, th->scan_min_rate,
		th->dos_min_packets, th->dos_min_duration_s, th->dos_window_s,
		th->dos_min_window_packets);
	for (size_t i = 0; i < st->nr_actors; i++) {
		const struct campaign_truth *t = &st->truth[i];
		char addr[INET_ADDRSTRLEN], kinds[64];

		inet_ntop(AF_INET, t->addr, addr, sizeof(addr));
		kinds_text(t->kinds, kinds, sizeof(kinds));
		fprintf(out, "%s\n  {\"type\":\"%s\",\"expect\":\"%s\",\"reason\":\"%s\","
			"\"%s\":\"%s\",\"proto\":\"%s\",\"port\":%u,", i ? "," : "",
			t->is_dos ? "dos" : "scan", t->reason ? "none" : "event",
			campaign_reason_name(t->reason), t->is_dos ? "victim" : "source", addr,
			proto_name(t->proto), t->port);
		if (t->is_dos) {
			fprintf(out, "\"kinds\":\"%s\",\"peak\":%u,", kinds, t->peak);
		} else {
			fprintf(out, "\"tool\":\"%s\",\"research_org\":", campaign_tool_name(t->tool));
			if (t->org)
				json_string(out, t->org);
			else
				fputs("null", out);
			fprintf(out, ",\"size\":\"%s\",\"estimated_rate\":%.6g,",
				t->coverage < 0.1 ? "small" : "large", t->est_rate);
		}
		fprintf(out, "\"packets\":%llu,\"bytes\":%llu,\"distinct_destinations\":%u,"
			"\"coverage\":%.6f,\"first_s\":%.6f,\"last_s\":%.6f}",
			(unsigned long long)t->packets, (unsigned long long)t->bytes,
			t->destinations, t->coverage, t->first_ns / NSEC, t->last_ns / NSEC);
	}
	fprintf(out, "\n]}\n");
	return ferror(out) ? -EIO : 0;
}

int campaign_truth_write_tsv(const struct campaign_state *st, FILE *out)
{
	fprintf(out, "type\texpect\treason\taddr\tproto\tport\ttool\tresearch_org\tpackets\t"
		"bytes\tdistinct_destinations\tcoverage\testimated_rate\tfirst_s\tlast_s\t"
		"kinds\tpeak\n");
	for (size_t i = 0; i < st->nr_actors; i++) {
		const struct campaign_truth *t = &st->truth[i];
		char addr[INET_ADDRSTRLEN], kinds[64];

		inet_ntop(AF_INET, t->addr, addr, sizeof(addr));
		kinds_text(t->kinds, kinds, sizeof(kinds));
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%llu\t%llu\t%u\t%.6f\t%.6g\t%.6f\t"
			"%.6f\t%s\t%u\n", t->is_dos ? "dos" : "scan",
			t->reason ? "none" : "event", t->reason ? campaign_reason_name(t->reason) : "-",
			addr, proto_name(t->proto), t->port,
			t->is_dos ? "-" : campaign_tool_name(t->tool), t->org ? t->org : "-",
			(unsigned long long)t->packets, (unsigned long long)t->bytes,
			t->destinations, t->coverage, t->est_rate, t->first_ns / NSEC,
			t->last_ns / NSEC, t->is_dos ? kinds : "-", t->peak);
	}
	return ferror(out) ? -EIO : 0;
}

int campaign_truth_save(const struct campaign_state *st, const char *path, char *err,
			size_t errlen)
{
	size_t n = strlen(path);
	FILE *out = fopen(path, "w");
	int ret;

	if (!out) {
		ret = -errno;
		snprintf(err, errlen, "cannot write the truth file %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = n > 4 && !strcmp(path + n - 4, ".tsv") ? campaign_truth_write_tsv(st, out)
						      : campaign_truth_write_json(st, out);
	if (fclose(out) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "cannot write the truth file %s: %s", path, strerror(-ret));
	return ret;
}
