/* test_campaign.c: campaign mixes: frames read back against their truth, margins to the thresholds, determinism. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "frame_ref.h"
#include "names.h"
#include "array_size.h"

static struct dn_prefix_list scanners;

static void load_scanners(void)
{
	struct dn_prefix p;
	char err[128];

	prefix_list_init(&scanners);
	cr_assert_eq(prefix_parse("71.6.233.0/24", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(prefix_list_add(&scanners, &p, "rapid7"), 0);
	cr_assert_eq(prefix_parse("162.142.125.0/24", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(prefix_list_add(&scanners, &p, "censys"), 0);
}

static void free_scanners(void)
{
	prefix_list_free(&scanners);
}

TestSuite(campaign, .init = load_scanners, .fini = free_scanners);

static void start(struct campaign_state *st, uint64_t seed, const char *spec)
{
	struct campaign_config cfg;
	char err[256] = "";

	campaign_config_defaults(&cfg);
	cfg.seed = seed;
	cfg.scanners = &scanners;
	if (spec)
		cr_assert_eq(campaign_config_parse(&cfg, spec, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(campaign_init(st, &cfg, err, sizeof(err)), 0, "campaign_init: %s", err);
}

static char *json_of(const struct campaign_state *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(campaign_truth_write_json(st, f), 0);
	fclose(f);
	return buf;
}

Test(campaign, same_seed_same_frames_and_truth)
{
	struct campaign_state a, b, c;
	uint8_t fa[FRAME_MAX], fb[FRAME_MAX];
	char *ja, *jb, *jc;

	start(&a, 7, NULL);
	start(&b, 7, NULL);
	start(&c, 8, NULL);
	ja = json_of(&a);
	jb = json_of(&b);
	jc = json_of(&c);
	cr_assert_str_eq(ja, jb, "same seed, different truth");
	cr_assert_str_neq(ja, jc, "seeds 7 and 8 gave the same truth");
	cr_assert_eq(a.nr_pkts, b.nr_pkts);
	for (size_t i = 0; i < a.nr_pkts; i++) {
		uint64_t ta, tb;
		int la = campaign_next(&a, fa, &ta), lb = campaign_next(&b, fb, &tb);

		cr_assert(la > 0 && la == lb && ta == tb && !memcmp(fa, fb, (size_t)la),
			  "packet %zu differs between two runs of one seed", i);
	}
	cr_assert_eq(campaign_next(&a, fa, &(uint64_t){ 0 }), 0, "frames past the schedule");
	free(ja);
	free(jb);
	free(jc);
	campaign_free(&a);
	campaign_free(&b);
	campaign_free(&c);
}

/* The class a scanner's every packet must get: how its tool is named. */
static int tool_class(const struct campaign_truth *t)
{
	switch (t->tool) {
	case CAMPAIGN_ZMAP: return DN_CLASS_ZMAP;
	case CAMPAIGN_MASSCAN: return DN_CLASS_MASSCAN;
	case CAMPAIGN_MIRAI: return DN_CLASS_MIRAI;
	case CAMPAIGN_RESEARCH: return DN_CLASS_RESEARCH;
	default:
		return t->proto == IPPROTO_TCP ? DN_CLASS_SCAN
		       : t->proto == IPPROTO_UDP ? DN_CLASS_UDP_PROBE : DN_CLASS_ICMP_REQUEST;
	}
}

struct seen {
	uint64_t packets, bytes, first, last, max_gap;
	uint32_t kinds;
	uint32_t *dsts;
};

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static uint32_t distinct(uint32_t *v, uint64_t n)
{
	uint32_t d = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (uint64_t i = 0; i < n; i++)
		d += !i || v[i] != v[i - 1];
	return d;
}

static uint32_t kind_of(const struct frame_ref *p)
{
	if (p->proto == IPPROTO_TCP)
		return p->flags & TH_RST ? CAMPAIGN_KIND_RST : CAMPAIGN_KIND_SYNACK;
	return p->icmp_type == 0 ? CAMPAIGN_KIND_ECHO_REPLY : CAMPAIGN_KIND_ICMP_ERROR;
}

/* One frame read back against its actor's truth. */
static void check_packet(const struct campaign_state *st, size_t k, const uint8_t *f, int len,
			 struct seen *s)
{
	const struct campaign_pkt *pk = &st->sched[k];
	const struct campaign_truth *t = &st->truth[pk->actor];
	struct frame_ref p;
	int cls;

	frame_ref_parse(f, len, &p);
	cls = frame_ref_classify(&p, &scanners);
	cr_assert_eq(cls, st->info.cls, "packet %zu: bytes say %s, info %s", k, names_class(cls),
		     names_class(st->info.cls));
	cr_assert_eq(p.family, DN_FAMILY_IPV4);
	cr_assert_not_null(st->info.darknet, "packet %zu: destination outside the darknet", k);
	if (t->is_dos) {
		const uint8_t *victim = p.quoted ? p.quote_dst : p.src;

		cr_assert_eq(cls, DN_CLASS_BACKSCATTER, "packet %zu: %s", k, names_class(cls));
		cr_assert(!memcmp(victim, t->addr, 4), "packet %zu: not the victim's", k);
		if (p.quoted) {
			cr_assert(!memcmp(p.quote_src, p.dst, 4), "packet %zu: quote source", k);
			cr_assert_eq(p.quote_proto, t->proto, "packet %zu: quoted protocol", k);
			cr_assert_eq(p.quote_dport, t->port, "packet %zu: quoted port", k);
		} else if (p.proto == IPPROTO_TCP) {
			cr_assert_eq(p.sport, t->port, "packet %zu: victim port", k);
		} else {
			cr_assert_eq(t->proto, IPPROTO_ICMP);
			cr_assert_eq(p.proto, IPPROTO_ICMP);
		}
		if (pk->idx == 0 && t->proto != IPPROTO_ICMP)
			cr_assert(!p.quoted || p.quote_dport == t->port, "first packet names the port");
		s->kinds |= kind_of(&p);
	} else {
		cr_assert_eq(cls, tool_class(t), "packet %zu of a %s scan: %s", k,
			     campaign_tool_name(t->tool), names_class(cls));
		cr_assert(!memcmp(p.src, t->addr, 4), "packet %zu: source", k);
		cr_assert_eq(p.proto, t->proto, "packet %zu: protocol", k);
		cr_assert_eq(p.proto == IPPROTO_ICMP ? p.icmp_type : p.dport, t->port,
			     "packet %zu: port", k);
		if (t->org)
			cr_assert_str_eq(frame_ref_scanner(&scanners, p.src, p.family), t->org);
	}
	if (s->packets && pk->t_ns - s->last > s->max_gap)
		s->max_gap = pk->t_ns - s->last;
	if (!s->packets)
		s->first = pk->t_ns;
	s->last = pk->t_ns;
	memcpy(&s->dsts[s->packets], p.dst, 4);
	s->packets++;
	s->bytes += (uint64_t)len;
}

Test(campaign, frames_match_their_truth)
{
	struct campaign_state st;
	uint8_t f[FRAME_MAX];
	struct seen *seen;
	uint64_t t, prev = 0, total = 0;
	int len;

	start(&st, 3, NULL);
	seen = calloc(st.nr_actors, sizeof(*seen));
	for (size_t i = 0; i < st.nr_actors; i++)
		seen[i].dsts = calloc(st.truth[i].packets, sizeof(uint32_t));
	for (size_t k = 0; (len = campaign_next(&st, f, &t)) > 0; k++) {
		cr_assert_geq(t, prev, "packet %zu out of time order", k);
		prev = t;
		check_packet(&st, k, f, len, &seen[st.sched[k].actor]);
	}
	cr_assert_eq(len, 0, "campaign_next failed: %d", len);
	for (size_t i = 0; i < st.nr_actors; i++) {
		const struct campaign_truth *tr = &st.truth[i];
		struct seen *s = &seen[i];

		cr_assert_eq(s->packets, tr->packets, "actor %zu: packets", i);
		cr_assert_eq(s->bytes, tr->bytes, "actor %zu: bytes", i);
		cr_assert_eq(s->first, tr->first_ns, "actor %zu: first", i);
		cr_assert_eq(s->last, tr->last_ns, "actor %zu: last", i);
		cr_assert_leq(s->max_gap, (uint64_t)(st.cfg.max_gap_s * 1e9), "actor %zu: gap", i);
		cr_assert_leq(tr->last_ns, (uint64_t)(st.cfg.duration_s * 1e9), "actor %zu: late", i);
		cr_assert_eq(distinct(s->dsts, s->packets), tr->destinations,
			     "actor %zu: distinct destinations", i);
		if (tr->is_dos)
			cr_assert_eq(s->kinds, tr->kinds, "victim %zu: kinds", i);
		total += s->packets;
		free(s->dsts);
	}
	cr_assert_eq(total, st.nr_pkts, "actors' packets do not add up to the schedule");
	free(seen);
	campaign_free(&st);
}

/* Every actor passes or misses its thresholds by the stated margin, and
 * the default run has one of every tool and every reason. */
Test(campaign, actors_clear_the_thresholds)
{
	const struct campaign_thresholds *th;
	struct campaign_state st;
	unsigned int tools = 0, reasons = 0, kinds = 0;

	start(&st, 11, NULL);
	th = &st.cfg.th;
	for (size_t i = 0; i < st.nr_actors; i++) {
		const struct campaign_truth *t = &st.truth[i];
		double dur = (double)(t->last_ns - t->first_ns) / 1e9;

		reasons |= 1u << t->reason;
		if (t->is_dos) {
			kinds |= t->kinds;
			switch (t->reason) {
			case CAMPAIGN_KEPT:
				cr_assert_geq(t->packets, 1.5 * th->dos_min_packets, "victim %zu", i);
				cr_assert_geq(dur, 1.5 * th->dos_min_duration_s, "victim %zu", i);
				cr_assert_geq(t->peak, 2 * th->dos_min_window_packets, "victim %zu", i);
				break;
			case CAMPAIGN_FEW_PACKETS:
				cr_assert_leq(t->packets, th->dos_min_packets / 2 + 1, "victim %zu", i);
				break;
			case CAMPAIGN_SHORT:
				cr_assert_leq(dur, th->dos_min_duration_s / 2, "victim %zu", i);
				break;
			default:
				cr_assert_eq(t->reason, CAMPAIGN_LOW_PEAK);
				cr_assert_leq(t->peak, th->dos_min_window_packets / 2 + 1, "victim %zu", i);
				cr_assert_geq(dur, th->dos_min_duration_s, "victim %zu", i);
				cr_assert_geq(t->packets, th->dos_min_packets, "victim %zu", i);
			}
			continue;
		}
		tools |= 1u << t->tool;
		cr_assert_eq(t->coverage, (double)t->destinations / 512, "scan %zu: coverage", i);
		if (t->reason == CAMPAIGN_FEW_DESTINATIONS) {
			cr_assert_leq(t->destinations, th->scan_min_destinations / 2, "scan %zu", i);
			continue;
		}
		cr_assert_geq(t->destinations, 1.5 * th->scan_min_destinations, "scan %zu", i);
		if (t->reason == CAMPAIGN_SLOW)
			cr_assert_leq(t->est_rate, th->scan_min_rate / 2.9, "scan %zu", i);
		else
			cr_assert_geq(t->est_rate, th->scan_min_rate * 2.99, "scan %zu", i);
	}
	cr_assert_eq(tools, (1u << CAMPAIGN_TOOLS) - 1, "tools seen: %#x", tools);
	cr_assert_eq(reasons, 0x3f, "reasons seen: %#x", reasons);
	cr_assert_eq(kinds, 0xf, "backscatter kinds seen: %#x", kinds);
	campaign_free(&st);
}

Test(campaign, truth_tsv_and_json_list_every_actor)
{
	struct campaign_state st;
	char *buf = NULL, *json, *p;
	size_t len = 0, lines = 0, kept = 0, events = 0;
	FILE *f;

	start(&st, 5, "scanners=4,slow=1,victims=2,weak=1");
	cr_assert_eq(st.nr_actors, 8);
	f = open_memstream(&buf, &len);
	cr_assert_eq(campaign_truth_write_tsv(&st, f), 0);
	fclose(f);
	for (p = buf; *p; p++) {
		if (*p != '\n')
			continue;
		lines++;
	}
	for (p = buf; (p = strstr(p, "\tevent\t")); p++)
		kept++;
	cr_assert_eq(lines, st.nr_actors + 1, "TSV: header and one line an actor");
	cr_assert_eq(kept, 6, "TSV: 4 scans and 2 attacks expected");
	json = json_of(&st);
	for (p = json; (p = strstr(p, "\"expect\":\"event\"")); p++)
		events++;
	cr_assert_eq(events, 6, "JSON: 4 scans and 2 attacks expected");
	cr_assert(strstr(json, "\"tool\":\"research\",\"research_org\":\"rapid7\"") ||
		  strstr(json, "\"tool\":\"research\",\"research_org\":\"censys\""),
		  "JSON: no research scan with its org");
	free(json);
	free(buf);
	campaign_free(&st);
}

Test(campaign, impossible_or_bad_configurations_are_refused)
{
	struct campaign_config cfg;
	struct campaign_state st;
	char err[256];

	campaign_config_defaults(&cfg);
	cr_assert_eq(campaign_config_parse(&cfg, "scanners=x", err, sizeof(err)), -EINVAL);
	cr_assert_eq(campaign_config_parse(&cfg, "bogus=1", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bogus"), "%s", err);
	cr_assert_eq(campaign_config_parse(&cfg, "scanners", err, sizeof(err)), -EINVAL);
	/* 1.5 x 400 destinations do not fit 512 addresses */
	cr_assert_eq(campaign_config_parse(&cfg, "scan-min-destinations=400", err, sizeof(err)), 0);
	cr_assert_eq(campaign_init(&st, &cfg, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cannot hold"), "%s", err);
	/* at the daemon's default rate a slow scan would take days */
	campaign_config_defaults(&cfg);
	cfg.th.scan_min_rate = 10;
	cr_assert_eq(campaign_init(&st, &cfg, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "needs"), "%s", err);
	/* without slow scanners the same rate is fine */
	cr_assert_eq(campaign_config_parse(&cfg, "slow=0", err, sizeof(err)), 0);
	cr_assert_eq(campaign_init(&st, &cfg, err, sizeof(err)), 0, "%s", err);
	campaign_free(&st);
}
