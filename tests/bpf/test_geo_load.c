/* test_geo_load.c: range files through the daemon's loader into the XDP program: exact attribution, reload swap, AS indices kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include "darknet_geo.h"
#include "geo.h"
#include "geo_asn.h"
#include "geo_counts.h"
#include "geo_image.h"
#include "geo_install.h"
#include "harness.h"

static const char *const darknets[] = { "44.44.0.0/16", "2001:db8:44::/48", NULL };

static struct dp d;
static struct geo_counts got;
static char dir[] = "/tmp/dn-geoload-XXXXXX", err[512];

static void setup(void)
{
	strcpy(dir, "/tmp/dn-geoload-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	dp_open_geo(&d, XDP_DROP, DN_GEO_ON_COUNTRY | DN_GEO_ON_ASN);
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	char cmd[64];

	dp_close(&d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(geo_load, .init = setup, .fini = teardown, .timeout = 120);

static const char *put(const char *name, const char *text)
{
	static char path[4][256];
	static int n;
	char *p = path[n++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	return p;
}

/* What the daemon does at start and at each reload (user/daemon/geo_state.c). */
static void install(const char *country_csv, const char *asn_csv, struct geo_asn_ids *ids)
{
	struct geo_db cc, as;
	struct geo_image img;
	struct geo_tables t;

	geo_db_init(&cc, GEO_COUNTRY);
	geo_db_init(&as, GEO_ASN);
	cr_assert_eq(geo_db_load_file(&cc, country_csv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_finish(&cc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_load_file(&as, asn_csv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_db_finish(&as, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_image_build(&img, &cc, &as, ids, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_tables_prepare(&img, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(geo_asn_ids_write(ids, d.maps.geo_asn_ids, err, sizeof(err)), 0, "%s", err);
	geo_asn_ids_mark_written(ids);
	cr_assert_eq(geo_tables_commit(d.maps.geo_v4, d.maps.geo_v6, &t, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_gt(t.v4_bytes, (size_t)DN_GEO_V4_DIR_ROWS * 1024, "IPv4 memory %zu", t.v4_bytes);
	geo_tables_free(&t);
	geo_image_free(&img);
	geo_db_free(&cc);
	geo_db_free(&as);
}

/* Packets of country code cc so far (all classes). */
static __u64 country(const char *cc)
{
	cr_assert_eq(geo_counts_read(&d.maps, &got), 0);
	return geo_counts_packets(got.country, cc ? geo_cc_index(cc) : DN_GEO_COUNTRY_UNKNOWN);
}

static void send_from(const char *src, int n)
{
	struct dp_counts c;

	for (int i = 0; i < n; i++)
		cr_assert_eq(dp_send_syn(&d, &c, src, strchr(src, ':') ? "2001:db8:44::1"
								      : "44.44.0.1"), XDP_DROP);
}

static const char *country_v4 =
	"10.0.0.7,10.0.0.130,DE\n10.0.0.131,10.0.3.9,NL\n10.0.3.200,10.0.3.200,XK\n"
	"172.16.0.0,172.31.255.255,US\n";
static const char *country_v6 = "2001:db8:100::,2001:db8:100:ffff:ffff:ffff:ffff:ffff,JP\n";
static const char *asn_v4 = "10.0.0.0,10.0.0.255,13335,\"Cloudflare, Inc.\"\n"
			    "172.16.0.0,172.16.0.255,3320,DTAG\n";

Test(geo_load, exact_attribution_from_files)
{
	struct geo_asn_ids ids;
	const char *c4 = put("c4.csv", country_v4), *a4 = put("a4.csv", asn_v4);
	char both[1024];

	snprintf(both, sizeof(both), "%s", put("c6.csv", country_v6));
	cr_assert_eq(geo_asn_ids_init(&ids), 0);
	/* both families of one kind: the IPv6 file is a second file */
	{
		struct geo_db cc;

		geo_db_init(&cc, GEO_COUNTRY);
		cr_assert_eq(geo_db_load_file(&cc, c4, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(geo_db_load_file(&cc, both, err, sizeof(err)), 0, "%s", err);
		geo_db_free(&cc);
	}
	install(c4, a4, &ids);
	send_from("10.0.0.6", 1);       /* before the first range: unknown */
	send_from("10.0.0.7", 2);       /* first address of DE */
	send_from("10.0.0.130", 3);     /* last address of DE */
	send_from("10.0.0.131", 4);     /* first of NL, inside the split /24 */
	send_from("10.0.2.77", 5);      /* NL, a whole /24 */
	send_from("10.0.3.9", 6);       /* last of NL */
	send_from("10.0.3.200", 7);     /* XK, one address */
	send_from("172.31.255.255", 8); /* last of a /12 */
	cr_expect_eq(country(NULL), 1);
	cr_expect_eq(country("DE"), 5);
	cr_expect_eq(country("NL"), 15);
	cr_expect_eq(country("XK"), 7);
	cr_expect_eq(country("US"), 8);
	geo_asn_ids_free(&ids);
}

Test(geo_load, reload_swaps_and_keeps_as_indices)
{
	const char *c1 = put("c1.csv", "10.0.0.0,10.0.0.255,DE\n");
	const char *c2 = put("c2.csv", "10.0.0.0,10.0.0.127,FR\n10.0.0.128,10.0.0.255,DE\n");
	const char *a1 = put("a1.csv", "10.0.0.0,10.0.0.255,64500,one\n");
	const char *a2 = put("a2.csv", "10.0.0.0,10.0.0.127,64501,two\n10.0.0.128,10.0.0.255,64500,one\n");
	struct geo_asn_ids ids, again;
	int before, after;

	cr_assert_eq(geo_asn_ids_init(&ids), 0);
	install(c1, a1, &ids);
	before = dp_slot_fd(d.maps.geo_v4);
	send_from("10.0.0.1", 3);
	cr_expect_eq(country("DE"), 3);
	install(c2, a2, &ids);
	after = dp_slot_fd(d.maps.geo_v4);
	cr_assert(before >= 0 && after >= 0);
	struct bpf_map_info bi = {0}, ai = {0};
	__u32 len = sizeof(bi);

	cr_assert_eq(bpf_obj_get_info_by_fd(before, &bi, &len), 0);
	len = sizeof(ai);
	cr_assert_eq(bpf_obj_get_info_by_fd(after, &ai, &len), 0);
	cr_expect_neq(bi.id, ai.id, "a reload puts a new table in the slot");
	close(before);
	close(after);
	send_from("10.0.0.1", 2);
	send_from("10.0.0.200", 1);
	cr_expect_eq(country("FR"), 2);
	cr_expect_eq(country("DE"), 4);
	/* AS 64500 kept index 1 across the reload; 64501 appended as 2, and
	 * a restart reads the same from the pinned geo_asn_ids */
	cr_expect_eq(geo_asn_ids_find(&ids, 64500), 1);
	cr_expect_eq(geo_asn_ids_find(&ids, 64501), 2);
	cr_assert_eq(geo_asn_ids_init(&again), 0);
	cr_assert_eq(geo_asn_ids_read(&again, d.maps.geo_asn_ids, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(geo_asn_ids_find(&again, 64500), 1);
	cr_expect_eq(geo_asn_ids_find(&again, 64501), 2);
	cr_expect_eq(geo_asn_ids_assign(&again, 64502), 3, "new ASes go after the kept ones");
	geo_asn_ids_free(&again);
	geo_asn_ids_free(&ids);
}

/* A pinned map that names one AS at two indices is corrupt: refused, not
 * guessed at. */
Test(geo_load, corrupt_asn_ids_refused)
{
	struct geo_asn_ids ids;
	__u32 k1 = 1, k2 = 2, asn = 64500;

	cr_assert_eq(bpf_map_update_elem(d.maps.geo_asn_ids, &k1, &asn, BPF_ANY), 0);
	cr_assert_eq(bpf_map_update_elem(d.maps.geo_asn_ids, &k2, &asn, BPF_ANY), 0);
	cr_assert_eq(geo_asn_ids_init(&ids), 0);
	cr_assert_neq(geo_asn_ids_read(&ids, d.maps.geo_asn_ids, err, sizeof(err)), 0);
	cr_expect_str_eq(err, "geo_asn_ids: AS64500 holds indices 1 and 2");
	geo_asn_ids_free(&ids);
}
