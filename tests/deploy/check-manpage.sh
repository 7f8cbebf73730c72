#!/bin/bash
# check-manpage.sh: the man page, README.md and the bash completion agree with
# what the built daemon's --help prints, and the man page is lint-clean.
#
# Usage: tests/deploy/check-manpage.sh [BUILD_DIR]   (unprivileged; runs only
# `darknet-counter --help`, `darknet-counter report --help` and `--version`)
#
# Checks: `mandoc -Tlint` reports nothing; every long option of --help is in
# the man page and in README.md, and every --option the man page names is
# one --help prints; both subcommands of --help's usage are documented; every
# metric family of README's Metrics table is in the man page and the reverse;
# the man page's header carries VERSION; the completion script offers the
# same options (tests/deploy/check-completion.sh tests it interactively).
set -u
out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1

readonly MAN=deploy/debian/darknet-counter.8 COMPLETION=deploy/bash-completion/darknet-counter
passed=0 failed=0
ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }

[ -x "$out/darknet-counter" ] || { fail "$out/darknet-counter is built"; echo "0 passed, 1 failed"; exit 1; }
command -v mandoc >/dev/null || { fail "mandoc is installed" "scripts/install-deps.sh"; echo "0 passed, 1 failed"; exit 1; }

# The man page's text with roff's escaped hyphens made plain.
man_text=$(sed 's/\\-/-/g' "$MAN")
# The daemon's options and the report subcommand's, which has a --help of its own.
help=$("$out/darknet-counter" --help && "$out/darknet-counter" report --help)
help_opts=$(grep -oE -- '--[a-z][a-z.-]*' <<<"$help" | sort -u)
man_opts=$(grep -oE -- '--[a-z][a-z.-]*[a-z]' <<<"$man_text" | sort -u)

lint=$(mandoc -Tlint "$MAN" 2>&1)
[ -z "$lint" ] && ok "mandoc -Tlint $MAN: clean" || fail "mandoc -Tlint $MAN" "$lint"

missing_man='' missing_readme='' missing_compl=''
for o in $help_opts; do
	grep -qF -- "$o" <<<"$man_opts" || missing_man+=" $o"
	grep -qE -- "(^|[^a-z.-])$o([^a-z.-]|\$)" README.md || missing_readme+=" $o"
	grep -qE -- "(^|[^a-z.-])$o([^a-z.-]|\$)" "$COMPLETION" || missing_compl+=" $o"
done
n=$(wc -w <<<"$help_opts")
[ -z "$missing_man" ] && ok "all $n long options of --help are in the man page" ||
	fail "long options of --help missing from the man page" "$missing_man"
[ -z "$missing_readme" ] && ok "all $n long options of --help are in README.md" ||
	fail "long options of --help missing from README.md" "$missing_readme"
[ -z "$missing_compl" ] && ok "all $n long options of --help are in the bash completion" ||
	fail "long options of --help missing from $COMPLETION" "$missing_compl"

unknown=''
for o in $man_opts; do
	grep -qxF -- "$o" <<<"$help_opts" || unknown+=" $o"
done
[ -z "$unknown" ] && ok "every --option in the man page ($(wc -w <<<"$man_opts")) is one --help prints" ||
	fail "options in the man page that --help does not know" "$unknown"

# Subcommands: the words after "darknet-counter" in --help's usage lines.
for c in $(sed -nE 's/^ *(Usage:)? *darknet-counter ([a-z]+) .*/\2/p' <<<"$help" | sort -u); do
	if grep -qE "^\.TP" "$MAN" && grep -A1 '^\.TP' "$MAN" | grep -qE "^\.BI? $c( |\$)"; then
		ok "subcommand $c is documented in the man page"
	else
		fail "subcommand $c is documented in the man page (a .TP entry under COMMANDS)"
	fi
done
[ "$(sed -nE 's/^ *(Usage:)? *darknet-counter ([a-z]+) .*/\2/p' <<<"$help" | wc -l)" -ge 2 ] &&
	ok "--help names the subcommands status and detach" || fail "--help names the subcommands"

# Metric families: README's Metrics table (first column) and the man page.
readme_metrics=$(sed -n '/^## Metrics/,/^## /p' README.md | grep '^| `' | cut -d'|' -f2 |
	grep -oE '[a-z_]+_[a-z_]+' | sort -u)
man_metrics=$(sed -n '/^\.SH METRICS/,/^\.SH /p' "$MAN" | sed 's/\\-/-/g' |
	grep -oE '\b(darknet|process)_[a-z_]+' | sort -u)
diff_metrics=$(diff <(echo "$readme_metrics") <(echo "$man_metrics"))
[ -n "$readme_metrics" ] && [ -z "$diff_metrics" ] &&
	ok "the man page's METRICS names the $(wc -l <<<"$readme_metrics") families of README's Metrics table, no more" ||
	fail "metric families of README (<) and the man page (>) differ" "$(tr '\n' ' ' <<<"$diff_metrics")"

version=$(cat VERSION)
grep -qE "^\.TH .*\"darknet-counter $version\"" "$MAN" &&
	ok "the man page's header says darknet-counter $version (VERSION)" ||
	fail "the man page's .TH names darknet-counter $version"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
