#!/usr/bin/env bash
# query-dashboard.sh: run every query of the Grafana dashboard (panels and
# the sensor/iface variables) through a live Prometheus and report which
# return no data, as an end-to-end check that the exporter, the scrape config
# and the recording rules feed every panel.
#
# Grafana's variables become plain values: $sensor and $iface match
# everything (override with --var), $__rate_interval, $__interval and
# $__range get the values below. Queries run as instant queries at "now".
set -euo pipefail

usage() {
	cat <<USAGE
Usage: $0 [options] PROMETHEUS_URL       e.g. $0 http://127.0.0.1:9090
  --dashboard FILE       dashboard JSON (default: deploy/grafana/darknet-counter.json)
  --var NAME=VALUE       value for \$NAME / \${NAME} (default for sensor, iface: .*)
  --rate-interval DUR    value for \$__rate_interval (default 1m: 4 x a 15 s scrape)
  --range DUR            value for \$__range (default 10m, short enough for a fresh lab)
  --allow-empty REGEX    queries allowed to return no data: an extended regex matched
                         against the label printed for each query (panel ID "TITLE" REF),
                         e.g. for metrics the exporter does not serve yet, or for
                         the 5-minute rules of group darknet-daily on a fresh Prometheus
  -v                     print every returned series with its value
Exit status: 0 when every query returned data (or is allowed to be empty),
1 when some did not, 2 on a usage or connection error.
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
dashboard=$here/../../deploy/grafana/darknet-counter.json
rate_interval=1m
range=10m
allow_empty='^$'
verbose=0
declare -A vars=([sensor]='.*' [iface]='.*')

while [ $# -gt 0 ]; do
	case $1 in
	--dashboard) dashboard=$2; shift 2 ;;
	--var) vars[${2%%=*}]=${2#*=}; shift 2 ;;
	--rate-interval) rate_interval=$2; shift 2 ;;
	--range) range=$2; shift 2 ;;
	--allow-empty) allow_empty=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "$0: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
base=${1%/}

# Seconds in a Prometheus duration like 1h30m, for $__range_s.
duration_seconds() {
	local d=$1 total=0 n u
	while [[ $d =~ ^([0-9]+)(ms|s|m|h|d|w|y)(.*)$ ]]; do
		n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} d=${BASH_REMATCH[3]}
		case $u in
		ms) ;; s) total=$((total + n)) ;; m) total=$((total + n * 60)) ;;
		h) total=$((total + n * 3600)) ;; d) total=$((total + n * 86400)) ;;
		w) total=$((total + n * 604800)) ;; y) total=$((total + n * 31536000)) ;;
		esac
	done
	echo "$total"
}

substitute() {
	local q=$1 name
	q=${q//'$__rate_interval'/$rate_interval}
	q=${q//'${__rate_interval}'/$rate_interval}
	q=${q//'$__interval'/30s}
	q=${q//'${__interval}'/30s}
	q=${q//'$__range_s'/$(duration_seconds "$range")}
	q=${q//'${__range_s}'/$(duration_seconds "$range")}
	q=${q//'$__range'/$range}
	q=${q//'${__range}'/$range}
	for name in "${!vars[@]}"; do
		q=${q//"\${$name}"/${vars[$name]}}
		q=${q//"\$$name"/${vars[$name]}}
	done
	printf '%s' "$q"
}

if ! curl -sS --max-time 10 -o /dev/null "$base/-/ready"; then
	echo "$0: Prometheus at $base does not answer" >&2
	exit 2
fi

# One line per query: label, base64 of the expression. Panels in collapsed
# rows included; label_values(EXPR, label) variables run EXPR.
queries=$(jq -r '
  def panels: .panels[]? | ., (.panels[]?);
  (panels | select(.type != "row") | . as $p | .targets[]?
     | ["panel \($p.id) \($p.title | tojson) \(.refId)", (.expr | @base64)]),
  (.templating.list[]? | select(.type == "query") | . as $v
     | ((.query | if type == "object" then .query else . end) // ""
        | capture("^\\s*label_values\\((?<e>.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$").e) as $e
     | ["variable \($v.name)", ($e | @base64)])
  | @tsv' "$dashboard")

total=0 with_data=0 empty=0 allowed=0 errors=0
while IFS=$'\t' read -r what expr64; do
	total=$((total + 1))
	query=$(substitute "$(base64 -d <<<"$expr64")")
	if ! answer=$(curl -sS --max-time 30 "$base/api/v1/query" --data-urlencode "query=$query" 2>&1) ||
	   ! jq -e . >/dev/null 2>&1 <<<"$answer"; then
		echo "ERROR  $what: no answer: $answer"
		errors=$((errors + 1))
		continue
	fi
	if [ "$(jq -r .status <<<"$answer")" != success ]; then
		echo "ERROR  $what: $(jq -r '.error' <<<"$answer")"
		echo "       query: $query"
		errors=$((errors + 1))
		continue
	fi
	n=$(jq '.data.result | if type == "array" then length else 1 end' <<<"$answer")
	if [ "$n" -gt 0 ]; then
		echo "ok     $what: $n series"
		with_data=$((with_data + 1))
	elif [[ $what =~ $allow_empty ]]; then
		echo "empty  $what (allowed)"
		allowed=$((allowed + 1))
	else
		echo "EMPTY  $what"
		echo "       query: $query"
		empty=$((empty + 1))
	fi
	if [ "$verbose" = 1 ]; then
		jq -r '.data.result[]? | "         \(.metric | del(.__name__) | to_entries
		        | map("\(.key)=\(.value | tojson)") | join(",") | "{\(.)}") \(.value[1])"' <<<"$answer"
	fi
done <<<"$queries"

echo "$total queries: $with_data with data, $empty empty, $allowed allowed empty, $errors errors"
[ "$empty" -eq 0 ] && [ "$errors" -eq 0 ]
