/* campaign.c: plans a campaign run's actors (scanners, slow scanners, DoS victims) and their schedule. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktgen_err.h"
#include "campaign.h"
#include "campaign_actor.h"
#include "mix_addr.h"
#include "array_size.h"

#define NSEC 1e9
#define TWO32 4294967296.0

/* Margins that keep every actor clear of the thresholds it is meant to
 * pass or miss, whatever the estimators' error (a 1024-bit linear counter
 * is within a few percent below ~2000 distinct values). */
#define PASS_DST 1.5
#define PASS_RATE 3.0
#define MISS_DST 0.5
#define MISS_RATE (1 / 3.0)

static const uint16_t zmap_ports[] = { 443, 8443, 7547, 21, 25, 8081, 9000, 3389 };
static const uint16_t masscan_ports[] = { 3389, 1433, 3306, 5900, 6379, 9200, 27017, 2375 };
static const uint16_t mirai_ports[] = { 23, 2323 };
static const uint16_t tcp_ports[] = { 23, 445, 22, 80, 8080, 5555, 52869, 37215, 81, 8291 };
static const uint16_t udp_ports[] = { 5060, 123, 1900, 161, 137, 11211, 389, 5353 };
static const uint16_t victim_ports[] = { 80, 443, 25, 53, 22, 8080, 3074, 27015 };

/* No libm for three helpers on positive numbers. */
static double dmax(double a, double b) { return a > b ? a : b; }
static double dmin(double a, double b) { return a < b ? a : b; }
static double up(double x)
{
	double t = (double)(uint64_t)x;

	return t < x ? t + 1 : t;
}

static uint16_t pick(struct mix_state *rng, const uint16_t *list, size_t n)
{
	return list[mix_rng_below(rng, n)];
}

static double uniform(struct mix_state *rng, double lo, double hi)
{
	return lo + (hi - lo) * (double)(mix_rng_next(rng) >> 11) / 9007199254740992.0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Destinations j = 0, 1, ... map to darknet index (a * j + b) mod N: with
 * a prime to N, the first N are all distinct. */
static void pick_walk(struct campaign_state *st, struct campaign_actor *a)
{
	uint64_t n = st->darknet_size;

	do
		a->walk_a = 1 + mix_rng_below(&st->base, n);
	while (n > 1 && gcd(a->walk_a, n) != 1);
	a->walk_b = mix_rng_below(&st->base, n);
}

/* A source no other actor has, outside the darknet, the bogons and (but
 * for research) the scanner list; a's own addresses count as taken. */
static int pick_source(struct campaign_state *st, struct campaign_actor *a, int research,
		       uint8_t *out)
{
	static const uint8_t zero[16];

	for (int tries = 0; tries < 100; tries++) {
		int dup, ret = research ? mix_addr_src_scanner(&st->base, DN_FAMILY_IPV4, out)
					: mix_addr_src_public(&st->base, DN_FAMILY_IPV4, zero, out);

		if (ret)
			return ret;
		if (mix_addr_darknet(&st->base, DN_FAMILY_IPV4, out))
			continue;
		dup = (out != a->src && !memcmp(a->src, out, 16)) ||
		      (out != a->router && !memcmp(a->router, out, 16));
		for (size_t i = 0; i < st->nr_actors && !dup; i++)
			dup = !memcmp(st->actors[i].src, out, 16) ||
			      !memcmp(st->actors[i].router, out, 16);
		if (!dup)
			return 0;
	}
	return -EAGAIN;
}

/* Gap and duration of n packets lasting about dur seconds, within the
 * caps; 0 or -EINVAL when they cannot fit the run. */
static int fit_timing(struct campaign_state *st, struct campaign_actor *a, double dur,
		      char *err, size_t errlen)
{
	const struct campaign_config *c = &st->cfg;
	double gap = a->packets > 1 ? dur / (a->packets - 1) : 0;

	if (c->max_pps > 0 && a->packets > 1 && gap < 1 / c->max_pps)
		gap = 1 / c->max_pps;
	if (gap > c->max_gap_s) {
		pktgen_err(err, errlen, "campaign: an actor needs gaps of %.3f s, over the "
			"%.3f s gap allowed (raise the thresholds' rates or gap=)", gap,
			c->max_gap_s);
		return -EINVAL;
	}
	dur = gap * (a->packets ? a->packets - 1 : 0);
	if (dur > 0.9 * c->duration_s) {
		pktgen_err(err, errlen, "campaign: an actor needs %.1f s, more than 90%% of the "
			"%.1f s run (raise duration= or change the thresholds)", dur,
			c->duration_s);
		return -EINVAL;
	}
	a->gap_ns = (uint64_t)(gap * NSEC);
	a->start_ns = (uint64_t)(uniform(&st->base, 0, 0.95 * c->duration_s - dur) * NSEC);
	return 0;
}

/* Tools in turn; research only with a scanner list; unknown in three
 * protocols (TCP SYN, UDP, ICMP echo). */
static void pick_tool(struct campaign_state *st, struct campaign_actor *a, uint32_t i)
{
	static const uint8_t order[] = { CAMPAIGN_ZMAP, CAMPAIGN_MASSCAN, CAMPAIGN_MIRAI,
					 CAMPAIGN_RESEARCH, CAMPAIGN_UNKNOWN, CAMPAIGN_UNKNOWN,
					 CAMPAIGN_UNKNOWN };
	size_t n = ARRAY_SIZE(order);
	size_t k = i % n;

	if (!st->base.nr_scan[DN_FAMILY_IPV4] && order[k] == CAMPAIGN_RESEARCH)
		k++;
	a->tool = order[k];
	a->proto = IPPROTO_TCP;
	switch (a->tool) {
	case CAMPAIGN_ZMAP: a->port = pick(&st->base, zmap_ports, ARRAY_SIZE(zmap_ports)); break;
	case CAMPAIGN_MASSCAN: a->port = pick(&st->base, masscan_ports, ARRAY_SIZE(masscan_ports)); break;
	case CAMPAIGN_MIRAI: a->port = pick(&st->base, mirai_ports, ARRAY_SIZE(mirai_ports)); break;
	case CAMPAIGN_RESEARCH: a->port = pick(&st->base, tcp_ports, ARRAY_SIZE(tcp_ports)); break;
	default:
		if (k == n - 2) {
			a->proto = IPPROTO_UDP;
			a->port = pick(&st->base, udp_ports, ARRAY_SIZE(udp_ports));
		} else if (k == n - 1) {
			a->proto = IPPROTO_ICMP;
			a->port = 8;   /* echo request: the key's "port" is the ICMP type */
		} else {
			a->port = pick(&st->base, tcp_ports, ARRAY_SIZE(tcp_ports));
		}
	}
}

static int plan_scanner(struct campaign_state *st, struct campaign_actor *a, uint32_t i,
			int reason, char *err, size_t errlen)
{
	const struct campaign_thresholds *th = &st->cfg.th;
	uint64_t n = st->darknet_size, lo = (uint64_t)up(PASS_DST * th->scan_min_destinations);
	double dur, need;
	int ret;

	if (lo > n) {
		pktgen_err(err, errlen, "campaign: a darknet of %.0f IPv4 addresses cannot hold "
			"scans of %.0f destinations (lower scan-min-destinations)", (double)n,
			(double)lo);
		return -EINVAL;
	}
	pick_tool(st, a, i);
	a->reason = reason;
	if (reason == CAMPAIGN_FEW_DESTINATIONS) {
		uint64_t hi = (uint64_t)(MISS_DST * th->scan_min_destinations);

		a->dests = (uint32_t)(hi > 1 ? 1 + hi / 2 + mix_rng_below(&st->base, hi - hi / 2) : 1);
	} else {
		a->dests = (uint32_t)(reason == CAMPAIGN_SLOW ? lo : lo + mix_rng_below(&st->base, n - lo + 1));
	}
	a->probes = reason == CAMPAIGN_KEPT && mix_rng_below(&st->base, 4) == 0 ? 2 : 1;
	a->packets = a->dests * a->probes;
	if ((ret = pick_source(st, a, a->tool == CAMPAIGN_RESEARCH, a->src))) {
		pktgen_err(err, errlen, "campaign: cannot draw a source for scanner %zu",
			st->nr_actors);
		return ret;
	}
	pick_walk(st, a);
	/* rate = packets * 2^32 / n / duration, so a duration bounds it */
	need = a->packets * TWO32 / (double)n / th->scan_min_rate;
	if (reason == CAMPAIGN_SLOW) {
		dur = need / MISS_RATE * 1.05;
	} else {
		dur = uniform(&st->base, 0.2, 0.5) * st->cfg.duration_s;
		if (dur > need / PASS_RATE)
			dur = need / PASS_RATE;
	}
	ret = fit_timing(st, a, dur, err, errlen);
	if (!ret && reason != CAMPAIGN_SLOW && a->packets > 1 &&
	    (double)a->gap_ns * (a->packets - 1) / NSEC > need / PASS_RATE) {
		pktgen_err(err, errlen, "campaign: a scanner would need more than %.0f pps to pass "
			"scan-min-rate %.3g (raise pps= or lower scan-min-rate)",
			st->cfg.max_pps, th->scan_min_rate);
		ret = -EINVAL;
	}
	return ret;
}

static int plan_victim(struct campaign_state *st, struct campaign_actor *a, int reason,
		       char *err, size_t errlen)
{
	const struct campaign_thresholds *th = &st->cfg.th;
	double busy_gap = th->dos_window_s / (uniform(&st->base, 2.5, 4) * th->dos_min_window_packets);
	double min_pkts = up(PASS_DST * th->dos_min_packets), dur, gap;
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	int ret;

	a->is_dos = 1;
	a->reason = reason;
	a->proto = protos[st->nr_actors % ARRAY_SIZE(protos)];
	a->port = a->proto == IPPROTO_ICMP ? 0 : pick(&st->base, victim_ports, ARRAY_SIZE(victim_ports));
	switch (reason) {
	case CAMPAIGN_FEW_PACKETS:
		a->packets = th->dos_min_packets / 2 > 2 ? th->dos_min_packets / 2 : 2;
		dur = PASS_DST * th->dos_min_duration_s;
		break;
	case CAMPAIGN_SHORT:
		dur = th->dos_min_duration_s / 2;
		gap = busy_gap < dur / min_pkts ? busy_gap : dur / min_pkts;
		a->packets = (uint32_t)(dur / gap) + 1;
		break;
	case CAMPAIGN_LOW_PEAK:
		gap = 2 * th->dos_window_s / th->dos_min_window_packets;
		a->packets = (uint32_t)dmax(min_pkts, up(PASS_DST * th->dos_min_duration_s / gap) + 1);
		dur = gap * (a->packets - 1);
		break;
	default:
		dur = uniform(&st->base, PASS_DST, 2) * th->dos_min_duration_s;
		a->packets = (uint32_t)dmax(min_pkts, up(dur / busy_gap) + 1);
		dur = dmin(dur, busy_gap * (a->packets - 1));
	}
	a->dests = a->packets < st->darknet_size ? a->packets : (uint32_t)st->darknet_size;
	a->probes = 1;
	/* the victim, and a router that sends ICMP errors on its behalf */
	if ((ret = pick_source(st, a, 0, a->src)) || (ret = pick_source(st, a, 0, a->router))) {
		pktgen_err(err, errlen, "campaign: cannot draw a source for victim %zu",
			st->nr_actors);
		return ret;
	}
	pick_walk(st, a);
	return fit_timing(st, a, dur, err, errlen);
}

static int plan_actors(struct campaign_state *st, char *err, size_t errlen)
{
	const struct campaign_config *c = &st->cfg;
	size_t total = (size_t)c->scanners_n + c->slow_n + c->victims_n + c->weak_n;
	static const uint8_t slow[] = { CAMPAIGN_FEW_DESTINATIONS, CAMPAIGN_SLOW };
	static const uint8_t weak[] = { CAMPAIGN_FEW_PACKETS, CAMPAIGN_SHORT, CAMPAIGN_LOW_PEAK };
	int ret = 0;

	st->actors = calloc(total ? total : 1, sizeof(*st->actors));
	if (!st->actors)
		return -ENOMEM;
	for (size_t i = 0; !ret && i < total; i++) {
		struct campaign_actor *a = &st->actors[i];
		size_t k = i;

		if (k < c->scanners_n)
			ret = plan_scanner(st, a, (uint32_t)k, CAMPAIGN_KEPT, err, errlen);
		else if ((k -= c->scanners_n) < c->slow_n)
			ret = plan_scanner(st, a, (uint32_t)k, slow[k % 2], err, errlen);
		else if ((k -= c->slow_n) < c->victims_n)
			ret = plan_victim(st, a, CAMPAIGN_KEPT, err, errlen);
		else
			ret = plan_victim(st, a, weak[(k - c->victims_n) % 3], err, errlen);
		a->seed = mix_rng_next(&st->base);
		st->nr_actors++;
	}
	return ret;
}

static int pkt_cmp(const void *x, const void *y)
{
	const struct campaign_pkt *a = x, *b = y;

	if (a->t_ns != b->t_ns)
		return a->t_ns < b->t_ns ? -1 : 1;
	if (a->actor != b->actor)
		return a->actor < b->actor ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int build_schedule(struct campaign_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->nr_actors; i++)
		n += st->actors[i].packets;
	st->sched = calloc(n ? n : 1, sizeof(*st->sched));
	if (!st->sched)
		return -ENOMEM;
	for (size_t i = 0; i < st->nr_actors; i++)
		for (uint32_t j = 0; j < st->actors[i].packets; j++)
			st->sched[st->nr_pkts++] = (struct campaign_pkt){
				.t_ns = st->actors[i].start_ns + j * st->actors[i].gap_ns,
				.actor = (uint32_t)i, .idx = j,
			};
	qsort(st->sched, st->nr_pkts, sizeof(*st->sched), pkt_cmp);
	return 0;
}

static uint64_t darknet_v4_size(const struct mix_state *b)
{
	uint64_t n = 0;

	for (size_t i = 0; i < b->nr_dark[DN_FAMILY_IPV4]; i++)
		n += 1ull << (32 - b->darknets.entries[b->dark_idx[DN_FAMILY_IPV4][i]].prefix.len);
	return n;
}

int campaign_init(struct campaign_state *st, const struct campaign_config *cfg, char *err,
		  size_t errlen)
{
	int ret;

	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->base.rng = cfg->seed;
	ret = mix_addr_init(&st->base, cfg->darknets, cfg->scanners);
	if (ret)
		goto fail;
	st->darknet_size = darknet_v4_size(&st->base);
	if (!st->darknet_size || !(cfg->duration_s > 0) || !(cfg->max_gap_s > 0) ||
	    !(cfg->th.scan_min_rate > 0) || !(cfg->th.dos_window_s > 0) ||
	    !cfg->th.dos_min_window_packets || !cfg->th.scan_min_destinations) {
		pktgen_err(err, errlen, "campaign: needs an IPv4 darknet, duration, gap and "
			"thresholds above 0 (%.0f IPv4 darknet addresses, duration %.1f s)",
			(double)st->darknet_size, cfg->duration_s);
		ret = -EINVAL;
		goto fail;
	}
	ret = plan_actors(st, err, errlen);
	if (!ret)
		ret = build_schedule(st);
	if (!ret)
		ret = campaign_truth_fill(st, err, errlen);
	if (!ret)
		return 0;
fail:
	if (ret == -ENOMEM)
		pktgen_err(err, errlen, "campaign: out of memory (%zu actors)", st->nr_actors);
	campaign_free(st);
	return ret;
}

void campaign_free(struct campaign_state *st)
{
	mix_addr_free(&st->base);
	free(st->actors);
	free(st->truth);
	free(st->sched);
	memset(st, 0, sizeof(*st));
}

int campaign_next(struct campaign_state *st, uint8_t *buf, uint64_t *t_ns)
{
	if (st->next >= st->nr_pkts)
		return 0;
	*t_ns = st->sched[st->next].t_ns;
	return campaign_frame(st, st->next++, buf);
}
