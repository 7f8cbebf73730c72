/* metric_families.h: the core metric families (README, Metrics) and their types, for unit and e2e tests. */
#ifndef DN_TEST_METRIC_FAMILIES_H
#define DN_TEST_METRIC_FAMILIES_H

#include <stddef.h>
#include "array_size.h"

/* { name, TYPE } of every family the exporter must always declare. */
static const char *const dn_contract_families[][2] = {
	{ "darknet_packets_total", "counter" },
	{ "darknet_bytes_total", "counter" },
	{ "darknet_port_packets_total", "counter" },
	{ "darknet_icmp_packets_total", "counter" },
	{ "darknet_scanner_packets_total", "counter" },
	{ "darknet_prefix_packets_total", "counter" },
	{ "darknet_prefix_addresses", "gauge" },
	{ "darknet_passed_packets_total", "counter" },
	{ "darknet_malformed_packets_total", "counter" },
	{ "darknet_xdp_attached", "gauge" },
	{ "darknet_build_info", "gauge" },
	{ "darknet_scrape_duration_seconds", "gauge" },
};

#define DN_CONTRACT_FAMILIES (ARRAY_SIZE(dn_contract_families))

#endif
