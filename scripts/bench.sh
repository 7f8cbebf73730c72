#!/bin/sh
# bench.sh: runs darknet-bench in throwaway namespaces joined by a veth, writes bench/results-<date>.txt.
#
# Usage: scripts/bench.sh [BUILD_DIR [darknet-bench options...]]   (root)
# Both ends of the veth live in namespaces made here and removed on exit,
# carry no addresses and route nothing: frames only go from the
# generator's end to the receiving end, where XDP or libpcap consumes them.
set -eu

OUT=${1:-build}
[ $# -gt 0 ] && shift
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (XDP programs, network namespaces)" >&2
	exit 1
fi
for bin in darknet-bench darknet-pcap-counter darknet-counter; do
	if [ ! -x "$OUT/$bin" ]; then
		echo "bench: $OUT/$bin missing: run make first" >&2
		exit 1
	fi
done

TAG=$$
GEN=dnbench-gen-$TAG
RX=dnbench-rx-$TAG
cleanup() {
	ip netns del "$GEN" 2>/dev/null || true
	ip netns del "$RX" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Load time and kernel memory of the full geo databases, as the daemon
# loads them (darknet-counter geo-check --install; docs/geo.md).
geo_load() {
	local d=bench/geo-db
	echo
	echo "Geo databases: load and kernel memory (darknet-counter geo-check --install)"
	if [ ! -s "$d/geo-whois-asn-country-ipv4.csv" ] || [ ! -s "$d/asn-ipv4.csv" ]; then
		echo "  skipped: no $d (scripts/fetch-geo-db.sh)"
		return 0
	fi
	"$OUT/darknet-counter" geo-check --install \
		--geo-country "$d/geo-whois-asn-country-ipv4.csv,$d/geo-whois-asn-country-ipv6.csv" \
		--geo-asn "$d/asn-ipv4.csv,$d/asn-ipv6.csv" 2>&1 | sed 's/^/  /'
}

ip netns add "$GEN"
ip netns add "$RX"
# No IPv6 autoconfiguration: router solicitations and DAD would be frames
# the counter counts and the generator did not send.
for ns in "$GEN" "$RX"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$GEN" link add dnbg0 type veth peer name dnbr0 netns "$RX"
ip -n "$GEN" link set dnbg0 up
ip -n "$RX" link set dnbr0 up

mkdir -p bench
file=bench/results-$(date +%Y-%m-%d).txt
# The full ip-location-db databases (docs/geo.md), cached in bench/geo-db;
# without them (no network, no npm) the geo rows say they were skipped.
scripts/fetch-geo-db.sh bench/geo-db ||
	echo "bench: the geo databases could not be fetched; geo rows are skipped" >&2
# The whole run stops by itself: every section runs a fixed number of frames.
if "$OUT/darknet-bench" --gen-ns "$GEN" --rx-ns "$RX" --gen-if dnbg0 --rx-if dnbr0 \
	--pcap-counter "$OUT/darknet-pcap-counter" --daemon "$OUT/darknet-counter" \
	"$@" > "$file.tmp"; then
	geo_load >> "$file.tmp"
	mv "$file.tmp" "$file"
	cat "$file"
	echo "bench: results written to $file" >&2
else
	status=$?
	cat "$file.tmp" >&2
	rm -f "$file.tmp"
	echo "bench: darknet-bench failed (exit $status)" >&2
	exit "$status"
fi
