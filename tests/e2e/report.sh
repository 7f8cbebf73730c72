#!/bin/bash
# report.sh: `darknet-counter report` against a Prometheus holding two years of
# two lab sensors' data with known values, then its HTML and PDF in Chromium.
#
# Usage: tests/e2e/report.sh [BUILD_DIR]   (no namespace, no XDP: root not needed)
#
# tests/tools/report_data.py writes the recording-rule series of 2024 and 2025
# (rates constant within a day) and the figures they add up to; promtool
# backfills them into a TSDB, a Prometheus of our own serves it on 127.0.0.1.
# Checks: every headline figure, the monthly bars, the top-10 ports with their
# IoT flags, the organisations and the distinct sources equal the known
# values; a month report has 31 daily bars; --sensor selects one sensor; the
# page has no script and no external URL, its four charts have bars of
# nonzero size, it does not overflow a 390 px phone or a 794 px (A4) width, a
# screenshot shows the charts' colours; the PDF is A4 with 3 to 10 pages and
# the headline figures in its text. Bad input: an unreachable URL, a server
# that is not Prometheus, a year without data, a period without the IoT rule
# and distinct-source gauges (sections left out with their reason), no
# Chromium (HTML written, PDF refused), a bad month.
set -u
out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
readonly DAEMON=$out/darknet-counter PNG_STATS=$out/tests/png-stats

passed=0 failed=0
ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }
expect() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-}"; fi; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
abort() { fail "$1" "${2:-}"; finish; }

tmp=$(mktemp -d "/tmp/dn-report-$$.XXXXXX")
pids=()
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ "$failed" != 0 ] && [ -d "$out/tests" ]; then
		mkdir -p "$out/tests/report-logs" && cp "$tmp"/*.log "$tmp"/*.json "$tmp"/*.html \
			"$out/tests/report-logs/" 2>/dev/null
		echo "# logs of this run: $out/tests/report-logs" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
chromium_bin=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
for t in "$DAEMON" "$PNG_STATS"; do [ -x "$t" ] || abort "$t is built" "make all tests"; done
for t in prometheus promtool python3 jq pdfinfo pdftotext "$chromium_bin"; do
	command -v "$t" >/dev/null || abort "$t is installed" "scripts/install-deps.sh"
done

# ---- the data ------------------------------------------------------------------
python3 tests/tools/report_data.py "$tmp/data.om" "$tmp/expected.json" ||
	abort "report_data.py wrote the series"
promtool tsdb create-blocks-from openmetrics --max-block-duration=8760h \
	"$tmp/data.om" "$tmp/tsdb" >"$tmp/promtool.log" 2>&1 ||
	abort "promtool backfilled the series" "$(tail -n 2 "$tmp/promtool.log")"
rm -f "$tmp/data.om"
printf 'global: {}\n' >"$tmp/prometheus.yml"
port=$(free_port)
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
	>"$tmp/prometheus.log" 2>&1 &
pids+=($!)
prom=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf -o /dev/null "$prom/-/ready" && break; sleep 0.2; done
curl -sf -o /dev/null "$prom/-/ready" || abort "Prometheus is ready" "$(tail -n 3 "$tmp/prometheus.log")"
ok "Prometheus serves two backfilled years of two lab sensors at $prom"

report() { "$DAEMON" report --prometheus "$prom" "$@" >"$tmp/stdout.log" 2>"$tmp/stderr.log"; }

# ---- the year report and its figures -------------------------------------------------
report --year 2025 --compare 2024 --output "$tmp/r.html" --json "$tmp/r.json" --pdf "$tmp/r.pdf"
rc=$?
expect "report --year 2025 --compare 2024 exits 0" '[ "$rc" = 0 ]' "$(cat "$tmp/stderr.log")"
[ -s "$tmp/r.json" ] || abort "--json wrote the figures"

# check_json NAME PYTHON-EXPR: r is the report's JSON, e the known figures.
check_json() {
	local why
	why=$(python3 - "$tmp/r.json" "$tmp/expected.json" "$2" <<-'EOF' 2>&1
	import json, sys
	r = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
	cur, cmp, e25, e24 = r["period"], r["compare"], e["2025"], e["2024"]
	same = lambda a, b: a is not None and abs(a - b) <= 1e-9 * max(1, abs(b))
	tops = lambda p: [(t["port"], t["proto"], round(t["packets"]), t["iot"]) for t in p]
	res = eval(sys.argv[3])
	if res is not True:
	    print(res); sys.exit(1)
	EOF
	) && ok "$1" || fail "$1" "$why"
}
check_json "packets of 2025 and 2024 equal the known sums" \
	'round(cur["packets"]) == round(e25["packets"]) and round(cmp["packets"]) == round(e24["packets"]) or (cur["packets"], e25["packets"])'
check_json "research packets and share (2025, 2024)" \
	'round(cur["research_packets"]) == round(e25["research"]) and same(cur["research_share"], e25["research"] / e25["packets"]) and round(cmp["research_packets"]) == round(e24["research"]) or (cur["research_packets"], e25["research"])'
check_json "packets per darknet address and the addresses (768)" \
	'same(cur["packets_per_address"], e25["per_address"]) and same(cmp["packets_per_address"], e24["per_address"]) and cur["darknet_addresses"] == 768 or (cur["packets_per_address"], e25["per_address"])'
check_json "distinct sources per day (mean of the 24-hour windows)" \
	'same(cur["distinct_sources_per_day"], e25["distinct"]) or (cur["distinct_sources_per_day"], e25["distinct"])'
check_json "IoT packets and share of the non-research packets" \
	'same(cur["iot_packets"], e25["iot"]) and same(cur["iot_share"], e25["iot"] / e25["nonresearch"]) or (cur["iot_packets"], e25["iot"])'
check_json "the top-10 ports, research removed: order, packets, IoT flags (2025)" \
	'tops(cur["top_ports"]) == tops(e25["top_ports"]) or tops(cur["top_ports"])'
check_json "the top-10 ports of the comparison year (2024, no IoT rule yet)" \
	'tops(cmp["top_ports"]) == tops(e24["top_ports"]) or tops(cmp["top_ports"])'
check_json "other ports = non-research packets minus the top ten" \
	'round(cur["other_ports_packets"]) == round(e25["other_ports"]) or cur["other_ports_packets"]'
check_json "monthly bars of packets (12, each the known month)" \
	'[round(b["packets"]) for b in cur["buckets"]] == [round(v) for v in e25["months"]] or [b["packets"] for b in cur["buckets"]]'
check_json "every class total" \
	'all(round(cur["classes"][c]) == round(v) for c, v in e25["classes"].items()) and len(cur["classes"]) == len(e25["classes"]) or cur["classes"]'
check_json "research packets per organisation (increase() of the counters)" \
	'all(same(cur["organisations"][o], v) for o, v in e25["orgs"].items()) and all(same(cmp["organisations"][o], v) for o, v in e24["orgs"].items()) or cur["organisations"]'
check_json "distinct sources per class" \
	'all(same(cur["distinct_sources_per_class"][c], v) for c, v in e25["class_sources"].items()) or cur["distinct_sources_per_class"]'
check_json "the biggest port mover is 23/tcp (-47.8%), the biggest class mover research" \
	'r["movers"]["ports"][0]["key"] == "23/tcp" and r["movers"]["classes"][0]["key"] == "research" or r["movers"]'
check_json "2024 lacks the IoT rule and the distinct gauges: absent with reasons, 2025 lacks nothing" \
	'sorted(cmp["absent"]) == ["distinct_sources", "distinct_sources_per_class", "iot"] and cur["absent"] == {} or (cmp["absent"], cur["absent"])'

# The headline as people read it, from the known figures.
fmt() { python3 -c 'import sys; v = float(sys.argv[1]); print("%.1f billion" % (v / 1e9) if v >= 1e9 else "%.1f million" % (v / 1e6))' "$1"; }
pkts=$(fmt "$(jq -r '."2025".packets' "$tmp/expected.json")")
ppa=$(fmt "$(jq -r '."2025".per_address' "$tmp/expected.json")")
share=$(jq -r '."2025" | "\(.research / .packets * 1000 | round / 10)%"' "$tmp/expected.json")
html=$(cat "$tmp/r.html")
expect "the page's headline says $pkts packets, $ppa per address, $share research" \
	'grep -qF ">$pkts<" <<<"$html" && grep -qF ">$ppa<" <<<"$html" && grep -qF ">$share<" <<<"$html"'
expect "the header names the period, the comparison and the sensors" \
	'grep -qF "Period: 2025-01-01 to 2025-12-31 (UTC), compared with 2024-01-01 to 2024-12-31" <<<"$html" && grep -qF "Sensors: all sensors" <<<"$html"'
expect "IoT ports are highlighted in the top-10 table (7 of 10)" \
	'[ "$(grep -o "<td class=\"iot\">[0-9]*/TCP</td>" <<<"$html" | wc -l)" -ge 7 ]'
expect "self-contained: no script, no link, no src, no url(), no @import" \
	'! grep -qiE "<script|<link|[[:space:]]src=|url\(|@import|<iframe" <<<"$html"'
expect "every section has a caption; none is empty" \
	'[ "$(grep -c "<section" <<<"$html")" -ge 7 ] && [ "$(grep -c "class=\"cap\"" <<<"$html")" -ge 7 ]'
n_svg=$(grep -o '<svg ' <<<"$html" | wc -l)
bars=$(python3 - "$tmp/r.html" <<-'EOF'
	import re, sys
	svgs = re.findall(r"<svg .*?</svg>", open(sys.argv[1]).read(), re.S)
	print(" ".join(str(sum(1 for w, h in re.findall(r'<rect [^>]*width="([\d.]+)" height="([\d.]+)"', s)
	                      if float(w) > 0 and float(h) > 0)) for s in svgs))
	EOF
)
expect "4 charts, each with bars of nonzero size (bars per chart: $bars)" \
	'[ "$n_svg" = 4 ] && ! grep -qw 0 <<<"$bars" && [ "$(wc -w <<<"$bars")" = 4 ]'

# ---- Chromium: layout at a phone and an A4 width ---------------------------------------
# The page in an iframe W px wide (headless Chromium's window is at least
# 500 px wide, wider than a phone), measured by a test-only script in the
# frame around it: the page's own width and each chart's size.
for w in 390 794; do
	cat >"$tmp/probe-$w.html" <<-EOF
	<!DOCTYPE html><html><body style="margin:0">
	<iframe id="f" src="r.html" style="width:${w}px;height:3000px;border:0"></iframe>
	<script>
	window.onload = () => {
	  const d = document.getElementById("f").contentDocument;
	  document.body.dataset.sw = d.documentElement.scrollWidth;
	  document.body.dataset.svg = [...d.querySelectorAll("svg")].map(s => {
	    const r = s.getBoundingClientRect(); return Math.round(r.width) + "x" + Math.round(r.height);
	  }).join(" ");
	};
	</script></body></html>
	EOF
	dom=$(timeout 60 "$chromium_bin" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--allow-file-access-from-files --window-size=900,900 --user-data-dir="$tmp/chrome-$w" \
		--virtual-time-budget=5000 --dump-dom "file://$tmp/probe-$w.html" 2>"$tmp/chromium-$w.log")
	sw=$(grep -o 'data-sw="[0-9]*"' <<<"$dom" | grep -o '[0-9]*')
	svg=$(grep -o 'data-svg="[^"]*"' <<<"$dom" | cut -d'"' -f2)
	expect "at $w px the page does not overflow (scrollWidth ${sw:-?})" '[ -n "$sw" ] && [ "$sw" -le "$w" ]'
	expect "at $w px the 4 charts have a size ($svg)" \
		'[ "$(wc -w <<<"$svg")" = 4 ] && ! grep -qE "(^| )0x|x0( |$)" <<<"$svg"'
	timeout 60 "$chromium_bin" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size="$w,2400" --user-data-dir="$tmp/chrome-$w" \
		--screenshot="$tmp/page-$w.png" "file://$tmp/r.html" >>"$tmp/chromium-$w.log" 2>&1
	# The current year's bars (1f5fa8) and the IoT ports (d0581c) are drawn.
	stats=$("$PNG_STATS" "$tmp/page-$w.png" 1f5fa8 d0581c 2>&1)
	cur_px=$(awk '$1 == "match" && $2 == "1f5fa8" {print $3}' <<<"$stats")
	iot_px=$(awk '$1 == "match" && $2 == "d0581c" {print $3}' <<<"$stats")
	pw=$(awk '$1 == "width" {print $2}' <<<"$stats")
	expect "a screenshot ${pw:-?} px wide shows the bars ($cur_px px) and the IoT highlight ($iot_px px)" \
		'[ "${cur_px:-0}" -gt 500 ] && [ "${iot_px:-0}" -gt 200 ]' "$stats"
done

# ---- the PDF -------------------------------------------------------------------
pages=$(pdfinfo "$tmp/r.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
size=$(pdfinfo "$tmp/r.pdf" 2>/dev/null | sed -n 's/^Page size: *\([0-9.]*\) x \([0-9.]*\).*/\1x\2/p')
expect "the PDF has 3 to 10 pages ($pages)" '[ -n "$pages" ] && [ "$pages" -ge 3 ] && [ "$pages" -le 10 ]'
expect "the PDF's pages are A4, 595 x 842 pt ($size)" \
	'python3 -c "import sys; w, h = map(float, sys.argv[1].split(\"x\")); sys.exit(not (abs(w - 595.3) < 1.5 and abs(h - 841.9) < 1.5))" "$size"'
text=$(pdftotext -layout "$tmp/r.pdf" - 2>/dev/null)
expect "the PDF's text has the title, $pkts packets and the ports table" \
	'grep -qF "Darknet observation report 2025" <<<"$text" && grep -qF "$pkts" <<<"$text" && grep -qF "23/TCP" <<<"$text"'

# ---- a month, one sensor -------------------------------------------------------------
report --month 2025-03 --sensor tokyo --output "$tmp/m.html" --json "$tmp/m.json"
rc=$?
expect "report --month 2025-03 --sensor tokyo exits 0" '[ "$rc" = 0 ]' "$(cat "$tmp/stderr.log")"
mar=$(jq -r '."2025".months[2]' "$tmp/expected.json")
got=$(jq -r '[(.period.buckets | length), .scale, .period.packets] | @tsv' "$tmp/m.json")
# tokyo's rates are 3/5 of both sensors' (factors 3 and 2).
expect "31 daily bars and tokyo's 3/5 of March's packets ($got)" \
	'python3 -c "import sys; n, s, p = sys.argv[1].split(); sys.exit(not (n == \"31\" and s == \"daily\" and round(float(p)) == round(float(sys.argv[2]) * 3 / 5)))" "$got" "$mar"'
expect "the header names the sensor" 'grep -qF "Sensors: tokyo" "$tmp/m.html"'

# ---- bad input -----------------------------------------------------------------
one_line() { [ "$(wc -l <"$tmp/stderr.log")" = 1 ] && grep -qF "$1" "$tmp/stderr.log"; }
dead=$(free_port)
"$DAEMON" report --prometheus "http://127.0.0.1:$dead" --year 2025 --output "$tmp/x.html" \
	>/dev/null 2>"$tmp/stderr.log"
rc=$?
expect "an unreachable URL: exit 1, one line 'cannot reach Prometheus'" \
	'[ "$rc" = 1 ] && one_line "cannot reach Prometheus at http://127.0.0.1:$dead"' "$(cat "$tmp/stderr.log")"

mkdir -p "$tmp/www" && echo hello >"$tmp/www/index.html"
web=$(free_port)
(cd "$tmp/www" && exec python3 -m http.server --bind 127.0.0.1 "$web" >"$tmp/http.log" 2>&1) &
pids+=($!)
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$web/" && break; sleep 0.1; done
"$DAEMON" report --prometheus "http://127.0.0.1:$web" --year 2025 --output "$tmp/x.html" \
	>/dev/null 2>"$tmp/stderr.log"
rc=$?
expect "a web server that is not Prometheus: exit 1, one line 'is not a Prometheus HTTP API'" \
	'[ "$rc" = 1 ] && one_line "is not a Prometheus HTTP API"' "$(cat "$tmp/stderr.log")"

report --year 2023 --output "$tmp/x.html"
rc=$?
expect "a year without data: exit 1, one line 'no darknet data from 2023-01-01 to 2023-12-31'" \
	'[ "$rc" = 1 ] && one_line "no darknet data from 2023-01-01 to 2023-12-31"' "$(cat "$tmp/stderr.log")"

report --year 2024 --output "$tmp/y.html"
rc=$?
y=$(cat "$tmp/y.html" 2>/dev/null)
expect "2024 alone (no IoT rule, no distinct gauges): exit 0, sections left out with their reason" \
	'[ "$rc" = 0 ] && grep -qF "<b>IoT-targeted share</b> left out: sensor_iface_proto_port:darknet_port_packets_iot_nonresearch:rate5m has no samples from 2024-01-01 to 2024-12-31" <<<"$y" && grep -qF "<b>Distinct sources per class</b> left out: darknet_unique_sources has no samples" <<<"$y" && grep -qF "<b>Biggest movers</b> left out: no comparison period" <<<"$y" && ! grep -q "id=\"sources\"" <<<"$y"'

rm -f "$tmp/x.html" "$tmp/x.pdf"
CHROMIUM=/nonexistent/chromium "$DAEMON" report --prometheus "$prom" --year 2025 \
	--output "$tmp/x.html" --pdf "$tmp/x.pdf" >/dev/null 2>"$tmp/stderr.log"
rc=$?
expect "no Chromium: exit 1, says so in one line, the HTML is written and no PDF" \
	'[ "$rc" = 1 ] && one_line "no PDF: Chromium is not installed" && [ -s "$tmp/x.html" ] && [ ! -e "$tmp/x.pdf" ]' \
	"$(cat "$tmp/stderr.log")"

report --month 2025-13 --output "$tmp/x.html"
rc=$?
expect "--month 2025-13 is refused, naming the month" \
	'[ "$rc" = 1 ] || [ "$rc" = 2 ] && grep -qF "2025-13" "$tmp/stderr.log"' "$(cat "$tmp/stderr.log")"

finish
