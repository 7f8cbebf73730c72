#!/bin/bash
# prometheus_e2e.sh: the shipped Prometheus config, recording and alerting rules
# and Grafana dashboard against a real Prometheus scraping a lab sensor that
# sees a known NICTER-like traffic mix.
#
# Usage: tests/e2e/prometheus_e2e.sh BUILD_DIR   (root; scripts/run-tests.sh runs it)
#
#   dn-pe-PID-i                    dn-pe-PID-s
#   darknet-trafgen -> inet0 ==veth== sensor0 <- XDP (darknet-counter in the host
#                                                namespace, 127.0.0.1:PORT)
#   Prometheus (scripts/prometheus-lab.sh, 127.0.0.1:PORT2, temp data dir):
#   deploy/prometheus/prometheus.yml and rules/*.yml, copied with the
#   scrape and evaluation interval cut from 15 s to 1 s, the darknet-daily
#   group's from 5 m to 2 s (else its first run may come 5 minutes late), and
#   the static target pointed at the lab (sensor="lab-e2e" by relabelling).
#
# The mix: darknet-trafgen --mix nicter --rate 3000 for 40 s (seed 1), after
# Prometheus has scraped the idle exporter a few times, so every
# darknet_packets_total series starts at 0 in the TSDB and the 5-minute rules
# see the whole run. Checks, all through the HTTP API (/api/v1/query, /rules):
#   - promtool check config/rules on the rewritten copy;
#   - every recording rule of rules/*.yml: its expression and its recorded
#     series return data (those of darknet-events.yml and darknet-geo.yml may
#     be empty while the lab's exporter serves no event or geo metric), and
#     Prometheus evaluates it without error; every alert evaluates, none
#     fires in this healthy lab;
#   - every dashboard query (tests/deploy/query-dashboard.sh, $sensor=lab-e2e,
#     $iface=sensor0) returns data;
#   - values against what the generator reports it sent:
#       counters: sum(darknet_packets_total), per family, and
#                 sum(darknet_prefix_packets_total) equal the sent counts exactly;
#       shares:   research, Mirai, backscatter and IPv6 shares of the rate5m rules
#                 (and of rate(...[1m]) on the raw counters) within +-3 points;
#       top port: 23/tcp leads the non-research ports (rule and raw [1m]);
#       per address: the rules divide by EVERY configured address, the IPv6
#                 /32 included: sensor:darknet_prefix_addresses:sum must be
#                 512 + 2^96 and sensor:darknet_packets_per_address:rate5m x
#                 that x 300 s must give the packets sent within 5 % (rate5m
#                 averages over 300 s; the run sits inside that window, the
#                 slack is Prometheus' extrapolation). NICTER's figure is per
#                 IPv4 address, checked separately on the raw series:
#                 v4 prefix packets / v4 addresses = v4 packets sent / 512;
#       health:   up == 1, darknet_xdp_attached == 1.
# Takes about 70 s. Prints one line per check, then "N passed, M failed".
# shellcheck disable=SC2016,SC2034  # expect eval's its single-quoted condition
set -u

out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
LIB_NAME=prometheus-e2e
# shellcheck source=tests/deploy/e2e-lib.sh
. tests/deploy/e2e-lib.sh

readonly LAB=dn-pe-$$ SENSOR=lab-e2e
readonly RATE=3000 DURATION=40
readonly SHARE_TOL=0.03 RATE_REL_TOL=0.05
readonly V4_ADDRESSES=512 ALL_ADDRESSES=79228162514264337593543950848  # 512 + 2^96
readonly RECORDING=deploy/prometheus/rules/darknet-recording.yml
readonly ALERTING=deploy/prometheus/rules/darknet-alerts.yml
readonly RULES_DIR=deploy/prometheus/rules
sel="sensor=\"$SENSOR\""
prom='' tg='' total=''

setup() {
	lib_preflight
	lab_create "$LAB" || abort "lab namespaces and veth created"
	dport=$(free_port) || abort "a free loopback port"
	pport=$dport
	while [ "$pport" = "$dport" ]; do pport=$(free_port) || abort "a free loopback port"; done
	daemon_start "$LAB" "$dport" || abort "darknet-counter serves 127.0.0.1:$dport"
	ok "darknet-counter serves 127.0.0.1:$dport/metrics (XDP on $LAB-s/sensor0)"
	prom_start prom start "127.0.0.1:$dport=$SENSOR" "127.0.0.1:$pport" "$lib_tmp/prom" ||
		abort "Prometheus starts" "$(tail -n 3 "$lib_tmp/prometheus-lab.log" "$lib_tmp/prom/prometheus.log" 2>/dev/null)"
	ok "Prometheus ready at $prom (shipped config, 1 s intervals)"
}

check_config() {
	local c=$lib_tmp/prom/config
	check "promtool check config (rewritten prometheus.yml and its rule files)" \
		quiet promtool check config "$c/prometheus.yml"
	check "promtool check rules (rewritten rules)" quiet promtool check rules "$c"/rules/*.yml
	expect "rules copy differs from the shipped rules only in the darknet-daily interval" \
		'cmp -s "$ALERTING" "$c/rules/darknet-alerts.yml" &&
		 [ "$(diff "$RECORDING" "$c/rules/darknet-recording.yml" | grep -c "^[<>]")" = 2 ] &&
		 diff "$RECORDING" "$c/rules/darknet-recording.yml" | grep -q "^> *interval: 2s$"'
}

drive_traffic() {
	local t
	wait_data "$prom" "count_over_time(up{job=\"darknet-counter\",$sel}[1m]) >= 3" 30 ||
		abort "Prometheus scraped the idle exporter 3 times"
	ok "Prometheus scraped the idle exporter ($(elapsed) s since start)"
	t=$SECONDS
	trafgen "$LAB" --mix nicter --rate "$RATE" --duration "$DURATION" --seed 1 ||
		abort "darknet-trafgen ran" "$(tail -n 3 "$lib_tmp/$LAB-trafgen.log")"
	tg=$lib_tmp/$LAB-trafgen.txt
	total=$(sent "$tg")
	expect "darknet-trafgen sent $total packets in $((SECONDS - t)) s ($RATE/s nicter mix)" \
		'[ -n "$total" ] && [ "$total" -gt $((RATE * DURATION * 9 / 10)) ]'
	# Wait for a scrape that saw all of it, then for the rules to run on it.
	for _ in $(seq 40); do
		[ "$(val "$prom" "sum(darknet_packets_total{$sel})")" = "$total" ] && break
		sleep 0.5
	done
	sleep 3
}

# Every recording rule as Prometheus loaded it (/api/v1/rules): its expression
# and its recorded series return data, and its last evaluation had no error.
# The rules of a feature the lab's exporter does not serve (events, geo: see
# feature_metric) may be empty, but must evaluate.
check_recording_rules() {
	local rules file name q64 health err n_expr n_rec shipped m
	rules=$(curl -sS "$prom/api/v1/rules" | jq -r '.data.groups[] | .file as $f | .rules[]
		| select(.type == "recording")
		| [($f | sub(".*/"; "")), .name, (.query | @base64), .health, .lastError // ""] | @tsv')
	shipped=$(cat "$RULES_DIR"/*.yml | grep -cE '^[[:space:]]*-[[:space:]]*record:')
	expect "Prometheus loaded all $shipped recording rules ($(grep -c . <<<"$rules"))" \
		'[ "$(grep -c . <<<"$rules")" = "$shipped" ]'
	while IFS=$'\t' read -r file name q64 health err; do
		n_expr=$(nseries "$prom" "$(base64 -d <<<"$q64")")
		n_rec=$(nseries "$prom" "$name")
		m=$(feature_metric "$file")
		if [ "$n_expr" = 0 ] && [ -n "$m" ] && [ "$(nseries "$prom" "$m{$sel}")" = 0 ]; then
			expect "rule $name ($file): no data, the lab's exporter serves no $m; health $health" \
				'[ "$health" = ok ]' "$err"
			continue
		fi
		expect "rule $name: expression $n_expr series, recorded $n_rec series, health $health" \
			'[ "$n_expr" -gt 0 ] && [ "$n_rec" -gt 0 ] && [ "$health" = ok ]' "$err"
	done <<<"$rules"
}

# feature_metric RULES_FILE: the metric a sensor serves when the feature whose
# rules are in RULES_FILE is on (events on, --geo-* files); empty for the core
# rules, which must always return data here.
feature_metric() {
	case $1 in
	darknet-events.yml) echo darknet_dos_attacks_active ;;
	darknet-geo.yml) echo darknet_country_unique_sources ;;
	esac
}

check_alerting_rules() {
	local rules name health state err shipped
	rules=$(curl -sS "$prom/api/v1/rules" | jq -r '.data.groups[].rules[]
		| select(.type == "alerting") | [.name, .health, .state, .lastError // ""] | @tsv')
	shipped=$(cat "$RULES_DIR"/*.yml | grep -cE '^[[:space:]]*-[[:space:]]*alert:')
	expect "Prometheus loaded all $shipped alerts ($(grep -c . <<<"$rules"))" \
		'[ "$(grep -c . <<<"$rules")" = "$shipped" ]'
	while IFS=$'\t' read -r name health state err; do
		case $name in
		DarknetSensorDown | DarknetNoSensorTargets | DarknetXDPDetached | DarknetNoTraffic)
			expect "alert $name evaluates ($health) and is quiet in a healthy lab ($state)" \
				'[ "$health" = ok ] && [ "$state" = inactive ]' "$err" ;;
		*)
			expect "alert $name evaluates ($health) and is not firing ($state)" \
				'[ "$health" = ok ] && [ "$state" != firing ]' "$err" ;;
		esac
	done <<<"$rules"
}

check_dashboard() {
	local line rc what
	tests/deploy/query-dashboard.sh --var "sensor=$SENSOR" --var iface=sensor0 "$prom" \
		>"$lib_tmp/query-dashboard.txt" 2>&1
	rc=$?
	while IFS= read -r line; do
		what=$(sed -E 's/^[A-Za-z]+ +//' <<<"$line")
		case $line in
		"ok "*) ok "dashboard $what" ;;
		EMPTY* | ERROR*) fail "dashboard $what" ;;
		"       query:"*) echo "       $what" ;;
		esac
	done <"$lib_tmp/query-dashboard.txt"
	expect "query-dashboard.sh: $(tail -n 1 "$lib_tmp/query-dashboard.txt")" '[ "$rc" = 0 ]'
}

check_counters() {
	local got f
	got=$(val "$prom" "sum(darknet_packets_total{$sel})")
	expect "sum(darknet_packets_total) in Prometheus = $got, sent $total" '[ "$got" = "$total" ]'
	got=$(val "$prom" "sum(darknet_prefix_packets_total{$sel})")
	expect "sum(darknet_prefix_packets_total) = $got, sent $total" '[ "$got" = "$total" ]'
	for f in ipv4 ipv6; do
		got=$(val "$prom" "sum(darknet_packets_total{$sel,family=\"$f\"})")
		expect "sum(darknet_packets_total{family=\"$f\"}) = $got, sent $(sent "$tg" family "$f")" \
			'[ "$got" = "$(sent "$tg" family "$f")" ]'
	done
	got=$(labels "$prom" "count by (sensor) (darknet_packets_total)" sensor)
	expect "the sensor label comes from relabelling: sensor=\"$got\"" '[ "$got" = "$SENSOR" ]'
}

# share_check WHAT EXPR EXPECTED: EXPR within SHARE_TOL of EXPECTED.
share_check() {
	local got want=$3
	got=$(val "$prom" "$2")
	expect "$1 = $(pct "$got"), sent $(pct "$want") (+-3 points)" 'near "$got" "$want" "$SHARE_TOL"'
}

check_shares() {
	local c want nclasses got
	want=$(awk -v a="$(sent "$tg" class research)" -v b="$total" 'BEGIN { print a / b }')
	share_check "research share sensor:darknet_packets_research:ratio_rate5m" \
		"sensor:darknet_packets_research:ratio_rate5m{$sel}" "$want"
	share_check "research share :darknet_packets_research:ratio_rate5m (all sensors)" \
		":darknet_packets_research:ratio_rate5m" "$want"
	share_check "research share of rate(darknet_packets_total[1m])" \
		"sum(rate(darknet_packets_total{$sel,class=\"research\"}[1m])) / sum(rate(darknet_packets_total{$sel}[1m]))" "$want"
	for c in mirai backscatter; do
		want=$(awk -v a="$(sent "$tg" class "$c")" -v b="$total" 'BEGIN { print a / b }')
		got=$(val "$prom" "sensor:darknet_packets_$c:rate5m{$sel}")
		expect "$c rate sensor:darknet_packets_$c:rate5m = $(fmt "$got") > 0" 'gt "$got" 0'
		got=$(val "$prom" "sum(rate(darknet_packets_total{$sel,class=\"$c\"}[1m]))")
		expect "$c rate(darknet_packets_total[1m]) = $(fmt "$got")/s > 0" 'gt "$got" 0'
		share_check "$c share of sensor:darknet_packets:rate5m" \
			"sensor:darknet_packets_$c:rate5m{$sel} / sensor:darknet_packets:rate5m{$sel}" "$want"
	done
	want=$(awk -v a="$(sent "$tg" family ipv6)" -v b="$total" 'BEGIN { print a / b }')
	share_check "IPv6 share sensor_family:darknet_packets:rate5m" \
		"sum(sensor_family:darknet_packets:rate5m{$sel,family=\"ipv6\"}) / sum(sensor_family:darknet_packets:rate5m{$sel})" "$want"
	share_check "IPv6 share family:darknet_packets:rate5m (all sensors)" \
		"sum(family:darknet_packets:rate5m{family=\"ipv6\"}) / sum(family:darknet_packets:rate5m)" "$want"
	share_check "IPv6 share of rate(darknet_packets_total[1m])" \
		"sum(rate(darknet_packets_total{$sel,family=\"ipv6\"}[1m])) / sum(rate(darknet_packets_total{$sel}[1m]))" "$want"
	nclasses=$(awk '$1 == "class" && $3 > 0' "$tg" | wc -l)
	got=$(nseries "$prom" "sensor_class:darknet_packets:rate5m{$sel} > 0")
	expect "sensor_class:darknet_packets:rate5m > 0 for all $nclasses classes sent ($got)" \
		'[ "$got" = "$nclasses" ]'
	got=$(val "$prom" "sensor:darknet_packets_iot:ratio_rate5m{$sel}")
	expect "IoT share sensor:darknet_packets_iot:ratio_rate5m = $(pct "$got"), in (0, 1)" \
		'gt "$got" 0 && ! gt "$got" 0.999'
}

check_top_port() {
	local got
	got=$(promq "$prom" "topk(1, sensor_proto_port:darknet_port_packets_nonresearch:rate5m{$sel,port!=\"other\"})" |
		jq -r '.data.result[0].metric | "\(.port)/\(.proto)"' 2>/dev/null)
	expect "top non-research port (rule sensor_proto_port:...nonresearch:rate5m) is $got" '[ "$got" = 23/tcp ]'
	got=$(promq "$prom" "topk(1, sum by (proto, port) (rate(darknet_port_packets_total{$sel,class!=\"research\",port!=\"other\"}[1m])))" |
		jq -r '.data.result[0].metric | "\(.port)/\(.proto)"' 2>/dev/null)
	expect "top non-research port (rate(darknet_port_packets_total[1m])) is $got" '[ "$got" = 23/tcp ]'
}

check_per_address() {
	local addrs got v4sent v4got v4addrs v4want want_pkts
	addrs=$(val "$prom" "sensor:darknet_prefix_addresses:sum{$sel}")
	# The rules' definition: every configured address. Should they change to
	# IPv4 prefixes only (NICTER's figure), the denominator is 512 and the
	# packets compared are the IPv4 ones.
	if [ "$(fmt "$addrs" 12)" = "$V4_ADDRESSES" ]; then
		want_pkts=$(sent "$tg" family ipv4)
	else
		want_pkts=$total
	fi
	expect "sensor:darknet_prefix_addresses:sum = $(fmt "$addrs" 12) (512 + 2^96 with the v6 /32, or 512)" \
		'rnear "$addrs" "$ALL_ADDRESSES" 1e-9 || [ "$(fmt "$addrs" 12)" = "$V4_ADDRESSES" ]'
	got=$(val "$prom" "sensor:darknet_packets_per_address:rate5m{$sel} * sensor:darknet_prefix_addresses:sum{$sel} * 300")
	expect "sensor:darknet_packets_per_address:rate5m = $(fmt "$(val "$prom" "sensor:darknet_packets_per_address:rate5m{$sel}")")/s: x addresses x 300 s = $(fmt "$got" 7), sent $want_pkts (+-5 %)" \
		'rnear "$got" "$want_pkts" "$RATE_REL_TOL"'
	got=$(val "$prom" ":darknet_packets_per_address:rate5m * sum(sensor:darknet_prefix_addresses:sum) * 300")
	expect ":darknet_packets_per_address:rate5m (all sensors) x addresses x 300 s = $(fmt "$got" 7), sent $want_pkts (+-5 %)" \
		'rnear "$got" "$want_pkts" "$RATE_REL_TOL"'
	v4sent=$(sent "$tg" family ipv4)
	v4want=$(awk -v a="$v4sent" -v n="$V4_ADDRESSES" 'BEGIN { printf "%.12g", a / n }')
	v4addrs=$(val "$prom" "sum(darknet_prefix_addresses{$sel,prefix!~\".*:.*\"})")
	v4got=$(val "$prom" "sum(darknet_prefix_packets_total{$sel,prefix!~\".*:.*\"}) / sum(darknet_prefix_addresses{$sel,prefix!~\".*:.*\"})")
	expect "IPv4 packets per address = $(fmt "$v4got" 8) over $v4addrs addresses, sent $v4sent / 512 = $(fmt "$v4want" 8)" \
		'[ "$v4addrs" = "$V4_ADDRESSES" ] && rnear "$v4got" "$v4want" 1e-9'
}

check_health() {
	local got
	got=$(val "$prom" "up{job=\"darknet-counter\",$sel}")
	expect "up{sensor=\"$SENSOR\"} = $got" '[ "$got" = 1 ]'
	got=$(promq "$prom" "darknet_xdp_attached{$sel,iface=\"sensor0\"}" |
		jq -r '.data.result[] | "\(.value[1]) \(.metric.mode)"' 2>/dev/null)
	expect "darknet_xdp_attached{iface=\"sensor0\"} = $got" '[ "${got%% *}" = 1 ]'
	check "darknet-counter still running" kill -0 "${lib_daemons[0]}"
}

setup
check_config
drive_traffic
check_counters
check_shares
check_top_port
check_per_address
check_health
check_recording_rules
check_alerting_rules
check_dashboard
ok "done in $(elapsed) s"
finish
