# fleet-lib.sh: servers of the fleet tests (tests/e2e/fleet.sh,
# tests/e2e/alert_delivery.sh) on top of e2e-lib.sh: a central
# VictoriaMetrics, a site Prometheus that remote-writes to it (and sends
# alerts to an Alertmanager), Alertmanager, and a webhook receiver. Sourced
# after e2e-lib.sh, not run.
#
# Every server listens on 127.0.0.1 on a port from free_port and keeps its
# data in $lib_tmp. Each PID started here is recorded in fleet_pids and
# stopped by fleet_cleanup (the EXIT trap, which then runs lib_cleanup);
# nothing else is ever signalled.
# shellcheck shell=bash disable=SC2317

readonly FLEET=deploy/fleet
fleet_pids=()

fleet_cleanup() {
	local rc=$? p d
	# Prometheus first: stopping, it flushes its remote-write queue, which
	# would wait for a VictoriaMetrics already gone.
	for d in "${lib_promdirs[@]}"; do
		[ -s "$d/prometheus.pid" ] && "$PROM_LAB" stop "$(cat "$d/prometheus.pid")" 2>/dev/null
		rm -f "$d/prometheus.pid"
	done
	for p in "${fleet_pids[@]}"; do stop_child "$p"; done
	(exit "$rc")
	lib_cleanup
}
trap fleet_cleanup EXIT

fleet_preflight() {
	local t
	for t in victoria-metrics "$@"; do
		command -v "$t" >/dev/null || abort "$t is installed" "scripts/install-deps.sh"
	done
}

# wait_http URL SECONDS: poll until URL answers 2xx.
wait_http() {
	local end=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$end" ]; do
		curl -sf -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}

# forget_pid PID: drop a stopped server from fleet_pids.
forget_pid() {
	local p keep=()
	for p in "${fleet_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	fleet_pids=("${keep[@]}")
}

# vm_start LISTEN DIR: VictoriaMetrics on LISTEN, data in DIR/data (kept
# across a vm_stop / vm_start); sets vm_url and vm_pid. Instant queries see
# samples 1 s old (not 30 s), and no result is cached, so that a test reads
# what was just written.
vm_start() {
	local listen=$1 dir=$2
	mkdir -p "$dir"
	victoria-metrics -storageDataPath="$dir/data" -httpListenAddr="$listen" \
		-retentionPeriod=1 -search.latencyOffset=1s -search.disableCache \
		-loggerLevel=WARN >>"$dir/victoria-metrics.log" 2>&1 &
	vm_pid=$!
	fleet_pids+=("$vm_pid")
	vm_url=http://$listen
	wait_http "$vm_url/-/ready" 30
}

vm_stop() {
	stop_child "$vm_pid"
	forget_pid "$vm_pid"
}

# vm_metric NAME_AND_LABELS: a sample of VictoriaMetrics' own /metrics
# (summed when the pattern matches several lines).
vm_metric() {
	curl -sS --max-time 5 "$vm_url/metrics" |
		awk -v re="^$1" '$0 ~ re { s += $NF; n++ } END { if (n) printf "%.0f\n", s }'
}

# exporter_sum PORT METRIC: the sum of METRIC over a sensor's own /metrics.
exporter_sum() {
	curl -sS --max-time 5 "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" '$1 ~ "^" m "({|$)" { s += $2 } END { printf "%.0f\n", s }'
}

# short_for_rules DIR: in DIR/rules/darknet-alerts.yml (a copy), every
# alert's `for:` becomes 1s, so a test sees an alert fire in seconds instead
# of minutes. Fails if the copy has no `for:` to change.
short_for_rules() {
	local f=$1/rules/darknet-alerts.yml n
	n=$(grep -cE '^        for: ' "$f")
	[ "$n" -gt 0 ] || return 1
	sed -E -i 's/^(        for:) .*/\1 1s/' "$f"
	[ "$(grep -cE '^        for: 1s$' "$f")" = "$n" ]
}

# site_prom_start VAR TARGETS LISTEN DIR WRITE_URL [ALERTMANAGER]: the site
# Prometheus: deploy/prometheus as scripts/prometheus-lab.sh rewrites it
# (1 s scrape and evaluation, 2 s for the daily group) with every alert's
# `for:` at 1 s (and with FLEET_RATE_WINDOW set, e.g. 5s, the recording
# rules' [5m] windows at that), plus deploy/fleet/remote-write.yml pointed at WRITE_URL and,
# with ALERTMANAGER (HOST:PORT), deploy/fleet/alerting.yml pointed at it.
# Sets VAR to its URL; its config is DIR/config/prometheus.yml.
site_prom_start() {
	local var=$1 targets=$2 listen=$3 dir=$4 write_url=$5 am=${6:-} c pid
	c=$dir/config
	lib_promdirs+=("$dir")
	mkdir -p "$dir/data"
	PROMETHEUS_LAB_INTERVAL=1s PROMETHEUS_LAB_GROUP_INTERVAL=2s \
		"$PROM_LAB" config "$targets" "$c" >/dev/null 2>>"$lib_tmp/prometheus-lab.log" || return 1
	short_for_rules "$c" || return 1
	if [ -n "${FLEET_RATE_WINDOW:-}" ]; then
		# The recording rules' 5-minute rate windows, shortened: a sensor
		# whose traffic stops reads 0 packets/s within seconds.
		grep -q '\[5m\]' "$c/rules/darknet-recording.yml" || return 1
		sed -i "s/\[5m\]/[$FLEET_RATE_WINDOW]/g" "$c/rules/darknet-recording.yml"
	fi
	sed -E "s|^(  - url: )\".*\"|\\1\"$write_url\"|" "$FLEET/remote-write.yml" >>"$c/prometheus.yml"
	grep -qF "\"$write_url\"" "$c/prometheus.yml" || return 1
	if [ -n "$am" ]; then
		sed -E "s|^(        - targets: )\\[.*\\]|\\1[\"$am\"]|" "$FLEET/alerting.yml" >>"$c/prometheus.yml"
		grep -qF "[\"$am\"]" "$c/prometheus.yml" || return 1
	fi
	(cd "$c" && exec prometheus --config.file="$c/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="$listen" --storage.tsdb.retention.time=1d \
		</dev/null >"$dir/prometheus.log" 2>&1) &
	pid=$!
	echo "$pid" >"$dir/prometheus.pid"
	printf -v "$var" 'http://%s' "$listen"
	wait_http "http://$listen/-/ready" 30
}

# fleet_daemon_start PREFIX PORT SCANNERS: as e2e-lib's daemon_start, with
# the scanner list SCANNERS (a file the test may age or refresh) and a 1 s
# list check (and 5 s distinct-count intervals, as there); sets daemon_pid.
fleet_daemon_start() {
	local prefix=$1 port=$2 scanners=$3 pin=/sys/fs/bpf/dn-$LIB_NAME-$$-${#lib_pins[@]} d
	local args=(--netns "$prefix-s" --scanners "$scanners" --watch-ports "$WATCH_PORTS"
		    --web.listen-address "127.0.0.1:$port" --bpffs-dir "$pin" --detach-on-exit
		    --reload-interval 1
		    --distinct-interval 5)
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	lib_pins+=("$pin")
	"$DAEMON" "${args[@]}" sensor0 >>"$lib_tmp/$prefix-daemon.log" 2>&1 &
	daemon_pid=$!
	lib_daemons+=("$daemon_pid")
	lib_daemon_netns+=("$prefix-s")
	for _ in $(seq 100); do
		kill -0 "$daemon_pid" 2>/dev/null || break
		curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/metrics" && return 0
		sleep 0.1
	done
	tail -n 5 "$lib_tmp/$prefix-daemon.log" >&2
	return 1
}

# receiver_start LISTEN FILE: tests/tools/webhook_receiver.py, every POST
# body a line of FILE.
receiver_start() {
	python3 tests/tools/webhook_receiver.py "$1" "$2" 2>>"$lib_tmp/receiver.log" &
	fleet_pids+=("$!")
	for _ in $(seq 50); do
		ss -Hltn "sport = :${1##*:}" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# am_start LISTEN DIR RECEIVER_URL: Alertmanager with deploy/fleet/alertmanager.yml,
# its webhook pointed at RECEIVER_URL and group_wait/group_interval at 1 s;
# no cluster listener. Sets am_url.
am_start() {
	local listen=$1 dir=$2 url=$3 c=$2/alertmanager.yml
	mkdir -p "$dir/data"
	sed -E -e "s|^(      - url: )\".*\"|\1\"$url\"|" \
	       -e 's/^(  group_wait:) .*/\1 1s/' -e 's/^(  group_interval:) .*/\1 1s/' \
	       "$FLEET/alertmanager.yml" >"$c"
	grep -qF "\"$url\"" "$c" && grep -q '^  group_wait: 1s$' "$c" &&
		grep -q '^  group_interval: 1s$' "$c" || return 1
	prometheus-alertmanager --config.file="$c" --storage.path="$dir/data" \
		--web.listen-address="$listen" --cluster.listen-address= \
		>"$dir/alertmanager.log" 2>&1 &
	fleet_pids+=("$!")
	am_url=http://$listen
	wait_http "$am_url/-/ready" 30
}
