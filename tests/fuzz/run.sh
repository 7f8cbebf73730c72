#!/bin/bash
# run.sh: runs each libFuzzer harness over its seed corpus, then fuzzes it for SECONDS.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [NAME...]   (default: every harness)
# New inputs go to BUILD_DIR/fuzz/found/NAME (the seeds in tests/fuzz/corpus
# are never written), crashes to BUILD_DIR/fuzz/crashes/. Fails if any
# harness crashes, leaks, times out (10 s an input) or is missing.
set -u
case ${1:-} in -h | --help | '') sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
out=$1
secs=${2:-60}
shift 2 2>/dev/null || shift $#
cd "$(dirname "$0")/../.." || exit 1
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(prefix list_file webconfig metrics frame geo http)
failed=()
for n in "${names[@]}"; do
	bin=$out/fuzz/fuzz_$n
	found=$out/fuzz/found/$n
	crashes=$out/fuzz/crashes
	mkdir -p "$found" "$crashes"
	if [ ! -x "$bin" ]; then
		echo "fuzz $n: $bin is missing (make tests)"
		failed+=("$n")
		continue
	fi
	# a library's own leak, suppressed for its harness only (the file says why)
	supp=tests/fuzz/lsan-$n.supp
	lsan=${LSAN_OPTIONS:-}
	[ -r "$supp" ] && lsan="suppressions=$PWD/$supp${lsan:+:$lsan}"
	# -max_total_time starts with every input of both corpus directories
	if LSAN_OPTIONS=$lsan "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$crashes/$n-" -print_final_stats=1 \
		"$found" "tests/fuzz/corpus/$n" >"$out/fuzz/$n.log" 2>&1; then
		echo "fuzz $n: ok ($(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' \
			"$out/fuzz/$n.log" | grep -o '[0-9]*$') runs in ${secs} s)"
	else
		echo "fuzz $n: FAILED; $out/fuzz/$n.log:"
		grep -A20 -m1 'ERROR\|==[0-9]*==' "$out/fuzz/$n.log"
		failed+=("$n")
	fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: FAILED: ${failed[*]}"; exit 1; }
