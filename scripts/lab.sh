#!/bin/bash
# lab.sh: the demo lab: two network namespaces joined by veth, the counter on the sensor side,
# a steady NICTER-like traffic mix from the other, scan campaigns and DoS backscatter in rounds,
# source countries and ASes from the public databases, until Ctrl-C; then everything is removed.
#
# Usage: scripts/lab.sh [BUILD_DIR]     (root; `sudo make demo` runs it as `scripts/lab.sh build`)
# Environment: LAB_RATE (packets/s, default 2000), LAB_MIX (default nicter),
#              LAB_SOURCES (darknet-trafgen --sources: that many distinct sources
#              per family, their exact counts in the generator's log at exit;
#              default unset: fresh sources for every frame),
#              LAB_EVENTS (default 1: a round of scan campaigns and DoS
#              backscatter every 20 s, docs/campaigns.md, with the daemon on the
#              lab thresholds printed at start; 0: none),
#              LAB_GEO (default 1: source country and AS from ip-location-db,
#              fetched once with scripts/fetch-geo-db.sh into LAB_GEO_DIR,
#              default bench/geo-db; 0, or no network: the lab runs without),
#              LAB_PROMETHEUS_HOOK (see prometheus_hook below).
#
#   dn-lab-inet                 dn-lab-sensor
#   darknet-trafgen -> inet0 ==veth== sensor0 <- XDP darknet_counter
#                                                 (darknet-counter runs in the host
#                                                  namespace and serves 127.0.0.1:9917)
#
# Neither namespace has an address, a route or forwarding: no frame of the lab
# can leave it. The daemon's and the generator's output goes to BUILD_DIR/lab/.
# shellcheck disable=SC2317  # cleanup and its helpers run from traps
set -euo pipefail

out=${1:-build}
cd "$(dirname "$0")/.."

readonly INET_NS=dn-lab-inet SENSOR_NS=dn-lab-sensor
readonly INET_IF=inet0 SENSOR_IF=sensor0
readonly LISTEN=127.0.0.1:9917
readonly METRICS_URL="http://$LISTEN/metrics"
readonly SCANNERS=deploy/research-scanners.txt
readonly DARKNETS=(198.51.100.0/24 203.0.113.0/24 2001:db8::/32)
readonly RATE=${LAB_RATE:-2000} MIX=${LAB_MIX:-nicter} SOURCES=${LAB_SOURCES:-}
readonly EVENTS=${LAB_EVENTS:-1} GEO=${LAB_GEO:-1} GEO_DIR=${LAB_GEO_DIR:-bench/geo-db}
# The campaign generator's lab profile (docs/campaigns.md, "Lab thresholds"):
# the defaults describe a real darknet, where a scan at 10 pps Internet-wide
# is one packet a week to the lab's 512 addresses. Short idle timeouts so
# that a round's events close before the next one.
readonly EVENT_ARGS=(--scan-min-destinations 100 --scan-min-rate 5e8 --dos-min-packets 25
		     --dos-min-duration 2 --dos-window 1 --dos-min-window-packets 30
		     --scan-idle-timeout 5 --dos-idle-timeout 5)
readonly LOCK=/run/lock/darknet-counter-lab.lock
readonly PROMETHEUS_HOOK=${LAB_PROMETHEUS_HOOK:-scripts/prometheus-lab.sh}
readonly DAEMON=$out/darknet-counter TRAFGEN=$out/darknet-trafgen
readonly LOGDIR=$out/lab

# What this run owns, so that cleanup undoes exactly that and nothing else:
# a second lab that finds the lock taken must not touch the first one's lab.
have_lock=0 daemon_pid='' trafgen_pid='' campaign_pid='' sleep_pid='' prometheus_started=0
geo_args=()

log() { printf 'lab: %s\n' "$*"; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# Stop one of our children by PID: SIGTERM, up to 5 s, then SIGKILL.
stop_pid() {
	local pid=$1 name=$2
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$name (pid $pid) ignored SIGTERM, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# Detach whatever a lab left on the sensor interface (pinned maps included),
# then delete both namespaces, which takes the veth pair with them.
remove_lab_network() {
	if ns_exists "$SENSOR_NS" && [ -x "$DAEMON" ]; then
		"$DAEMON" detach --netns "$SENSOR_NS" "$SENSOR_IF" >/dev/null 2>&1 || true
	fi
	for ns in "$INET_NS" "$SENSOR_NS"; do
		if ns_exists "$ns"; then
			ip netns delete "$ns" || log "could not delete namespace $ns"
		fi
	done
}

# ---- Prometheus hook ---------------------------------------------------------
# If $PROMETHEUS_HOOK (default scripts/prometheus-lab.sh) is executable, the lab
# calls it as
#     HOOK start METRICS_URL LOGDIR   -> prints the Prometheus (and Grafana) URLs
#                                        on stdout; non-zero exit = not started
#     HOOK stop LOGDIR                -> stops what start started
# How Prometheus runs (binary, config, port) is the hook's business. Without a
# hook the lab runs without Prometheus.
prometheus_hook() {
	[ -x "$PROMETHEUS_HOOK" ] || return 0
	case $1 in
	start)
		if "$PROMETHEUS_HOOK" start "$METRICS_URL" "$LOGDIR"; then
			prometheus_started=1
		else
			log "warning: $PROMETHEUS_HOOK start failed; running without Prometheus"
		fi
		;;
	stop)
		[ "$prometheus_started" = 1 ] || return 0
		"$PROMETHEUS_HOOK" stop "$LOGDIR" || log "warning: $PROMETHEUS_HOOK stop failed"
		;;
	esac
}
# -----------------------------------------------------------------------------

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	[ "$have_lock" = 1 ] || exit "$rc"
	[ -n "$sleep_pid" ] && kill "$sleep_pid" 2>/dev/null
	prometheus_hook stop
	stop_pid "$campaign_pid" 'the campaign rounds'
	stop_pid "$trafgen_pid" darknet-trafgen
	stop_pid "$daemon_pid" darknet-counter
	remove_lab_network
	rm -f "$LOCK"
	if [ -s "$LOGDIR/darknet-trafgen.log" ] && [ -n "$trafgen_pid" ]; then
		log "the generator $(grep -m1 '^sent' "$LOGDIR/darknet-trafgen.log" || echo 'left no summary')"
	fi
	log "lab removed (logs in $LOGDIR)"
	exit "$rc"
}

preflight() {
	[ "$(id -u)" = 0 ] || die "needs root (sudo make demo)"
	for f in "$DAEMON" "$TRAFGEN"; do
		[ -x "$f" ] || die "$f is missing: build first (make all)"
	done
	[ -r "$SCANNERS" ] || die "$SCANNERS is missing"
	command -v ip >/dev/null || die "ip (iproute2) is missing: run scripts/install-deps.sh"
	command -v curl >/dev/null || die "curl is missing: run scripts/install-deps.sh"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# One lab at a time: the namespace names and the port are fixed.
take_lock() {
	mkdir -p "$(dirname "$LOCK")"
	exec 9>"$LOCK"
	flock -n 9 || die "another lab is running (lock $LOCK held); stop it with Ctrl-C first"
	have_lock=1
}

create_lab_network() {
	if ns_exists "$INET_NS" || ns_exists "$SENSOR_NS"; then
		log "removing what an earlier lab left behind"
		remove_lab_network
	fi
	ip netns add "$INET_NS"
	ip netns add "$SENSOR_NS"
	# No IPv6 on the lab links: router solicitations and MLD reports would
	# otherwise reach the sensor and show up as not_darknet frames.
	for ns in "$INET_NS" "$SENSOR_NS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	# Both ends are created inside their namespaces: neither ever exists in
	# the host namespace, even for a moment.
	ip link add "$INET_IF" netns "$INET_NS" type veth peer name "$SENSOR_IF" netns "$SENSOR_NS"
	ip -n "$INET_NS" link set "$INET_IF" up
	ip -n "$SENSOR_NS" link set "$SENSOR_IF" up
}

daemon_failed() {
	wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=''
	tail -n 20 "$LOGDIR/darknet-counter.log" >&2
	die "darknet-counter did not start (log: $LOGDIR/darknet-counter.log)"
}

# The databases are public (docs/geo.md); without them the lab still runs.
find_geo() {
	[ "$GEO" = 1 ] || return 0
	if ! scripts/fetch-geo-db.sh "$GEO_DIR" >"$LOGDIR/fetch-geo-db.log" 2>&1; then
		log "warning: could not fetch the geo databases (log: $LOGDIR/fetch-geo-db.log);" \
		    "running without countries and ASes"
		return 0
	fi
	geo_args=(--geo-country "$GEO_DIR/geo-whois-asn-country-ipv4.csv,$GEO_DIR/geo-whois-asn-country-ipv6.csv"
		  --geo-asn "$GEO_DIR/asn-ipv4.csv,$GEO_DIR/asn-ipv6.csv")
}

# --detach-on-exit: the daemon's default is to leave the program counting
# after it exits; a lab must leave nothing behind.
start_daemon() {
	local args=(--netns "$SENSOR_NS" --scanners "$SCANNERS" --web.listen-address "$LISTEN"
		    --detach-on-exit "${geo_args[@]}")
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	[ "$EVENTS" = 1 ] && args+=("${EVENT_ARGS[@]}" --events-file "$LOGDIR/events.ndjson")
	# Something already answering there would pass for our daemon below.
	if curl -s -o /dev/null --max-time 1 "http://$LISTEN/"; then
		die "$LISTEN is already in use by another process"
	fi
	"$DAEMON" "${args[@]}" "$SENSOR_IF" >"$LOGDIR/darknet-counter.log" 2>&1 9>&- &
	daemon_pid=$!
	# the full geo databases take a few seconds to load
	for _ in $(seq 300); do
		kill -0 "$daemon_pid" 2>/dev/null || daemon_failed
		if curl -sf -o /dev/null --max-time 1 "$METRICS_URL"; then
			kill -0 "$daemon_pid" 2>/dev/null || daemon_failed
			return 0
		fi
		sleep 0.1
	done
	die "darknet-counter did not answer on $METRICS_URL within 30 s"
}

start_trafgen() {
	local sources=()

	[ -z "$SOURCES" ] || sources=(--sources "$SOURCES")
	"$TRAFGEN" --netns "$INET_NS" --iface "$INET_IF" --mix "$MIX" --rate "$RATE" \
		"${sources[@]}" --scanners "$SCANNERS" -q >"$LOGDIR/darknet-trafgen.log" 2>&1 9>&- &
	trafgen_pid=$!
	sleep 0.5
	if ! kill -0 "$trafgen_pid" 2>/dev/null; then
		wait "$trafgen_pid" 2>/dev/null || true
		trafgen_pid=''
		tail -n 20 "$LOGDIR/darknet-trafgen.log" >&2
		die "darknet-trafgen did not start (log: $LOGDIR/darknet-trafgen.log)"
	fi
}

# A round of campaigns (12 s) every 20 s, each from another seed, its
# expected events in campaign-truth.tsv (the latest round). The generator
# of a round is stopped with the loop.
campaign_rounds() {
	local seed=1 pid=''
	trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; exit 0' TERM
	while :; do
		"$TRAFGEN" --netns "$INET_NS" --iface "$INET_IF" --mix campaign --seed "$seed" \
			--scanners "$SCANNERS" --truth "$LOGDIR/campaign-truth.tsv" -q \
			>>"$LOGDIR/darknet-trafgen-campaign.log" 2>&1 &
		pid=$!
		wait "$pid" || log "warning: campaign round $seed failed (log: $LOGDIR/darknet-trafgen-campaign.log)"
		sleep 8 &
		pid=$!
		wait "$pid" || true
		seed=$((seed + 1))
	done
}

start_campaigns() {
	[ "$EVENTS" = 1 ] || return 0
	campaign_rounds 9>&- &
	campaign_pid=$!
}

announce() {
	log "sensor:  $SENSOR_IF in namespace $SENSOR_NS (darknets ${DARKNETS[*]})"
	log "traffic: $MIX mix at $RATE packets/s from $INET_IF in namespace $INET_NS"
	log "metrics: $METRICS_URL"
	log "         curl -s $METRICS_URL | grep '^darknet_packets_total'"
	if [ "$EVENTS" = 1 ]; then
		log "events:  a round of scan campaigns and DoS backscatter every 20 s (lab thresholds:" \
		    "${EVENT_ARGS[*]})"
		log "         curl -s 'http://$LISTEN/api/v1/events?state=closed&limit=10'"
		log "         $LOGDIR/events.ndjson (closed events), $LOGDIR/campaign-truth.tsv (what a round must give)"
	fi
	if [ ${#geo_args[@]} -gt 0 ]; then
		log "geo:     source countries and ASes from $GEO_DIR (ip-location-db, docs/geo.md)"
		log "         curl -s $METRICS_URL | grep '^darknet_country_packets_total' | sort -t' ' -k2 -g | tail"
	fi
	log "page:    http://$LISTEN/ (top countries and ASes, events)"
	log "logs:    $LOGDIR/darknet-counter.log, $LOGDIR/darknet-trafgen.log"
	log "Ctrl-C stops the lab and removes it"
}

# Sleep in the background so that a signal's trap runs at once.
wait_for_ctrl_c() {
	while kill -0 "$daemon_pid" 2>/dev/null && kill -0 "$trafgen_pid" 2>/dev/null; do
		sleep 1 &
		sleep_pid=$!
		wait "$sleep_pid" || true
		sleep_pid=''
	done
	kill -0 "$daemon_pid" 2>/dev/null || die "darknet-counter exited (log: $LOGDIR/darknet-counter.log)"
	die "darknet-trafgen exited (log: $LOGDIR/darknet-trafgen.log)"
}

main() {
	trap cleanup EXIT
	trap 'exit 0' INT      # Ctrl-C is the way a lab ends
	trap 'exit 143' TERM
	preflight
	take_lock
	mkdir -p "$LOGDIR"
	create_lab_network
	find_geo
	start_daemon
	start_trafgen
	start_campaigns
	prometheus_hook start
	announce
	wait_for_ctrl_c
}

main
