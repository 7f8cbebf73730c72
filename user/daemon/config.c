/* config.c: the daemon's command line, parsed into one struct; one table drives --help. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/bpf.h>
#include "config.h"
#include "darknet_events.h"
#include "geo_series.h"
#include "distinct_window.h"
#include "events_file.h"
#include "pathname.h"
#include "array_size.h"

enum {
	OPT_DARKNET = 256, OPT_DARKNET_FILE, OPT_SCANNERS, OPT_ACTION, OPT_MODE,
	OPT_LISTEN, OPT_PATH, OPT_WEB_CONFIG, OPT_NETNS, OPT_PIN_ROOT, OPT_USER,
	OPT_MAX_PORT_SERIES, OPT_WATCH_PORTS, OPT_RELOAD_INTERVAL, OPT_DETACH_ON_EXIT,
	OPT_NO_DISTINCT, OPT_DISTINCT_INTERVAL,
	OPT_NO_EVENTS, OPT_SWEEP_INTERVAL, OPT_SCAN_IDLE, OPT_DOS_IDLE, OPT_SCAN_MIN_DST,
	OPT_SCAN_MIN_RATE, OPT_DOS_MIN_PACKETS, OPT_DOS_MIN_DURATION, OPT_DOS_MIN_WINDOW,
	OPT_DOS_WINDOW, OPT_SCAN_TABLE_ENTRIES, OPT_DOS_TABLE_ENTRIES, OPT_EVENTS_FILE,
	OPT_EVENTS_FILE_MAX, OPT_EVENTS_KEEP, OPT_GEO_COUNTRY, OPT_GEO_ASN, OPT_MAX_ASN_SERIES,
	OPT_WATCH_ASNS,
	OPT_VERSION,
};

#define DN_STR_(x) #x
#define DN_STR(x) DN_STR_(x)

struct option_doc {
	struct option opt;
	const char *arg;
	const char *help;
};

static const struct option_doc options[] = {
	{ { "darknet", required_argument, NULL, OPT_DARKNET }, "CIDR",
	  "darknet prefix, IPv4 or IPv6 (repeatable); none: every IP packet counts" },
	{ { "darknet-file", required_argument, NULL, OPT_DARKNET_FILE }, "FILE",
	  "file of darknet prefixes, one CIDR a line, '#' comments (repeatable)" },
	{ { "scanners", required_argument, NULL, OPT_SCANNERS }, "PATH",
	  "research-scanner list ('CIDR ORG' lines) or a directory of them (repeatable)" },
	{ { "action", required_argument, NULL, OPT_ACTION }, "drop|pass",
	  "verdict for counted darknet packets (default drop)" },
	{ { "xdp-mode", required_argument, NULL, OPT_MODE }, "native|skb|auto",
	  "XDP attach mode; auto tries native, then skb (default auto)" },
	{ { "web.listen-address", required_argument, NULL, OPT_LISTEN }, "HOST:PORT",
	  "address to serve metrics on (default " DN_DEFAULT_LISTEN ")" },
	{ { "web.telemetry-path", required_argument, NULL, OPT_PATH }, "PATH",
	  "path of the metrics (default /metrics)" },
	{ { "web.config.file", required_argument, NULL, OPT_WEB_CONFIG }, "FILE",
	  "exporter-toolkit web config: TLS and basic auth" },
	{ { "netns", required_argument, NULL, OPT_NETNS }, "NAME",
	  "attach to interfaces of network namespace NAME; serve HTTP in this one" },
	{ { "bpffs-dir", required_argument, NULL, OPT_PIN_ROOT }, "DIR",
	  "where pinned state lives (default " DN_DEFAULT_PIN_ROOT ")" },
	{ { "user", required_argument, NULL, OPT_USER }, "USER",
	  "run as USER once attached and bound" },
	{ { "max-port-series", required_argument, NULL, OPT_MAX_PORT_SERIES }, "N",
	  "bound on port series, all interfaces together, before folding into "
	  "port=\"other\" (default 2048)" },
	{ { "watch-ports", required_argument, NULL, OPT_WATCH_PORTS }, "LIST",
	  "ports that always get their own series (default: the IoT and top darknet "
	  "ports, " DN_DEFAULT_WATCH_PORTS "); \"none\" for none" },
	{ { "geo-country", required_argument, NULL, OPT_GEO_COUNTRY }, "FILE[,FILE]",
	  "source country database: range CSV 'first,last,CC' or .mmdb, IPv4 and IPv6 "
	  "files (repeatable)" },
	{ { "geo-asn", required_argument, NULL, OPT_GEO_ASN }, "FILE[,FILE]",
	  "origin AS database: range CSV 'first,last,ASN,org' or .mmdb (repeatable)" },
	{ { "max-asn-series", required_argument, NULL, OPT_MAX_ASN_SERIES }, "N",
	  "origin ASes promoted to a series of their own per interface, the rest in "
	  "asn=\"other\"; never demoted (default 100)" },
	{ { "watch-asns", required_argument, NULL, OPT_WATCH_ASNS }, "LIST",
	  "AS numbers that always get their own series, e.g. 13335,15169 (default none)" },
	{ { "reload-interval", required_argument, NULL, OPT_RELOAD_INTERVAL }, "SEC",
	  "check list files for changes every SEC seconds, 0 = only on SIGHUP (default 30)" },
	{ { "no-distinct", no_argument, NULL, OPT_NO_DISTINCT }, NULL,
	  "no distinct-source sketches: the datapath skips them entirely" },
	{ { "distinct-interval", required_argument, NULL, OPT_DISTINCT_INTERVAL }, "SEC",
	  "distinct-count interval, a divisor of 300 (default 60)" },
	{ { "no-events", no_argument, NULL, OPT_NO_EVENTS }, NULL,
	  "no scan-campaign or DoS-victim tables: the datapath skips them, each holds 1 entry" },
	{ { "event-sweep-interval", required_argument, NULL, OPT_SWEEP_INTERVAL }, "SEC",
	  "close idle events every SEC seconds, 1..3600 (default 1)" },
	{ { "scan-idle-timeout", required_argument, NULL, OPT_SCAN_IDLE }, "SEC",
	  "a scan ends after SEC seconds without a packet (default 480)" },
	{ { "dos-idle-timeout", required_argument, NULL, OPT_DOS_IDLE }, "SEC",
	  "a DoS attack ends after SEC seconds without backscatter (default 300)" },
	{ { "scan-min-destinations", required_argument, NULL, OPT_SCAN_MIN_DST }, "N",
	  "a scan reaches at least N distinct darknet addresses (default 100)" },
	{ { "scan-min-rate", required_argument, NULL, OPT_SCAN_MIN_RATE }, "PPS",
	  "a scan's estimated Internet-wide rate is at least PPS packets/s (default 10)" },
	{ { "dos-min-packets", required_argument, NULL, OPT_DOS_MIN_PACKETS }, "N",
	  "a DoS attack has at least N backscatter packets (default 25)" },
	{ { "dos-min-duration", required_argument, NULL, OPT_DOS_MIN_DURATION }, "SEC",
	  "a DoS attack lasts at least SEC seconds (default 60)" },
	{ { "dos-min-window-packets", required_argument, NULL, OPT_DOS_MIN_WINDOW }, "N",
	  "a DoS attack has at least N packets in one window (default 30)" },
	{ { "dos-window", required_argument, NULL, OPT_DOS_WINDOW }, "SEC",
	  "length of a DoS packet window, 1..3600 seconds (default 60)" },
	{ { "scan-table-entries", required_argument, NULL, OPT_SCAN_TABLE_ENTRIES }, "N",
	  "scan candidates tracked at once, 1.." DN_STR(DN_EVENT_TABLE_MAX) " (default "
	  DN_STR(DN_SCAN_TABLE_DEFAULT) ")" },
	{ { "dos-table-entries", required_argument, NULL, OPT_DOS_TABLE_ENTRIES }, "N",
	  "DoS victims tracked at once, 1.." DN_STR(DN_EVENT_TABLE_MAX) " (default "
	  DN_STR(DN_VICTIM_TABLE_DEFAULT) ")" },
	{ { "events-file", required_argument, NULL, OPT_EVENTS_FILE }, "FILE",
	  "append each closed event to FILE as a JSON line" },
	{ { "events-file-max-bytes", required_argument, NULL, OPT_EVENTS_FILE_MAX }, "N",
	  "rotate the events file to FILE.1 past N bytes (default 104857600)" },
	{ { "events-keep", required_argument, NULL, OPT_EVENTS_KEEP }, "N",
	  "closed events kept in memory for /api/v1/events, 1..100000 (default 1000)" },
	{ { "detach-on-exit", no_argument, NULL, OPT_DETACH_ON_EXIT }, NULL,
	  "detach and remove pinned state on exit (default: keep counting)" },
	{ { "verbose", no_argument, NULL, 'v' }, NULL,
	  "debug logs, libbpf's and libxdp's messages included" },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL, "print the version" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this help" },
};
#define NR_OPTIONS (ARRAY_SIZE(options))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: darknet-counter [OPTIONS] IFACE...\n"
		"       darknet-counter status [--bpffs-dir DIR]\n"
		"       darknet-counter detach [--netns NAME] IFACE...\n"
		"       darknet-counter report --prometheus URL --output FILE.html PERIOD [OPTIONS]\n"
		"                            (see darknet-counter report --help)\n"
		"       darknet-counter union [--json] [--username USER --password-file FILE] "
		"URL...\n"
		"       darknet-counter geo-check [--geo-country FILE] [--geo-asn FILE] "
		"[--install]\n\n"
		"Counts darknet packets per port, protocol and source class in XDP\n"
		"and serves them as Prometheus metrics.\n\nOptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", options[i].opt.name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(out, "  %s%-34s %s\n", options[i].opt.val == 'v' ? "-v, " :
			options[i].opt.val == 'h' ? "-h, " : "    ", left, options[i].help);
	}
}

/* A whole number in min..max, or a message naming the flag and its range. */
static int parse_uint(const char *opt, const char *text, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max || text[0] == '-') {
		fprintf(stderr, "darknet-counter: --%s must be %u..%u, not '%s'\n", opt, min, max,
			text);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_rate(const char *text, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= 0 && v <= EV_SCAN_MIN_RATE_MAX)) {
		fprintf(stderr, "darknet-counter: --scan-min-rate: '%s' is not a rate in "
			"0..%g packets/s\n", text, EV_SCAN_MIN_RATE_MAX);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_bytes(const char *text, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < EV_FILE_MAX_BYTES_MIN) {
		fprintf(stderr, "darknet-counter: --events-file-max-bytes: '%s' is not a size "
			"of at least %llu bytes\n", text, EV_FILE_MAX_BYTES_MIN);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_event(struct dn_config *cfg, int c, const char *arg)
{
	struct ev_thresholds *t = &cfg->ev_th;

	switch (c) {
	case OPT_NO_EVENTS: cfg->no_events = true; return 0;
	case OPT_SWEEP_INTERVAL:
		return parse_uint("event-sweep-interval", arg, 1, 3600,
					&cfg->event_sweep_interval);
	/* thresholds: any number here, their ranges are checked together */
	case OPT_SCAN_IDLE: return parse_uint("scan-idle-timeout", arg, 0, UINT_MAX, &t->scan_idle_s);
	case OPT_DOS_IDLE: return parse_uint("dos-idle-timeout", arg, 0, UINT_MAX, &t->dos_idle_s);
	case OPT_SCAN_MIN_DST:
		return parse_uint("scan-min-destinations", arg, 0, UINT_MAX, &t->scan_min_dst);
	case OPT_SCAN_MIN_RATE: return parse_rate(arg, &t->scan_min_rate);
	case OPT_DOS_MIN_PACKETS:
		return parse_uint("dos-min-packets", arg, 0, UINT_MAX, &t->dos_min_packets);
	case OPT_DOS_MIN_DURATION:
		return parse_uint("dos-min-duration", arg, 0, UINT_MAX, &t->dos_min_duration_s);
	case OPT_DOS_MIN_WINDOW:
		return parse_uint("dos-min-window-packets", arg, 0, UINT_MAX, &t->dos_min_window);
	case OPT_DOS_WINDOW:
		return parse_uint("dos-window", arg, 1, 3600, &cfg->dos_window);
	/* a table's memory is fixed when the map is made (docs/events.md) */
	case OPT_SCAN_TABLE_ENTRIES:
		return parse_uint("scan-table-entries", arg, 1, DN_EVENT_TABLE_MAX,
					&cfg->scan_table_entries);
	case OPT_DOS_TABLE_ENTRIES:
		return parse_uint("dos-table-entries", arg, 1, DN_EVENT_TABLE_MAX,
					&cfg->dos_table_entries);
	case OPT_EVENTS_FILE: cfg->events_file = arg; return 0;
	case OPT_EVENTS_FILE_MAX: return parse_bytes(arg, &cfg->events_file_max_bytes);
	case OPT_EVENTS_KEEP:
		return parse_uint("events-keep", arg, 1, 100000, &cfg->events_keep);
	default:
		return 1;   /* not an event flag */
	}
}

static int push_path(const char **paths, int *n, const char *opt, const char *path)
{
	if (*n >= DN_MAX_LIST_PATHS) {
		fprintf(stderr, "darknet-counter: --%s given more than %d times\n",
			opt, DN_MAX_LIST_PATHS);
		return -EINVAL;
	}
	paths[(*n)++] = path;
	return 0;
}

/* --geo-country a.csv,b.csv: the list is cut in a copy that config_free
 * releases. */
static int push_geo(struct dn_config *cfg, const char *opt, const char *arg)
{
	int geo_asn = !strcmp(opt, "geo-asn");
	const char **paths = geo_asn ? cfg->geo_asn_files : cfg->geo_country_files;
	int *n = geo_asn ? &cfg->nr_geo_asn_files : &cfg->nr_geo_country_files;
	char *copy, *save = NULL;
	int ret = 0;

	if (cfg->nr_geo_copies >= (int)ARRAY_SIZE(cfg->geo_copies) || !(copy = strdup(arg))) {
		fprintf(stderr, "darknet-counter: --%s given too often\n", opt);
		return -EINVAL;
	}
	cfg->geo_copies[cfg->nr_geo_copies++] = copy;
	for (char *p = strtok_r(copy, ",", &save); p && !ret; p = strtok_r(NULL, ",", &save))
		ret = push_path(paths, n, opt, p);
	if (!ret && !*n) {
		fprintf(stderr, "darknet-counter: --%s: no file named\n", opt);
		ret = -EINVAL;
	}
	return ret;
}

static int add_darknet(struct dn_config *cfg, const char *text)
{
	struct dn_prefix p;
	char err[128];
	int ret;

	if (prefix_parse(text, &p, err, sizeof(err))) {
		fprintf(stderr, "darknet-counter: --darknet %s: %s\n", text, err);
		return -EINVAL;
	}
	ret = prefix_list_add(&cfg->darknets, &p, "");
	if (ret)
		fprintf(stderr, "darknet-counter: --darknet %s: %s\n", text, strerror(-ret));
	return ret;
}

static int parse_one(struct dn_config *cfg, int c, const char *arg)
{
	char why[160];
	int ret = parse_event(cfg, c, arg);

	if (ret <= 0)
		return ret;
	switch (c) {
	case OPT_DARKNET:
		return add_darknet(cfg, arg);
	case OPT_DARKNET_FILE:
		return push_path(cfg->darknet_files, &cfg->nr_darknet_files,
				 "darknet-file", arg);
	case OPT_SCANNERS:
		return push_path(cfg->scanner_paths, &cfg->nr_scanner_paths,
				 "scanners", arg);
	case OPT_GEO_COUNTRY:
		return push_geo(cfg, "geo-country", arg);
	case OPT_GEO_ASN:
		return push_geo(cfg, "geo-asn", arg);
	case OPT_ACTION:
		if (!strcmp(arg, "drop"))
			cfg->action = XDP_DROP;
		else if (!strcmp(arg, "pass"))
			cfg->action = XDP_PASS;
		else
			goto bad_choice;
		return 0;
	case OPT_MODE:
		if (!strcmp(arg, "native"))
			cfg->mode = XDP_MODE_NATIVE;
		else if (!strcmp(arg, "skb"))
			cfg->mode = XDP_MODE_SKB;
		else if (!strcmp(arg, "auto"))
			cfg->mode = XDP_MODE_UNSPEC;
		else
			goto bad_choice;
		return 0;
	case OPT_LISTEN: cfg->listen_address = arg; return 0;
	case OPT_PATH:
		if (arg[0] != '/') {
			fprintf(stderr, "darknet-counter: --web.telemetry-path must start with '/'\n");
			return -EINVAL;
		}
		cfg->telemetry_path = arg;
		return 0;
	case OPT_WEB_CONFIG: cfg->web_config_file = arg; return 0;
	case OPT_NETNS:
		/* it becomes part of /var/run/netns/NAME and of pin paths */
		if (pathname_check_netns(arg, why, sizeof(why))) {
			fprintf(stderr, "darknet-counter: --netns: %s\n", why);
			return -EINVAL;
		}
		cfg->netns = arg;
		return 0;
	case OPT_PIN_ROOT: cfg->pin_root = arg; return 0;
	case OPT_USER: cfg->user = arg; return 0;
	case OPT_MAX_PORT_SERIES:
		return parse_uint("max-port-series", arg, 0, DN_NR_PORTS, &cfg->max_port_series);
	case OPT_WATCH_PORTS: cfg->watch_ports = arg; return 0;
	case OPT_MAX_ASN_SERIES:
		return parse_uint("max-asn-series", arg, 0, DN_GEO_ASN_SLOTS - 1, &cfg->max_asn_series);
	case OPT_WATCH_ASNS: cfg->watch_asns = arg; return 0;
	case OPT_RELOAD_INTERVAL:
		return parse_uint("reload-interval", arg, 0, 86400, &cfg->reload_interval);
	case OPT_DETACH_ON_EXIT: cfg->detach_on_exit = true; return 0;
	case OPT_NO_DISTINCT: cfg->no_distinct = true; return 0;
	case OPT_DISTINCT_INTERVAL:
		if (parse_uint("distinct-interval", arg, 0, 300, &cfg->distinct_interval))
			return -EINVAL;
		if (!dwin_interval_ok(cfg->distinct_interval)) {
			fprintf(stderr, "darknet-counter: --distinct-interval must divide 300 "
				"seconds (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 25, 30, 50, 60, 75, "
				"100, 150 or 300), not %s\n", arg);
			return -EINVAL;
		}
		return 0;
	case 'v': cfg->verbose++; return 0;
	default:
		return -EINVAL;
	}
bad_choice:
	fprintf(stderr, "darknet-counter: invalid value '%s' for --%s\n", arg,
		c == OPT_ACTION ? "action" : "xdp-mode");
	return -EINVAL;
}

static enum dn_command parse_command(int *argi, int argc, char **argv)
{
	if (*argi < argc && !strcmp(argv[*argi], "status")) {
		(*argi)++;
		return DN_CMD_STATUS;
	}
	if (*argi < argc && !strcmp(argv[*argi], "detach")) {
		(*argi)++;
		return DN_CMD_DETACH;
	}
	return DN_CMD_RUN;
}

static int check_rules(const struct dn_config *cfg)
{
	char why[160];

	if (ev_thresholds_check(&cfg->ev_th, why, sizeof(why))) {
		fprintf(stderr, "darknet-counter: %s\n", why);
		return -EINVAL;
	}
	if (cfg->command == DN_CMD_STATUS && cfg->nr_ifaces) {
		fprintf(stderr, "darknet-counter: status takes no interface\n");
		return -EINVAL;
	}
	if (cfg->command != DN_CMD_STATUS && !cfg->nr_ifaces) {
		fprintf(stderr, "darknet-counter: no interface given (try --help)\n");
		return -EINVAL;
	}
	return 0;
}

int config_parse(struct dn_config *cfg, int argc, char **argv)
{
	struct option longopts[NR_OPTIONS + 1];
	int c, err, first = 1;
	char why[160];

	*cfg = (struct dn_config){
		.action = XDP_DROP,
		.mode = XDP_MODE_UNSPEC,
		.listen_address = DN_DEFAULT_LISTEN,
		.telemetry_path = "/metrics",
		.pin_root = DN_DEFAULT_PIN_ROOT,
		.max_port_series = DN_DEFAULT_MAX_PORT_SERIES,
		.watch_ports = DN_DEFAULT_WATCH_PORTS,
		.max_asn_series = GEO_SERIES_DEFAULT_MAX,
		.watch_asns = "none",
		.reload_interval = 30,
		.distinct_interval = 60,
		.event_sweep_interval = 1,
		.dos_window = DN_EVENT_WINDOW_NS_DEFAULT / 1000000000ull,
		.scan_table_entries = DN_SCAN_TABLE_DEFAULT,
		.dos_table_entries = DN_VICTIM_TABLE_DEFAULT,
		.events_file_max_bytes = EV_FILE_MAX_BYTES_DEFAULT,
		.events_keep = 1000,
	};
	ev_thresholds_default(&cfg->ev_th);
	prefix_list_init(&cfg->darknets);
	for (size_t i = 0; i < NR_OPTIONS; i++)
		longopts[i] = options[i].opt;
	memset(&longopts[NR_OPTIONS], 0, sizeof(longopts[0]));

	cfg->command = parse_command(&first, argc, argv);
	optind = first;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("darknet-counter %s\n", DN_VERSION);
			return 1;
		}
		if (c == '?')
			return -EINVAL;   /* getopt printed the reason */
		err = parse_one(cfg, c, optarg);
		if (err)
			return err;
	}
	for (; optind < argc; optind++) {
		if (cfg->nr_ifaces >= DN_MAX_IFACES) {
			fprintf(stderr, "darknet-counter: more than %d interfaces\n",
				DN_MAX_IFACES);
			return -EINVAL;
		}
		/* it names a pin directory that detach removes */
		if (pathname_check_ifname(argv[optind], why, sizeof(why))) {
			fprintf(stderr, "darknet-counter: %s\n", why);
			return -EINVAL;
		}
		cfg->ifaces[cfg->nr_ifaces++] = argv[optind];
	}
	return check_rules(cfg);
}

void config_free(struct dn_config *cfg)
{
	prefix_list_free(&cfg->darknets);
	for (int i = 0; i < cfg->nr_geo_copies; i++)
		free(cfg->geo_copies[i]);
	cfg->nr_geo_copies = 0;
}

const char *config_mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE: return "native";
	case XDP_MODE_SKB: return "skb";
	case XDP_MODE_HW: return "hw";
	default: return "auto";
	}
}
