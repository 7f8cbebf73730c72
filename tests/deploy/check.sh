#!/usr/bin/env bash
# check.sh: offline checks of everything under deploy/prometheus and
# deploy/grafana: promtool check config and check rules, the promtool rule
# unit tests in this directory, that every recording rule and alert of
# deploy/prometheus/rules/*.yml is covered by them, the dashboards'
# structural check, and (with prometheus installed) every dashboard query
# against a Prometheus on 127.0.0.1 serving backfilled series
# (query-backfill.sh; no namespace, no root). Needs promtool (Debian
# package prometheus) and jq. Prints one line per check and a final
# "N passed, M failed"; exits 1 if any check failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prom=$root/deploy/prometheus
rules=("$prom"/rules/*.yml)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0

# check NAME COMMAND...: run one check, print PASS/FAIL and, on failure,
# the command's output indented under it.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' <<<"$out"
		failed=$((failed + 1))
	fi
}

for tool in promtool jq; do
	command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed"; echo "0 passed, 1 failed"; exit 1; }
done

# prometheus.yml with one of the example sensor files in place, so the
# example is validated too (promtool parses file_sd files).
check_config_with_example() {
	cp -r "$prom" "$tmp/prometheus"
	cp "$prom/sensors/example.yml.sample" "$tmp/prometheus/sensors/example.yml"
	promtool check config "$tmp/prometheus/prometheus.yml"
}

# Every recording rule's name appears in a promql_expr_test expression.
check_recording_coverage() {
	local name missing=0
	for name in $(sed -n 's/^[[:space:]]*-[[:space:]]*record:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "${rules[@]}"); do
		if ! grep -hE '^[[:space:]]*-?[[:space:]]*expr:' "$here"/*.yml |
		     grep -qE "(^|[^A-Za-z0-9_:])${name}([^A-Za-z0-9_:]|$)"; then
			echo "recording rule $name has no promql_expr_test"
			missing=1
		fi
	done
	return $missing
}

# Every alert has an alert_rule_test that expects it to fire and one that
# expects it not to (exp_alerts: []). Test items name alertname before
# exp_alerts, as promtool's examples do.
check_alert_coverage() {
	local name seen missing=0
	seen=$(awk '
		/^[[:space:]]*-?[[:space:]]*alertname:/ { a = $NF }
		/^[[:space:]]*exp_alerts:[[:space:]]*\[\][[:space:]]*$/ { print a, "quiet" }
		/^[[:space:]]*exp_alerts:[[:space:]]*$/ { print a, "fires" }
	' "$here"/*.yml)
	for name in $(sed -n 's/^[[:space:]]*-[[:space:]]*alert:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "${rules[@]}"); do
		grep -qx "$name fires" <<<"$seen" || { echo "alert $name has no test that fires it"; missing=1; }
		grep -qx "$name quiet" <<<"$seen" || { echo "alert $name has no test that it stays quiet"; missing=1; }
	done
	return $missing
}

check "promtool check config deploy/prometheus/prometheus.yml" promtool check config "$prom/prometheus.yml"
check "promtool check config prometheus.yml with sensors/example.yml.sample" check_config_with_example
check "promtool check config deploy/prometheus/federation.yml" promtool check config "$prom/federation.yml"
for r in "${rules[@]}"; do
	check "promtool check rules ${r##*/}" promtool check rules "$r"
done
# prometheus.yml loads every rules file shipped (a file left out is never
# evaluated, however well tested).
check_rule_files_listed() {
	local r missing=0
	for r in "${rules[@]}"; do
		grep -qE "^[[:space:]]*-[[:space:]]*rules/${r##*/}[[:space:]]*$" "$prom/prometheus.yml" ||
			{ echo "prometheus.yml does not list rules/${r##*/}"; missing=1; }
	done
	return $missing
}
check "prometheus.yml lists every rules file" check_rule_files_listed
for t in "$here"/*.yml; do
	check "promtool test rules tests/deploy/${t##*/}" promtool test rules "$t"
done
check "every recording rule has a unit test" check_recording_coverage
check "every alert has a firing and a quiet unit test" check_alert_coverage
for d in "$root"/deploy/grafana/*.json; do
	check "dashboard structure ${d##*/} (check-dashboard.sh)" "$here/check-dashboard.sh" "$d"
done
check "events and geography dashboard and rules on backfilled series (query-backfill.sh)" "$here/query-backfill.sh"
check "scripts parse (bash -n)" bash -n "$here/check.sh" "$here/check-dashboard.sh" "$here/query-dashboard.sh" \
	"$here/query-backfill.sh"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
