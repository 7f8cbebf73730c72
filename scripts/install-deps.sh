#!/bin/sh
# install-deps.sh: installs what building, testing and the lab need on Debian 12.
set -eu

PKGS="make gcc clang llvm libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev
      libmicrohttpd-dev libcriterion-dev libpcap-dev libcrypt-dev zlib1g-dev
      libyaml-dev libgnutls28-dev pkg-config iproute2 curl jq openssl
      apache2-utils prometheus chromium"

missing=""
for p in $PKGS; do
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
	# The prometheus package would start a system-wide server; tests start
	# their own on loopback, so keep the packaged one from starting.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Debian's package enables and starts prometheus.service where systemd runs;
# tests bring their own instances, so a packaged one is left alone but noted.
exit 0
