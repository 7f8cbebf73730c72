#!/usr/bin/env bash
# soak.sh: darknet-counter under steady traffic, scrapes, reloads, SIGKILL restarts and hostile clients.
#
# Usage: tests/soak/soak.sh BUILD_DIR SECONDS   (root; make soak runs 600 s)
#
# A lab of two namespaces sk$$-i / sk$$-s joined by a veth created inside them
# (inet0 <-> sensor0); the daemon runs in the host namespace, attaches XDP to
# sensor0 inside sk$$-s only, and serves 127.0.0.1 with basic auth. For the
# whole run darknet-trafgen sends a fixed count at a fixed rate, and this
# script: scrapes /metrics every second, rewrites the scanner list and sends
# SIGHUP every 5 s, samples VmRSS and open fds every 5 s, SIGKILLs the daemon
# and starts it again every 60 s (once at SECONDS/2 when the run is shorter),
# and keeps 15 wrong-password curl loops and 5 slow-drip clients running.
# A SIGKILL leaves the program attached and the maps pinned, so the next
# daemon continues every counter (README "Running for years"): at the end
# every packet sent must be counted exactly, no darknet_packets_total series
# may have gone backwards between two scrapes, and the last daemon's RSS and
# fds must be flat. Everything created here is removed on exit.
# shellcheck disable=SC2317,SC2015,SC2016
set -u

out=${1:?usage: soak.sh BUILD_DIR SECONDS}
duration=${2:?usage: soak.sh BUILD_DIR SECONDS}
readonly DAEMON=$out/darknet-counter TRAFGEN=$out/darknet-trafgen
readonly SCANNERS=deploy/research-scanners.txt
readonly DARKNETS=(198.51.100.0/24 203.0.113.0/24)
# Lossless on a shared 2-core machine (AF_PACKET into a veth with XDP).
readonly RATE=${SOAK_RATE:-20000}
readonly RSS_BOUND_KB=$((10 * 1024)) FD_BOUND=10
readonly NS_I=sk$$-i NS_S=sk$$-s PIN=/sys/fs/bpf/dn-soak-$$
readonly USER_PW='soak:right horse'

passed=0 failed=0
tmp=$(mktemp -d /tmp/dn-soak.XXXXXX)
daemon_pid='' trafgen_pid='' hostile_pids=() namespaces=()

ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }
expect() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-}"; fi; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
abort() { fail "$1" "${2:-}"; finish; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${hostile_pids[@]}" "$trafgen_pid" "$daemon_pid"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# The daemon was killed, not stopped: detach the program it left behind.
	ns_exists "$NS_S" && "$DAEMON" detach --netns "$NS_S" sensor0 >/dev/null 2>&1
	for p in "${namespaces[@]}"; do ns_exists "$p" && ip netns delete "$p"; done
	[ -d "$PIN" ] && rm -rf "$PIN"
	if [ "$failed" != 0 ] && [ -d "$out" ]; then
		# Keep the logs and scrapes of a failed run for a human.
		rm -rf "$out/tests/soak-logs" && mkdir -p "$out/tests" &&
			cp -r "$tmp" "$out/tests/soak-logs" && echo "# logs of this run: $out/tests/soak-logs" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- preflight and lab -------------------------------------------------------
[ "$(id -u)" = 0 ] || abort "runs as root" "namespaces and XDP need root"
[[ $duration =~ ^[0-9]+$ ]] && [ "$duration" -ge 20 ] || abort "SECONDS is a number >= 20" "$duration"
for t in "$DAEMON" "$TRAFGEN"; do [ -x "$t" ] || abort "$t is there" "build first (make all)"; done
for t in curl ip ss htpasswd; do command -v "$t" >/dev/null || abort "$t is installed"; done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || abort "bpffs mounted"

ip netns add "$NS_I" && namespaces+=("$NS_I") && ip netns add "$NS_S" && namespaces+=("$NS_S") ||
	abort "lab namespaces created"
for ns in "$NS_I" "$NS_S"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || abort "IPv6 off in $ns"
done
# Both ends are created inside their namespaces: never a host link.
ip link add inet0 netns "$NS_I" type veth peer name sensor0 netns "$NS_S" &&
	ip -n "$NS_I" link set inet0 up && ip -n "$NS_S" link set sensor0 up ||
	abort "veth inet0 <-> sensor0 created"

port=''
for _ in $(seq 100); do
	p=$((20000 + RANDOM % 20000))
	ss -Hltn "sport = :$p" | grep -q . || { port=$p; break; }
done
[ -n "$port" ] || abort "a free port on 127.0.0.1"
url=http://127.0.0.1:$port/metrics

hash=$(htpasswd -nbBC 10 soak 'right horse' | cut -d: -f2) || abort "bcrypt hash made"
printf 'basic_auth_users:\n  soak: %s\n' "$hash" > "$tmp/web.yml"

# write_scanners N: a different valid list each time (a rotating subset of
# the default list's "CIDR ORG" lines), replaced atomically.
write_scanners() {
	grep -v '^#' "$SCANNERS" | grep . | awk -v k="$1" 'NR % 4 != k % 4' > "$tmp/scanners.new" &&
		mv "$tmp/scanners.new" "$tmp/scanners.txt"
}
write_scanners 0 || abort "scanner list written"

generation=0
# daemon_start: a new daemon; it adopts the pinned maps and replaces the
# running program. Not --detach-on-exit: a SIGKILL must leave it attached.
daemon_start() {
	local args=(--netns "$NS_S" --scanners "$tmp/scanners.txt" --web.listen-address "127.0.0.1:$port"
		    --web.config.file "$tmp/web.yml" --bpffs-dir "$PIN" --reload-interval 0) d
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	generation=$((generation + 1))
	echo "--- generation $generation" >> "$tmp/daemon.log"
	"$DAEMON" "${args[@]}" sensor0 >>"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		curl -sf -o /dev/null --max-time 1 -u "$USER_PW" "$url" && return 0
		sleep 0.1
	done
	return 1
}
daemon_start || abort "daemon started on sensor0@$NS_S, serving 127.0.0.1:$port"
ok "daemon started on sensor0@$NS_S, serving 127.0.0.1:$port"

# ---- load --------------------------------------------------------------------
count=$((RATE * duration))
tg_args=()
for d in "${DARKNETS[@]}"; do tg_args+=(--darknet "$d"); done
"$TRAFGEN" --netns "$NS_I" --iface inet0 --scanners "$SCANNERS" "${tg_args[@]}" -q \
	--mix nicter --rate "$RATE" --count "$count" >"$tmp/trafgen.txt" 2>"$tmp/trafgen.log" &
trafgen_pid=$!

deadline=$((SECONDS + duration))
# Wrong passwords, each loop its own, bounded by the deadline and --max-time.
for i in $(seq 15); do
	(while [ "$SECONDS" -lt "$deadline" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 -u "soak:wrong $i" "$url"
		sleep 0.05
	done >"$tmp/hostile-$i.txt" 2>/dev/null) &
	hostile_pids+=($!)
done
# Slow drip: a request line and one header byte a second, never finished;
# the server's connection timeout must close it.
for i in $(seq 5); do
	(trap '' PIPE   # a write after the server closed must not end the loop
	while [ "$SECONDS" -lt "$deadline" ]; do
		exec 3<>"/dev/tcp/127.0.0.1/$port" || { sleep 1; continue; }
		printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&3 2>/dev/null
		for _ in $(seq 30); do
			[ "$SECONDS" -lt "$deadline" ] || break
			printf 'X' >&3 2>/dev/null || break
			sleep 1
		done
		exec 3>&-
		echo drip
	done >"$tmp/drip-$i.txt" 2>/dev/null) &
	hostile_pids+=($!)
done

# ---- the run -----------------------------------------------------------------
# scrape N: one authenticated scrape; keeps the darknet_packets_total lines
# in $tmp/scrapes/N and its latency in $tmp/latency.txt.
mkdir -p "$tmp/scrapes"
scrape_fail=0 restarts=0 reloads=0
scrape() {
	local f t
	f=$tmp/scrapes/$(printf %06d "$1")
	t=$(curl -sf --max-time 10 -u "$USER_PW" -o "$f.full" -w '%{time_total}' "$url") ||
		{ scrape_fail=$((scrape_fail + 1)); rm -f "$f.full"; return 1; }
	echo "$t" >> "$tmp/latency.txt"
	grep '^darknet_packets_total{' "$f.full" > "$f"
	grep -E '^darknet_config_reload_errors_total ' "$f.full" >> "$tmp/reload-errors.txt"
	rm -f "$f.full"
}
sample() {
	local rss fds
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$daemon_pid/status" 2>/dev/null)
	fds=$(find "/proc/$daemon_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	[ -n "$rss" ] && echo "$1 $generation $daemon_pid $rss $fds" >> "$tmp/samples.txt"
}
# Restarts every 60 s; a run of 60 s or less restarts once, at 15 s, so
# that the last daemon lives long enough to judge its RSS and fds.
restart_every=60
[ "$duration" -le 60 ] && restart_every=$duration

tick=0 start=$SECONDS
next_reload=$((start + 5)) next_restart=$((start + restart_every))
[ "$duration" -le 60 ] && next_restart=$((start + 15))
while [ "$SECONDS" -lt "$deadline" ]; do
	tick=$((tick + 1))
	scrape "$tick"
	if [ "$SECONDS" -ge "$next_reload" ]; then
		next_reload=$((next_reload + 5))
		sample "$((SECONDS - start))"
		write_scanners "$tick" && kill -HUP "$daemon_pid" && reloads=$((reloads + 1))
	fi
	if [ "$SECONDS" -ge "$next_restart" ] && [ $((SECONDS + 5)) -lt "$deadline" ]; then
		next_restart=$((next_restart + restart_every))
		kill -KILL "$daemon_pid"; wait "$daemon_pid" 2>/dev/null
		daemon_start || abort "daemon restarted after SIGKILL (generation $generation)"
		restarts=$((restarts + 1)) born=$SECONDS
		sample "$((SECONDS - start))"
	fi
	sleep 1
done

# The generator may run a little past the deadline on a loaded machine.
for _ in $(seq $((duration / 2 + 30))); do kill -0 "$trafgen_pid" 2>/dev/null || break; sleep 1; done
kill -0 "$trafgen_pid" 2>/dev/null && abort "darknet-trafgen finished" "still running"
wait "$trafgen_pid"; tg_rc=$? trafgen_pid=''
for p in "${hostile_pids[@]}"; do wait "$p" 2>/dev/null; done
hostile_pids=()
sample "$((SECONDS - start))"
sleep 1
scrape 999999

# ---- verdicts ----------------------------------------------------------------
sent=$(awk '$1 == "sent" { print $2 }' "$tmp/trafgen.txt")
counted=$(awk '{ s += $2 } END { printf "%.0f\n", s }' "$tmp/scrapes/999999" 2>/dev/null)
expect "darknet-trafgen sent its $count packets at $RATE/s (exit $tg_rc)" \
	'[ "$tg_rc" = 0 ] && [ "${sent:-x}" = "$count" ]' "sent ${sent:-none}"
expect "every packet counted across $restarts SIGKILL restarts: sent $sent, counted $counted" \
	'[ -n "$sent" ] && [ "$counted" = "$sent" ]'
expect "at least one SIGKILL restart" '[ "$restarts" -ge 1 ]'

nscrapes=$(find "$tmp/scrapes" -type f | wc -l)
# Consecutive successful scrapes, series by series: never a decrease.
backwards=$(find "$tmp/scrapes" -type f | sort | xargs awk '
	FNR == 1 { for (k in cur) prev[k] = cur[k]; delete cur }
	{ cur[$1] = $2; if (($1 in prev) && $2 + 0 < prev[$1] + 0) { n++; if (n <= 3) print $1, prev[$1], "->", $2 > "/dev/stderr" } }
	END { print n + 0 }')
expect "no darknet_packets_total series went backwards over $nscrapes scrapes" '[ "$backwards" = 0 ]' "$backwards decreases"
expect "scrapes answered: $nscrapes, refused or timed out: $scrape_fail (restarts: $restarts)" \
	'[ "$scrape_fail" -le $((restarts * 3)) ]'
worst=$(sort -g "$tmp/latency.txt" | tail -n 1)
expect "worst scrape latency ${worst}s under 5 s" 'awk -v w="$worst" "BEGIN { exit !(w < 5) }"'

errors=$(awk '{ print $2 }' "$tmp/reload-errors.txt" | sort -g | tail -n 1)
expect "$reloads SIGHUP reloads of a rewritten list, none refused" \
	'[ "$reloads" -ge $((duration / 5 - 2)) ] && [ "${errors:-1}" = 0 ]' "reload errors ${errors:-none}"

codes=$(cat "$tmp"/hostile-*.txt | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
expect "wrong passwords never served (codes: $codes)" \
	'! cat "$tmp"/hostile-*.txt | grep -qx 200 && cat "$tmp"/hostile-*.txt | grep -qx 401'
drips=$(cat "$tmp"/drip-*.txt | wc -l)
expect "slow-drip clients kept connecting: $drips connections" '[ "$drips" -ge 5 ]'

echo "# samples: seconds generation pid VmRSS(kB) fds"
# A new daemon grows for its first seconds (buffers sized by the first
# scrapes and windows); flat means no growth after that: the first sample
# of the last daemon at least 20 s after its start against its last one.
sed 's/^/#   /' "$tmp/samples.txt"
warm=$(( ${born:-$start} - start + 20 ))
read -r r0 f0 < <(awk -v g="$generation" -v w="$warm" '$2 == g && $1 >= w { print $4, $5; exit }' "$tmp/samples.txt")
read -r r1 f1 < <(awk -v g="$generation" '$2 == g { r = $4; f = $5 } END { print r, f }' "$tmp/samples.txt")
expect "RSS flat in the last daemon: ${r0:-?} kB -> ${r1:-?} kB (bound +$RSS_BOUND_KB kB)" \
	'[ -n "${r1:-}" ] && [ "$r1" -le $((r0 + RSS_BOUND_KB)) ]'
expect "fds flat in the last daemon: ${f0:-?} -> ${f1:-?} (bound +$FD_BOUND)" \
	'[ -n "${f1:-}" ] && [ "$f1" -le $((f0 + FD_BOUND)) ]'
finish
