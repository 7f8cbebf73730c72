/* test_metrics.c: the Prometheus exposition of a hand-built snapshot, line by line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "names.h"
#include "lib/metric_families.h"
#include "lib/promx.h"
#include "unit/snapshot_fixture.h"

#define VERSION_WEIRD "1.0\"x\\y\nz"
#define IFACE_WEIRD "we\"ird\\"
#define IFACE_WEIRD_LABEL "we\\\"ird\\\\"


static struct dn_snapshot *snap;
static struct strbuf out;
static struct promx expo;
static char promtool_out[65536];

/* eth0: attached, traffic of several kinds. IFACE_WEIRD: detached, a name
 * that needs escaping, and a prefix list overlapping eth0's. */
static void build(void)
{
	struct dn_iface_snapshot *s;
	char name32[DN_ORG_NAME_LEN + 1];

	snap = fixture_snapshot(2);
	s = &snap->ifaces[0];
	s->attached = true;
	s->mode = "native";
	*fixture_class(s, DN_FAMILY_IPV4, 6, DN_CLASS_MIRAI) = (struct dn_count){ 5, 300 };
	*fixture_class(s, DN_FAMILY_IPV4, 47, DN_CLASS_OTHER) = (struct dn_count){ 3, 180 };
	*fixture_class(s, DN_FAMILY_IPV6, 17, DN_CLASS_UDP_PROBE) = (struct dn_count){ 2, 140 };
	*fixture_class(s, DN_FAMILY_IPV6, 58, DN_CLASS_BACKSCATTER) = (struct dn_count){ 1, 70 };
	s->tcp_ports[23].packets[DN_CLASS_MIRAI] = 5;
	s->udp_ports[53].packets[DN_UDP_SLOT_UDP_PROBE] = 2;
	s->icmp[DN_FAMILY_IPV6 * DN_NR_ICMP_TYPES + 129].packets[DN_CLASS_BACKSCATTER] = 1;
	fixture_prefix(s, 0, "203.0.113.0/24", 7);
	fixture_prefix(s, 1, "2001:db8:dead::/48", 1);
	fixture_prefix(s, 5, "203.0.113.0/24", 2);    /* a second id, same prefix */
	s->prefixes[9].packets = 99;                   /* an unused id: never shown */
	fixture_org(s, 1, "censys", 4);
	fixture_org(s, 2, "rapid7", 0);
	fixture_org(s, 3, "censys", 1);
	memset(name32, 'x', DN_ORG_NAME_LEN);
	name32[DN_ORG_NAME_LEN] = '\0';
	fixture_org(s, 4, name32, 0);
	s->reasons[DN_REASON_NOT_IP].packets = 10;
	s->reasons[DN_REASON_NOT_DARKNET].packets = 20;
	s->reasons[DN_REASON_TRUNCATED_L4].packets = 3;

	s = &snap->ifaces[1];
	strcpy(s->ifname, IFACE_WEIRD);
	fixture_prefix(s, 0, "203.0.113.0/24", 1);
	fixture_prefix(s, 1, "198.51.100.0/24", 0);
	snap->scrape_duration_seconds = 0.25;
}

static void render(const struct dn_metrics_info *info)
{
	char err[512];

	strbuf_init(&out);
	cr_assert_eq(metrics_render(&out, snap, info), 0, "render: returns 0");
	cr_expect_eq(promx_parse_strict(strbuf_str(&out), &expo, err, sizeof(err)), 0,
		     "render: well formed: %s", err);
	cr_assert_gt(expo.nlines, 0, "render: lines");
}

static void setup(void)
{
	struct dn_metrics_info info = { .version = VERSION_WEIRD };

	build();
	render(&info);
}

static void teardown(void)
{
	promx_free(&expo);
	strbuf_free(&out);
	fixture_snapshot_free(snap);
}

TestSuite(metrics, .init = setup, .fini = teardown);

static void expect_line(const char *line, const char *what)
{
	cr_expect(promx_has_line(&expo, line), "%s: line %s", what, line);
}

static void expect_count(const char *prefix, size_t n, const char *what)
{
	size_t got = promx_count_prefix(&expo, prefix);

	cr_expect_eq(got, n, "%s: %zu lines start with %s, want %zu", what, got, prefix, n);
}

Test(metrics, every_family_has_help_and_type_once)
{
	char line[128];

	for (size_t i = 0; i < DN_CONTRACT_FAMILIES; i++) {
		const char *name = dn_contract_families[i][0];

		snprintf(line, sizeof(line), "# TYPE %s %s", name, dn_contract_families[i][1]);
		expect_line(line, name);
		snprintf(line, sizeof(line), "# HELP %s ", name);
		expect_count(line, 1, name);
		snprintf(line, sizeof(line), "# TYPE %s ", name);
		expect_count(line, 1, name);
	}
}

Test(metrics, class_counters)
{
	expect_line("darknet_packets_total{iface=\"eth0\",family=\"ipv4\",proto=\"tcp\","
		    "class=\"mirai\"} 5", "packets mirai");
	expect_line("darknet_bytes_total{iface=\"eth0\",family=\"ipv4\",proto=\"tcp\","
		    "class=\"mirai\"} 300", "bytes mirai");
	expect_line("darknet_packets_total{iface=\"eth0\",family=\"ipv6\",proto=\"icmpv6\","
		    "class=\"backscatter\"} 1", "packets icmpv6 backscatter");
	expect_line("darknet_bytes_total{iface=\"eth0\",family=\"ipv6\",proto=\"udp\","
		    "class=\"udp_probe\"} 140", "bytes udp probe");
	/* Another protocol appears by number, in its non-zero classes only. */
	expect_line("darknet_packets_total{iface=\"eth0\",family=\"ipv4\",proto=\"47\","
		    "class=\"other\"} 3", "packets GRE");
	expect_count("darknet_packets_total{iface=\"eth0\",family=\"ipv4\",proto=\"47\"", 1,
		     "GRE only where non-zero");
}

Test(metrics, stable_class_series_at_zero)
{
	/* (ipv4: tcp udp icmp) and (ipv6: tcp udp icmpv6), every class, even 0. */
	expect_line("darknet_packets_total{iface=\"eth0\",family=\"ipv6\",proto=\"icmpv6\","
		    "class=\"zmap\"} 0", "stable zero");
	expect_line("darknet_bytes_total{iface=\"" IFACE_WEIRD_LABEL "\",family=\"ipv4\","
		    "proto=\"icmp\",class=\"other\"} 0", "stable zero, idle iface");
	expect_count("darknet_packets_total{iface=\"eth0\",", 6 * DN_CLASS_MAX + 1, "eth0 packets");
	expect_count("darknet_bytes_total{iface=\"" IFACE_WEIRD_LABEL "\",", 6 * DN_CLASS_MAX,
		     "idle iface bytes");
	expect_count("darknet_packets_total{iface=\"eth0\",family=\"ipv6\",proto=\"icmp\"", 0,
		     "no icmp under ipv6 at zero");
	expect_count("darknet_packets_total{iface=\"eth0\",family=\"ipv4\",proto=\"icmpv6\"", 0,
		     "no icmpv6 under ipv4 at zero");
	for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
		char line[160];

		snprintf(line, sizeof(line), "darknet_packets_total{iface=\"eth0\",family=\"ipv4\","
			 "proto=\"udp\",class=\"%s\"} ", names_class(c));
		expect_count(line, 1, "every class for ipv4 udp");
	}
}

Test(metrics, port_series_non_zero_only)
{
	expect_line("darknet_port_packets_total{iface=\"eth0\",proto=\"tcp\",port=\"23\","
		    "class=\"mirai\"} 5", "tcp port");
	expect_line("darknet_port_packets_total{iface=\"eth0\",proto=\"udp\",port=\"53\","
		    "class=\"udp_probe\"} 2", "udp slot mapped to its class");
	expect_count("darknet_port_packets_total{", 2, "ports: non-zero only");
	expect_count("darknet_port_packets_total{iface=\"eth0\",proto=\"tcp\",port=\"other\"", 0,
		     "ports: no other without a bound");
	expect_count("darknet_port_series_", 0, "ports: no series gauges without a bound");
}

Test(metrics, icmp_types)
{
	expect_line("darknet_icmp_packets_total{iface=\"eth0\",family=\"ipv6\",type=\"129\","
		    "class=\"backscatter\"} 1", "icmp type");
	expect_count("darknet_icmp_packets_total{", 1, "icmp: non-zero only");
}

Test(metrics, scanner_orgs_by_name_zero_included)
{
	char line[160];

	expect_line("darknet_scanner_packets_total{iface=\"eth0\",org=\"censys\"} 5",
		    "two ids of one org summed");
	expect_line("darknet_scanner_packets_total{iface=\"eth0\",org=\"rapid7\"} 0", "org at zero");
	snprintf(line, sizeof(line), "darknet_scanner_packets_total{iface=\"eth0\",org=\"%.*s\"} 0",
		 DN_ORG_NAME_LEN, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	expect_line(line, "unterminated 32-byte org name");
	expect_count("darknet_scanner_packets_total{iface=\"eth0\"", 3, "orgs of eth0");
	expect_count("darknet_scanner_packets_total{iface=\"" IFACE_WEIRD_LABEL "\"", 0,
		     "no orgs on the idle iface");
}

Test(metrics, prefixes_and_addresses)
{
	expect_line("darknet_prefix_packets_total{iface=\"eth0\",prefix=\"203.0.113.0/24\"} 9",
		    "two ids of one prefix summed");
	expect_line("darknet_prefix_packets_total{iface=\"eth0\",prefix=\"2001:db8:dead::/48\"} 1",
		    "ipv6 prefix");
	expect_line("darknet_prefix_packets_total{iface=\"" IFACE_WEIRD_LABEL "\","
		    "prefix=\"198.51.100.0/24\"} 0", "prefix at zero");
	expect_count("darknet_prefix_packets_total{iface=\"eth0\"", 2, "eth0 prefixes, unused id hidden");
	expect_line("darknet_prefix_addresses{prefix=\"203.0.113.0/24\"} 256", "v4 addresses");
	expect_line("darknet_prefix_addresses{prefix=\"198.51.100.0/24\"} 256", "v4 addresses, iface 2");
	expect_line("darknet_prefix_addresses{prefix=\"2001:db8:dead::/48\"} 1.2089258196146292e+24",
		    "v6 addresses, shortest float");
	expect_count("darknet_prefix_addresses{", 3, "addresses: once per prefix across interfaces");
}

Test(metrics, passed_and_malformed_reasons_always_present)
{
	expect_line("darknet_passed_packets_total{iface=\"eth0\",reason=\"not_ip\"} 10", "not_ip");
	expect_line("darknet_passed_packets_total{iface=\"eth0\",reason=\"not_darknet\"} 20",
		    "not_darknet");
	expect_count("darknet_passed_packets_total{iface=\"eth0\"", 2, "passed reasons");
	expect_line("darknet_malformed_packets_total{iface=\"eth0\",reason=\"truncated_l4\"} 3",
		    "malformed count");
	for (unsigned int r = DN_REASON_FIRST_MALFORMED; r < DN_REASON_MAX; r++) {
		char line[160];

		snprintf(line, sizeof(line), "darknet_malformed_packets_total{iface=\""
			 IFACE_WEIRD_LABEL "\",reason=\"%s\"} 0", names_reason(r));
		expect_line(line, "every malformed reason at zero");
	}
	expect_count("darknet_malformed_packets_total{iface=\"eth0\"",
		     DN_REASON_MAX - DN_REASON_FIRST_MALFORMED, "malformed reasons");
}

Test(metrics, attachment_build_and_scrape)
{
	expect_line("darknet_xdp_attached{iface=\"eth0\",mode=\"native\"} 1", "attached");
	expect_line("darknet_xdp_attached{iface=\"" IFACE_WEIRD_LABEL "\",mode=\"none\"} 0",
		    "detached");
	expect_line("darknet_build_info{version=\"1.0\\\"x\\\\y\\nz\"} 1", "version escaped");
	expect_line("darknet_scrape_duration_seconds 0.25", "scrape duration");
}

Test(metrics, promtool_accepts_it)
{
	int rc = promx_promtool(strbuf_str(&out), promtool_out, sizeof(promtool_out));

	if (rc == -ENOENT)
		cr_skip_test("promtool: not installed");
	cr_expect_eq(rc, 0, "promtool check metrics: exit status %d:\n%s", rc, promtool_out);
}

Test(metrics, default_version_and_appending)
{
	struct strbuf sb = STRBUF_INIT;
	struct dn_metrics_info info = { 0 };

	strbuf_puts(&sb, "# before\n");
	cr_assert_eq(metrics_render(&sb, snap, &info), 0, "append: returns 0");
	cr_expect_eq(strncmp(strbuf_str(&sb), "# before\n# HELP ", 16), 0, "append: after content");
	cr_expect(strstr(strbuf_str(&sb), "darknet_build_info{version=\"" DN_VERSION "\"} 1\n"),
		  "default version: the build's");
	strbuf_free(&sb);
	cr_assert_eq(metrics_render(&sb, snap, NULL), 0, "NULL info: returns 0");
	cr_expect(strstr(strbuf_str(&sb), "darknet_build_info{version=\"" DN_VERSION "\"} 1\n"),
		  "NULL info: the build's version");
	strbuf_free(&sb);
}

Test(metrics, failed_buffer_is_refused_and_left_alone)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "kept");
	strbuf_reserve(&sb, SIZE_MAX);
	cr_expect_eq(metrics_render(&sb, snap, NULL), -ENOMEM, "failed buffer: -ENOMEM");
	cr_expect_str_eq(strbuf_str(&sb), "kept", "failed buffer: untouched");
	strbuf_free(&sb);
}

Test(metrics, no_interfaces)
{
	struct dn_snapshot empty = { 0 };
	struct strbuf sb = STRBUF_INIT;
	struct promx m;
	char err[512];
	int rc;

	cr_assert_eq(metrics_render(&sb, &empty, NULL), 0, "no ifaces: returns 0");
	cr_expect_eq(promx_parse_strict(strbuf_str(&sb), &m, err, sizeof(err)), 0,
		     "no ifaces: well formed: %s", err);
	promx_free(&m);
	cr_expect(strstr(strbuf_str(&sb), "# TYPE darknet_packets_total counter\n"),
		  "no ifaces: families still declared");
	rc = promx_promtool(strbuf_str(&sb), promtool_out, sizeof(promtool_out));
	cr_expect(rc == 0 || rc == -ENOENT, "no ifaces: promtool exit status %d:\n%s", rc,
		  promtool_out);
	strbuf_free(&sb);
}

Test(metrics, match_all_prefixes_and_missing_port_tables)
{
	struct dn_iface_snapshot *s = &snap->ifaces[1];

	promx_free(&expo);
	strbuf_free(&out);
	fixture_prefix(s, 2, "0.0.0.0/0", 4);
	fixture_prefix(s, 3, "::/0", 0);
	free(s->tcp_ports);
	free(s->udp_ports);
	s->tcp_ports = NULL;    /* a table the reader could not get */
	s->udp_ports = NULL;
	render(NULL);
	expect_line("darknet_prefix_packets_total{iface=\"" IFACE_WEIRD_LABEL "\","
		    "prefix=\"0.0.0.0/0\"} 4", "0.0.0.0/0 is a real prefix");
	expect_line("darknet_prefix_addresses{prefix=\"0.0.0.0/0\"} 4294967296", "2^32");
	expect_line("darknet_prefix_addresses{prefix=\"::/0\"} 3.402823669209385e+38", "2^128");
	expect_count("darknet_port_packets_total{iface=\"" IFACE_WEIRD_LABEL "\"", 0,
		     "no port table, no port series");
}

Test(metrics, full_port_sweep_without_bound)
{
	struct dn_iface_snapshot *s = &snap->ifaces[0];

	promx_free(&expo);
	strbuf_free(&out);
	for (unsigned int p = 0; p < DN_NR_PORTS; p++)
		s->tcp_ports[p].packets[DN_CLASS_SCAN] = 1;
	render(NULL);
	expect_count("darknet_port_packets_total{iface=\"eth0\",proto=\"tcp\",", DN_NR_PORTS + 1,
		     "sweep: every port (and 23's mirai)");
	expect_line("darknet_port_packets_total{iface=\"eth0\",proto=\"tcp\",port=\"0\","
		    "class=\"scan\"} 1", "sweep: port 0");
	expect_line("darknet_port_packets_total{iface=\"eth0\",proto=\"tcp\",port=\"65535\","
		    "class=\"scan\"} 1", "sweep: port 65535");
}
