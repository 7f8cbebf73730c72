/* geo_check.c: `darknet-counter geo-check`: validate geo databases, print their load time and table sizes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "geo_check.h"
#include "geo_image.h"
#include "geo_install.h"

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: darknet-counter geo-check [--geo-country FILE[,FILE]]... "
		"[--geo-asn FILE[,FILE]]... [--install]\n\n"
		"Reads the databases as the daemon does (refusals say file:line: reason),\n"
		"builds the tables and prints the load time and their size. --install also\n"
		"makes the kernel maps, in throwaway slots (root), and prints their memory.\n");
}

#define MAX_FILES 16

/* Cut a comma list in place into paths[]; 0 or -E2BIG. */
static int add_files(const char **paths, int *n, char *arg)
{
	char *save = NULL;

	for (char *p = strtok_r(arg, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_FILES)
			return -E2BIG;
		paths[(*n)++] = p;
	}
	return 0;
}

/* Outer maps like the program's geo_v4 / geo_v6, to swap the tables into
 * exactly as the daemon does. */
static int try_install(const struct geo_image *img, double t0, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, o4, .inner_map_fd = -1);
	LIBBPF_OPTS(bpf_map_create_opts, o6, .inner_map_fd = -1);
	LIBBPF_OPTS(bpf_map_create_opts, inner4, .map_flags = BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_create_opts, inner6, .map_flags = BPF_F_NO_PREALLOC);
	struct geo_tables t = { .fd_v4 = -1, .fd_v6 = -1 };
	int tpl4, tpl6, out4 = -1, out6 = -1, ret;
	double start = mono();

	tpl4 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "geo_tpl4", 4, sizeof(struct dn_geo_v4_row), 1,
			      &inner4);
	tpl6 = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "geo_tpl6", sizeof(struct dn_geo_lpm6), 4,
			      DN_GEO_V6_MAX_PREFIXES, &inner6);
	o4.inner_map_fd = tpl4;
	o6.inner_map_fd = tpl6;
	if (tpl4 >= 0 && tpl6 >= 0) {
		out4 = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "geo_v4", 4, 4, 1, &o4);
		out6 = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "geo_v6", 4, 4, 1, &o6);
	}
	if (out4 < 0 || out6 < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create BPF maps (root?): %s", strerror(errno));
		goto out;
	}
	ret = geo_tables_prepare(img, &t, err, errlen);
	ret = ret ?: geo_tables_commit(out4, out6, &t, err, errlen);
	if (!ret)
		printf("installed: %.2f s; kernel memory: IPv4 table %zu bytes (%.1f MiB), IPv6 "
		       "trie %zu bytes (%.1f MiB, %zu prefixes)\n", mono() - start, t.v4_bytes,
		       t.v4_bytes / 1048576.0, t.v6_bytes, t.v6_bytes / 1048576.0, t.v6_prefixes);
	if (!ret)
		printf("load total, files to tables in force: %.2f s\n", mono() - t0);
	geo_tables_free(&t);
out:
	for (int *fd = (int[]){ tpl4, tpl6, out4, out6 }, i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return ret;
}

int geo_check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "geo-country", required_argument, NULL, 'c' },
		{ "geo-asn", required_argument, NULL, 'a' },
		{ "install", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct geo_db country, asn;
	struct geo_asn_ids ids = {0};
	struct geo_image img;
	int c, ret = 0, install = 0, nc = 0, na = 0, which;
	const char *cf[MAX_FILES], *af[MAX_FILES];
	double t0, t2, t3;
	char err[512] = "";

	geo_db_init(&country, GEO_COUNTRY);
	geo_db_init(&asn, GEO_ASN);
	while (!ret && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		if (c == 'i')
			install = 1;
		if (c == 'c')
			ret = add_files(cf, &nc, optarg);
		if (c == 'a')
			ret = add_files(af, &na, optarg);
	}
	if (ret || (!nc && !na) || optind < argc) {
		usage(stderr);
		return 2;
	}
	t0 = mono();
	ret = geo_db_load_both(&country, cf, nc, &asn, af, na, &which, err, sizeof(err));
	t2 = mono();
	ret = ret ?: geo_asn_ids_init(&ids);
	ret = ret ?: geo_image_build(&img, nc ? &country : NULL, na ? &asn : NULL, &ids,
				     err, sizeof(err));
	t3 = mono();
	if (!ret) {
		for (int i = 0; i < country.nr_files; i++)
			printf("country %s (%s): %zu ranges, %zu overlapping resolved\n",
			       country.files[i].path, country.files[i].type, country.files[i].ranges,
			       country.files[i].overlapping);
		for (int i = 0; i < asn.nr_files; i++)
			printf("asn %s (%s): %zu ranges, %zu overlapping resolved\n",
			       asn.files[i].path, asn.files[i].type, asn.files[i].ranges,
			       asn.files[i].overlapping);
		printf("read and checked: %.2f s (ASes: %zu); tables built: %.2f s; total %.2f s "
		       "before the kernel maps\n",
		       t2 - t0, asn.nr_names, t3 - t2, t3 - t0);
		printf("IPv4: %zu segments, %u split /24s, table %zu bytes; IPv6: %zu segments, "
		       "%zu prefixes\n", img.segments[0], img.nr_blocks, geo_image_v4_bytes(&img),
		       img.segments[1], img.nr_v6);
		if (install)
			ret = try_install(&img, t0, err, sizeof(err));
		geo_image_free(&img);
	}
	if (ret)
		fprintf(stderr, "darknet-counter geo-check: %s\n", err[0] ? err : strerror(-ret));
	(void)which;
	if (ids.asn_of)
		geo_asn_ids_free(&ids);
	geo_db_free(&country);
	geo_db_free(&asn);
	return ret ? 1 : 0;
}
