#!/bin/bash
# run-tests.sh: runs every test tier in order and fails if any of them fails.
# Usage: scripts/run-tests.sh [BUILD_DIR]   (default build; root: the BPF and
# end-to-end tiers load programs and create network namespaces)
# A missing tier program or script fails the run; the last line says
# "run-tests: all tiers passed" or names the tiers that failed.
set -u
case ${1:-} in
-h | --help)
	sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
out=${1:-build}
# BUILD_DIR is taken from where we were called, the tiers run from the top.
case $out in /*) ;; *) out=$PWD/$out ;; esac
cd "$(dirname "$0")/.." || exit 1

# The shell tiers under tests/e2e, by name: a deleted one fails the run
# instead of quietly running less, and one not listed here fails too.
e2e_scripts=(landing_page multi_sensor prometheus_e2e web_security fleet alert_delivery report)

failed=()
run_tier() {
	local name=$1; shift
	echo "=== $name: $*"
	# A tier whose program is missing fails: the suite never passes by
	# running less than it has.
	if [ ! -x "$1" ]; then
		case $1 in
		"$out"/*) echo "=== $name: FAILED ($1 is missing: run make all tests)" ;;
		*) echo "=== $name: FAILED ($1 is missing or not executable)" ;;
		esac
		failed+=("$name")
	elif "$@"; then
		echo "=== $name: ok"
	else
		echo "=== $name: FAILED"
		failed+=("$name")
	fi
}

if [ "$(id -u)" != 0 ]; then
	echo "run-tests: the BPF and end-to-end tiers need root (sudo make test)" >&2
	exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# Criterion runs each test in a forked child; -j1 keeps the root tiers from
# racing for the same namespace names.
run_tier unit "$out/tests/unit-tests" --verbose=0
run_tier links tests/tools/check-links.sh "$out"
run_tier datapath "$out/tests/datapath-tests" -j1
run_tier e2e "$out/tests/e2e-tests" -j1
# each libFuzzer harness over its seed corpus, then 3 s of fuzzing
run_tier fuzz tests/fuzz/run.sh "$out" 3
run_tier deploy tests/deploy/check.sh
run_tier manpage tests/deploy/check-manpage.sh "$out"
run_tier completion tests/deploy/check-completion.sh
run_tier deb tests/deploy/deb.sh "$out"
for t in "${e2e_scripts[@]}"; do
	run_tier "$t" "tests/e2e/$t.sh" "$out"
done
for t in tests/e2e/*.sh; do
	case " ${e2e_scripts[*]} " in
	*" $(basename "$t" .sh) "*) ;;
	*)
		echo "=== $t: FAILED (not listed in scripts/run-tests.sh)"
		failed+=("$(basename "$t" .sh)")
		;;
	esac
done
# 60 s of traffic, scrapes, reloads, a SIGKILL restart and hostile clients
# (docs/hardening.md "Soak"; make soak runs 600 s)
run_tier soak tests/soak/soak.sh "$out" 60

if [ ${#failed[@]} -gt 0 ]; then
	echo "run-tests: FAILED tiers: ${failed[*]}"
	exit 1
fi
echo "run-tests: all tiers passed"
