#!/usr/bin/env python3
# events_geo_data.py: two hours, up to now, of one lab sensor's event and geo
# series (the exporter's names and labels) with known values, as OpenMetrics
# for `promtool tsdb create-blocks-from openmetrics`, and the figures the
# dashboard's queries must find in them (JSON).
#
# Usage: tests/tools/events_geo_data.py OUT.om EXPECTED.json [END_UNIX_TIME]
#
# Samples every 15 s (a scrape interval) on two interfaces. Every counter
# grows at a constant rate, so a rate or an increase is exact up to
# Prometheus' extrapolation; every gauge is constant. The sensor also gets
# the core series the rules and variables read (darknet_packets_total for
# backscatter, darknet_prefix_addresses, darknet_unique_sources_all,
# darknet_build_info, darknet_xdp_attached).
import json
import sys
import time

STEP = 15
SPAN = 2 * 3600
SENSOR = "lab-geo"
BASE = {"job": "darknet-counter", "instance": "127.0.0.1:9917", "sensor": SENSOR}
IFACES = ("eth1", "eth2")
ADDRESSES = 65536                      # one IPv4 /16
BACKSCATTER_PPS = 2.0                  # per interface, IPv4 TCP

# Scans closed per minute per interface, by (proto, tool, size).
SCANS = {("tcp", "zmap", "large"): 2, ("tcp", "masscan", "large"): 1,
         ("tcp", "mirai", "small"): 4, ("tcp", "research", "large"): 1,
         ("udp", "unknown", "small"): 1, ("icmp", "unknown", "small"): 1}
ACTIVE = {("tcp", "zmap"): 3, ("tcp", "mirai"): 12, ("udp", "unknown"): 2}
DOS_PER_MIN = {"tcp": 0.5, "icmp": 0.25}
DOS_ACTIVE = 2
# The scan histograms: per minute per interface, the observations of the
# scans that closed (10, the sum of SCANS).
# Buckets as the exporter's (docs/events.md).
DURATION = {"le": [10, 60, 300, 900, 1800, 3600, 7200, 21600, 86400, 604800],
            "obs": [90, 400, 400, 400, 400, 400, 500, 700, 2000, 4000]}
COVERAGE = {"le": [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.9, 1],
            "obs": [0.02, 0.03, 0.04, 0.04, 0.06, 0.2, 0.3, 0.6, 0.95, 1.0]}
RATE = {"le": [10, 30, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1.5e7, 1e8],
        "obs": [50, 500, 5e3, 5e4, 5e4, 5e4, 5e4, 2e5, 2e5, 3e6]}
# DoS attacks closed per minute per interface: 0.75 (DOS_PER_MIN), as 3
# observations every 4 minutes.
DOS_DURATION = {"le": [60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800],
                "obs": [100, 700, 4000], "per_min": 0.75}
EVICTIONS_PER_MIN = {"scan_events": 30, "dos_victims": 0}

# Geo: packets/s per interface by (country, class). US is the top country
# only through research scans, which the top panels leave out; "--" is the
# unknown series.
COUNTRY_PPS = {
    "CN": {"scan": 30, "mirai": 10, "zmap": 5, "backscatter": 1, "research": 0},
    "US": {"scan": 8, "mirai": 2, "zmap": 12, "backscatter": 3, "research": 200},
    "BR": {"scan": 6, "mirai": 20, "zmap": 0, "backscatter": 0.5, "research": 0},
    "RU": {"scan": 15, "mirai": 1, "zmap": 3, "backscatter": 0, "research": 1},
    "JP": {"scan": 2, "mirai": 1, "zmap": 0, "backscatter": 0.2, "research": 5},
    "--": {"scan": 50, "mirai": 0, "zmap": 0, "backscatter": 0, "research": 0},
}
COUNTRY_SOURCES = {"CN": 5000, "US": 3000, "BR": 2500, "RU": 1200, "JP": 300, "--": 900}
# AS series: 64512 has no darknet_asn_info (a name not known yet) and must
# still be ranked; "other" is the folded series the panels leave out.
ASN_PPS = {
    "4134": {"scan": 25, "mirai": 5, "research": 0},
    "7922": {"scan": 4, "mirai": 1, "research": 150},
    "28573": {"scan": 3, "mirai": 15, "research": 0},
    "64512": {"scan": 9, "mirai": 0, "research": 0},
    "other": {"scan": 60, "mirai": 10, "research": 10},
}
ASN_NAMES = {"4134": "CHINANET-BACKBONE", "7922": "COMCAST-7922", "28573": "Claro NXT"}
ASN_SOURCES = {"4134": 4000, "7922": 900, "28573": 2000, "64512": 700, "other": 9000}
GEO_FILES = [("country", "/var/lib/darknet-counter/geo-whois-asn-country-ipv4.csv", 334000, 3),
             ("asn", "/var/lib/darknet-counter/asn-ipv4.csv", 412000, 40)]


def main():
    om_path, exp_path = sys.argv[1], sys.argv[2]
    end = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
    end -= end % STEP
    times = list(range(end - SPAN, end + 1, STEP))
    series = []   # (name, labels, value_at(t))

    def add(name, labels, fn):
        series.append((name, {**BASE, **labels}, fn))

    def counter(per_s):
        return lambda t: 1000.0 + per_s * (t - times[0])

    def gauge(v):
        return lambda t: float(v)

    add("darknet_build_info", {"version": "lab"}, gauge(1))
    add("darknet_prefix_addresses", {"prefix": "10.20.0.0/16"}, gauge(ADDRESSES))
    for table, per_min in EVICTIONS_PER_MIN.items():
        add("darknet_event_table_evictions_total", {"table": table}, counter(per_min / 60))
    for kind, path, ranges, age_days in GEO_FILES:
        add("darknet_geo_database_info", {"kind": kind, "file": path, "ranges": str(ranges)}, gauge(1))
        add("darknet_geo_database_timestamp_seconds", {"kind": kind, "file": path}, gauge(end - age_days * 86400))
    for asn, name in ASN_NAMES.items():
        add("darknet_asn_info", {"asn": asn, "name": name}, gauge(1))
    for i in IFACES:
        add("darknet_xdp_attached", {"iface": i, "mode": "native"}, gauge(1))
        add("darknet_packets_total", {"iface": i, "family": "ipv4", "proto": "tcp", "class": "backscatter"},
            counter(BACKSCATTER_PPS))
        add("darknet_unique_sources_all", {"iface": i, "window": "5m"}, gauge(20000))
        for (proto, tool, size), per_min in SCANS.items():
            add("darknet_scan_events_total", {"iface": i, "proto": proto, "tool": tool, "size": size},
                counter(per_min / 60))
        for (proto, tool), n in ACTIVE.items():
            add("darknet_scan_events_active", {"iface": i, "proto": proto, "tool": tool}, gauge(n))
        for proto, per_min in DOS_PER_MIN.items():
            add("darknet_dos_attacks_total", {"iface": i, "proto": proto}, counter(per_min / 60))
        add("darknet_dos_attacks_active", {"iface": i}, gauge(DOS_ACTIVE))
        for name, h in (("darknet_scan_event_duration_seconds", DURATION),
                        ("darknet_scan_event_coverage_ratio", COVERAGE),
                        ("darknet_scan_event_rate_packets_per_second", RATE),
                        ("darknet_dos_attack_duration_seconds", DOS_DURATION)):
            per_s = h.get("per_min", len(h["obs"])) / len(h["obs"]) / 60
            for le in h["le"] + ["+Inf"]:
                n = sum(1 for o in h["obs"] if le == "+Inf" or o <= le)
                add(name + "_bucket", {"iface": i, "le": f"{le:g}" if le != "+Inf" else le},
                    counter(n * per_s))
            add(name + "_count", {"iface": i}, counter(len(h["obs"]) * per_s))
            add(name + "_sum", {"iface": i}, counter(sum(h["obs"]) * per_s))
        for cc, classes in COUNTRY_PPS.items():
            for cls, pps in classes.items():
                add("darknet_country_packets_total", {"iface": i, "country": cc, "class": cls}, counter(pps))
            for w, f in (("5m", 0.1), ("1h", 0.5), ("24h", 1)):
                add("darknet_country_unique_sources", {"iface": i, "country": cc, "window": w},
                    gauge(COUNTRY_SOURCES[cc] * f))
        for asn, classes in ASN_PPS.items():
            for cls, pps in classes.items():
                add("darknet_asn_packets_total", {"iface": i, "asn": asn, "class": cls}, counter(pps))
            for w, f in (("5m", 0.1), ("1h", 0.5), ("24h", 1)):
                add("darknet_asn_unique_sources", {"iface": i, "asn": asn, "window": w},
                    gauge(ASN_SOURCES[asn] * f))

    # OpenMetrics: a family's series together, each in time order.
    series.sort(key=lambda s: s[0])
    with open(om_path, "w") as om:
        for name, labels, fn in series:
            lab = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            for t in times:
                om.write(f"{name}{{{lab}}} {fn(t)!r} {t}\n")
        om.write("# EOF\n")

    def nonresearch(table, exclude=()):
        tot = {k: sum(v for c, v in classes.items() if c != "research")
               for k, classes in table.items() if k not in exclude}
        return sorted(tot, key=lambda k: -tot[k])

    expected = {
        "end": end,
        "sensor": SENSOR,
        # IPv4 backscatter of both interfaces x 2^32 / addresses
        "backscatter_internet_pps": BACKSCATTER_PPS * len(IFACES) * 2**32 / ADDRESSES,
        "top_countries_nonresearch": nonresearch(COUNTRY_PPS, exclude=("--",)),
        "top_asns_nonresearch": nonresearch(ASN_PPS, exclude=("other",)),
        "asn_names": ASN_NAMES,
        "scans_open": len(IFACES) * sum(ACTIVE.values()),
        "dos_open": len(IFACES) * DOS_ACTIVE,
        # the median scan duration lies in (300, 900]: 1 observation up to
        # 300 s, 8 up to 900 s
        "duration_p50_bucket": [300, 900],
        "countries": sorted(c for c in COUNTRY_PPS if c != "--"),
    }
    with open(exp_path, "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
