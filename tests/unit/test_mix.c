/* test_mix.c: traffic mixes: determinism, nicter proportions, classes read back from the bytes. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "mix.h"
#include "names.h"
#include "array_size.h"
#include "frame_ref.h"

/* A scanner list of our own, independent of the shipped file. The /25
 * inside the /24 checks that the org is the longest match's. */
static const char *const scanner_lines[][2] = {
	{ "162.142.125.0/24", "censys" }, { "167.94.138.0/24", "censys" },
	{ "71.6.233.0/24", "rapid7" }, { "71.6.233.128/25", "sonar-b" },
	{ "45.79.190.10/32", "rapid7" }, { "64.62.156.0/24", "shadowserver" },
	{ "2602:80d:1000::/48", "censys" }, { "2620:96:e000::/48", "censys" },
};

static struct dn_prefix_list scanners;

static void load_scanners(void)
{
	prefix_list_init(&scanners);
	for (size_t i = 0; i < ARRAY_SIZE(scanner_lines); i++) {
		struct dn_prefix p;
		char err[128];

		cr_assert_eq(prefix_parse(scanner_lines[i][0], &p, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(prefix_list_add(&scanners, &p, scanner_lines[i][1]), 0);
	}
}

static void free_scanners(void)
{
	prefix_list_free(&scanners);
}

TestSuite(mix, .init = load_scanners, .fini = free_scanners);

static void start(struct mix_state *st, const char *name, uint64_t seed,
		  const struct dn_prefix_list *darknets)
{
	struct mix_config cfg = { .name = name, .seed = seed, .scanners = &scanners,
				  .darknets = darknets };
	char err[256] = "";

	cr_assert_eq(mix_init(st, &cfg, err, sizeof(err)), 0, "mix_init(%s): %s", name, err);
}

/* Every field of info must be what the bytes say. */
static void check_frame(const struct mix_state *st, const uint8_t *f, int len,
			const struct mix_frame_info *fi, size_t n)
{
	const char *tname = st->tmpl[fi->tmpl].name;
	const char *org;
	char dn[DN_PREFIX_STRLEN];
	struct frame_ref p;
	int cls;

	frame_ref_parse(f, len, &p);
	cls = frame_ref_classify(&p, &scanners);
	cr_assert_eq(fi->len, len, "frame %zu (%s): length", n, tname);
	cr_assert_eq(cls, fi->cls, "frame %zu (%s): bytes say %s, info says %s", n, tname,
		     names_class(cls), names_class(fi->cls));
	cr_assert_eq(p.family, fi->family, "frame %zu (%s): family", n, tname);
	cr_assert_eq(p.proto, fi->proto, "frame %zu (%s): proto", n, tname);
	cr_assert_eq(fi->has_port, !p.fragment && (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP),
		     "frame %zu (%s): has_port", n, tname);
	if (fi->has_port)
		cr_assert_eq(p.dport, fi->dport, "frame %zu (%s): dport", n, tname);
	if (fi->has_icmp)
		cr_assert_eq(p.icmp_type, fi->icmp_type, "frame %zu (%s): icmp type", n, tname);
	cr_assert_not_null(fi->darknet, "frame %zu (%s): no darknet", n, tname);
	prefix_format(fi->darknet, dn, sizeof(dn));
	cr_assert(frame_ref_in_net(p.dst, dn), "frame %zu (%s): destination outside %s", n, tname, dn);
	org = cls == DN_CLASS_RESEARCH ? frame_ref_scanner(&scanners, p.src, p.family) : NULL;
	cr_assert((!org && !fi->org) || (org && fi->org && !strcmp(org, fi->org)),
		  "frame %zu (%s): org %s, info says %s", n, tname, org ? org : "-",
		  fi->org ? fi->org : "-");
}

static void check_mix(const char *name, size_t n)
{
	struct mix_state st;
	uint8_t buf[FRAME_MAX];

	start(&st, name, 7, NULL);
	for (size_t i = 0; i < n; i++) {
		int len = mix_next(&st, buf);

		cr_assert_gt(len, 0, "%s frame %zu: %d", name, i, len);
		check_frame(&st, buf, len, &st.info, i);
	}
	mix_free(&st);
}

Test(mix, nicter_frames_match_their_class)
{
	check_mix("nicter", 100000);
}

Test(mix, sweep_single_exact_frames_match_their_class)
{
	check_mix("sweep", 20000);
	check_mix("single", 100);
	check_mix("exact", 200);
}

/* Field by field: darknet and org point into each state's own lists. */
static int info_equal(const struct mix_frame_info *a, const struct mix_frame_info *b)
{
	return a->len == b->len && a->dport == b->dport && a->cls == b->cls &&
	       a->family == b->family && a->proto == b->proto && a->has_port == b->has_port &&
	       a->has_icmp == b->has_icmp && a->icmp_type == b->icmp_type && a->tmpl == b->tmpl &&
	       prefix_equal(a->darknet, b->darknet) &&
	       (a->org ? b->org && !strcmp(a->org, b->org) : !b->org);
}

Test(mix, same_seed_same_frames)
{
	struct mix_state a, b, c;
	uint8_t fa[FRAME_MAX], fb[FRAME_MAX], fc[FRAME_MAX];
	size_t differ = 0;

	start(&a, "nicter", 42, NULL);
	start(&b, "nicter", 42, NULL);
	start(&c, "nicter", 43, NULL);
	for (int i = 0; i < 10000; i++) {
		int la = mix_next(&a, fa), lb = mix_next(&b, fb), lc = mix_next(&c, fc);

		cr_assert_eq(la, lb, "frame %d: lengths differ for one seed", i);
		cr_assert_eq(memcmp(fa, fb, la), 0, "frame %d: bytes differ for one seed", i);
		cr_assert(info_equal(&a.info, &b.info), "frame %d: info differs for one seed", i);
		differ += la != lc || memcmp(fa, fc, la);
	}
	cr_assert_gt(differ, 9900, "another seed gives other frames (%zu of 10000 differ)", differ);
	mix_free(&a);
	mix_free(&b);
	mix_free(&c);
}

Test(mix, generate_packs_what_next_makes)
{
	struct mix_state a, b;
	struct mix_frames fr;
	uint8_t buf[FRAME_MAX];

	start(&a, "nicter", 5, NULL);
	start(&b, "nicter", 5, NULL);
	cr_assert_eq(mix_generate(&a, 5000, &fr), 0);
	cr_assert_eq(fr.n, 5000);
	for (size_t i = 0; i < fr.n; i++) {
		int len = mix_next(&b, buf);

		cr_assert_eq(fr.info[i].len, len, "frame %zu length", i);
		cr_assert_eq(memcmp(mix_frame(&fr, i), buf, len), 0, "frame %zu bytes", i);
		if (i)
			cr_assert_eq(fr.off[i], fr.off[i - 1] + fr.info[i - 1].len, "packed");
	}
	mix_frames_free(&fr);
	mix_free(&a);
	mix_free(&b);
}

/* The comment table in mix_tables.c, in percent. */
static const double nicter_table[DN_CLASS_MAX] = {
	[DN_CLASS_RESEARCH] = 35.0, [DN_CLASS_MIRAI] = 11.7, [DN_CLASS_SCAN] = 30.7,
	[DN_CLASS_MASSCAN] = 3.0, [DN_CLASS_ZMAP] = 2.3, [DN_CLASS_BACKSCATTER] = 8.0,
	[DN_CLASS_UDP_PROBE] = 3.2, [DN_CLASS_TCP_OTHER] = 1.5, [DN_CLASS_ICMP_REQUEST] = 1.6,
	[DN_CLASS_SPOOFED] = 1.9, [DN_CLASS_FRAGMENT] = 0.8, [DN_CLASS_OTHER] = 0.3,
};

Test(mix, nicter_proportions)
{
	static uint64_t port_pkts[65536];
	static struct mix_tally t;
	const size_t n = 100000;
	uint64_t rest = 0, top10 = 0, v6 = 0;
	struct mix_state st;
	uint8_t buf[FRAME_MAX];

	start(&st, "nicter", 1, NULL);
	memset(port_pkts, 0, sizeof(port_pkts));
	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < n; i++) {
		cr_assert_gt(mix_next(&st, buf), 0);
		mix_tally_add(&t, &st.info);
		v6 += st.info.family == DN_FAMILY_IPV6;
		if (st.info.cls == DN_CLASS_RESEARCH)
			continue;
		rest++;
		if (st.info.has_port && st.info.proto == IPPROTO_TCP)
			port_pkts[st.info.dport]++;
	}
	for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
		double want = nicter_table[c] / 100, got = (double)t.class_packets[c] / n;
		/* five standard deviations of a binomial share, plus rounding */
		double tol = 5 * sqrt(want * (1 - want) / n) + 1e-4;

		cr_assert(fabs(mix_class_share(&st, c) - want) < 1e-9, "%s: weights say %.4f, table %.4f",
			  names_class(c), mix_class_share(&st, c), want);
		cr_assert(fabs(got - want) < tol, "%s: %.4f of frames, want %.4f +- %.4f",
			  names_class(c), got, want, tol);
	}
	/* 23/TCP tops the ports without research, and the top ten hold about
	 * half of the rest (NICTER 2018: 46 %). */
	for (unsigned int p = 0; p < 65536; p++)
		cr_assert_leq(port_pkts[p], port_pkts[23], "port %u above 23/TCP", p);
	cr_assert(fabs((double)port_pkts[23] / rest - 0.218) < 0.01, "23/TCP: %.3f of the rest",
		  (double)port_pkts[23] / rest);
	for (int k = 0; k < 10; k++) {
		unsigned int best = 0;

		for (unsigned int p = 1; p < 65536; p++)
			if (port_pkts[p] > port_pkts[best])
				best = p;
		top10 += port_pkts[best];
		port_pkts[best] = 0;
	}
	cr_assert(fabs((double)top10 / rest - 0.47) < 0.02, "top ten: %.3f of the rest",
		  (double)top10 / rest);
	cr_assert(fabs((double)v6 / n - 0.04) < 0.003, "IPv6: %.4f of frames", (double)v6 / n);
	mix_free(&st);
}

Test(mix, sweep_covers_ports_uniformly)
{
	static uint32_t port_pkts[65536];
	const size_t n = 1 << 20;
	uint32_t bins[256] = { 0 };
	double chi2 = 0, expect = (double)n / 256;
	size_t seen = 0;
	struct mix_state st;
	uint8_t buf[FRAME_MAX];

	memset(port_pkts, 0, sizeof(port_pkts));
	start(&st, "sweep", 3, NULL);
	for (size_t i = 0; i < n; i++) {
		cr_assert_gt(mix_next(&st, buf), 0);
		cr_assert_eq(st.info.cls, DN_CLASS_SCAN);
		port_pkts[st.info.dport]++;
		bins[st.info.dport >> 8]++;
	}
	for (int b = 0; b < 256; b++)
		chi2 += (bins[b] - expect) * (bins[b] - expect) / expect;
	for (int p = 0; p < 65536; p++)
		seen += port_pkts[p] > 0;
	/* 255 degrees of freedom: mean 255, sd 22.6; 400 is beyond six sd */
	cr_assert_lt(chi2, 400, "chi-square over 256 port bins: %.1f", chi2);
	/* 16 frames a port: expect all but 65536 * e^-16 (0.007) ports hit */
	cr_assert_geq(seen, 65530, "ports hit: %zu of 65536", seen);
	cr_assert(port_pkts[0] && port_pkts[65535], "both ends of the port range");
	mix_free(&st);
}

Test(mix, single_repeats_one_frame)
{
	struct mix_state st;
	uint8_t first[FRAME_MAX], buf[FRAME_MAX];
	int len;

	start(&st, "single", 9, NULL);
	len = mix_next(&st, first);
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(mix_next(&st, buf), len);
		cr_assert_eq(memcmp(buf, first, len), 0, "frame %d differs", i);
	}
	mix_free(&st);
}

Test(mix, exact_cycles_through_every_class)
{
	struct mix_state st;
	uint8_t buf[FRAME_MAX];
	uint64_t seen[DN_CLASS_MAX] = { 0 };
	size_t cycle;

	start(&st, "exact", 1, NULL);
	cycle = st.total;
	cr_assert_eq(cycle, st.nr_tmpl, "every exact template is live");
	for (size_t i = 0; i < 3 * cycle; i++) {
		cr_assert_gt(mix_next(&st, buf), 0);
		cr_assert_eq(st.info.tmpl, i % cycle, "frame %zu: template order", i);
		seen[st.info.cls]++;
	}
	for (unsigned int c = 0; c < DN_CLASS_MAX; c++)
		cr_assert_gt(seen[c], 0, "class %s in the exact mix", names_class(c));
	mix_free(&st);
}

Test(mix, templates_without_darknet_or_scanners_drop_out)
{
	struct dn_prefix_list v6only, none;
	struct mix_config cfg = { .name = "nicter", .seed = 1, .scanners = NULL };
	struct mix_state st;
	struct dn_prefix p;
	uint8_t buf[FRAME_MAX];
	char err[128];

	prefix_list_init(&v6only);
	prefix_list_init(&none);
	cr_assert_eq(prefix_parse("2001:db8:dead::/48", &p, err, sizeof(err)), 0);
	cr_assert_eq(prefix_list_add(&v6only, &p, ""), 0);
	start(&st, "nicter", 1, &v6only);
	for (int i = 0; i < 2000; i++) {
		cr_assert_gt(mix_next(&st, buf), 0);
		cr_assert_eq(st.info.family, DN_FAMILY_IPV6, "frame %d: IPv4 with no IPv4 darknet", i);
		cr_assert(frame_ref_in_net(buf + 14 + 24, "2001:db8:dead::/48"), "frame %d: destination", i);
	}
	mix_free(&st);
	cfg.scanners = &none;
	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mix_class_share(&st, DN_CLASS_RESEARCH), 0, "no scanners, no research");
	for (int i = 0; i < 2000; i++) {
		cr_assert_gt(mix_next(&st, buf), 0);
		cr_assert_neq(st.info.cls, DN_CLASS_RESEARCH);
	}
	mix_free(&st);
	prefix_list_free(&v6only);
}

Test(mix, bad_configurations)
{
	struct dn_prefix_list overlap;
	struct mix_config cfg = { .name = "nosuch" };
	struct mix_state st;
	struct dn_prefix p;
	char err[128] = "";

	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "unknown mix 'nosuch'");
	/* a fixed scan source inside a scanner list would count as research */
	prefix_list_init(&overlap);
	cr_assert_eq(prefix_parse("45.1.1.0/24", &p, err, sizeof(err)), 0);
	cr_assert_eq(prefix_list_add(&overlap, &p, "someorg"), 0);
	cfg = (struct mix_config){ .name = "exact", .scanners = &overlap };
	cr_assert_eq(mix_init(&st, &cfg, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "is in the scanner list"), "message: %s", err);
	prefix_list_free(&overlap);
}
