#!/bin/bash
# landing_page.sh: the exporter's "/" page as headless Chromium renders it, over a veth lab.
#
# Usage: tests/e2e/landing_page.sh BUILD_DIR   (root; scripts/run-tests.sh runs it)
#
#   dn-land-inet-PID                dn-land-sens-PID
#   darknet-trafgen -> inet0 ==veth== sensor0 <- XDP (darknet-counter in the host
#                                                namespace, serving 127.0.0.1:PORT)
#
# Both veth ends live only in namespaces this script creates; neither has an
# address or a route, so no frame leaves the lab. The daemon detaches and
# removes its pins (under its own bpffs directory) on exit; cleanup runs on
# EXIT whatever happens. Prints one line per check, then "N passed, M failed";
# leaves the screenshot in BUILD_DIR/tests/landing-page.png for a human look.
# shellcheck disable=SC2317  # cleanup and the check helpers run indirectly
set -u

out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1

readonly INET_NS=dn-land-inet-$$ SENSOR_NS=dn-land-sens-$$
readonly PIN_DIR=/sys/fs/bpf/dn-landing-$$
readonly SCANNERS=deploy/research-scanners.txt
readonly DAEMON=$out/darknet-counter TRAFGEN=$out/darknet-trafgen PNG_STATS=$out/tests/png-stats
readonly COUNT=20000
# Colours of the page's bars (user/landing.c): research class, port bars.
readonly RESEARCH_RGB=e8590c PORT_RGB=0c8599
readonly WIDTH=1280 HEIGHT=1000

tmp=$(mktemp -d /tmp/dn-landing.XXXXXX)
daemon_pid='' passed=0 failed=0

ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }
# check NAME COMMAND...: passes if the command does. COND; result $? NAME: for
# conditions of several commands.
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
result() { if [ "$1" = 0 ]; then ok "$2"; else fail "$2"; fi; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
abort() { fail "$1" "${2:-}"; finish; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$daemon_pid" 2>/dev/null && kill -KILL "$daemon_pid"
		wait "$daemon_pid" 2>/dev/null
	fi
	if ns_exists "$SENSOR_NS"; then
		"$DAEMON" detach --netns "$SENSOR_NS" sensor0 >/dev/null 2>&1
	fi
	for ns in "$INET_NS" "$SENSOR_NS"; do
		ns_exists "$ns" && ip netns delete "$ns"
	done
	[ -d "$PIN_DIR" ] && rm -rf "$PIN_DIR"
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

preflight() {
	[ "$(id -u)" = 0 ] || abort "runs as root" "namespaces and XDP need root"
	for f in "$DAEMON" "$TRAFGEN" "$PNG_STATS"; do
		[ -x "$f" ] || abort "$f is built" "run make all tests first"
	done
	if ! command -v chromium >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium >/dev/null 2>&1 || abort "chromium is installed" "apt-get install chromium"
	fi
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# Both veth ends are created inside their namespaces: never in the host's.
create_lab() {
	if ! ip netns add "$INET_NS" || ! ip netns add "$SENSOR_NS"; then
		abort "namespaces created"
	fi
	for ns in "$INET_NS" "$SENSOR_NS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	if ! ip link add inet0 netns "$INET_NS" type veth peer name sensor0 netns "$SENSOR_NS" ||
	   ! ip -n "$INET_NS" link set inet0 up || ! ip -n "$SENSOR_NS" link set sensor0 up; then
		abort "veth pair created"
	fi
}

free_port() {
	local port
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return 0; }
	done
	return 1
}

start_daemon() {
	"$DAEMON" --netns "$SENSOR_NS" --darknet 198.51.100.0/24 --darknet 203.0.113.0/24 \
		--scanners "$SCANNERS" --web.listen-address "127.0.0.1:$port" \
		--bpffs-dir "$PIN_DIR" --detach-on-exit sensor0 >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do
		kill -0 "$daemon_pid" 2>/dev/null || break
		curl -sf -o /dev/null --max-time 1 "$base/metrics" && return 0
		sleep 0.1
	done
	abort "daemon serves $base/metrics" "$(tail -n 5 "$tmp/daemon.log")"
}

chromium_run() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$tmp/profile.XXXXXX")" \
		--window-size="$WIDTH,$HEIGHT" "$@" 2>>"$tmp/chromium.log"
}

# The value of a KPI card of the page; "Darknet packets" as digits; the sum of
# darknet_packets_total (read after the page, with no traffic in between).
kpi_value() { tr -d '\n' <"$1" | sed -n "s|.*<h2>$2</h2><b>\\([^<]*\\)</b>.*|\\1|p"; }
page_total() { kpi_value "$1" "Darknet packets" | tr -d ,; }
metrics_total() {
	curl -sf "$base/metrics" | awk '/^darknet_packets_total\{/ { s += $NF } END { print s + 0 }'
}
# The bar labels of the port chart, in order, one a line.
port_labels() {
	tr -d '\n' <"$1" | sed 's|.*Top-10 destination ports||; s|</svg>.*||' |
		grep -o 'class="lbl[^"]*">[^<]*<' | sed 's|.*>||; s|<$||'
}
no_external() { ! grep -Eq '(src|href)="[a-z]+:|src="//|<script|url\(' "$1"; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/stats"; }
match_of() { awk -v c="$1" '$1 == "match" && $2 == c { print $3 }' "$tmp/stats"; }

check_http() {
	local type
	type=$(curl -s -o "$tmp/page.html" -w '%{http_code} %{content_type}' "$base/")
	check "GET / answers 200 text/html ($type)" [ "${type%%;*}" = "200 text/html" ]
	check "the page links to /metrics" grep -q 'href="/metrics"' "$tmp/page.html"
	check "the page loads nothing external" no_external "$tmp/page.html"
}

check_counts() {
	local page metrics per_addr want
	page=$(page_total "$tmp/page.html")
	metrics=$(metrics_total)
	[ -n "$page" ] && [ "$page" = "$metrics" ] && [ "$page" -gt $((COUNT * 9 / 10)) ]
	result $? "page total ($page) equals darknet_packets_total ($metrics), most of $COUNT"
	# Both darknets are IPv4 /24s and every darknet packet hits one of them.
	per_addr=$(kpi_value "$tmp/page.html" "Packets per IPv4 address")
	want=$(awk -v n="${page:-0}" 'BEGIN { printf "%.2f", n / 512 }')
	check "packets per IPv4 address $per_addr = $page / 512" [ "$per_addr" = "$want" ]
}

check_screenshot() {
	chromium_run --screenshot="$tmp/page.png" "$base/" >/dev/null
	check "chromium wrote a screenshot" [ -s "$tmp/page.png" ]
	[ -s "$tmp/page.png" ] || return
	"$PNG_STATS" "$tmp/page.png" "$RESEARCH_RGB" "$PORT_RGB" >"$tmp/stats"
	local w h colours fg research ports
	w=$(stat_of width) h=$(stat_of height) colours=$(stat_of colours)
	fg=$(stat_of foreground_permille)
	research=$(match_of "$RESEARCH_RGB") ports=$(match_of "$PORT_RGB")
	[ "$w" = "$WIDTH" ] && [ "$h" = "$HEIGHT" ]
	result $? "screenshot is ${WIDTH}x$HEIGHT (${w}x$h)"
	# A blank page is one colour, an error page ~100; the charts and text give ~2000.
	[ "${colours:-0}" -ge 500 ] && [ "${fg:-0}" -ge 50 ]
	result $? "screenshot is not blank ($colours colours, $fg permille not background)"
	check "the research bar is drawn ($research px of #$RESEARCH_RGB)" [ "${research:-0}" -ge 300 ]
	check "the port bars are drawn ($ports px of #$PORT_RGB)" [ "${ports:-0}" -ge 1000 ]
	cp "$tmp/page.png" "$out/tests/landing-page.png" 2>/dev/null
}

check_dom() {
	local labels charts bars
	chromium_run --dump-dom "$base/" >"$tmp/dom.html"
	charts=$(grep -o '<svg class="chart"' "$tmp/dom.html" | wc -l)
	bars=$(grep -o '<rect class="bar"' "$tmp/dom.html" | wc -l)
	check "DOM has both SVG charts ($charts)" [ "$charts" = 2 ]
	check "DOM has a bar for every class and port ($bars)" [ "$bars" -ge 16 ]
	check "research is the highlighted class" grep -q 'class="lbl hi">research<' "$tmp/dom.html"
	labels=$(port_labels "$tmp/dom.html" | paste -sd' ')
	check "top port without research scans is 23/tcp ($labels)" [ "${labels%% *}" = 23/tcp ]
	check "the port chart ends with \"other ports\"" [ "${labels##* }" = ports ]
}

preflight
create_lab
port=$(free_port) || abort "a free loopback port"
base=http://127.0.0.1:$port
start_daemon
ok "daemon serves $base/metrics"
"$TRAFGEN" --netns "$INET_NS" --iface inet0 --mix nicter --count "$COUNT" \
	--scanners "$SCANNERS" -q >"$tmp/trafgen.log" 2>&1
check "darknet-trafgen sent $COUNT packets" grep -q "^sent $COUNT packets" "$tmp/trafgen.log"
check_http
check_counts
check_screenshot
check_dom
check "daemon still running" kill -0 "$daemon_pid"
finish
