#!/bin/bash
# make-deb.sh: builds the darknet-counter .deb with dpkg-deb from a staging tree.
#
# Usage: scripts/make-deb.sh [BUILD_DIR]   (default build; `make deb` runs it)
# Needs BUILD_DIR/darknet-counter built. Writes
# BUILD_DIR/darknet-counter_VERSION_ARCH.deb and prints its path.
#
# The packaging files are in deploy/debian/ (control template, maintainer
# scripts, /etc/default file, changelog, copyright, man page). The package
# holds: /usr/sbin/darknet-counter (stripped), the systemd unit (ExecStart
# pointed at /usr/sbin), /etc/default/darknet-counter and
# /etc/darknet-counter/research-scanners.txt as conffiles, the man page, the
# bash completion, and deploy/'s Prometheus, Grafana, systemd and fleet files
# under /usr/share/doc/darknet-counter/examples. Depends come from
# dpkg-shlibdeps. No root needed: dpkg-deb --root-owner-group.
set -euo pipefail

out=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
readonly PKG=darknet-counter DEB=deploy/debian
die() { printf 'make-deb: %s\n' "$*" >&2; exit 1; }

[ -x "$out/darknet-counter" ] || die "$out/darknet-counter is not built (make all)"
for t in dpkg-deb dpkg-shlibdeps strip gzip; do
	command -v "$t" >/dev/null || die "$t is missing (Debian package dpkg-dev or binutils)"
done
version=$(cat VERSION)
arch=$(dpkg --print-architecture)
built=$("$out/darknet-counter" --version)
[ "$built" = "darknet-counter $version" ] || die "$out/darknet-counter says '$built', VERSION says $version: rebuild"

work=$(mktemp -d "${TMPDIR:-/tmp}/dn-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/$PKG
doc=$stage/usr/share/doc/$PKG

install -d -m 0755 "$stage/DEBIAN" "$stage/usr/sbin" "$stage/lib/systemd/system" \
	"$stage/etc/default" "$stage/etc/$PKG" "$stage/usr/share/man/man8" \
	"$stage/usr/share/bash-completion/completions" "$doc/examples"

install -m 0755 "$out/darknet-counter" "$stage/usr/sbin/"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$stage/usr/sbin/$PKG"

# The shipped unit names make install's path; the package installs to /usr/sbin.
unit=$stage/lib/systemd/system/$PKG.service
sed -e 's|/usr/local/sbin/darknet-counter|/usr/sbin/darknet-counter|' \
    -e 's|^# Install: make install; cp .*|# Installed by the darknet-counter package.|' \
    deploy/systemd/$PKG.service >"$unit"
grep -q '^ExecStart=/usr/sbin/darknet-counter ' "$unit" ||
	die "could not point ExecStart at /usr/sbin (did deploy/systemd/$PKG.service change?)"
chmod 0644 "$unit"

install -m 0644 $DEB/default "$stage/etc/default/$PKG"
install -m 0644 deploy/research-scanners.txt "$stage/etc/$PKG/"
gzip -9n <$DEB/$PKG.8 >"$stage/usr/share/man/man8/$PKG.8.gz"
install -m 0644 deploy/bash-completion/$PKG "$stage/usr/share/bash-completion/completions/"

install -m 0644 $DEB/copyright "$doc/"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")/" \
	$DEB/changelog | gzip -9n >"$doc/changelog.gz"
gzip -9n <README.md >"$doc/README.md.gz"
# deploy/ as examples: everything but what is installed elsewhere above.
for d in deploy/*/; do
	case ${d%/} in
	deploy/debian | deploy/bash-completion) continue ;;
	esac
	cp -r "$d" "$doc/examples/"
done
find "$doc/examples" -type d -exec chmod 0755 {} + && find "$doc/examples" -type f -exec chmod 0644 {} +

for s in postinst prerm postrm; do
	install -m 0755 $DEB/$s "$stage/DEBIAN/"
done
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"
chmod 0644 "$stage/DEBIAN/conffiles"

# Shared-library dependencies, as debhelper would get them.
mkdir -p "$work/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG" "$PKG" >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$PKG/usr/sbin/$PKG" 2>"$work/shlibdeps.log" |
	sed -n 's/^shlibs:Depends=//p') || { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependency"

(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" $DEB/control.in >"$stage/DEBIAN/control"

deb=$out/${PKG}_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
