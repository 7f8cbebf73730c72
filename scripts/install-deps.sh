#!/bin/sh
# install-deps.sh: installs what building, testing and the lab need on Debian 12.
set -eu

PKGS="make gcc clang llvm libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev
      libmicrohttpd-dev libmaxminddb-dev libmaxmind-db-writer-perl npm
      libcriterion-dev libpcap-dev libcrypt-dev zlib1g-dev
      libyaml-dev libgnutls28-dev pkg-config iproute2 curl jq openssl
      apache2-utils prometheus chromium mandoc lintian victoria-metrics
      prometheus-alertmanager python3 libcurl4-gnutls-dev libjansson-dev
      poppler-utils libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	# npm (the geo databases' registry, scripts/fetch-geo-db.sh) may come
	# with another Node.js (NodeSource's nodejs bundles it and conflicts
	# with Debian's npm package): any npm on the PATH will do.
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then
		continue
	fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: need root to install:$missing" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Debian's prometheus, victoria-metrics and prometheus-alertmanager
	# packages start system-wide servers where an init system runs; tests
	# and the lab start their own on loopback. policy-rc.d is Debian's way to keep packages from starting
	# services during an install; only one we created ourselves is removed.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		policy=/usr/sbin/policy-rc.d
	fi
	apt-get install -y -qq $missing >/dev/null || status=$?
	[ -z "$policy" ] || rm -f "$policy"
	exit "${status:-0}"
fi
exit 0
