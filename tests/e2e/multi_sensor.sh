#!/bin/bash
# multi_sensor.sh: two lab sensors aggregated as deploy/prometheus ships it: one
# Prometheus scrapes both (the `sensor` label set by relabelling), a second one
# federates from the first (/federate, federation.yml), and the dashboard's
# totals in the second equal the sum of both sensors.
#
# Usage: tests/e2e/multi_sensor.sh BUILD_DIR   (root; scripts/run-tests.sh runs it)
#
#   dn-ms-PID-a-i ==veth== dn-ms-PID-a-s  darknet-counter A  127.0.0.1:PA  sensor-a
#   dn-ms-PID-b-i ==veth== dn-ms-PID-b-s  darknet-counter B  127.0.0.1:PB  sensor-b
#   Prometheus 1 (prometheus.yml + rules): A as its static target, B in a
#                file_sd file sensors/lab.yml, both named by __tmp_sensor
#   Prometheus 2 (federation.yml): /federate from Prometheus 1, no rules
# Both Prometheus run through scripts/prometheus-lab.sh on 127.0.0.1, 1 s scrape
# and evaluation interval, temp data dirs; nothing is routed out of the
# namespaces, and the EXIT trap removes everything.
#
# Counting is exact: after a baseline (the lab links have IPv6 off, so no
# ND/MLD frames reach the sensors; the baseline would hold whatever did),
# darknet-trafgen sends a fixed --count to each sensor and stops, then
# sum(darknet_packets_total) in Prometheus 2 must be baseline + COUNT_A +
# COUNT_B exactly, and each sensor its own count. Dashboard queries (read from
# the dashboard JSON by panel title) evaluated over both sensors equal the sum
# of the same query for each sensor at the same instant; the total rule
# :darknet_packets:rate5m (computed by Prometheus 1, federated) equals the sum
# of sensor:darknet_packets:rate5m of the same evaluation. rate5m and
# increase() extrapolate, so against the sent counts they are only checked
# within 15 %. Finally every dashboard query must return data from the
# federating Prometheus. Takes about 40 s.
# shellcheck disable=SC2016,SC2034  # expect eval's its single-quoted condition
set -u

out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
LIB_NAME=multi-sensor
# shellcheck source=tests/deploy/e2e-lib.sh
. tests/deploy/e2e-lib.sh

readonly LAB_A=dn-ms-$$-a LAB_B=dn-ms-$$-b
readonly COUNT_A=20000 COUNT_B=12345 RATE=10000
readonly DASHBOARD=deploy/grafana/darknet-counter.json
readonly LOOSE=0.15

setup() {
	local p
	lib_preflight
	lab_create "$LAB_A" || abort "lab A namespaces and veth created"
	lab_create "$LAB_B" || abort "lab B namespaces and veth created"
	ports=()
	while [ ${#ports[@]} -lt 4 ]; do
		p=$(free_port) || abort "free loopback ports"
		[[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
	done
	daemon_start "$LAB_A" "${ports[0]}" || abort "darknet-counter A serves 127.0.0.1:${ports[0]}"
	daemon_start "$LAB_B" "${ports[1]}" || abort "darknet-counter B serves 127.0.0.1:${ports[1]}"
	ok "two darknet-counters serve 127.0.0.1:${ports[0]} and 127.0.0.1:${ports[1]}"
	prom_start prom1 start "127.0.0.1:${ports[0]}=sensor-a,127.0.0.1:${ports[1]}=sensor-b" \
		"127.0.0.1:${ports[2]}" "$lib_tmp/prom1" ||
		abort "Prometheus 1 starts" "$(tail -n 3 "$lib_tmp/prometheus-lab.log")"
	prom_start prom2 federate "127.0.0.1:${ports[2]}" "127.0.0.1:${ports[3]}" "$lib_tmp/prom2" ||
		abort "Prometheus 2 starts" "$(tail -n 3 "$lib_tmp/prometheus-lab.log")"
	ok "Prometheus 1 (scrapes both) at $prom1, Prometheus 2 (federates) at $prom2"
	check "promtool check config (Prometheus 1: prometheus.yml, sensors/lab.yml, rules)" \
		quiet promtool check config "$lib_tmp/prom1/config/prometheus.yml"
	check "promtool check config (Prometheus 2: federation.yml)" \
		quiet promtool check config "$lib_tmp/prom2/config/federation.yml"
}

# panel_expr TITLE [REF]: a dashboard query with $sensor, $iface and $__range
# filled in for SENSOR_RE, ".*" and 10m.
panel_expr() {
	jq -r --arg t "$1" --arg r "${2:-A}" '[.. | objects | select(.title? == $t) | .targets[]?
		| select(.refId == $r) | .expr] | first // empty' "$DASHBOARD" |
		sed -e "s/\\\$sensor/$SENSOR_RE/g" -e 's/\$iface/.*/g' -e 's/\$__range/10m/g'
}

baseline() {
	local s
	wait_data "$prom2" 'count(count by (sensor) (darknet_packets_total{job="darknet-counter"})) == 2' 40 ||
		abort "Prometheus 2 has darknet_packets_total of both sensors" \
			"$(labels "$prom2" "count by (sensor) (darknet_packets_total)" sensor)"
	# A few idle samples first: every series starts at its baseline, and
	# increase()/rate() extrapolate less over a longer span.
	wait_data "$prom2" 'count(count_over_time(darknet_packets_total[1m]) >= 5) > 0' 15
	ok "Prometheus 2 has federated both sensors ($(elapsed) s since start)"
	for s in sensor-a sensor-b; do
		base[$s]=$(val "$prom2" "sum(darknet_packets_total{sensor=\"$s\"})")
		passed_base[$s]=$(val "$prom2" "sum(darknet_passed_packets_total{sensor=\"$s\"})")
	done
	expect "baseline before traffic: darknet packets a=${base[sensor-a]} b=${base[sensor-b]}, passed (not darknet) a=${passed_base[sensor-a]} b=${passed_base[sensor-b]}" \
		'[ -n "${base[sensor-a]}" ] && [ -n "${base[sensor-b]}" ]'
}

send() {
	local s
	trafgen "$LAB_A" --mix nicter --count "$COUNT_A" --rate "$RATE" --seed 1 ||
		abort "darknet-trafgen A ran" "$(tail -n 3 "$lib_tmp/$LAB_A-trafgen.log")"
	trafgen "$LAB_B" --mix nicter --count "$COUNT_B" --rate "$RATE" --seed 2 ||
		abort "darknet-trafgen B ran" "$(tail -n 3 "$lib_tmp/$LAB_B-trafgen.log")"
	sent_a=$(sent "$lib_tmp/$LAB_A-trafgen.txt")
	sent_b=$(sent "$lib_tmp/$LAB_B-trafgen.txt")
	expect "darknet-trafgen sent $sent_a packets to sensor-a and $sent_b to sensor-b" \
		'[ "$sent_a" = "$COUNT_A" ] && [ "$sent_b" = "$COUNT_B" ]'
	want_a=$((base[sensor-a] + COUNT_A))
	want_b=$((base[sensor-b] + COUNT_B))
	want=$((want_a + want_b))
	for _ in $(seq 60); do
		[ "$(val "$prom2" "sum(darknet_packets_total)")" = "$want" ] && break
		sleep 0.5
	done
	# Let the rules of Prometheus 1 run on the final scrape and reach
	# Prometheus 2; the longer the flat tail, the less rate() and increase()
	# extrapolate.
	sleep 6
}

check_labels() {
	local got
	got=$(labels "$prom2" "count by (sensor) (darknet_packets_total)" sensor)
	expect "Prometheus 2: darknet_packets_total has sensor=\"$got\"" '[ "$got" = "sensor-a sensor-b" ]'
	got=$(labels "$prom2" "up{job=\"darknet-counter\"} == 1" sensor)
	expect "Prometheus 2: up{job=\"darknet-counter\"} == 1 for sensor=\"$got\"" '[ "$got" = "sensor-a sensor-b" ]'
	got=$(labels "$prom2" "sensor:darknet_packets:rate5m > 0" sensor)
	expect "Prometheus 2: rule sensor:darknet_packets:rate5m > 0 for sensor=\"$got\"" '[ "$got" = "sensor-a sensor-b" ]'
	got=$(labels "$prom2" "darknet_xdp_attached == 1" sensor)
	expect "Prometheus 2: darknet_xdp_attached == 1 for sensor=\"$got\"" '[ "$got" = "sensor-a sensor-b" ]'
	got=$(labels "$prom2" "count by (job, prometheus) (darknet_packets_total)" prometheus)
	expect "Prometheus 2: series keep job=\"darknet-counter\" and carry the external label prometheus=\"$got\"" \
		'[ "$got" = darknet-1 ] && [ "$(nseries "$prom2" "darknet_packets_total{job=\"darknet-counter\"}")" -gt 0 ]'
}

check_counts() {
	local got ga gb p
	for p in "$prom2" "$prom1"; do
		got=$(val "$p" "sum(darknet_packets_total)")
		ga=$(val "$p" "sum(darknet_packets_total{sensor=\"sensor-a\"})")
		gb=$(val "$p" "sum(darknet_packets_total{sensor=\"sensor-b\"})")
		[ "$p" = "$prom2" ] && name="Prometheus 2" || name="Prometheus 1"
		expect "$name: sum(darknet_packets_total) = $got = $want (sensor-a $ga = $want_a, sensor-b $gb = $want_b)" \
			'[ "$got" = "$want" ] && [ "$ga" = "$want_a" ] && [ "$gb" = "$want_b" ]'
	done
	got=$(val "$prom2" "sum(darknet_prefix_packets_total)")
	expect "Prometheus 2: sum(darknet_prefix_packets_total) = $got = $want" '[ "$got" = "$want" ]'
}

# additive WHAT TITLE [REF] [TIME]: the dashboard query over both sensors
# equals the sum of it for each sensor, at one instant.
additive() {
	local what=$1 title=$2 ref=${3:-A} t=$check_time all a b sum
	all=$(SENSOR_RE='.*' panel_expr "$title" "$ref")
	[ -n "$all" ] || { fail "$what: dashboard panel \"$title\" $ref exists"; return; }
	a=$(val "$prom2" "$(SENSOR_RE=sensor-a panel_expr "$title" "$ref")" "$t")
	b=$(val "$prom2" "$(SENSOR_RE=sensor-b panel_expr "$title" "$ref")" "$t")
	all=$(val "$prom2" "$all" "$t")
	sum=$(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { printf "%.12g", a + b }')
	expect "$what (\"$title\"): both sensors $(fmt "$all" 8) = sensor-a $(fmt "$a" 8) + sensor-b $(fmt "$b" 8)" \
		'[ -n "$a" ] && [ -n "$b" ] && rnear "$all" "$sum" 1e-9'
	last_all=$all
}

check_dashboard_totals() {
	local t total rsum ts a b aa ab all want_ppa
	# One instant a few seconds back: Prometheus 2 stores samples with
	# Prometheus 1's timestamps, so "now" could still gain samples between
	# the queries compared.
	check_time=$(awk -v t="$(date +%s.%N)" 'BEGIN { printf "%.3f", t - 3 }')
	additive "dashboard total packets" "Darknet packets (dashboard range)"
	expect "dashboard total packets $(fmt "$last_all" 8) ~ sent $((COUNT_A + COUNT_B)) (+-15 %, increase() extrapolates)" \
		'rnear "$last_all" "$((COUNT_A + COUNT_B))" "$LOOSE"'
	additive "dashboard packets/s" "Darknet packets/s now"
	# A ratio, not a sum: both sensors' packets over both sensors' addresses.
	all=$(val "$prom2" "$(SENSOR_RE='.*' panel_expr "Packets per darknet address")" "$check_time")
	a=$(val "$prom2" "$(SENSOR_RE=sensor-a panel_expr "Packets per darknet address")" "$check_time")
	b=$(val "$prom2" "$(SENSOR_RE=sensor-b panel_expr "Packets per darknet address")" "$check_time")
	aa=$(val "$prom2" 'sensor:darknet_prefix_addresses:sum{sensor="sensor-a"}' "$check_time")
	ab=$(val "$prom2" 'sensor:darknet_prefix_addresses:sum{sensor="sensor-b"}' "$check_time")
	want_ppa=$(awk -v a="${a:-0}" -v b="${b:-0}" -v x="${aa:-1}" -v y="${ab:-1}" 'BEGIN { printf "%.12g", (a * x + b * y) / (x + y) }')
	expect "dashboard \"Packets per darknet address\": both sensors $(fmt "$all") = address-weighted mean of sensor-a $(fmt "$a") and sensor-b $(fmt "$b")" \
		'[ -n "$a" ] && [ -n "$b" ] && [ -n "$aa" ] && rnear "$all" "$want_ppa" 1e-9'
	got=$(labels "$prom2" "$(SENSOR_RE='.*' panel_expr "Darknet packets by sensor")" sensor)
	expect "dashboard \"Darknet packets by sensor\" shows sensor=\"$got\"" '[ "$got" = "sensor-a sensor-b" ]'

	# The total rule, as Prometheus 1 computed and Prometheus 2 federated it,
	# against the per-sensor rule of the same evaluation (same timestamp).
	for _ in $(seq 5); do
		t=$(val "$prom2" "timestamp(:darknet_packets:rate5m)")
		ts=$(labels "$prom2" "timestamp(sensor:darknet_packets:rate5m) == $t" sensor)
		[ "$ts" = "sensor-a sensor-b" ] && break
		sleep 1
	done
	total=$(val "$prom2" ":darknet_packets:rate5m" "$t")
	rsum=$(val "$prom2" "sum(sensor:darknet_packets:rate5m)" "$t")
	expect "rule :darknet_packets:rate5m $(fmt "$total" 8)/s = sum of sensor:darknet_packets:rate5m $(fmt "$rsum" 8)/s (evaluated at $t)" \
		'[ "$ts" = "sensor-a sensor-b" ] && rnear "$total" "$rsum" 1e-9'
	got=$(awk -v x="${total:-0}" 'BEGIN { printf "%.0f", x * 300 }')
	expect "rule :darknet_packets:rate5m x 300 s = $got ~ sent $((COUNT_A + COUNT_B)) (+-15 %)" \
		'rnear "$got" "$((COUNT_A + COUNT_B))" "$LOOSE"'
	total=$(val "$prom2" ":darknet_packets_per_address:rate5m" "$t")
	# per IPv4 darknet address, as the rule defines it (NICTER's figure).
	# Prometheus 2 may get a sample Prometheus 1 had at t only with its next
	# federation scrape: ask again for the same instant until it has it.
	for _ in $(seq 5); do
		rsum=$(val "$prom2" 'sum(rate(darknet_prefix_packets_total{prefix!~".*:.*"}[5m])) / sum(sensor:darknet_prefix_addresses:sum)' "$t")
		rnear "$total" "$rsum" 1e-9 && break
		sleep 1
	done
	expect "rule :darknet_packets_per_address:rate5m $(fmt "$total")/s = both sensors' IPv4 prefix packets / both sensors' IPv4 addresses $(fmt "$rsum")/s" \
		'rnear "$total" "$rsum" 1e-9'
}

check_dashboard() {
	local line rc what
	tests/deploy/query-dashboard.sh "$prom2" >"$lib_tmp/query-dashboard.txt" 2>&1
	rc=$?
	while IFS= read -r line; do
		what=$(sed -E 's/^[A-Za-z]+ +//' <<<"$line")
		case $line in
		EMPTY* | ERROR*) fail "Prometheus 2: dashboard $what" ;;
		"       query:"*) echo "       $what" ;;
		esac
	done <"$lib_tmp/query-dashboard.txt"
	expect "Prometheus 2: every dashboard query returns data: $(tail -n 1 "$lib_tmp/query-dashboard.txt")" '[ "$rc" = 0 ]'
}

declare -A base passed_base
check_time='' last_all='' prom1='' prom2=''
setup
baseline
send
check_labels
check_counts
check_dashboard_totals
check_dashboard
check "both darknet-counters still running" kill -0 "${lib_daemons[0]}" "${lib_daemons[1]}"
ok "done in $(elapsed) s"
finish
