/* test_port_series.c: bounded port series under a full sweep: bound, monotonicity, exact sums. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "names.h"
#include "port_series.h"
#include "lib/promx.h"
#include "unit/snapshot_fixture.h"
#include "array_size.h"

#define PORT_PREFIX "darknet_port_packets_total{"
#define PM "darknet_port_packets_total"

/* One scrape: its text, parsed. */
struct scrape {
	struct promx m;
	char *text;
};

static char promtool_out[65536];

/* update + render, as the daemon does once per scrape. */
static void do_scrape(struct port_series *ps, struct dn_snapshot *snap, struct scrape *sc,
		      const char *what)
{
	struct dn_metrics_info info = { .ports = ps };
	struct strbuf sb = STRBUF_INIT;
	char err[512];

	cr_assert_eq(port_series_update(ps, snap), 0, "%s: update", what);
	cr_assert_eq(metrics_render(&sb, snap, &info), 0, "%s: render", what);
	sc->text = sb.buf;
	cr_assert_eq(promx_parse_strict(sc->text, &sc->m, err, sizeof(err)), 0,
		     "%s: well formed: %s", what, err);
}

static void scrape_free(struct scrape *sc)
{
	promx_free(&sc->m);
	free(sc->text);
	memset(sc, 0, sizeof(*sc));
}

/* The port series of these labels: its value, or -1 (and !*found) if absent. */
static double value_of(const struct scrape *sc, const char *labels, bool *found)
{
	const struct promx_series *hit = promx_find(&sc->m, PM, labels);

	*found = hit != NULL;
	return hit ? hit->value : -1;
}

static char *key(const char *iface, const char *proto, const char *port, const char *cls)
{
	static char buf[4][160];
	static int next;
	char *k = buf[next++ % 4];

	snprintf(k, 160, "iface=%s,proto=%s,port=%s,class=%s", iface, proto, port, cls);
	return k;
}

/* Port series other than port="other". */
static size_t own_series(const struct scrape *sc)
{
	size_t n = 0;

	for (size_t i = 0; i < sc->m.n; i++) {
		const char *port = promx_label(&sc->m.s[i], "port");

		n += !strcmp(sc->m.s[i].name, PM) && port && strcmp(port, "other");
	}
	return n;
}

/* No series disappears, none goes backwards. */
static void expect_monotonic(const struct scrape *prev, const struct scrape *cur, const char *what)
{
	for (size_t i = 0; i < prev->m.n; i++) {
		const struct promx_series *p = &prev->m.s[i], *c = promx_same(&cur->m, p);

		if (strcmp(p->name, PM))
			continue;
		cr_expect(c, "%s: %s still present", what, p->key);
		cr_expect_geq(c ? c->value : -1, p->value, "%s: %s from %.0f to %.0f", what,
			      p->key, p->value, c ? c->value : -1);
	}
}

/* For each (iface, proto, class): port series including "other" sum to
 * the port table's total, which the datapath keeps equal to
 * darknet_packets_total for those classes. */
static void expect_exact_sums(const struct scrape *sc, const struct dn_snapshot *snap,
			      const char *what)
{
	for (int i = 0; i < snap->nr_ifaces; i++) {
		for (unsigned int proto = 0; proto < PORT_PROTO_MAX; proto++) {
			for (unsigned int slot = 0; slot < port_proto_slots(proto); slot++) {
				const char *cls = names_class(port_proto_class(proto, slot));
				char labels[96];
				double raw = 0, shown = 0;

				for (unsigned int p = 0; p < DN_NR_PORTS; p++)
					raw += port_series_raw(&snap->ifaces[i], proto, p, slot);
				snprintf(labels, sizeof(labels), "iface=%s,proto=%s,class=%s",
					 snap->ifaces[i].ifname, port_proto_name(proto), cls);
				promx_match(&sc->m, PM, labels, &shown);
				cr_expect_eq(shown, raw, "%s: %s %s %s sums to %.0f, want %.0f", what,
					     snap->ifaces[i].ifname, port_proto_name(proto), cls,
					     shown, raw);
			}
		}
	}
}

static struct port_series *make(unsigned int max, const char *watch, int nr_ifaces)
{
	struct port_series_config cfg;
	struct port_series *ps = NULL;
	char err[256] = "";

	port_series_config_init(&cfg);
	cfg.max_series = max;
	if (watch)
		cr_assert_eq(port_series_parse_watch(&cfg, watch, err, sizeof(err)), 0, "watch: %s", err);
	cr_assert_eq(port_series_new(&ps, &cfg, nr_ifaces, err, sizeof(err)), 0, "new: %s", err);
	return ps;
}

Test(port_series, full_sweep_with_a_heavy_port)
{
	struct dn_snapshot *snap = fixture_snapshot(1);
	struct dn_iface_snapshot *s = &snap->ifaces[0];
	struct port_series *ps = make(50, "23", 1);
	struct scrape prev = { 0 }, cur = { 0 };
	int promoted_at = 0;

	for (int round = 1; round <= 6; round++) {
		char what[32];
		bool found;
		double v;

		snprintf(what, sizeof(what), "sweep round %d", round);
		for (unsigned int p = 0; p < DN_NR_PORTS; p++) {
			s->tcp_ports[p].packets[DN_CLASS_SCAN] += 1;
			s->udp_ports[p].packets[DN_UDP_SLOT_UDP_PROBE] += 1;
		}
		s->tcp_ports[23].packets[DN_CLASS_MIRAI] += 100;
		if (round >= 3)
			s->tcp_ports[4444].packets[DN_CLASS_SCAN] += 5000;
		do_scrape(ps, snap, &cur, what);

		cr_expect_leq(own_series(&cur), 50, "%s: bound on series", what);
		cr_expect_leq(port_series_count(ps), 50, "%s: bound on tracked", what);
		expect_monotonic(&prev, &cur, what);
		expect_exact_sums(&cur, snap, what);
		v = value_of(&cur, key("eth0", "tcp", "23", "mirai"), &found);
		cr_expect(found && v == 100.0 * round, "%s: watched port counts from zero: %.0f", what, v);
		v = value_of(&cur, key("eth0", "tcp", "4444", "scan"), &found);
		if (found && !promoted_at) {
			promoted_at = round;
			cr_expect_eq(v, 0, "%s: a promoted series starts at 0", what);
		}
		/* The sweep itself never earns a series: 23 is watched, 4444 heavy. */
		cr_expect_eq(promx_count_prefix(&cur.m, PORT_PREFIX "iface=\"eth0\",proto=\"tcp\","
					       "port=\"1"), 0, "%s: no sweep port promoted", what);
		cr_expect_eq(own_series(&cur), found ? 4u : 3u, "%s: own series: 23 mirai, scan, "
			     "udp_probe (+4444)", what);
		scrape_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	cr_expect(promoted_at >= 3 && promoted_at <= 4,
		  "heavy from round 3, promoted within two scrapes: round %d", promoted_at);
	{
		int rc = promx_promtool(prev.text, promtool_out, sizeof(promtool_out));

		cr_expect(rc == 0 || rc == -ENOENT, "promtool on the bounded exposition: exit %d:\n%s",
			  rc, promtool_out);
	}
	cr_expect(promx_has_line(&prev.m, "darknet_port_series_limit 50"), "limit gauge");
	cr_expect(promx_has_line(&prev.m, "darknet_port_series_tracked 14"),
		  "tracked gauge: 13 watched + 1 promoted");
	cr_expect(promx_has_line(&prev.m, "darknet_port_folded_ports{iface=\"eth0\",proto=\"tcp\"} "
				"65534"), "folded tcp ports: all but 23 and 4444");
	cr_expect(promx_has_line(&prev.m, "darknet_port_folded_ports{iface=\"eth0\",proto=\"udp\"} "
				"65535"), "folded udp ports: all but 23");
	scrape_free(&prev);
	port_series_free(ps);
	fixture_snapshot_free(snap);
}

Test(port_series, promotion_keeps_other_from_dropping)
{
	struct dn_snapshot *snap = fixture_snapshot(1);
	struct dn_iface_snapshot *s = &snap->ifaces[0];
	struct port_series *ps = make(10, NULL, 1);
	struct scrape sc = { 0 };
	bool found;

	s->tcp_ports[7].packets[DN_CLASS_SCAN] = 5;       /* light: stays in other */
	s->tcp_ports[5000].packets[DN_CLASS_SCAN] = 50;   /* heavy: promoted */
	do_scrape(ps, snap, &sc, "promotion 1");
	cr_expect_eq(value_of(&sc, key("eth0", "tcp", "5000", "scan"), &found), 0,
		     "promotion 1: new series at 0");
	cr_expect_eq(value_of(&sc, key("eth0", "tcp", "other", "scan"), &found), 55,
		     "promotion 1: other keeps the 50 it had");
	scrape_free(&sc);
	s->tcp_ports[5000].packets[DN_CLASS_SCAN] += 30;
	do_scrape(ps, snap, &sc, "promotion 2");
	cr_expect_eq(value_of(&sc, key("eth0", "tcp", "5000", "scan"), &found), 30,
		     "promotion 2: series counts since promotion");
	cr_expect_eq(value_of(&sc, key("eth0", "tcp", "other", "scan"), &found), 55,
		     "promotion 2: other unchanged");
	scrape_free(&sc);
	/* The maps were recreated under us: counters restart below the
	 * baseline. The series restarts from zero, never wraps around. */
	s->tcp_ports[5000].packets[DN_CLASS_SCAN] = 4;
	s->tcp_ports[7].packets[DN_CLASS_SCAN] = 0;
	do_scrape(ps, snap, &sc, "reset");
	cr_expect_eq(value_of(&sc, key("eth0", "tcp", "5000", "scan"), &found), 4,
		     "reset: series shows the new count");
	cr_expect(!value_of(&sc, key("eth0", "tcp", "other", "scan"), &found) || !found,
		  "reset: nothing left in other");
	scrape_free(&sc);
	port_series_free(ps);
	fixture_snapshot_free(snap);
}

Test(port_series, light_ports_stay_folded)
{
	struct dn_snapshot *snap = fixture_snapshot(1);
	struct dn_iface_snapshot *s = &snap->ifaces[0];
	struct port_series *ps = make(10, NULL, 1);
	struct scrape sc = { 0 };

	/* All of the traffic, but below PORT_SERIES_DEFAULT_MIN_DELTA. */
	s->udp_ports[161].packets[DN_UDP_SLOT_UDP_PROBE] = PORT_SERIES_DEFAULT_MIN_DELTA - 1;
	do_scrape(ps, snap, &sc, "light");
	cr_expect_eq(own_series(&sc), 0, "light: no series of its own");
	cr_expect_eq(promx_match(&sc.m, PM, NULL, NULL), 1, "light: only other");
	cr_expect_eq(port_series_count(ps), 0, "light: nothing tracked");
	scrape_free(&sc);
	port_series_free(ps);
	fixture_snapshot_free(snap);
}

Test(port_series, full_budget_is_never_exceeded_nor_demoted)
{
	struct dn_snapshot *snap = fixture_snapshot(2);
	struct port_series *ps = make(3, NULL, 2);
	struct scrape prev = { 0 }, cur = { 0 };
	bool found;

	snap->ifaces[0].tcp_ports[1000].packets[DN_CLASS_SCAN] = 500;
	snap->ifaces[1].tcp_ports[1001].packets[DN_CLASS_SCAN] = 400;
	snap->ifaces[0].tcp_ports[1002].packets[DN_CLASS_SCAN] = 300;
	snap->ifaces[1].tcp_ports[1003].packets[DN_CLASS_SCAN] = 200;
	do_scrape(ps, snap, &prev, "budget 1");
	cr_expect_eq(own_series(&prev), 3, "budget 1: three series over both interfaces");
	value_of(&prev, key("eth0", "tcp", "1000", "scan"), &found);
	cr_expect(found, "budget 1: heaviest on eth0 promoted");
	value_of(&prev, key("eth1", "tcp", "1001", "scan"), &found);
	cr_expect(found, "budget 1: second heaviest, on eth1, promoted");
	value_of(&prev, key("eth1", "tcp", "1003", "scan"), &found);
	cr_expect(!found, "budget 1: lightest left in other");
	/* Old ports fall silent, a new one turns heavy: no room, no demotion. */
	snap->ifaces[0].tcp_ports[2000].packets[DN_CLASS_SCAN] = 100000;
	do_scrape(ps, snap, &cur, "budget 2");
	cr_expect_eq(own_series(&cur), 3, "budget 2: still three");
	expect_monotonic(&prev, &cur, "budget 2");
	expect_exact_sums(&cur, snap, "budget 2");
	value_of(&cur, key("eth0", "tcp", "2000", "scan"), &found);
	cr_expect(!found, "budget 2: the newcomer gets no series");
	/* 1000's and 1002's baselines (500 + 300) and the newcomer. */
	cr_expect_eq(value_of(&cur, key("eth0", "tcp", "other", "scan"), &found), 100800,
		     "budget 2: the newcomer is folded");
	scrape_free(&prev);
	scrape_free(&cur);
	port_series_free(ps);
	fixture_snapshot_free(snap);
}

Test(port_series, watched_ports_reserve_their_series)
{
	struct port_series_config cfg;
	struct port_series *ps = NULL;
	char err[256] = "";

	port_series_config_init(&cfg);
	cfg.max_series = 100;
	cr_assert_eq(port_series_parse_watch(&cfg, "22,23,80,8080", err, sizeof(err)), 0, "reserve: %s",
		     err);
	cr_expect_eq(port_series_new(&ps, &cfg, 2, err, sizeof(err)), -EINVAL,
		     "reserve: 4 ports x 13 x 2 interfaces do not fit in 100");
	cr_expect_str_eq(err, "4 watched ports need 104 port series (13 per port and interface), "
			 "more than the limit of 100", "reserve: message");
	cr_assert_eq(port_series_new(&ps, &cfg, 1, err, sizeof(err)), 0, "reserve: one iface: %s", err);
	cr_expect_eq(port_series_count(ps), 52, "reserve: 52 tracked from the start");
	cr_expect_eq(port_series_limit(ps), 100, "reserve: limit");
	port_series_free(ps);
}

Test(port_series, parse_watch_lists)
{
	struct port_series_config cfg, before;
	char err[256] = "";
	static const struct {
		const char *list, *err;
	} bad[] = {
		{ "70000", "invalid port \"70000\" (ports are 0-65535, ranges LO-HI)" },
		{ "23,http", "invalid port \"http\" (ports are 0-65535, ranges LO-HI)" },
		{ "-5", "invalid port \"-5\" (ports are 0-65535, ranges LO-HI)" },
		{ "90-80", "invalid port range 90-80 (empty)" },
		{ "80-", "invalid port \"80-\" (ports are 0-65535, ranges LO-HI)" },
		{ "", "empty port list \"\"" },
		{ " , ", "empty port list \" , \"" },
	};

	port_series_config_init(&cfg);
	cr_assert_eq(port_series_parse_watch(&cfg, "23, 80,8000-8002,0,65535", err, sizeof(err)), 0,
		     "watch: %s", err);
	cr_expect_eq(port_series_watch_count(&cfg), 7, "watch: 7 ports");
	cr_expect_eq(port_series_parse_watch(&cfg, "23", err, sizeof(err)), 0, "watch: repeat");
	cr_expect_eq(port_series_watch_count(&cfg), 7, "watch: a repeat adds nothing");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		before = cfg;
		cr_expect_eq(port_series_parse_watch(&cfg, bad[i].list, err, sizeof(err)), -EINVAL,
			     "watch \"%s\": fails", bad[i].list);
		cr_expect_str_eq(err, bad[i].err, "watch \"%s\": message", bad[i].list);
		cr_expect_arr_eq(&cfg, &before, sizeof(cfg), "watch \"%s\": cfg unchanged", bad[i].list);
	}
}

Test(port_series, snapshot_of_another_shape_is_refused)
{
	struct dn_snapshot *snap = fixture_snapshot(2);
	struct port_series *ps = make(10, NULL, 1);

	cr_expect_eq(port_series_update(ps, snap), -EINVAL, "shape: 2 interfaces for 1");
	port_series_free(ps);
	fixture_snapshot_free(snap);
}
