#!/usr/bin/env python3
# report_data.py: two years of two lab sensors' recording-rule series with known
# values, as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`,
# and the figures `darknet-counter report` must find in them (JSON).
#
# Usage: tests/tools/report_data.py OUT.om EXPECTED.json
#
# Every rate is constant within a day (research and its organisations within
# a year), so a day's or a month's packets are exactly the mean rate times
# its length, what the report computes. Samples every 6 hours at hh:30, never
# on a day's boundary. 2024 is an older deployment: no IoT rule and no
# distinct-source gauges, so a report on it leaves those sections out.
import calendar
import json
import sys

STEP = 6 * 3600
OFFSET = 1800
SENSORS = {"tokyo": {"factor": 3, "addresses": 512}, "osaka": {"factor": 2, "addresses": 256}}
CLASSES = {"mirai": 40, "backscatter": 25, "scan": 30, "masscan": 6, "zmap": 4,
           "udp_probe": 12, "icmp_request": 5, "tcp_other": 3, "spoofed": 2, "fragment": 1}
RESEARCH = {2024: 10, 2025: 60}       # per sensor factor, constant in a year
ORGS = {"Censys": 0.5, "Shodan": 0.3, "Stretchoid": 0.2}
# Shares (per mille) of the non-research packets by destination port; "other"
# is the exporter's folded series, which the report leaves out of the ranking.
PORTS = {
    2024: {"23/tcp": 420, "445/tcp": 90, "22/tcp": 60, "80/tcp": 50, "8080/tcp": 30,
           "3389/tcp": 40, "1433/tcp": 30, "2323/tcp": 40, "7547/tcp": 20, "53/udp": 10,
           "5555/tcp": 0, "37215/tcp": 25, "52869/tcp": 15, "other/tcp": 100},
    2025: {"23/tcp": 220, "445/tcp": 80, "22/tcp": 60, "80/tcp": 55, "8080/tcp": 40,
           "3389/tcp": 35, "5555/tcp": 30, "1433/tcp": 25, "37215/tcp": 20, "52869/tcp": 15,
           "53/udp": 12, "2323/tcp": 10, "7547/tcp": 8, "other/tcp": 100},
}
IOT = {"23", "2323", "7547", "37215", "52869", "5555", "80", "8080", "22"}
V4_SHARE = 0.75     # of each sensor's packets go to its IPv4 prefixes


def day_factor(day):
    """1.0 to 1.6 over the week, plus a slow rise over the year (integers x 1/10)."""
    return (10 + day.tm_wday + day.tm_yday // 61) / 10


def days(year):
    t = calendar.timegm((year, 1, 1, 0, 0, 0))
    end = calendar.timegm((year + 1, 1, 1, 0, 0, 0))
    while t < end:
        yield t
        t += 86400


def main():
    import time
    om_path, exp_path = sys.argv[1], sys.argv[2]
    fam = {}       # family -> {labels tuple -> [(t, v)]}

    def add(name, labels, t, v):
        fam.setdefault(name, {}).setdefault(tuple(sorted(labels.items())), []).append((t, v))

    expected = {}
    for year in (2024, 2025):
        exp = {"packets": 0.0, "research": 0.0, "classes": {}, "ports": {}, "iot": 0.0,
               "orgs": {}, "prefix_packets": 0.0, "months": [0.0] * 12,
               "months_per_address": [0.0] * 12, "distinct_sum": 0.0, "distinct_days": 0,
               "class_sources_sum": {}}
        for d0 in days(year):
            day = time.gmtime(d0)
            for s, cfg in SENSORS.items():
                f = cfg["factor"]
                rates = {c: r * f * day_factor(day) for c, r in CLASSES.items()}
                rates["research"] = RESEARCH[year] * f
                total = sum(rates.values())
                nonres = total - rates["research"]
                ports = {k: nonres * m / 1000 for k, m in PORTS[year].items()}
                v4 = total * V4_SHARE
                distinct = 1000 * f + day.tm_wday * 10
                for c, r in rates.items():
                    exp["classes"][c] = exp["classes"].get(c, 0) + r * 86400
                exp["packets"] += total * 86400
                exp["research"] += rates["research"] * 86400
                exp["months"][day.tm_mon - 1] += total * 86400
                exp["prefix_packets"] += v4 * 86400
                for k, r in ports.items():
                    if not k.startswith("other/"):
                        exp["ports"][k] = exp["ports"].get(k, 0) + r * 86400
                    if year == 2025 and k.split("/")[0] in IOT and k.endswith("/tcp"):
                        exp["iot"] += r * 86400
                for t in range(d0 + OFFSET, d0 + 86400, STEP):
                    for c, r in rates.items():
                        add("sensor_class:darknet_packets:rate5m", {"sensor": s, "class": c}, t, r)
                    for k, r in ports.items():
                        port, proto = k.split("/")
                        lab = {"sensor": s, "proto": proto, "port": port}
                        add("sensor_proto_port:darknet_port_packets_nonresearch:rate5m", lab, t, r)
                        if year == 2025 and port in IOT and proto == "tcp":
                            add("sensor_iface_proto_port:darknet_port_packets_iot_nonresearch:rate5m",
                                dict(lab, iface="sensor0"), t, r)
                    add("sensor:darknet_packets_per_address:rate5m", {"sensor": s}, t,
                        v4 / cfg["addresses"])
                    add("sensor:darknet_prefix_addresses:sum", {"sensor": s}, t, cfg["addresses"])
                    for o, share in ORGS.items():
                        # A counter: its value at t, from the start of the data.
                        add("darknet_scanner_packets_total",
                            {"sensor": s, "iface": "sensor0", "org": o}, t, None)
                    if year == 2025:
                        add("darknet_unique_sources_all",
                            {"sensor": s, "iface": "sensor0", "window": "24h"}, t, distinct)
                        for c in ("mirai", "scan", "research"):
                            add("darknet_unique_sources", {"sensor": s, "iface": "sensor0",
                                "family": "ipv4", "class": c, "window": "24h"}, t,
                                distinct // (2 if c == "mirai" else 4))
            if year == 2025:
                exp["distinct_days"] += 1
                exp["distinct_sum"] += sum(1000 * c["factor"] + day.tm_wday * 10
                                           for c in SENSORS.values())
                for c, div in (("mirai", 2), ("scan", 4), ("research", 4)):
                    exp["class_sources_sum"][c] = exp["class_sources_sum"].get(c, 0) + sum(
                        (1000 * cfg["factor"] + day.tm_wday * 10) // div for cfg in SENSORS.values())
        addresses = sum(c["addresses"] for c in SENSORS.values())
        for o, share in ORGS.items():
            exp["orgs"][o] = RESEARCH[year] * sum(c["factor"] for c in SENSORS.values()) * share * \
                (366 if calendar.isleap(year) else 365) * 86400
        exp["per_address"] = exp["prefix_packets"] / addresses
        exp["addresses"] = addresses
        exp["nonresearch"] = exp["packets"] - exp["research"]
        top = sorted(exp["ports"].items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        exp["top_ports"] = [{"port": k.split("/")[0], "proto": k.split("/")[1], "packets": v,
                             "iot": year == 2025 and k.split("/")[0] in IOT and k.endswith("/tcp")}
                            for k, v in top]
        exp["other_ports"] = exp["nonresearch"] - sum(v for _, v in top)
        if year == 2025:
            exp["distinct"] = exp["distinct_sum"] / exp["distinct_days"]
            exp["class_sources"] = {c: v / exp["distinct_days"]
                                    for c, v in exp["class_sources_sum"].items()}
        for k in ("distinct_sum", "distinct_days", "class_sources_sum", "prefix_packets"):
            exp.pop(k)
        expected[str(year)] = exp

    # The organisations' counters: cumulative over both years.
    for key, samples in fam["darknet_scanner_packets_total"].items():
        labels = dict(key)
        f = SENSORS[labels["sensor"]]["factor"]
        acc, prev = 1e6, None     # a counter that ran before the data starts
        out = []
        for t, _ in samples:
            year = time.gmtime(t).tm_year
            if prev is not None:
                acc += RESEARCH[year] * f * ORGS[labels["org"]] * (t - prev)
            prev = t
            out.append((t, acc))
        samples[:] = out

    with open(om_path, "w") as om:
        for name, series in fam.items():
            for key, samples in series.items():
                lab = ",".join(f'{k}="{v}"' for k, v in key)
                for t, v in samples:
                    om.write(f"{name}{{{lab}}} {v!r} {t}\n")
        om.write("# EOF\n")
    with open(exp_path, "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
