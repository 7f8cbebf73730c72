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
# fds must be flat. Each generation's pinned map and program ids and each
# scrape's answering process are recorded and checked (generations.txt and
# scrape-meta.txt in the logs a failed run keeps), so that a counter
# that goes back names its cause. Everything created here is removed on exit.
# shellcheck disable=SC2317,SC2015,SC2016
set -u

out=${1:?usage: soak.sh BUILD_DIR SECONDS}
duration=${2:?usage: soak.sh BUILD_DIR SECONDS}
readonly SCANNERS=deploy/research-scanners.txt
readonly DARKNETS=(198.51.100.0/24 203.0.113.0/24)
# Lossless on a shared 2-core machine (AF_PACKET into a veth with XDP).
readonly RATE=${SOAK_RATE:-20000}
readonly RSS_BOUND_KB=$((10 * 1024)) FD_BOUND=10
readonly NS_I=sk$$-i NS_S=sk$$-s PIN=/sys/fs/bpf/dn-soak-$$
readonly USER_PW='soak:right horse'

passed=0 failed=0
tmp=$(mktemp -d /tmp/dn-soak.XXXXXX)
# Copies: a build into BUILD_DIR during the run (another layout version
# starts from zero counters by design, README "Running for years") must not
# change the daemon that the next restart runs.
readonly DAEMON=$tmp/bin/darknet-counter TRAFGEN=$tmp/bin/darknet-trafgen
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
for t in darknet-counter darknet-trafgen; do
	[ -x "$out/$t" ] || abort "$out/$t is there" "build first (make all)"
done
mkdir "$tmp/bin" && cp "$out/darknet-counter" "$out/darknet-trafgen" "$tmp/bin/" ||
	abort "the programs copied to $tmp/bin"
for t in curl ip ss htpasswd bpftool jq sha256sum; do
	command -v "$t" >/dev/null || abort "$t is installed"
done
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

# Below the ephemeral range: a port the kernel hands to another program's
# bind(0) or connect() (other test runs) during a restart cannot be ours.
read -r eph _ < /proc/sys/net/ipv4/ip_local_port_range
[ "${eph:-0}" -gt 21000 ] || eph=32768
port=''
for _ in $(seq 100); do
	p=$((20000 + RANDOM % (eph - 20000)))
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
# listener_pid: the process listening on 127.0.0.1:$port, if any.
listener_pid() { ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2; }

# record_generation: what a new daemon runs on, one line of generations.txt:
# generation, pid, its process_start_time_seconds, the attached program's
# id, the pinned class_counters' map id and inode, whether the program
# uses that map, how many class_counters pins exist, the binary's hash, and
# the daemon's own line about attaching. A restart that adopted the
# counters keeps the map id and inode and says "continuing the counters".
record_generation() {
	local start='' prog pin map ino uses npins line
	for _ in 1 2 3; do
		start=$(curl -sf --max-time 5 -u "$USER_PW" "$url" |
			awk '$1 == "process_start_time_seconds" { print $2 }')
		[ -n "$start" ] && break
	done
	prog=$(ip -n "$NS_S" -j link show sensor0 | jq -r '.[0].xdp.prog.id // empty')
	npins=$(find "$PIN" -name class_counters | wc -l)
	pin=$(find "$PIN" -name class_counters | sort | tail -n 1)
	map=$(bpftool -j map show pinned "$pin" 2>/dev/null | jq -r '.id // empty')
	ino=$(stat -c %i "$pin" 2>/dev/null)
	uses=$(bpftool -j prog show id "${prog:-0}" 2>/dev/null |
		jq -r --argjson m "${map:-0}" '(.map_ids // []) | index($m) != null')
	line=$(awk -v g="--- generation $generation" '$0 == g { on = 1; next }
		/^--- generation/ { on = 0 } on && /XDP program/' "$tmp/daemon.log" | tr '\n' ' ')
	echo "$generation $daemon_pid ${start:--} ${prog:--} ${map:--} ${ino:--} ${uses:--}" \
	     "$npins $(sha256sum < "$DAEMON" | cut -c1-12) | $pin | $line" >> "$tmp/generations.txt"
}

# daemon_start: a new daemon; it adopts the pinned maps and replaces the
# running program. Not --detach-on-exit: a SIGKILL must leave it attached.
# Started only when /metrics answers from this daemon's own socket, within
# 60 s (on a shared 2-core machine under load a start took over 10 s).
daemon_start() {
	local args=(--netns "$NS_S" --scanners "$tmp/scanners.txt" --web.listen-address "127.0.0.1:$port"
		    --web.config.file "$tmp/web.yml" --bpffs-dir "$PIN" --reload-interval 0) d holder
	for d in "${DARKNETS[@]}"; do args+=(--darknet "$d"); done
	generation=$((generation + 1))
	echo "--- generation $generation" >> "$tmp/daemon.log"
	"$DAEMON" "${args[@]}" sensor0 >>"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	local until=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$until" ]; do
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		if curl -sf -o /dev/null --max-time 1 -u "$USER_PW" "$url"; then
			holder=$(listener_pid)
			if [ "$holder" != "$daemon_pid" ]; then
				echo "# 127.0.0.1:$port answered from pid ${holder:-?}" \
				     "($(ps -o args= -p "${holder:-0}" 2>/dev/null)), not the daemon $daemon_pid" >&2
				return 1
			fi
			record_generation
			return 0
		fi
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
# Wrong passwords, a new one each time, each loop from its own address
# (127.0.0.2-16), bounded by the deadline and --max-time. Not from
# 127.0.0.1: the failure budget is per client network (docs/hardening.md
# "Basic auth"), and a flood from the scraper's own address got a new
# daemon's first login, which needs a bcrypt, 429 for a whole window.
for i in $(seq 15); do
	(n=0
	while [ "$SECONDS" -lt "$deadline" ]; do
		n=$((n + 1))
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 --interface "127.0.0.$((i + 1))" \
			-u "soak:wrong $i.$n" "$url"
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
scrape_fail=0 restarts=0 reloads=0 restart_s=0
scrape() {
	local f t
	f=$tmp/scrapes/$(printf %06d "$1")
	t=$(curl -sf --max-time 10 -u "$USER_PW" -o "$f.full" -w '%{time_total}' "$url") ||
		{ scrape_fail=$((scrape_fail + 1)); rm -f "$f.full"; return 1; }
	echo "$t" >> "$tmp/latency.txt"
	grep '^darknet_packets_total{' "$f.full" > "$f"
	grep -E '^darknet_config_reload_errors_total ' "$f.full" >> "$tmp/reload-errors.txt"
	# who answered: this scrape's generation and the answering process's start
	echo "$1 $generation $(awk '$1 == "process_start_time_seconds" { print $2 }' "$f.full")" \
		>> "$tmp/scrape-meta.txt"
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
		killed=$SECONDS
		daemon_start || abort "daemon restarted after SIGKILL (generation $generation)"
		restarts=$((restarts + 1)) born=$SECONDS restart_s=$((restart_s + SECONDS - killed))
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
# Consecutive successful scrapes, series by series: never a decrease. Each
# decrease names its two scrapes; their generations and answering
# processes are printed below it.
backwards=$(find "$tmp/scrapes" -type f | sort | xargs awk '
	FNR == 1 { for (k in cur) prev[k] = cur[k]; delete cur; was = now; now = FILENAME; sub(".*/", "", now) }
	{ cur[$1] = $2; if (($1 in prev) && $2 + 0 < prev[$1] + 0) { n++
		if (n <= 3) print $1, prev[$1], "->", $2, "(scrapes", was, "->", now ")" > "/dev/stderr"
		print (was + 0) "\n" (now + 0) > "'"$tmp/backwards-scrapes.txt"'" } }
	END { print n + 0 }')
expect "no darknet_packets_total series went backwards over $nscrapes scrapes" '[ "$backwards" = 0 ]' "$backwards decreases"
if [ "$backwards" != 0 ]; then
	echo "# scrapes around the decreases: scrape generation process_start_time_seconds"
	sort -un "$tmp/backwards-scrapes.txt" | head -n 6 | while read -r t; do
		awk -v t="$t" '$1 == t { print "#   " $0 }' "$tmp/scrape-meta.txt"
	done
fi
# Who answered: every scrape from the process its generation started.
strangers=$(awk 'NR == FNR { start[$1] = $3; next }
	$3 != start[$2] { n++; if (n <= 3) print "scrape", $1, "of generation", $2, "answered by a process started at",
		($3 == "" ? "?" : $3) ", not", start[$2] > "/dev/stderr" }
	END { print n + 0 }' "$tmp/generations.txt" "$tmp/scrape-meta.txt")
expect "every scrape answered by its generation's daemon" '[ "$strangers" = 0 ]' "$strangers scrapes from another process"
# Every restart continued the first generation's pinned counters: the same
# class_counters map (id and bpffs inode), used by the attached program.
echo "# generations: generation pid start_time prog_id map_id pin_inode prog_uses_map pins binary | pin | log"
sed 's/^/#   /' "$tmp/generations.txt"
adopt_bad=$(awk 'NR == 1 { map = $5; ino = $6; bin = $9 }
	{ why = "" }
	$5 != map { why = why ", class_counters is map " $5 " (was " map ")" }
	$6 != ino { why = why ", pin inode " $6 " (was " ino ")" }
	$7 != "true" { why = why ", program " $4 " does not use map " $5 }
	$8 != 1 { why = why ", " $8 " class_counters pins (another layout?)" }
	$9 != bin { why = why ", binary " $9 " (was " bin ")" }
	NR > 1 && !/continuing the counters/ { why = why ", the daemon did not say it continued the counters" }
	why != "" { n++; print "generation " $1 " (pid " $2 ")" why > "/dev/stderr" }
	END { print n + 0 }' "$tmp/generations.txt")
expect "every restart adopted the pinned counters ($restarts restarts)" '[ "$adopt_bad" = 0 ]' \
	"$adopt_bad generations on other maps or with the program not on them (table above)"
expect "scrapes answered: $nscrapes, refused or timed out: $scrape_fail (restarts: $restarts)" \
	'[ "$scrape_fail" -le $((restarts * 3)) ]'
worst=$(sort -g "$tmp/latency.txt" | tail -n 1)
expect "worst scrape latency ${worst}s under 5 s" 'awk -v w="$worst" "BEGIN { exit !(w < 5) }"'

errors=$(awk '{ print $2 }' "$tmp/reload-errors.txt" | sort -g | tail -n 1)
# One every 5 s while a daemon ran (a restart holds the loop: on a loaded
# machine it took up to 20 s).
expect "$reloads SIGHUP reloads of a rewritten list, none refused (restarts took ${restart_s} s)" \
	'[ "$reloads" -ge $(((duration - restart_s) / 5 - 2)) ] && [ "${errors:-1}" = 0 ]' \
	"reload errors ${errors:-none}"

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
