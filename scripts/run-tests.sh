#!/bin/bash
# run-tests.sh: runs every test tier in order and fails if any of them fails.
# Usage: scripts/run-tests.sh BUILD_DIR   (root: the BPF and end-to-end tiers
# load programs and create network namespaces)
set -u
out=${1:-build}
cd "$(dirname "$0")/.."

failed=()
run_tier() {
	local name=$1; shift
	echo "=== $name: $*"
	# A tier whose program is missing fails: the suite never passes by
	# running less than it has.
	if [ ! -x "$1" ]; then
		echo "=== $name: FAILED ($1 is missing: run make all tests)"
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
run_tier deploy tests/deploy/check.sh
run_tier manpage tests/deploy/check-manpage.sh "$out"
run_tier completion tests/deploy/check-completion.sh
run_tier deb tests/deploy/deb.sh "$out"
for t in tests/e2e/*.sh; do
	run_tier "$(basename "$t" .sh)" "$t" "$out"
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "run-tests: FAILED tiers: ${failed[*]}"
	exit 1
fi
echo "run-tests: all tiers passed"
