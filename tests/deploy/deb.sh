#!/bin/bash
# deb.sh: builds the .deb (scripts/make-deb.sh), checks it with lintian,
# installs it with dpkg -i, runs what it installed, removes and purges it, and
# checks that nothing is left.
#
# Usage: tests/deploy/deb.sh [BUILD_DIR]   (root: dpkg -i; scripts/run-tests.sh
# runs it)
#
# The installed daemon is only asked --version, --help and `status` (which
# reads pinned state and attaches nothing); no interface is touched. The unit
# is not started (the package does not enable it); `systemd-analyze verify`
# checks it where systemd-analyze exists. The test refuses to run over a
# darknet-counter that is installed already (by the package or by make
# install), since purging would remove it; an EXIT trap purges what this test
# installed. Takes about 20 s (lintian is most of it).
set -u
out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1

readonly PKG=darknet-counter
passed=0 failed=0 installed=0
tmp=$(mktemp -d /tmp/dn-deb-test.XXXXXX)
ok() { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "skip - $1: $2"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
abort() { fail "$1" "${2:-}"; finish; }
cleanup() {
	local rc=$?
	trap - EXIT
	[ "$installed" = 1 ] && dpkg -P "$PKG" >/dev/null 2>&1
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pkg_state() { dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null; }

[ "$(id -u)" = 0 ] || abort "runs as root" "dpkg -i needs root"
for t in dpkg-deb lintian man; do
	command -v "$t" >/dev/null || abort "$t is installed" "scripts/install-deps.sh"
done
state=$(pkg_state)
[ -z "$state" ] || [ "$state" = not-installed ] ||
	abort "no $PKG package installed before the test" "state '$state'; dpkg -P $PKG first"
for f in /usr/sbin/$PKG /etc/$PKG /etc/default/$PKG /lib/systemd/system/$PKG.service; do
	[ -e "$f" ] && abort "nothing at $f before the test" "an install by hand is there; purging would remove it"
done

deb=$(scripts/make-deb.sh "$out" 2>"$tmp/make-deb.log") ||
	abort "scripts/make-deb.sh builds the package" "$(tail -n 3 "$tmp/make-deb.log")"
ok "scripts/make-deb.sh built $deb ($(stat -c %s "$deb") bytes)"

lintian --allow-root "$deb" >"$tmp/lintian.txt" 2>&1
errors=$(grep -c '^E:' "$tmp/lintian.txt")
[ "$errors" = 0 ] && ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.txt") warnings)" ||
	fail "lintian: $errors errors" "$(grep '^E:' "$tmp/lintian.txt" | tr '\n' ' ')"
grep '^W:' "$tmp/lintian.txt" | sed 's/^/       /'

conffiles=$(dpkg-deb -f "$deb" >/dev/null && dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)
[ "$conffiles" = $'/etc/darknet-counter/research-scanners.txt\n/etc/default/darknet-counter' ] &&
	ok "conffiles: $(tr '\n' ' ' <<<"$conffiles")" || fail "conffiles" "$conffiles"

# ---- install -----------------------------------------------------------------
installed=1
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1 || abort "dpkg -i $deb" "$(tail -n 5 "$tmp/dpkg-i.log")"
[ "$(pkg_state)" = installed ] && ok "dpkg -i: $PKG is installed" || fail "dpkg -i" "state $(pkg_state)"
dpkg -L "$PKG" >"$tmp/files.txt"
files=() 
while IFS= read -r f; do [ -f "$f" ] && files+=("$f"); done <"$tmp/files.txt"
ok "dpkg -L lists ${#files[@]} files"
for f in /usr/sbin/$PKG /lib/systemd/system/$PKG.service /etc/default/$PKG \
	 /etc/$PKG/research-scanners.txt /usr/share/man/man8/$PKG.8.gz \
	 /usr/share/bash-completion/completions/$PKG /usr/share/doc/$PKG/copyright \
	 /usr/share/doc/$PKG/examples/prometheus/prometheus.yml \
	 /usr/share/doc/$PKG/examples/grafana/darknet-counter.json; do
	[ -f "$f" ] && grep -qxF "$f" "$tmp/files.txt" || fail "installed and listed by dpkg -L: $f"
done
ok "binary, unit, /etc files, man page, completion, copyright and examples are in place"

got=$(/usr/sbin/$PKG --version 2>&1)
[ "$got" = "$PKG $(cat VERSION)" ] && ok "/usr/sbin/$PKG --version: $got" || fail "$PKG --version" "$got"
[ "$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v $PKG)" = /usr/sbin/$PKG ] &&
	ok "$PKG is on root's PATH as /usr/sbin/$PKG" || fail "$PKG on PATH"
/usr/sbin/$PKG --help | grep -q -- '--darknet CIDR' && ok "$PKG --help lists the options" || fail "$PKG --help"

# status: the header, then one line per pinned interface or, with none,
# "(no pinned state under DIR)"; exit 0 either way.
/usr/sbin/$PKG status >"$tmp/status.txt" 2>&1
rc=$?
[ "$rc" = 0 ] && head -n 1 "$tmp/status.txt" | grep -q '^IFACE .*ATTACHED' &&
	ok "$PKG status: exit 0, prints the table header ($(wc -l <"$tmp/status.txt") lines)" ||
	fail "$PKG status" "exit $rc: $(head -n 3 "$tmp/status.txt")"
mkdir "$tmp/pins"
layout=$(sed -n 's/^#define DN_LAYOUT_VERSION \([0-9]*\).*/\1/p' include/darknet_counter.h)
got=$(/usr/sbin/$PKG status --bpffs-dir "$tmp/pins" 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -qxF "(no pinned state under $tmp/pins/v$layout)" <<<"$got" &&
	ok "$PKG status with no attached interface: exit 0, \"$(tail -n 1 <<<"$got")\"" ||
	fail "$PKG status --bpffs-dir EMPTY" "exit $rc: $got"

page=$(man -w $PKG 2>&1)
[ "$page" = /usr/share/man/man8/$PKG.8.gz ] && ok "man -w $PKG: $page" || fail "man -w $PKG" "$page"
man $PKG 2>/dev/null | grep -q 'EXIT STATUS' && ok "man $PKG renders (EXIT STATUS section)" || fail "man $PKG renders"
got=$(bash -c ". /usr/share/bash-completion/completions/$PKG; COMP_WORDS=($PKG --scann); COMP_CWORD=1;
	_darknet_counter; echo \"\${COMPREPLY[*]}\"")
[ "$got" = --scanners ] && ok "installed completion: '$PKG --scann' -> $got" || fail "installed completion" "$got"
grep -q '^ExecStart=/usr/sbin/darknet-counter ' /lib/systemd/system/$PKG.service &&
	ok "the unit starts /usr/sbin/$PKG" || fail "the unit's ExecStart"

if command -v systemd-analyze >/dev/null; then
	# verify also loads the units the unit names (network-online.target ...);
	# only what it says about ours counts.
	systemd-analyze verify /lib/systemd/system/$PKG.service >"$tmp/verify.txt" 2>&1
	rc=$?
	ours=$(grep -i "$PKG" "$tmp/verify.txt")
	[ "$rc" = 0 ] && [ -z "$ours" ] && ok "systemd-analyze verify $PKG.service: clean" ||
		fail "systemd-analyze verify $PKG.service" "exit $rc: $(tr '\n' ' ' <"$tmp/verify.txt")"
else
	skip "systemd-analyze verify" "systemd-analyze is not installed (package systemd)"
fi

# ---- remove and purge --------------------------------------------------------
dpkg -r "$PKG" >"$tmp/dpkg-r.log" 2>&1 || fail "dpkg -r $PKG" "$(tail -n 3 "$tmp/dpkg-r.log")"
[ "$(pkg_state)" = config-files ] && ok "dpkg -r: state config-files" || fail "dpkg -r" "state $(pkg_state)"
left=()
for f in "${files[@]}"; do
	grep -qxF "$f" <<<"$conffiles" && continue
	[ -e "$f" ] && left+=("$f")
done
[ ${#left[@]} = 0 ] && ok "dpkg -r: every file but the conffiles is gone" || fail "dpkg -r left" "${left[*]}"
[ -f /etc/default/$PKG ] && [ -f /etc/$PKG/research-scanners.txt ] &&
	ok "dpkg -r: the conffiles stay until purge" || fail "dpkg -r: the conffiles stay"

dpkg -P "$PKG" >"$tmp/dpkg-p.log" 2>&1 || fail "dpkg -P $PKG" "$(tail -n 3 "$tmp/dpkg-p.log")"
installed=0
state=$(pkg_state)
[ -z "$state" ] || [ "$state" = not-installed ] && ok "dpkg -P: the package is gone" || fail "dpkg -P" "state $state"
left=()
for f in "${files[@]}" /etc/$PKG /usr/share/doc/$PKG /lib/systemd/system/$PKG.service; do
	[ -e "$f" ] && left+=("$f")
done
[ ${#left[@]} = 0 ] && ok "dpkg -P: nothing left (all ${#files[@]} files, the conffiles and the package's directories)" ||
	fail "dpkg -P left" "${left[*]}"

finish
