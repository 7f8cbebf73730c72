/* test_bogons.c: the datapath's spoofed rule against the bogon table: every prefix's ends and the addresses next to them. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include "darknet_counter.h"
#include "lib/bogon_table.h"
#include "frame.h"
#include "harness.h"

/* A routable darknet, so that only the source decides (a bogon darknet
 * would make every source == destination probe spoofed for two reasons). */
#define DST4 "44.44.44.5"
#define DST6 "2a0d:3dc1:1::5"
static const char *const darknets[] = { "44.44.44.0/24", "2a0d:3dc1:1::/48", NULL };

struct probes {
	struct dp d;
	struct dp_counts *c;
	int spoofed, routable;   /* probes expected in each class */
};

static uint64_t class_packets(const struct dp_counts *c, uint8_t family, int cls)
{
	return c->classes[dn_class_key(family, IPPROTO_TCP, cls)].packets;
}

/* One SYN from src to the darknet: spoofed exactly when the table holds
 * src, a plain scan otherwise (no scanner list is loaded; seq and ip.id
 * match no fingerprint). */
static void probe(void *ctx, uint8_t family, const uint8_t *src, const char *what,
		  const char *cidr)
{
	struct probes *p = ctx;
	int want = bogon_table_has(family, src) ? DN_CLASS_SPOOFED : DN_CLASS_SCAN;
	char text[INET6_ADDRSTRLEN];
	struct frame_spec f = { .src = text, .dst = family == DN_FAMILY_IPV4 ? DST4 : DST6,
				.proto = IPPROTO_TCP, .sport = 40000, .dport = 445,
				.tcp_flags = TH_SYN, .seq = 1, .ip_id = 1 };
	uint8_t frame[FRAME_MAX];
	uint64_t spoofed, scan;
	int len;

	inet_ntop(family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6, src, text, sizeof(text));
	len = frame_build(&f, frame);
	cr_assert_gt(len, 0, "%s: frame_build", text);
	dp_counts_read(&p->d, p->c, 445);
	spoofed = class_packets(p->c, family, DN_CLASS_SPOOFED);
	scan = class_packets(p->c, family, DN_CLASS_SCAN);
	dp_run(&p->d, frame, (uint32_t)len);
	dp_counts_read(&p->d, p->c, 445);
	spoofed = class_packets(p->c, family, DN_CLASS_SPOOFED) - spoofed;
	scan = class_packets(p->c, family, DN_CLASS_SCAN) - scan;
	cr_expect(want == DN_CLASS_SPOOFED ? spoofed == 1 && scan == 0 : spoofed == 0 && scan == 1,
		  "source %s (%s %s): the table says %s, the datapath counted %s", text, what,
		  cidr, want == DN_CLASS_SPOOFED ? "spoofed" : "not spoofed",
		  spoofed ? "spoofed" : scan ? "scan" : "neither");
	if (want == DN_CLASS_SPOOFED)
		p->spoofed++;
	else
		p->routable++;
}

static void run(uint8_t family)
{
	struct probes p = { 0 };
	char err[256];

	p.c = calloc(1, sizeof(*p.c));
	cr_assert_not_null(p.c, "counts");
	dp_open(&p.d, XDP_DROP);
	cr_assert_eq(dp_install_darknets(&p.d, darknets, err, sizeof(err)), 0, "darknets: %s",
		     err);
	bogon_table_edges(family, probe, &p);
	/* Both outcomes occurred, so neither "always" nor "never" passes. */
	cr_expect_gt(p.spoofed, 0, "no probe was a bogon");
	cr_expect_gt(p.routable, 0, "no probe was routable");
	dp_close(&p.d);
	free(p.c);
}

Test(bogons, every_v4_prefix_edge)
{
	run(DN_FAMILY_IPV4);
}

Test(bogons, every_v6_prefix_edge)
{
	run(DN_FAMILY_IPV6);
}
