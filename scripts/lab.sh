#!/bin/bash
# lab.sh: the demo lab: two network namespaces joined by veth, the counter on the sensor side,
# a steady NICTER-like traffic mix from the other, until Ctrl-C; then everything is removed.
#
# Usage: scripts/lab.sh [BUILD_DIR]     (root; `sudo make demo` runs it as `scripts/lab.sh build`)
# Environment: LAB_RATE (packets/s, default 2000), LAB_MIX (default nicter),
#              LAB_SOURCES (darknet-trafgen --sources: that many distinct sources
#              per family, their exact counts in the generator's log at exit;
#              default unset: fresh sources for every frame),
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
readonly LOCK=/run/lock/darknet-counter-lab.lock
readonly PROMETHEUS_HOOK=${LAB_PROMETHEUS_HOOK:-scripts/prometheus-lab.sh}
readonly DAEMON=$out/darknet-counter TRAFGEN=$out/darknet-trafgen
readonly LOGDIR=$out/lab

# What this run owns, so that cleanup undoes exactly that and nothing else:
# a second lab that finds the lock taken must not touch the first one's lab.
have_lock=0 daemon_pid='' trafgen_pid='' sleep_pid='' prometheus_started=0

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

# --detach-on-exit: the daemon's default is to leave the program counting
# after it exits; a lab must leave nothing behind.
start_daemon() {
	local args=(--netns "$SENSOR_NS" --scanners "$SCANNERS" --web.listen-address "$LISTEN"
		    --detach-on-exit)
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	# Something already answering there would pass for our daemon below.
	if curl -s -o /dev/null --max-time 1 "http://$LISTEN/"; then
		die "$LISTEN is already in use by another process"
	fi
	"$DAEMON" "${args[@]}" "$SENSOR_IF" >"$LOGDIR/darknet-counter.log" 2>&1 9>&- &
	daemon_pid=$!
	for _ in $(seq 100); do
		kill -0 "$daemon_pid" 2>/dev/null || daemon_failed
		if curl -sf -o /dev/null --max-time 1 "$METRICS_URL"; then
			kill -0 "$daemon_pid" 2>/dev/null || daemon_failed
			return 0
		fi
		sleep 0.1
	done
	die "darknet-counter did not answer on $METRICS_URL within 10 s"
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

announce() {
	log "sensor:  $SENSOR_IF in namespace $SENSOR_NS (darknets ${DARKNETS[*]})"
	log "traffic: $MIX mix at $RATE packets/s from $INET_IF in namespace $INET_NS"
	log "metrics: $METRICS_URL"
	log "         curl -s $METRICS_URL | grep '^darknet_packets_total'"
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
	start_daemon
	start_trafgen
	prometheus_hook start
	announce
	wait_for_ctrl_c
}

main
