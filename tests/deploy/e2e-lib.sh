# e2e-lib.sh: shared pieces of the Prometheus end-to-end tests
# (tests/e2e/prometheus_e2e.sh, tests/e2e/multi_sensor.sh). Sourced, not run.
#
# Lab sensors: each is a pair of network namespaces PREFIX-i / PREFIX-s joined
# by a veth pair created inside them (inet0 <-> sensor0), with no address, no
# route and IPv6 off (no router solicitations or MLD reports on the link).
# darknet-counter runs in the host namespace, attaches XDP to sensor0 inside
# PREFIX-s only, and serves HTTP on 127.0.0.1. Prometheus instances come from
# scripts/prometheus-lab.sh, listen on 127.0.0.1 and keep their data in this
# test's temporary directory. lib_cleanup (on EXIT) stops exactly the
# processes started here, by PID, and removes the namespaces, pins and files.
#
# The caller sets before sourcing: out (build dir), LIB_NAME (short test name),
# and runs from the repository root.
# shellcheck shell=bash disable=SC2317

readonly DAEMON=$out/darknet-counter TRAFGEN=$out/darknet-trafgen
readonly PROM_LAB=scripts/prometheus-lab.sh
readonly SCANNERS=deploy/research-scanners.txt
readonly DARKNETS=(198.51.100.0/24 203.0.113.0/24 2001:db8::/32)
# The IoT ports of the recording rules plus 445, so that none is folded into
# port="other" (the rules' comment asks for that).
readonly WATCH_PORTS=23,2323,7547,37215,52869,5555,80,8080,8081,8181,8443,9000,81,82,83,84,85,5500,60001,32,3232,8291,22,445

passed=0 failed=0
lib_tmp=$(mktemp -d "/tmp/dn-$LIB_NAME.XXXXXX")
lib_namespaces=() lib_pins=() lib_daemons=() lib_daemon_netns=() lib_promdirs=() lib_trafgen=''

lib_t0=$(date +%s.%N)

# ---- reporting ---------------------------------------------------------------
ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }
# check NAME COMMAND...: a command; expect NAME CONDITION [DETAIL]: a shell
# condition, eval'ed inside expect (so it must not use $1, $2...).
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
expect() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-}"; fi; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
quiet() { "$@" >/dev/null 2>&1; }
abort() { fail "$1" "${2:-}"; finish; }
elapsed() { awk -v a="$lib_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }

# ---- cleanup -----------------------------------------------------------------
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# stop_child PID: SIGTERM one of our own children, SIGKILL after 5 s.
stop_child() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

lib_cleanup() {
	local rc=$? i d
	trap - EXIT INT TERM
	for d in "${lib_promdirs[@]}"; do
		[ -s "$d/prometheus.pid" ] && "$PROM_LAB" stop "$(cat "$d/prometheus.pid")" 2>/dev/null
	done
	[ -n "$lib_trafgen" ] && stop_child "$lib_trafgen"
	for i in "${lib_daemons[@]}"; do stop_child "$i"; done
	for i in "${!lib_daemon_netns[@]}"; do
		ns_exists "${lib_daemon_netns[$i]}" &&
			"$DAEMON" detach --netns "${lib_daemon_netns[$i]}" sensor0 >/dev/null 2>&1
	done
	for i in "${lib_namespaces[@]}"; do ns_exists "$i" && ip netns delete "$i"; done
	for i in "${lib_pins[@]}"; do [ -d "$i" ] && rm -rf "$i"; done
	if [ "$failed" != 0 ] && [ -d "$out/tests" ]; then
		# Keep the logs of a failed run for a human.
		d=$(cd "$out/tests" && pwd)/$LIB_NAME-logs
		rm -rf "$d" && mkdir -p "$d"
		(cd "$lib_tmp" && find . \( -name '*.log' -o -name '*.txt' -o -name '*.yml' \) \
			-exec cp --parents {} "$d/" \;) 2>/dev/null
		echo "# logs of this run: $d" >&2
	fi
	rm -rf "$lib_tmp"
	exit "$rc"
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM

lib_preflight() {
	local t
	[ "$(id -u)" = 0 ] || abort "runs as root" "namespaces and XDP need root"
	for t in "$DAEMON" "$TRAFGEN" "$PROM_LAB"; do
		[ -x "$t" ] || abort "$t is there" "build first (make all)"
	done
	for t in prometheus promtool jq curl ip ss; do
		command -v "$t" >/dev/null || abort "$t is installed" "scripts/install-deps.sh"
	done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || abort "bpffs mounted"
}

# ---- lab sensors -------------------------------------------------------------
# lab_create PREFIX: namespaces PREFIX-i (inet0) and PREFIX-s (sensor0).
lab_create() {
	local i=$1-i s=$1-s ns
	ip netns add "$i" || return 1
	lib_namespaces+=("$i")
	ip netns add "$s" || return 1
	lib_namespaces+=("$s")
	for ns in "$i" "$s"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	# Both ends are created inside their namespaces: never a host link.
	ip link add inet0 netns "$i" type veth peer name sensor0 netns "$s" &&
		ip -n "$i" link set inet0 up && ip -n "$s" link set sensor0 up
}

free_port() {
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return 0; }
	done
	return 1
}

# daemon_start PREFIX PORT: darknet-counter on PREFIX-s's sensor0, serving
# 127.0.0.1:PORT, log in $lib_tmp/PREFIX-daemon.log. 5 s distinct-count
# intervals: the windows the dashboard's distinct-source panels read fill
# within seconds of the traffic, not at the next minute.
daemon_start() {
	local prefix=$1 port=$2 pin=/sys/fs/bpf/dn-$LIB_NAME-$$-${#lib_pins[@]} d pid
	local args=(--netns "$prefix-s" --scanners "$SCANNERS" --watch-ports "$WATCH_PORTS"
		    --web.listen-address "127.0.0.1:$port" --bpffs-dir "$pin" --detach-on-exit
		    --distinct-interval 5)
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	lib_pins+=("$pin")
	"$DAEMON" "${args[@]}" sensor0 >"$lib_tmp/$prefix-daemon.log" 2>&1 &
	pid=$!
	lib_daemons+=("$pid")
	lib_daemon_netns+=("$prefix-s")
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/metrics" && return 0
		sleep 0.1
	done
	tail -n 5 "$lib_tmp/$prefix-daemon.log" >&2
	return 1
}

# trafgen PREFIX ARGS...: darknet-trafgen from PREFIX-i's inet0, in the
# foreground; its summary goes to $lib_tmp/PREFIX-trafgen.txt.
trafgen() {
	local prefix=$1 d args=()
	shift
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	# In the background, so that a signal to the test runs its trap at once.
	"$TRAFGEN" --netns "$prefix-i" --iface inet0 --scanners "$SCANNERS" "${args[@]}" -q "$@" \
		>"$lib_tmp/$prefix-trafgen.txt" 2>"$lib_tmp/$prefix-trafgen.log" &
	lib_trafgen=$!
	wait "$lib_trafgen"
	local rc=$?
	lib_trafgen=''
	return "$rc"
}
# sent FILE [class CLASS | family FAMILY]: packets the generator reported.
sent() {
	local f=$1
	case ${2:-} in
	'') awk '$1 == "sent" { print $2 }' "$f" ;;
	class) awk -v c="$3" '$1 == "class" && $2 == c { print $3 }' "$f" ;;
	family) awk -v fa="$3" '$1 == "series" && $2 == fa { s += $5 } END { print s + 0 }' "$f" ;;
	esac
}

# ---- Prometheus --------------------------------------------------------------
# prom_start VAR MODE ARG LISTEN DIR: scripts/prometheus-lab.sh MODE (start
# or federate), 1 s scrape and evaluation interval, 2 s for the daily rule
# group; sets VAR to its URL. (Not to be run in a subshell: cleanup finds the
# instance through lib_promdirs and DIR/prometheus.pid.)
prom_start() {
	local var=$1 mode=$2 arg=$3 listen=$4 dir=$5 url pid
	lib_promdirs+=("$dir")
	read -r url pid < <(PROMETHEUS_LAB_INTERVAL=1s PROMETHEUS_LAB_GROUP_INTERVAL=2s \
		"$PROM_LAB" "$mode" "$arg" "$listen" "$dir" 2>>"$lib_tmp/prometheus-lab.log")
	[ -n "${pid:-}" ] || return 1
	printf -v "$var" '%s' "$url"
}

# promq URL EXPR [TIME]: the API's JSON answer to an instant query.
promq() {
	local args=(--data-urlencode "query=$2")
	[ -n "${3:-}" ] && args+=(--data-urlencode "time=$3")
	curl -sS --max-time 20 "$1/api/v1/query" "${args[@]}"
}
# nseries URL EXPR: how many series (0 on an error).
nseries() { promq "$1" "$2" | jq -r 'if .status == "success" then (.data.result | length) else 0 end' 2>/dev/null || echo 0; }
# val URL EXPR [TIME]: the value of the first series, empty when none.
val() { promq "$@" | jq -r '.data.result[0].value[1] // empty' 2>/dev/null; }
# labels URL EXPR LABEL: the values of LABEL over the result, sorted, space-separated.
labels() { promq "$1" "$2" | jq -r --arg l "$3" '[.data.result[].metric[$l]] | sort | join(" ")' 2>/dev/null; }

# wait_data URL EXPR SECONDS: poll until EXPR returns data.
wait_data() {
	local end=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(nseries "$1" "$2")" -gt 0 ] && return 0
		sleep 0.5
	done
	return 1
}

# Comparisons of decimal strings (floats allowed): near A B TOL (|A-B| <= TOL),
# rnear A B REL (|A-B| <= REL*|B|), gt A B.
near() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !((d < 0 ? -d : d) <= t) }'; }
rnear() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; m = b < 0 ? -b : b; exit !((d < 0 ? -d : d) <= t * m) }'; }
gt() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
# fmt X [DIGITS]: a number for check names.
fmt() { awk -v x="${1:-nan}" -v d="${2:-4}" 'BEGIN { if (x == "nan") print "none"; else printf "%.*g\n", d, x }'; }
pct() { awk -v x="${1:-0}" 'BEGIN { printf "%.2f%%\n", 100 * x }'; }
