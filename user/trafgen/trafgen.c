/* trafgen.c: darknet-trafgen's command line and main(); trafgen_send.c does the sending. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trafgen.h"
#include "array_size.h"

volatile sig_atomic_t tg_stop;

enum { OPT_NETNS = 256, OPT_IFACE, OPT_MIX, OPT_RATE, OPT_COUNT, OPT_DURATION,
       OPT_SEED, OPT_SOURCES, OPT_SCANNERS, OPT_DARKNET, OPT_CAMPAIGN, OPT_TRUTH,
       OPT_VERSION };

struct option_doc {
	struct option opt;
	const char *arg;
	const char *help;
};

static const struct option_doc options[] = {
	{ { "netns", required_argument, NULL, OPT_NETNS }, "NAME",
	  "send from network namespace NAME (/var/run/netns/NAME)" },
	{ { "iface", required_argument, NULL, OPT_IFACE }, "IFACE",
	  "interface to send on (required)" },
	{ { "mix", required_argument, NULL, OPT_MIX }, "NAME",
	  "traffic mix, see below (default nicter)" },
	{ { "rate", required_argument, NULL, OPT_RATE }, "PPS",
	  "packets per second, 0 = as fast as possible (default 0)" },
	{ { "count", required_argument, NULL, OPT_COUNT }, "N",
	  "stop after N packets (0: no limit)" },
	{ { "duration", required_argument, NULL, OPT_DURATION }, "SEC",
	  "stop after SEC seconds (fractions allowed)" },
	{ { "seed", required_argument, NULL, OPT_SEED }, "N",
	  "PRNG seed: the same seed sends the same frames (default 1)" },
	{ { "sources", required_argument, NULL, OPT_SOURCES }, "N",
	  "draw sources from N fixed addresses per family; print distinct counts" },
	{ { "scanners", required_argument, NULL, OPT_SCANNERS }, "PATH",
	  "research-scanner list: research sources (repeatable)" },
	{ { "darknet", required_argument, NULL, OPT_DARKNET }, "CIDR",
	  "destination prefix (repeatable; default: see below)" },
	{ { "campaign", required_argument, NULL, OPT_CAMPAIGN }, "SPEC",
	  "--mix campaign with KEY=VALUE,... over its defaults (see below)" },
	{ { "truth", required_argument, NULL, OPT_TRUTH }, "FILE",
	  "campaign: write the expected events to FILE (.tsv: TSV, else JSON)" },
	{ { "quiet", no_argument, NULL, 'q' }, NULL, "no progress lines on stderr" },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL, "print the version" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this help" },
};
#define NR_OPTIONS (ARRAY_SIZE(options))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [--netns NAME] --iface IFACE [--mix NAME] [--rate PPS]\n"
		"       [--count N] [--duration SEC] [--seed N] [--sources N]\n"
		"       [--scanners FILE] [--campaign SPEC] [--truth FILE] [-q]\n\n"
		"Sends a synthetic darknet traffic mix out of IFACE (AF_PACKET, root).\n"
		"Without --count or --duration it runs until SIGINT or SIGTERM.\n\nOptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];
		int c = options[i].opt.val;

		snprintf(left, sizeof(left), "--%s%s%s", options[i].opt.name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(out, "  %s%-20s %s\n", c == 'q' ? "-q, " : c == 'h' ? "-h, " : "    ",
			left, options[i].help);
	}
	fprintf(out, "\nMixes:\n");
	for (const struct mix_def *d = mix_defs; d->name; d++)
		fprintf(out, "  %-8s %s\n", d->name, d->help);
	fprintf(out, "  %-8s %s\n", "campaign", "scan campaigns and DoS backscatter on a timeline, "
		"with ground truth (--truth); --rate is ignored, each actor keeps its own pace");
	fprintf(out,
		"\nCampaign keys (defaults in brackets): scanners [7] and slow [2] scanners\n"
		"above and below the scan thresholds, victims [3] and weak [3] DoS victims\n"
		"above and below the DoS thresholds, duration [12] s of the run, gap [0.5] s\n"
		"the longest silence of an actor, pps [1000] the fastest scanner, and the\n"
		"thresholds the daemon must run with: scan-min-destinations [100],\n"
		"scan-min-rate [5e8], dos-min-packets [25], dos-min-duration [2] s,\n"
		"dos-window [1] s, dos-min-window-packets [30]. Campaigns are IPv4.\n");
	fprintf(out,
		"\nDestinations default to 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.\n"
		"Sources other than research scans avoid every --scanners prefix.\n"
		"\nOn exit it prints what it sent, on stdout:\n"
		"  sent PACKETS packets BYTES bytes in SEC s (PPS pps)\n"
		"  class CLASS PACKETS BYTES               (every class)\n"
		"  series FAMILY PROTO CLASS PACKETS BYTES (every non-zero one)\n"
		"  org ORG PACKETS                         (research, by scanner org)\n"
		"with the labels of darknet_packets_total, darknet_bytes_total and\n"
		"darknet_scanner_packets_total. With --sources, also the exact number of\n"
		"distinct sources sent (the truth for darknet_unique_sources and\n"
		"darknet_port_unique_sources; sources are split among public, scanner,\n"
		"bogon and source-is-destination draws by weight):\n"
		"  sources FAMILY CLASS N                  (every non-zero one)\n"
		"  port_sources PROTO PORT N               (TCP/UDP, both families, first\n"
		"                                           %d ports sent to)\n"
		"  port_sources_untracked PACKETS          (frames to later ports)\n",
		MIX_DISTINCT_PORTS);
}

static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-') {
		fprintf(stderr, PROG ": --%s: '%s' is not a non-negative integer\n", opt, text);
		return -EINVAL;
	}
	return 0;
}

static int parse_seconds(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno || end == text || *end || !(*out > 0) || *out > 1e9) {
		fprintf(stderr, PROG ": --duration: '%s' is not a number of seconds > 0\n", text);
		return -EINVAL;
	}
	return 0;
}

static int add_darknet(struct tg_config *cfg, const char *text)
{
	struct dn_prefix p;
	char err[128];

	if (prefix_parse(text, &p, err, sizeof(err))) {
		fprintf(stderr, PROG ": --darknet %s: %s\n", text, err);
		return -EINVAL;
	}
	return prefix_list_add(&cfg->darknets, &p, "");
}

static int add_scanners(struct tg_config *cfg, const char *path)
{
	if (cfg->nr_scanners >= (int)(sizeof(cfg->scanners) / sizeof(cfg->scanners[0]))) {
		fprintf(stderr, PROG ": --scanners given too often\n");
		return -EINVAL;
	}
	cfg->scanners[cfg->nr_scanners++] = path;
	return 0;
}

static int parse_campaign(struct tg_config *cfg, const char *spec)
{
	char err[256];

	cfg->mix = "campaign";
	if (campaign_config_parse(&cfg->camp, spec, err, sizeof(err))) {
		fprintf(stderr, PROG ": --campaign: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* One option; returns 0, 1 to exit 0 at once (--help), or -EINVAL. */
static int parse_one(struct tg_config *cfg, int c, const char *arg)
{
	switch (c) {
	case OPT_NETNS: cfg->netns = arg; return 0;
	case OPT_IFACE: cfg->iface = arg; return 0;
	case OPT_MIX: cfg->mix = arg; return 0;
	case OPT_RATE: return parse_u64("rate", arg, &cfg->rate);
	case OPT_COUNT: return parse_u64("count", arg, &cfg->count);
	case OPT_SEED: return parse_u64("seed", arg, &cfg->seed);
	case OPT_SOURCES: return parse_u64("sources", arg, &cfg->sources);
	case OPT_DURATION: return parse_seconds(arg, &cfg->duration);
	case OPT_SCANNERS: return add_scanners(cfg, arg);
	case OPT_DARKNET: return add_darknet(cfg, arg);
	case OPT_CAMPAIGN: return parse_campaign(cfg, arg);
	case OPT_TRUTH: cfg->truth = arg; return 0;
	case 'q': cfg->quiet = 1; return 0;
	case 'h': usage(stdout); return 1;
	case OPT_VERSION: printf(PROG " %s\n", DN_VERSION); return 1;
	default: return -EINVAL;
	}
}

static int parse_args(struct tg_config *cfg, int argc, char **argv)
{
	struct option longopts[NR_OPTIONS + 1];
	int c, ret;

	for (size_t i = 0; i < NR_OPTIONS; i++)
		longopts[i] = options[i].opt;
	memset(&longopts[NR_OPTIONS], 0, sizeof(longopts[0]));
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		ret = parse_one(cfg, c, optarg);
		if (ret == -EINVAL && c == '?')
			fprintf(stderr, "Try '" PROG " --help'.\n");
		if (ret)
			return ret;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (try --help)\n", argv[optind]);
		return -EINVAL;
	}
	cfg->campaign = !strcmp(cfg->mix, "campaign");
	if (cfg->truth && !cfg->campaign) {
		fprintf(stderr, PROG ": --truth needs --mix campaign\n");
		return -EINVAL;
	}
	if (!cfg->iface) {
		fprintf(stderr, PROG ": --iface is required (try --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* The campaign's plan, and its truth before anything is sent. */
static int setup_campaign(const struct tg_config *cfg, const struct dn_prefix_list *scanners,
			  struct tg_run *r)
{
	struct campaign_config cc = cfg->camp;
	char err[256];
	int ret;

	cc.seed = cfg->seed;
	cc.darknets = &cfg->darknets;
	cc.scanners = scanners;
	ret = campaign_init(&r->camp, &cc, err, sizeof(err));
	if (!ret && cfg->truth && (ret = campaign_truth_save(&r->camp, cfg->truth, err,
							      sizeof(err))))
		campaign_free(&r->camp);
	if (ret)
		fprintf(stderr, PROG ": %s\n", err);
	r->campaign = !ret;
	return ret;
}

/* Lists, then the mix over them. */
static int setup_mix(const struct tg_config *cfg, struct tg_run *r)
{
	struct dn_prefix_list scanners;
	struct mix_config mc = { .name = cfg->mix, .seed = cfg->seed, .scanners = &scanners,
				 .darknets = &cfg->darknets, .sources = cfg->sources };
	char err[256];
	int ret = 0;

	prefix_list_init(&scanners);
	for (int i = 0; !ret && i < cfg->nr_scanners; i++) {
		ret = prefix_list_load_scanners(&scanners, cfg->scanners[i], err, sizeof(err));
		if (ret)
			fprintf(stderr, PROG ": %s\n", err);
	}
	if (!ret && cfg->campaign)
		ret = setup_campaign(cfg, &scanners, r);
	else if (!ret && !strcmp(cfg->mix, "nicter") && !scanners.len)
		fprintf(stderr, PROG ": warning: no --scanners: the nicter mix sends no "
			"research scans\n");
	if (!ret && !cfg->campaign && (ret = mix_init(&r->mix, &mc, err, sizeof(err))))
		fprintf(stderr, PROG ": %s\n", err);
	prefix_list_free(&scanners);
	return ret;
}

static void on_signal(int sig)
{
	(void)sig;
	tg_stop = 1;
}

/* No SA_RESTART: a signal must cut a sleep or a blocked send short. */
static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct tg_config cfg = { .mix = "nicter", .seed = 1 };
	static struct tg_run run = { .fd = -1 };   /* static: ~150 KiB of batch and tally */
	int ret;

	prefix_list_init(&cfg.darknets);
	campaign_config_defaults(&cfg.camp);
	ret = parse_args(&cfg, argc, argv);
	if (ret)
		goto out_cfg;
	ret = setup_mix(&cfg, &run);
	if (ret)
		goto out_cfg;
	mix_distinct_init(&run.distinct);
	run.track = cfg.sources > 0;
	run.fd = tg_open_socket(&cfg);
	if (run.fd < 0) {
		ret = run.fd;
		goto out_mix;
	}
	install_signals();
	ret = tg_send_loop(&cfg, &run);
	tg_print_summary(&run);
	close(run.fd);
out_mix:
	mix_distinct_free(&run.distinct);
	mix_free(&run.mix);
	if (run.campaign)
		campaign_free(&run.camp);
out_cfg:
	prefix_list_free(&cfg.darknets);
	return ret < 0 ? 1 : 0;
}
