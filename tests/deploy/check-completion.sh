#!/bin/bash
# check-completion.sh: sources deploy/bash-completion/darknet-counter and asks
# it what a user pressing TAB would get: an option, a subcommand, an
# interface, an option's value. Unprivileged; reads /sys/class/net only.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=deploy/bash-completion/darknet-counter
. deploy/bash-completion/darknet-counter

passed=0 failed=0
ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }

# complete_line WORD...: COMPREPLY for the last word, one per line, sorted.
complete_line() {
	COMP_WORDS=(darknet-counter "$@")
	COMP_CWORD=$(($# ))
	COMPREPLY=()
	_darknet_counter
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
# expect_completion WHAT WANT WORD...: the completions are exactly WANT (sorted, one a line).
expect_completion() {
	local what=$1 want=$2 got
	shift 2
	got=$(complete_line "$@" | paste -sd' ')
	[ "$got" = "$want" ] && ok "$what: '$*' -> $got" || fail "$what: '$*'" "got '$got', want '$want'"
}

[ "$(complete -p darknet-counter 2>/dev/null)" = "complete -F _darknet_counter darknet-counter" ] &&
	ok "sourcing it registers _darknet_counter for darknet-counter" || fail "complete -p darknet-counter"
expect_completion "an option" "--scanners" --scann
expect_completion "options by prefix" "--web.config.file --web.listen-address --web.telemetry-path" --web
expect_completion "a subcommand" "status" st
expect_completion "an option's values" "native" --xdp-mode n
expect_completion "status's options" "--bpffs-dir" status --b
expect_completion "no interface after status" "" status ''
expect_completion "union's options" "--password-file" union --pa
expect_completion "no interface after union" "" union ''
# An interface: the first one the host has (only read, never touched).
iface=$(command ls /sys/class/net | head -n 1)
got=$(complete_line "${iface:0:2}")
grep -qxF "$iface" <<<"$got" && ok "an interface: '${iface:0:2}' offers $iface (from /sys/class/net)" ||
	fail "an interface: '${iface:0:2}'" "got '$(paste -sd' ' <<<"$got")', want $iface among them"
got=$(complete_line --darknet 203.0.113.0/24 "${iface:0:2}")
grep -qxF "$iface" <<<"$got" && ok "an interface after options: offers $iface" || fail "an interface after options"
got=$(complete_line --darknet 203.0.113.0/24 st)
[ -z "$got" ] && ok "no subcommand after options (status is only a first word)" ||
	fail "no subcommand after options" "got '$got'"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
