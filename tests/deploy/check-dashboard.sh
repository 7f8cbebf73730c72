#!/usr/bin/env bash
# check-dashboard.sh: structural check of the Grafana dashboard: valid JSON,
# unique panel ids, a query in every panel, the datasource as a variable, the
# sensor and iface variables, and only metric names that exist: the
# exporter's (exporter-metrics.txt) or a recording rule's (read from the
# rules files, so a renamed rule breaks this check, not the dashboard). With
# promtool on PATH it also parses every query as PromQL.
#
# Usage: check-dashboard.sh [DASHBOARD.json [RULES.yml...]]
# (default: deploy/grafana/darknet-counter.json and every file of
# deploy/prometheus/rules)
# Exit 0 when all checks pass; otherwise 1, with one line per problem
# naming the panel.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dashboard=${1:-$root/deploy/grafana/darknet-counter.json}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then rules=("$@"); else rules=("$root"/deploy/prometheus/rules/*.yml); fi
exporter_list=$here/exporter-metrics.txt

command -v jq >/dev/null || { echo "check-dashboard: jq is required" >&2; exit 1; }

if ! jq empty "$dashboard" 2>/dev/null; then
	echo "check-dashboard: $dashboard is not valid JSON:" >&2
	jq empty "$dashboard" 2>&1 | sed 's/^/  /' >&2 || true
	exit 1
fi

# Known metric names: the exporter's list plus every `record:` of the rules.
known=$( { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$exporter_list"
	   sed -n 's/^[[:space:]]*-[[:space:]]*record:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "${rules[@]}"; } |
	 jq -R . | jq -s .)
if [ "$(jq length <<<"$known")" -lt 2 ]; then
	echo "check-dashboard: no metric names read from $exporter_list and ${rules[*]}" >&2
	exit 1
fi

# jq program shared by the checks. panels: every panel, including those
# nested in collapsed rows. names: the metric names a PromQL expression
# uses; strings, label matchers, ranges and by/on(...) label lists are cut
# out first, then identifiers not followed by "(" (functions) and not
# keywords are metric names. $variables never survive: they only occur
# inside {} and [].
read -r -d '' lib <<'JQ' || true
def panels: .panels[]? | ., (.panels[]?);
def plabel: "panel \(.id) \"\(.title)\"";
def names:
  gsub("\"(\\\\.|[^\"\\\\])*\""; "")
  | gsub("\\{[^}]*\\}"; "")
  | gsub("\\[[^\\]]*\\]"; "")
  | gsub("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)"; "")
  | [scan("(?<![A-Za-z0-9_:.$])[A-Za-z_:][A-Za-z0-9_:]*(?![A-Za-z0-9_:])(?!\\s*\\()")]
  | map(select(IN("and", "or", "unless", "bool", "offset", "inf", "nan", "atan2") | not));
# label_values(EXPR, label) and query_result(EXPR) hold PromQL; label_values(plabel) none.
def variable_expr:
  (.query | if type == "object" then .query else . end) // ""
  | (capture("^\\s*label_values\\((?<e>.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$").e
     // capture("^\\s*query_result\\((?<e>.*)\\)\\s*$").e
     // "");
JQ

errors=$(jq -r --argjson known "$known" "$lib"'
  # unique, present panel ids
  ([panels | .id] | map(select(. == null)) | length | select(. > 0)
     | "\(.) panel(s) without an id"),
  ([panels | select(.id != null)] | group_by(.id) | map(select(length > 1))[]
     | "panel id \(.[0].id) is used by \(map(.title | tojson) | join(", "))"),
  # every panel but a row has at least one query, and no empty one
  (panels | select(.type != "row")
     | if ((.targets // []) | length) == 0 then "\(plabel): no query"
       else (.targets[] | select(((.expr // "") | test("\\S")) | not)
             | "query \(.refId // "?") is empty") as $m | "\(plabel): \($m)" end),
  # the datasource is the variable, so the dashboard imports anywhere
  (panels | select(.type != "row") | . as $p
     | ([.datasource] + [.targets[]?.datasource])[] | select((.uid // "") != "${DS_PROMETHEUS}")
     | "\($p | plabel): datasource is not ${DS_PROMETHEUS}"),
  (if any(.templating.list[]?; .type == "datasource" and .name == "DS_PROMETHEUS" and .query == "prometheus")
   then empty else "no datasource variable DS_PROMETHEUS of type prometheus" end),
  (["sensor", "iface"][] as $v
     | select(any(.templating.list[]?; .name == $v and .type == "query") | not)
     | "no query variable \($v)"),
  # only known metric names, in panels and in variables
  (panels | select(.type != "row") | . as $p | .targets[]? | . as $t
     | (.expr // "" | names[]) | select(IN($known[]) | not)
     | "\($p | plabel), query \($t.refId): unknown metric \(.)"),
  (.templating.list[]? | select(.type == "query") | . as $v
     | (variable_expr | names[]) | select(IN($known[]) | not)
     | "variable \($v.name): unknown metric \(.)")
' "$dashboard")

# PromQL syntax: one rule group per panel, named after it, so promtool's
# error names the panel. Grafana's variables become plain values first.
if [ -z "$errors" ] && command -v promtool >/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	jq -r "$lib"'
	  "groups:",
	  (panels | select(.type != "row") | select((.targets // []) | length > 0)
	     | "  - name: \(plabel | tojson)", "    rules:",
	       (.targets[] | "      - record: dashboard:query:\(.refId)",
	                     "        expr: \(.expr | tojson)"))
	' "$dashboard" |
	sed -e 's/\$__rate_interval/1m/g; s/\$__interval/30s/g; s/\$__range/1h/g' \
	    -e 's/\${\{0,1\}[A-Za-z_][A-Za-z0-9_]*}\{0,1\}/x/g' >"$tmp/queries.yml"
	if ! out=$(promtool check rules "$tmp/queries.yml" 2>&1); then
		errors=$(grep -o 'group .*' <<<"$out" || echo "$out")
	fi
fi

if [ -n "$errors" ]; then
	echo "check-dashboard: $dashboard:" >&2
	sed 's/^/  /' <<<"$errors" >&2
	exit 1
fi
jq -r "$lib"'
  "dashboard OK: \([panels | select(.type != "row")] | length) panels, "
  + "\([panels | .targets[]?] | length) queries, "
  + "\([panels | .targets[]?.expr | names[]] | unique | length) distinct metric names, all known"
' "$dashboard"
