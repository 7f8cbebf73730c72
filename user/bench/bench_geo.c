/* bench_geo.c: section 6 of the bench: cost of the source country and AS lookup with the full databases, and exact attribution over them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "bench_drop.skel.h"
#include "darknet_counter.skel.h"
#include "darknet_geo.h"
#include "geo.h"
#include "geo_counts.h"
#include "geo_image.h"
#include "geo_install.h"

/* The ip-location-db files scripts/fetch-geo-db.sh puts in the directory:
 * the country database (geo-whois-asn-country) and the ASN one, each an
 * IPv4 and an IPv6 file (docs/geo.md). */
static const char *const country_files[] = { "geo-whois-asn-country-ipv4.csv",
					     "geo-whois-asn-country-ipv6.csv" };
static const char *const asn_files[] = { "asn-ipv4.csv", "asn-ipv6.csv" };
#define SETTINGS 3   /* geo off, country, country + AS */
static const unsigned int setting_bits[SETTINGS] = { 0, DN_GEO_ON_COUNTRY,
						     DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN };
static const char *const setting_names[SETTINGS] = { "geo off", "country", "country + AS" };

struct geo_bench {
	struct geo_db country, asn;
	struct geo_asn_ids ids;
	struct geo_image img;
	struct geo_tables tables;
	double load_s, build_s, prepare_s;
};

static int load_db(struct geo_db *db, const char *dir, const char *const *files, char *err,
		   size_t errlen)
{
	char path[512];
	int ret = 0;

	for (int i = 0; !ret && i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		ret = geo_db_load_file(db, path, err, errlen);
	}
	return ret ?: geo_db_finish(db, err, errlen);
}

static int geo_setup(struct bench *b, struct geo_bench *g, char *err, size_t errlen)
{
	double t = bench_now();
	int ret;

	geo_db_init(&g->country, GEO_COUNTRY);
	geo_db_init(&g->asn, GEO_ASN);
	g->tables.fd_v4 = g->tables.fd_v6 = -1;
	ret = geo_asn_ids_init(&g->ids);
	ret = ret ?: load_db(&g->country, b->opt.geo_db, country_files, err, errlen);
	ret = ret ?: load_db(&g->asn, b->opt.geo_db, asn_files, err, errlen);
	g->load_s = bench_now() - t;
	t = bench_now();
	ret = ret ?: geo_image_build(&g->img, &g->country, &g->asn, &g->ids, err, errlen);
	g->build_s = bench_now() - t;
	t = bench_now();
	ret = ret ?: geo_tables_prepare(&g->img, &g->tables, err, errlen);
	g->prepare_s = bench_now() - t;
	return ret;
}

static void geo_teardown(struct geo_bench *g)
{
	geo_tables_free(&g->tables);
	geo_image_free(&g->img);
	geo_asn_ids_free(&g->ids);
	geo_db_free(&g->country);
	geo_db_free(&g->asn);
}

/* A counter instance with geo bits, the tables and every AS index named. */
static int load_instance(struct bench *b, struct geo_bench *g, unsigned int bits,
			 struct darknet_counter_bpf **out, char *err, size_t errlen)
{
	struct dn_maps m;
	double install;
	int ret;

	ret = bench_load_counter_geo(b, bits, out, &install);
	if (ret)
		return ret;
	maps_from_skel(&m, *out);
	ret = geo_tables_commit(m.geo_v4, m.geo_v6, &g->tables, err, errlen);
	return ret ?: geo_asn_ids_write(&g->ids, m.geo_asn_ids, err, errlen);
}

/* Every frame of mix m once through a fresh country + AS instance; its
 * per-country counters and per-AS totals against the image's answer for
 * each frame's source. */
static int exact_check(struct bench *b, struct geo_bench *g, int mi, char *err, size_t errlen)
{
	const struct bench_mix *m = &b->mixes[mi];
	static struct geo_counts got;
	static struct dn_count want[DN_GEO_COUNTRY_CPU_KEYS];
	__u64 *want_as = calloc(DN_GEO_MAX_ASNS, sizeof(__u64));
	__u64 *got_as = calloc(DN_GEO_MAX_ASNS, sizeof(__u64));
	struct darknet_counter_bpf *c = NULL;
	size_t bad = 0, known = 0, as_known = 0;
	struct dn_maps maps;
	double ns;
	int ret = want_as && got_as ? 0 : -ENOMEM;

	memset(want, 0, sizeof(want));
	for (size_t i = 0; !ret && i < m->frames.n; i++) {
		const struct mix_frame_info *fi = &m->frames.info[i];
		__u32 e, a;

		if (fi->family == DN_FAMILY_IPV4) {
			memcpy(&a, fi->src, 4);
			e = geo_image_lookup_v4(&g->img, __builtin_bswap32(a));
		} else {
			e = geo_image_lookup_v6(&g->img, fi->src);
		}
		want[dn_geo_key(dn_geo_country(e), fi->cls)].packets++;
		want[dn_geo_key(dn_geo_country(e), fi->cls)].bytes += fi->len;
		want_as[dn_geo_asn(e)]++;
		known += dn_geo_country(e) != 0;
		as_known += dn_geo_asn(e) != 0;
	}
	ret = ret ?: load_instance(b, g, DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN, &c, err, errlen);
	if (!ret)
		maps_from_skel(&maps, c);
	ret = ret ?: bench_use_mix(b, mi);
	ret = ret ?: bench_harness_ns(b, bpf_program__fd(c->progs.darknet_counter), m->frames.n, &ns);
	ret = ret ?: geo_counts_read(&maps, &got);
	ret = ret ?: geo_asn_totals_read(&maps, got_as);
	for (size_t k = 0; !ret && k < DN_GEO_COUNTRY_CPU_KEYS; k++)
		bad += got.country[k].packets != want[k].packets || got.country[k].bytes != want[k].bytes;
	for (size_t a = 1; !ret && a < DN_GEO_MAX_ASNS; a++)
		bad += got_as[a] != want_as[a];
	if (!ret)
		fprintf(b->out, "  exact attribution, %-6s %zu frames (%.1f%% with a country, %.1f%% "
			"with an AS): %zu counters differ  %s\n", m->name, m->frames.n,
			100.0 * known / m->frames.n, 100.0 * as_known / m->frames.n, bad,
			bad ? "FAILED" : "ok");
	b->geo_exact_failed |= ret || bad;
	darknet_counter_bpf__destroy(c);
	free(want_as);
	free(got_as);
	return ret;
}

int bench_section_geo(struct bench *b)
{
	struct darknet_counter_bpf *inst[SETTINGS] = { NULL };
	int fds[1 + SETTINGS], ret;
	struct geo_bench g = { 0 };
	struct figures_geo { double own[1 + SETTINGS], lo[1 + SETTINGS], hi[1 + SETTINGS]; } f;
	char err[512] = "";
	struct stat st;

	fprintf(b->out, "\n6. Source country and origin AS (databases in %s; measured as in 1,\n"
		"   one counter instance per setting, all interleaved in the same trials)\n",
		b->opt.geo_db);
	if (stat(b->opt.geo_db, &st)) {
		fprintf(b->out, "  skipped: no %s (scripts/fetch-geo-db.sh fetches the databases)\n",
			b->opt.geo_db);
		return 0;
	}
	ret = geo_setup(b, &g, err, sizeof(err));
	if (ret)
		goto cleanup;
	fprintf(b->out, "  ranges: country %zu, ASN %zu (both families); %u ASes indexed\n"
		"  parse %.2f s, build %.2f s, maps made %.2f s; IPv4 table %u mixed /16s, %u split "
		"/24s, %.1f MiB; IPv6 trie %zu prefixes, %.1f MiB\n",
		g.country.len, g.asn.len, g.ids.next - 1, g.load_s, g.build_s, g.prepare_s,
		g.tables.v4_mixed, g.img.nr_blocks, g.tables.v4_bytes / 1048576.0, g.tables.v6_prefixes,
		g.tables.v6_bytes / 1048576.0);
	fds[0] = bpf_program__fd(b->sink->progs.bench_drop);
	for (int i = 0; !ret && i < SETTINGS; i++) {
		ret = load_instance(b, &g, setting_bits[i], &inst[i], err, sizeof(err));
		fds[1 + i] = ret ? -1 : bpf_program__fd(inst[i]->progs.darknet_counter);
	}
	fprintf(b->out, "  %-8s %-14s %16s %15s %12s %9s\n", "mix", "setting", "harness+counter",
		"counter itself", "(min-max)", "vs off");
	for (int mi = 0; !ret && mi < 2; mi++) {
		double total[1 + SETTINGS];

		ret = bench_use_mix(b, mi);
		ret = ret ?: bench_measure(b, fds, 1 + SETTINGS, b->opt.trials, total, f.own, f.lo,
					   f.hi);
		for (int i = 0; !ret && i < SETTINGS; i++)
			fprintf(b->out, "  %-8s %-14s %16.0f %15.0f %5.0f-%-6.0f %+8.1f%%\n",
				i ? "" : b->mixes[mi].name, setting_names[i], total[1 + i],
				f.own[1 + i], f.lo[1 + i], f.hi[1 + i],
				100 * (f.own[1 + i] / f.own[1] - 1));
		if (!ret && mi == 0)
			b->geo_increase = f.own[SETTINGS] / f.own[1] - 1;
	}
	for (int mi = 0; !ret && mi < 2; mi++)
		ret = exact_check(b, &g, mi, err, sizeof(err));
cleanup:
	for (int i = 0; i < SETTINGS; i++)
		darknet_counter_bpf__destroy(inst[i]);
	geo_teardown(&g);
	if (ret)
		fprintf(stderr, "bench: geo section failed: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}
