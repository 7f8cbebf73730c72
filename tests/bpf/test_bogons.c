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

/* a +/- 1 as a big-endian number of bytes bytes; 0 when it wraps around
 * (no address lies outside 0.0.0.0 or 255.255.255.255). */
static int step(uint8_t *a, unsigned int bytes, int up)
{
	for (int i = (int)bytes - 1; i >= 0; i--)
		if (up ? a[i]++ != 0xff : a[i]-- != 0x00)
			return 1;
	return 0;
}

static uint64_t class_packets(const struct dp_counts *c, uint8_t family, int cls)
{
	return c->classes[dn_class_key(family, IPPROTO_TCP, cls)].packets;
}

/* One SYN from src to the darknet: spoofed exactly when the table holds
 * src, a plain scan otherwise (no scanner list is loaded; seq and ip.id
 * match no fingerprint). */
static void probe(struct probes *p, uint8_t family, const uint8_t *src, const char *what,
		  const char *cidr)
{
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

/* The first and last address of every prefix of the family, and the
 * addresses just before and after them. */
static void probe_family(struct probes *p, uint8_t family)
{
	unsigned int bytes = family == DN_FAMILY_IPV4 ? 4 : 16;
	uint8_t first[16], last[16];
	char cidr[DN_PREFIX_STRLEN];
	const struct dn_prefix *t;
	size_t n;

	t = bogon_table(family, &n);
	cr_assert_gt(n, 0, "empty bogon table");
	for (size_t i = 0; i < n; i++) {
		prefix_format(&t[i], cidr, sizeof(cidr));
		bogon_prefix_ends(&t[i], first, last);
		probe(p, family, first, "first of", cidr);
		probe(p, family, last, "last of", cidr);
		if (step(first, bytes, 0))
			probe(p, family, first, "just before", cidr);
		if (step(last, bytes, 1))
			probe(p, family, last, "just after", cidr);
	}
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
	probe_family(&p, family);
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
