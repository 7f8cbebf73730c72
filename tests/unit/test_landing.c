/* test_landing.c: the "/" page of a hand-built snapshot: port ranking, shares, escaping, SVG. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landing.h"
#include "landing_stats.h"
#include "names.h"
#include "unit/snapshot_fixture.h"

#define HOSTILE "<i>\"&'x"       /* fits IF_NAMESIZE, needs every escape */
#define HOSTILE_HTML "&lt;i&gt;&quot;&amp;&#39;x"
#define NOW 1700000000          /* 2023-11-14 22:13:20 UTC */

static struct dn_snapshot *snap;
static struct strbuf out;
static const struct landing_distinct *dist;   /* NULL but in the distinct tests */

static void prefix(struct dn_iface_snapshot *s, unsigned int id, const char *text,
		   uint64_t packets)
{
	fixture_prefix(s, id, text, packets);
	s->prefix_info[id].in_use = 1;
}

/* Ports 1000..1011/tcp get 120, 110, ..., 10 non-research packets, split
 * over both interfaces; 443/tcp and 53/udp are hit hardest but only by
 * research scanners, 2000/udp by udp probes (55). The top 10 are then
 * 1000..1006, 2000/udp, 1007 and 1008; 1009..1011 (30+20+10) are "other ports". */
static void ports(void)
{
	struct dn_iface_snapshot *a = &snap->ifaces[0], *b = &snap->ifaces[1];

	for (unsigned int i = 0; i < 12; i++) {
		a->tcp_ports[1000 + i].packets[DN_CLASS_MIRAI] = (12 - i) * 10 - 4;
		b->tcp_ports[1000 + i].packets[DN_CLASS_SCAN] = 4;
	}
	a->tcp_ports[443].packets[DN_CLASS_RESEARCH] = 5000;
	b->tcp_ports[443].packets[DN_CLASS_RESEARCH] = 5000;
	a->udp_ports[53].packets[DN_UDP_SLOT_RESEARCH] = 900;
	b->udp_ports[2000].packets[DN_UDP_SLOT_UDP_PROBE] = 55;
}

/* eth0: attached, 198.51.100.0/24 and 203.0.113.0/24 and 2001:db8::/32.
 * HOSTILE: detached, 203.0.113.0/24 again (counted once in the total). */
static void build(void)
{
	struct dn_iface_snapshot *a, *b;

	snap = fixture_snapshot(2);
	a = &snap->ifaces[0];
	b = &snap->ifaces[1];
	snprintf(b->ifname, sizeof(b->ifname), "%s", HOSTILE);
	a->attached = true;
	a->mode = "native";
	b->mode = "skb";
	*fixture_class(a, DN_FAMILY_IPV4, 6, DN_CLASS_RESEARCH) = (struct dn_count){ 300, 18000 };
	*fixture_class(a, DN_FAMILY_IPV4, 6, DN_CLASS_MIRAI) = (struct dn_count){ 500, 30000 };
	*fixture_class(a, DN_FAMILY_IPV6, 17, DN_CLASS_UDP_PROBE) = (struct dn_count){ 100, 9000 };
	*fixture_class(b, DN_FAMILY_IPV4, 6, DN_CLASS_SCAN) = (struct dn_count){ 100, 6000 };
	a->reasons[DN_REASON_NOT_DARKNET].packets = 7;
	b->reasons[DN_REASON_TRUNCATED_L3].packets = 3;
	prefix(a, 0, "198.51.100.0/24", 256);
	prefix(a, 1, "203.0.113.0/24", 544);
	prefix(a, 2, "2001:db8::/32", 100);
	prefix(b, 0, "203.0.113.0/24", 100);
	b->prefixes[7].packets = 999;    /* an unused id: counts nowhere */
	ports();
	strbuf_init(&out);
}

static void teardown(void)
{
	strbuf_free(&out);
	fixture_snapshot_free(snap);
}

static const char *render(const char *path)
{
	cr_assert_eq(landing_render(&out, snap, dist, NULL, NULL, path, "1.2.3", NOW), 0, "render");
	return strbuf_str(&out);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The labels of the first chart after marker, in order. */
static int chart_labels(const char *page, const char *marker, char labels[][32], int max)
{
	const char *p = strstr(page, marker), *end;
	int n = 0;

	cr_assert_not_null(p, "chart %s is on the page", marker);
	p = strstr(p, "<svg");
	cr_assert_not_null(p, "chart %s has an SVG", marker);
	end = strstr(p, "</svg>");
	while ((p = strstr(p, "class=\"lbl")) && p < end && n < max) {
		p = strchr(p, '>') + 1;
		snprintf(labels[n++], 32, "%.*s", (int)(strchr(p, '<') - p), p);
	}
	return n;
}

TestSuite(landing, .init = build, .fini = teardown);

Test(landing, top_ports_exclude_research)
{
	static const char *const want[] = { "1000/tcp", "1001/tcp", "1002/tcp", "1003/tcp",
					    "1004/tcp", "1005/tcp", "1006/tcp", "2000/udp",
					    "1007/tcp", "1008/tcp", "other ports" };
	char got[16][32];
	int n = chart_labels(render("/metrics"), "Top-10 destination ports", got, 16);

	cr_assert_eq(n, 11, "ten ports and \"other ports\", got %d bars", n);
	for (int i = 0; i < n; i++)
		cr_expect_str_eq(got[i], want[i], "bar %d", i);
	cr_expect_null(strstr(strbuf_str(&out), ">443/tcp<"), "research-only 443/tcp is not shown");
	cr_expect_null(strstr(strbuf_str(&out), ">53/udp<"), "research-only 53/udp is not shown");
}

Test(landing, other_ports_is_the_remainder)
{
	const char *page = render("/metrics");

	/* 780 TCP (120+...+10) + 55 UDP; the top 10 take 835 - 60 */
	cr_expect_not_null(strstr(page, "<title>other ports: 60 packets</title>"),
			   "other ports = 30 + 20 + 10");
	cr_expect_not_null(strstr(page, "<title>1000/tcp: 120 packets</title>"),
			   "1000/tcp summed over both interfaces");
	cr_expect_not_null(strstr(page, "Share of 835 TCP/UDP darknet packets"), "port total");
	cr_expect_not_null(strstr(page, "the top 10 take 92.8%"), "775 of 835");
}

Test(landing, shares_and_per_address)
{
	const char *page = render("/metrics");
	char got[DN_CLASS_MAX][32];

	cr_assert_eq(chart_labels(page, "Source classes", got, DN_CLASS_MAX), DN_CLASS_MAX,
		     "every class has a bar");
	cr_expect_str_eq(got[0], "mirai", "largest class first");
	cr_expect_str_eq(got[1], "research", "second");
	cr_expect_not_null(strstr(page, "class=\"lbl hi\">research<"), "research highlighted");
	cr_expect_eq(count(page, "lbl hi"), 1, "only research is highlighted");
	/* 300 research of 1000 darknet packets */
	cr_expect_not_null(strstr(page, "<b>30.0%</b>"), "research share KPI");
	/* total: 900 IPv4 prefix packets over 512 distinct addresses */
	cr_expect_not_null(strstr(page, "<b>1.76</b>"), "packets per IPv4 address, all");
	/* eth0: 800 / 512; the other interface: 100 / 256 */
	cr_expect_not_null(strstr(page, "<td>1.56</td>"), "eth0 per IPv4 address");
	cr_expect_not_null(strstr(page, "<td>0.39</td>"), "second interface per IPv4 address");
	cr_expect_not_null(strstr(page, "<td>1.26e-27</td>"), "per IPv6 address: 100 / 2^96");
	cr_expect_not_null(strstr(page, "<b>90.0% / 10.0%</b>"), "IPv4 vs IPv6");
	cr_expect_not_null(strstr(page, "<b>3 / 7</b>"), "malformed / passed");
}

Test(landing, interfaces_escaped_with_state)
{
	const char *page = render("/metrics");

	cr_expect_null(strstr(page, HOSTILE), "the raw interface name never appears");
	cr_expect_null(strstr(page, "<i>"), "no tag injected");
	cr_expect_not_null(strstr(page, "<td>" HOSTILE_HTML "</td>"), "escaped name in the table");
	cr_expect_not_null(strstr(page, "<td>eth0</td><td><span class=\"up\">&#9679; attached"
				  "</span> native</td>"), "eth0 attached, native");
	cr_expect_not_null(strstr(page, "&#9679; detached</span> skb</td>"), "detached, skb");
	cr_expect_not_null(strstr(page, "<td>all interfaces</td>"), "a total row");
	cr_expect_not_null(strstr(page, "2023-11-14 22:13:20 UTC"), "the time of the page");
}

static void expect_balanced_svg(const char *page)
{
	int depth = 0, charts = 0;

	for (const char *p = page; (p = strpbrk(p, "<")); p++) {
		if (!strncmp(p, "<svg", 4)) {
			cr_assert_eq(depth++, 0, "<svg> nested at offset %td", p - page);
			charts++;
		} else if (!strncmp(p, "</svg>", 6))
			cr_assert_eq(--depth, 0, "</svg> without <svg> at offset %td", p - page);
		else if (!strncmp(p, "<rect", 5) || !strncmp(p, "<g>", 3))
			cr_assert_eq(depth, 1, "SVG element outside <svg> at offset %td", p - page);
	}
	cr_expect_eq(depth, 0, "every <svg> closed");
	cr_expect_eq(count(page, "<g>"), count(page, "</g>"), "groups balanced");
	cr_expect_gt(charts, 0, "at least one chart");
}

Test(landing, svg_well_formed)
{
	const char *page = render("/metrics");

	expect_balanced_svg(page);
	cr_expect_eq(count(page, "<svg"), 2, "class and port charts");
	cr_expect_eq(count(page, "<rect class=\"bar\""), DN_CLASS_MAX + 11, "one bar a row");
	cr_expect_null(strstr(page, "nan"), "no NaN");
	cr_expect_eq(count(page, "<html"), 1, "one document");
	cr_expect_not_null(strstr(page, "</html>"), "document closed");
}

/* Every src= and href= is local; the only link is the metrics path, escaped. */
Test(landing, no_external_urls)
{
	const char *page = render("/m\"x");
	int links = 0;

	for (const char *p = page; (p = strstr(p, "=\"")); p += 2) {
		bool link = !strncmp(p - 4, "href", 4) || !strncmp(p - 3, "src", 3);
		const char *end = strchr(p + 2, '"');

		if (!link)
			continue;
		links++;
		cr_expect_eq(strncmp(p + 2, "/m&quot;x\"", 10), 0,
			     "link %d is the metrics path: %.*s", links, (int)(end - p), p);
	}
	cr_expect_eq(links, 1, "one link");
	cr_expect_null(strstr(page, "src="), "no embedded resource");
	cr_expect_null(strstr(page, "<script"), "no script");
	cr_expect_null(strstr(page, "url("), "no CSS resource");
	cr_expect_null(strstr(page, "://"), "no absolute URL at all");
}

Test(landing, empty_snapshot)
{
	const char *page;

	fixture_snapshot_free(snap);
	snap = fixture_snapshot(1);
	page = render("/metrics");
	expect_balanced_svg(page);
	cr_expect_not_null(strstr(page, "No TCP or UDP darknet packet"), "no port chart");
	cr_expect_not_null(strstr(page, "<b>&#8211;</b>"), "no prefix: no rate");
	cr_expect_null(strstr(page, "nan"), "no NaN");
	cr_expect_null(strstr(page, "<td>all interfaces</td>"), "no total row for one interface");
}

/* Distinct sources per class and coverage over 24 hours: the figures given,
 * grouped, the interface name escaped; nothing of it without them or with
 * --no-distinct. */
Test(landing, distinct_sources_and_coverage)
{
	struct landing_distinct ld = { .on = true, .nr_ifaces = 2, .all = 60123 };
	const char *page, *card;

	ld.sources[DN_CLASS_MIRAI] = 1234;
	ld.sources[DN_CLASS_SCAN] = 56789;
	snprintf(ld.cov[0].name, sizeof(ld.cov[0].name), "%s", HOSTILE);
	ld.cov[0].hit = 64;
	ld.cov[0].addresses = 256;
	snprintf(ld.cov[1].name, sizeof(ld.cov[1].name), "eth9");
	dist = &ld;
	page = render("/metrics");
	card = strstr(page, "Distinct sources, last 24 hours");
	cr_assert_not_null(card, "no distinct-source card");
	cr_expect(strstr(card, "<td>mirai</td><td></td><td>1,234</td>"), "mirai row: %s", card);
	cr_expect(strstr(card, "<td>scan</td><td></td><td>56,789</td>"), "scan row");
	cr_expect(strstr(card, "<td>all classes</td><td></td><td>60,123</td>"), "all row");
	cr_expect(!strstr(card, "<td>research</td>"), "a class without sources is listed");
	cr_expect(strstr(card, "counts do not add up"), "two interfaces: no note on the max");
	cr_expect(strstr(card, "<td>" HOSTILE_HTML "</td><td></td><td>64 of 256</td><td>25.0%"),
		  "coverage row, escaped: %s", strstr(card, "coverage"));
	cr_expect(strstr(card, "<td>eth9</td><td></td><td>0 of 0</td><td>&#8211;</td>"),
		  "an interface without IPv4 prefixes: a dash");
	cr_expect(strstr(card, "</section>") < strstr(page, "</main>"), "the card is in the page");

	strbuf_reset(&out);
	ld.on = false;
	cr_expect(!strstr(render("/metrics"), "Distinct sources"), "--no-distinct shows the card");
	strbuf_reset(&out);
	dist = NULL;
	cr_expect(!strstr(render("/metrics"), "Distinct sources"), "no figures, yet a card");
}
