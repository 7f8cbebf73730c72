/* config.h: the daemon's command line, parsed into one struct. */
#ifndef DN_CONFIG_H
#define DN_CONFIG_H

#include <stdbool.h>
#include <xdp/libxdp.h>
#include "events_judge.h"
#include "port_series.h"
#include "prefix.h"

#define DN_MAX_IFACES 16
#define DN_MAX_LIST_PATHS 16
#define DN_DEFAULT_LISTEN ":9917"
#define DN_DEFAULT_PIN_ROOT "/sys/fs/bpf/darknet-counter"
#define DN_DEFAULT_MAX_PORT_SERIES PORT_SERIES_DEFAULT_MAX
enum dn_command {
	DN_CMD_RUN,     /* darknet-counter [options] IFACE... */
	DN_CMD_STATUS,  /* darknet-counter status */
	DN_CMD_DETACH,  /* darknet-counter detach IFACE... */
};

struct dn_config {
	enum dn_command command;
	const char *ifaces[DN_MAX_IFACES];
	int nr_ifaces;
	struct dn_prefix_list darknets;      /* from --darknet */
	const char *darknet_files[DN_MAX_LIST_PATHS];
	int nr_darknet_files;
	const char *scanner_paths[DN_MAX_LIST_PATHS];
	int nr_scanner_paths;
	const char *geo_country_files[DN_MAX_LIST_PATHS];   /* --geo-country */
	int nr_geo_country_files;
	const char *geo_asn_files[DN_MAX_LIST_PATHS];       /* --geo-asn */
	int nr_geo_asn_files;
	char *geo_copies[2 * DN_MAX_LIST_PATHS];           /* comma lists, cut */
	int nr_geo_copies;
	unsigned int action;                 /* XDP_DROP or XDP_PASS */
	enum xdp_attach_mode mode;           /* XDP_MODE_UNSPEC means auto */
	const char *listen_address;
	const char *telemetry_path;
	const char *web_config_file;
	const char *netns;                   /* attach in this named netns */
	const char *pin_root;
	const char *user;                    /* drop to this user after setup */
	unsigned int max_port_series;
	const char *watch_ports;
	unsigned int max_asn_series;         /* --max-asn-series, per interface */
	const char *watch_asns;              /* --watch-asns LIST or "none" */
	unsigned int reload_interval;        /* seconds between list mtime checks */
	bool detach_on_exit;
	bool no_distinct;                    /* --no-distinct: no sketches in the datapath */
	unsigned int distinct_interval;      /* seconds per distinct-count interval */
	/* scan campaigns and DoS victims (docs/events.md) */
	bool no_events;                      /* --no-events: no event tables in the datapath, no sweeper */
	struct ev_thresholds ev_th;
	unsigned int event_sweep_interval;   /* seconds between sweeps */
	unsigned int dos_window;             /* seconds of a DoS packet window */
	unsigned int scan_table_entries;     /* scan_events max_entries */
	unsigned int dos_table_entries;      /* dos_victims max_entries */
	const char *events_file;
	unsigned long long events_file_max_bytes;
	unsigned int events_keep;            /* closed events kept for the API */
	int verbose;
};

/* Parse argv into cfg. Returns 0 to run, 1 when --help/--version was
 * handled (exit 0), or -EINVAL after printing a one-line error. */
int config_parse(struct dn_config *cfg, int argc, char **argv);
void config_free(struct dn_config *cfg);
const char *config_mode_name(enum xdp_attach_mode mode);

#endif
