#!/bin/sh
# check-links.sh: each program links only what it uses. The daemon holds no
# symbol of the traffic generator's library; the libpcap peer needs none of
# the daemon's libraries. Usage: tests/tools/check-links.sh BUILD_DIR
set -u
out=${1:-build}
fail=0

defined() { nm --defined-only "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDRB]/ {print $3}' | sort -u; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
check() {
	if [ "$2" = ok ]; then echo "ok   $1"; else echo "FAIL $1: $2"; fail=1; fi
}

for f in darknet-counter darknet-pcap-counter darknet-trafgen darknet-bench libpktgen.a; do
	[ -e "$out/$f" ] || { echo "FAIL $out/$f is missing: run make all"; exit 1; }
done

# Symbols libpktgen.a defines that the daemon binary also defines.
tmp=$(mktemp)
defined "$out/darknet-counter" > "$tmp"
shared=$(defined "$out/libpktgen.a" | comm -12 - "$tmp" | tr '\n' ' ')
rm -f "$tmp"
check "darknet-counter links no traffic-generator code" "${shared:-ok}"

bad=$(needed "$out/darknet-pcap-counter" | grep -E 'microhttpd|gnutls|yaml|crypt|xdp|bpf|curl|jansson' | tr '\n' ' ')
check "darknet-pcap-counter needs no daemon library" "${bad:-ok}"

bad=$(needed "$out/darknet-trafgen" | grep -E 'microhttpd|gnutls|yaml|crypt|xdp|curl|jansson' | tr '\n' ' ')
check "darknet-trafgen needs no daemon library" "${bad:-ok}"

bad=$(needed "$out/darknet-bench" | grep -E 'microhttpd|gnutls|yaml|crypt|curl|jansson' | tr '\n' ' ')
check "darknet-bench needs no HTTP or web-config library" "${bad:-ok}"

[ "$fail" = 0 ] && echo "check-links: 4 passed, 0 failed" || echo "check-links: failed"
exit "$fail"
