#!/bin/bash
# prometheus-lab.sh: run Debian's Prometheus against lab sensors with the shipped
# configuration (deploy/prometheus): prometheus.yml and its rules for scraping,
# federation.yml for a second, federating Prometheus. The shipped files are
# never changed: each instance gets a rewritten copy under its DATADIR.
#
# Usage:
#   scripts/prometheus-lab.sh start TARGETS LISTEN DATADIR
#       Prometheus scraping TARGETS with prometheus.yml and the shipped rules.
#       TARGETS is HOST:PORT[=SENSOR][,HOST:PORT[=SENSOR]...]: the first target
#       replaces prometheus.yml's static target (SENSOR default: its
#       __tmp_sensor, sensor-1), the others go to a file_sd file
#       sensors/lab.yml as sensors/example.yml.sample shows. The `sensor`
#       label comes from the shipped relabelling either way.
#       Prints "URL PID" on one line once Prometheus is ready.
#   scripts/prometheus-lab.sh federate SOURCE LISTEN DATADIR
#       Prometheus federating from the Prometheus at SOURCE (HOST:PORT) with
#       federation.yml. Prints "URL PID".
#   scripts/prometheus-lab.sh config TARGETS DIR
#       Only write the rewritten prometheus.yml and rules under DIR (for
#       promtool check config).
#   scripts/prometheus-lab.sh stop PID
#       Stop a Prometheus this script started (SIGTERM, then SIGKILL after 10 s).
#
# As the hook of scripts/lab.sh (LAB_PROMETHEUS_HOOK=scripts/prometheus-lab.sh):
#   scripts/prometheus-lab.sh start METRICS_URL LOGDIR   (listens on
#       $PROMETHEUS_LAB_LISTEN, default 127.0.0.1:9090; data in LOGDIR/prometheus)
#   scripts/prometheus-lab.sh stop LOGDIR
#
# DATADIR gets config/ (the rewritten files), data/ (the TSDB), prometheus.log
# and prometheus.pid. LISTEN must be a loopback address.
#
# Environment:
#   PROMETHEUS_LAB_INTERVAL   scrape and evaluation interval (default: as shipped, 15s);
#                             tests use 1s
#   PROMETHEUS_LAB_GROUP_INTERVAL
#                             interval of rule groups that set their own (as shipped:
#                             darknet-daily, 5m); tests use 2s so they run at once
#   PROMETHEUS                the Prometheus binary (default: prometheus)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
readonly SHIPPED=$root/deploy/prometheus
readonly PROMETHEUS=${PROMETHEUS:-prometheus}
readonly INTERVAL=${PROMETHEUS_LAB_INTERVAL:-}
readonly GROUP_INTERVAL=${PROMETHEUS_LAB_GROUP_INTERVAL:-}
# What the shipped files say, and what is rewritten in the copies.
readonly SHIPPED_TARGET=127.0.0.1:9917 SHIPPED_SENSOR=sensor-1 SHIPPED_FEDERATE=127.0.0.1:9090

die() { printf 'prometheus-lab: %s\n' "$*" >&2; exit 1; }

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# sub FILE REGEX REPLACEMENT WHAT: sed -E s/REGEX/REPLACEMENT/ on FILE in
# place; fails if no line matches, so that a reworded shipped file cannot
# silently keep its original value.
sub() {
	local file=$1 re=$2 repl=$3 what=$4
	grep -Eq "$re" "$file" || die "could not rewrite $what in ${file##*/} (did the shipped file change?)"
	sed -E -i "s/$re/$repl/" "$file"
}

set_intervals() {
	local file=$1
	[ -n "$INTERVAL" ] || return 0
	# Prometheus caps the default scrape_timeout (10 s) at a shorter interval.
	sub "$file" '^(  scrape_interval:) .*' "\\1 $INTERVAL" "global scrape_interval"
	sub "$file" '^(  evaluation_interval:) .*' "\\1 $INTERVAL" "global evaluation_interval"
}

check_hostport() {
	local re='^[^][:space:]/,="&\\]+:[0-9]+$'
	[[ $1 =~ $re ]] || die "not HOST:PORT: $1"
}

# write_scrape_config TARGETS DIR
write_scrape_config() {
	local targets=$1 dir=$2 first=1 t hp name f list
	mkdir -p "$dir/rules" "$dir/sensors"
	rm -f "$dir/sensors/lab.yml"
	cp "$SHIPPED/prometheus.yml" "$dir/prometheus.yml"
	cp "$SHIPPED"/rules/*.yml "$dir/rules/"
	cp "$SHIPPED"/sensors/*.yml "$dir/sensors/" 2>/dev/null || true
	set_intervals "$dir/prometheus.yml"
	if [ -n "$GROUP_INTERVAL" ]; then
		for f in "$dir"/rules/*.yml; do
			grep -qE '^    interval:' "$f" || continue
			sub "$f" '^(    interval:) .*' "\\1 $GROUP_INTERVAL" "rule group interval"
		done
	fi
	IFS=, read -ra list <<<"$targets"
	[ ${#list[@]} -gt 0 ] || die "no target"
	for t in "${list[@]}"; do
		hp=${t%%=*}
		name=''
		[[ $t == *=* ]] && name=${t#*=}
		check_hostport "$hp"
		[[ $name =~ ^[A-Za-z0-9._-]*$ ]] || die "bad sensor name: $name"
		if [ "$first" = 1 ]; then
			sub "$dir/prometheus.yml" "\"$SHIPPED_TARGET\"" "\"$hp\"" "the static target"
			if [ -n "$name" ] && [ "$name" != "$SHIPPED_SENSOR" ]; then
				sub "$dir/prometheus.yml" "(__tmp_sensor:) $SHIPPED_SENSOR\$" "\\1 $name" \
					"the static target's __tmp_sensor"
			fi
			first=0
		else
			{
				printf -- '- targets: ["%s"]\n' "$hp"
				[ -z "$name" ] || printf '  labels:\n    __tmp_sensor: %s\n' "$name"
			} >>"$dir/sensors/lab.yml"
		fi
	done
}

# write_federate_config SOURCE DIR
write_federate_config() {
	local source=$1 dir=$2
	check_hostport "$source"
	mkdir -p "$dir"
	cp "$SHIPPED/federation.yml" "$dir/federation.yml"
	set_intervals "$dir/federation.yml"
	sub "$dir/federation.yml" "\"$SHIPPED_FEDERATE\"" "\"$source\"" "the federation target"
}

# run CONFIG LISTEN DATADIR: start Prometheus in the background, wait until
# it is ready, print "URL PID".
run() {
	local config=$1 listen=$2 datadir=$3 pid url
	check_hostport "$listen"
	case $listen in
	127.*:* | localhost:*) ;;
	*) die "LISTEN must be on loopback: $listen" ;;
	esac
	command -v "$PROMETHEUS" >/dev/null || die "$PROMETHEUS is not installed (Debian package prometheus)"
	url=http://$listen
	if curl -s -o /dev/null --max-time 1 "$url/"; then
		die "$listen is already in use"
	fi
	mkdir -p "$datadir/data"
	# Own session, no inherited descriptors: a caller reading our stdout
	# (or holding a lock on fd 9, as lab.sh does) must not wait for Prometheus.
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
		done
		cd "$(dirname "$config")"
		exec setsid "$PROMETHEUS" --config.file="$config" --storage.tsdb.path="$datadir/data" \
			--web.listen-address="$listen" --storage.tsdb.retention.time=1d \
			</dev/null >"$datadir/prometheus.log" 2>&1
	) &
	pid=$!
	echo "$pid" >"$datadir/prometheus.pid"
	for _ in $(seq 300); do
		if ! running "$pid"; then
			tail -n 5 "$datadir/prometheus.log" >&2
			die "Prometheus exited (log: $datadir/prometheus.log)"
		fi
		if curl -sf -o /dev/null --max-time 1 "$url/-/ready"; then
			echo "$url $pid"
			return 0
		fi
		sleep 0.1
	done
	stop "$pid"
	die "Prometheus was not ready within 30 s (log: $datadir/prometheus.log)"
}

# running PID: the process exists and is not a zombie (an orphaned
# Prometheus that exited waits for init to reap it).
running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# stop PID: only a Prometheus process, never anything else.
stop() {
	local pid=$1
	[[ $pid =~ ^[0-9]+$ ]] || die "not a PID: $pid"
	running "$pid" || return 0
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$PROMETHEUS" | cut -c1-15)" ] ||
		die "PID $pid is not $PROMETHEUS; not stopping it"
	kill -TERM "$pid"
	for _ in $(seq 100); do
		running "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# A directory's absolute path (created if needed).
absdir() { mkdir -p "$1" && (cd "$1" && pwd); }

cmd=${1:-}
case $cmd in
start)
	if [ $# -eq 3 ] && [[ $2 == http://* ]]; then
		# lab.sh hook: start METRICS_URL LOGDIR
		target=${2#http://}
		target=${target%%/*}
		datadir=$(absdir "$3/prometheus")
		write_scrape_config "$target=lab" "$datadir/config"
		read -r url pid < <(run "$datadir/config/prometheus.yml" \
			"${PROMETHEUS_LAB_LISTEN:-127.0.0.1:9090}" "$datadir")
		[ -n "${pid:-}" ] || exit 1
		echo "lab: prometheus: $url (pid $pid, data and log in $datadir)"
		exit 0
	fi
	[ $# -eq 4 ] || usage
	datadir=$(absdir "$4")
	rm -rf "$datadir/config"
	write_scrape_config "$2" "$datadir/config"
	run "$datadir/config/prometheus.yml" "$3" "$datadir"
	;;
federate)
	[ $# -eq 4 ] || usage
	datadir=$(absdir "$4")
	rm -rf "$datadir/config"
	write_federate_config "$2" "$datadir/config"
	run "$datadir/config/federation.yml" "$3" "$datadir"
	;;
config)
	[ $# -eq 3 ] || usage
	dir=$(absdir "$3")
	write_scrape_config "$2" "$dir"
	echo "$dir/prometheus.yml"
	;;
stop)
	[ $# -eq 2 ] || usage
	if [ -d "$2" ]; then
		# lab.sh hook: stop LOGDIR
		[ -s "$2/prometheus/prometheus.pid" ] || exit 0
		stop "$(cat "$2/prometheus/prometheus.pid")"
		rm -f "$2/prometheus/prometheus.pid"
	else
		stop "$2"
	fi
	;;
*) usage ;;
esac
