#!/bin/bash
# web_security.sh: the daemon's --web.config.file end to end, checked with curl: TLS, client certificates, basic auth.
# Usage: tests/e2e/web_security.sh BUILD_DIR   (root; run from anywhere)
#
# Network safety: everything happens in two namespaces created here
# (dn-websec-PID-a/-b) joined by a veth created inside them; the XDP program
# is attached to the namespaced veth end only, HTTP is served on the
# loopback of namespace -a, and the EXIT trap removes namespaces, pinned
# state (/sys/fs/bpf/dn-test-PID) and files. Nothing touches host interfaces.
# shellcheck disable=SC2317  # checks run through $checks and the EXIT trap
set -u
cd "$(dirname "$0")/../.." || exit 1
out=${1:-build}
daemon=$out/darknet-counter

ns=dn-websec-$$
nsa=$ns-a
nsb=$ns-b
pin=/sys/fs/bpf/dn-test-$$
port=9917
base=127.0.0.1:$port
tmp=
dpid=
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1${2:+: $2}"; }

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

stop_daemon() {
	[ -n "$dpid" ] || return 0
	kill -TERM "$dpid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
}

cleanup() {
	stop_daemon
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	[ -d "$pin" ] && rm -rf "$pin"
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

in_ns() { nsenter --net="/run/netns/$nsa" "$@"; }

prerequisites() {
	local missing=
	[ "$(id -u)" = 0 ] || { fail "prerequisites" "run as root (namespaces, XDP)"; finish; }
	[ -x "$daemon" ] || { fail "prerequisites" "$daemon not built (make all)"; finish; }
	for t in curl openssl htpasswd nsenter ip; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	[ -z "$missing" ] || { fail "prerequisites" "missing:$missing"; finish; }
}

setup_network() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || return 1
	ip netns add "$nsa" && ip netns add "$nsb" || return 1
	# created inside -a, its peer moved straight to -b: never a host link
	ip -n "$nsa" link add dnws0 type veth peer name dnws1 netns "$nsb" || return 1
	ip -n "$nsa" link set lo up && ip -n "$nsa" link set dnws0 up &&
		ip -n "$nsb" link set dnws1 up
}

setup_files() {
	tmp=$(mktemp -d /tmp/dn-websec.XXXXXX) || return 1
	tests/fixtures/make-tls-certs.sh "$tmp" || return 1
	# cost 10: what htpasswd -B and the Prometheus docs use
	hash=$(htpasswd -nbBC 10 prometheus 'scrape me' | cut -d: -f2) || return 1
	cat > "$tmp/tls.yml" <<-EOF
	tls_server_config:
	  cert_file: server.pem
	  key_file: server.key
	EOF
	cat > "$tmp/mtls.yml" <<-EOF
	tls_server_config:
	  cert_file: server.pem
	  key_file: server.key
	  client_auth_type: RequireAndVerifyClientCert
	  client_ca_file: ca.pem
	  min_version: TLS13
	EOF
	for mode in VerifyClientCertIfGiven RequireAnyClientCert; do
		sed '/client_/d; /min_version/d' "$tmp/mtls.yml" > "$tmp/$mode.yml"
		echo "  client_auth_type: $mode" >> "$tmp/$mode.yml"
	done
	echo "  client_ca_file: ca.pem" >> "$tmp/VerifyClientCertIfGiven.yml"
	cat > "$tmp/auth.yml" <<-EOF
	basic_auth_users:
	  prometheus: $hash
	EOF
	cat "$tmp/mtls.yml" "$tmp/auth.yml" > "$tmp/both.yml"
	cat > "$tmp/bad.yml" <<-EOF
	tls_server_config:
	  cert_file: server.pem
	  key_file: server.key
	  client_auth_type: RequireAndVerifyClientCert
	EOF
}

# Start the daemon in namespace -a with CONFIG; XDP on dnws0 there. nsenter
# execs the daemon, so $! is the daemon itself (a function would put a
# subshell in between, and the signal would miss the daemon).
start_daemon() {
	nsenter --net="/run/netns/$nsa" "$daemon" --netns "$nsa" --web.listen-address "$base" --bpffs-dir "$pin" \
		--detach-on-exit --web.config.file "$1" dnws0 >"$tmp/daemon.log" 2>&1 &
	dpid=$!
}

# http_code CURL_ARGS...: the status, 000 when no HTTP answer came back
# (TLS refused, connection closed); body, headers and curl's error kept.
http_code() {
	in_ns curl -s -S -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' --max-time 5 \
		"$@" 2>"$tmp/curl.err"
}

# Wait until a request with CURL_ARGS gets an HTTP answer from the daemon;
# else say why in $why.
wait_ready() {
	for _ in $(seq 150); do
		if ! kill -0 "$dpid" 2>/dev/null; then
			wait "$dpid"
			why="daemon exited with status $?: $(tail -n 3 "$tmp/daemon.log" | tr '\n' ' ')"
			dpid=
			return 1
		fi
		[ "$(http_code "$@")" != 000 ] && return 0
		sleep 0.1
	done
	why="no HTTP answer within 15 s: $(tail -n 3 "$tmp/daemon.log" | tr '\n' ' ')"
	return 1
}

curl_detail() { head -c 160 "$tmp/curl.err" | tr '\n' ' '; }

# expect NAME WANT CURL_ARGS...: the status must be WANT (an ERE, e.g. '000|403')
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(http_code "$@")
	if [[ $got =~ ^($want)$ ]]; then
		pass "$name (HTTP $got)"
	else
		fail "$name" "got HTTP $got, want $want; $(curl_detail)"
	fi
}

# scrape NAME CURL_ARGS...: a 200 with a Prometheus exposition in the body
scrape() {
	local name=$1 got
	shift
	got=$(http_code "$@")
	if [ "$got" = 200 ] && grep -q '^# TYPE ' "$tmp/body"; then
		pass "$name"
	else
		fail "$name" "got HTTP $got; $(curl_detail)"
	fi
}

# Run one block of checks against a daemon started with CONFIG, once it
# answers PROBE (curl arguments that must get an HTTP answer).
with_daemon() {
	local config=$1 probe=$2 checks=$3 why=
	start_daemon "$tmp/$config"
	# shellcheck disable=SC2086
	if wait_ready $probe; then
		$checks
	else
		fail "daemon serves with $config" "$why"
	fi
	stop_daemon
}

CA=()   # --cacert ca.pem, set in main once the certificates exist
client() { echo --cert "$tmp/$1.pem" --key "$tmp/$1.key"; }

checks_tls() {
	scrape "TLS: scrape with --cacert" "${CA[@]}" "https://$base/metrics"
	expect "TLS: plain HTTP to the TLS port fails" '000|400' "http://$base/metrics"
	expect "TLS: a client trusting another CA refuses the server" '000' \
		--cacert "$tmp/other-ca.pem" "https://$base/metrics"
	scrape "TLS: 1.2 works under the default min_version TLS12" --tls-max 1.2 "${CA[@]}" \
		"https://$base/metrics"
}

checks_mtls() {
	expect "client cert: none sent is refused" '000|403' "${CA[@]}" "https://$base/metrics"
	# shellcheck disable=SC2046
	scrape "client cert: a valid one gets 200" "${CA[@]}" $(client client) "https://$base/metrics"
	# shellcheck disable=SC2046
	expect "client cert: one from an untrusted CA is refused" '000|403' "${CA[@]}" \
		$(client rogue) "https://$base/metrics"
	# shellcheck disable=SC2046
	expect "client cert: one without clientAuth usage is refused" '000|403' "${CA[@]}" \
		$(client client-server-eku) "https://$base/metrics"
	# shellcheck disable=SC2046
	expect "TLS: 1.2 refused under min_version TLS13" '000' --tls-max 1.2 "${CA[@]}" \
		$(client client) "https://$base/metrics"
}

checks_verify_if_given() {
	local url=https://$base/metrics
	scrape "VerifyClientCertIfGiven: no cert gets 200" "${CA[@]}" "$url"
	# shellcheck disable=SC2046
	scrape "VerifyClientCertIfGiven: a valid cert gets 200" "${CA[@]}" $(client client) "$url"
	# shellcheck disable=SC2046
	expect "VerifyClientCertIfGiven: an untrusted cert is refused" '000|403' "${CA[@]}" \
		$(client rogue) "$url"
}

checks_require_any() {
	local url=https://$base/metrics
	expect "RequireAnyClientCert: no cert is refused" '000|403' "${CA[@]}" "$url"
	# shellcheck disable=SC2046
	scrape "RequireAnyClientCert: any cert (untrusted CA) gets 200" "${CA[@]}" \
		$(client rogue) "$url"
}

checks_auth() {
	local url=http://$base/metrics
	expect "basic auth: no credentials get 401" 401 "$url"
	if grep -qi '^WWW-Authenticate: Basic realm=' "$tmp/headers"; then
		pass "basic auth: 401 carries WWW-Authenticate: Basic"
	else
		fail "basic auth: 401 carries WWW-Authenticate: Basic" \
			"headers: $(tr '\r\n' '  ' < "$tmp/headers")"
	fi
	expect "basic auth: wrong password gets 401" 401 -u 'prometheus:scrape you' "$url"
	expect "basic auth: unknown user gets 401" 401 -u 'grafana:scrape me' "$url"
	scrape "basic auth: right password gets 200" -u 'prometheus:scrape me' "$url"
	scrape "basic auth: again (cached) gets 200" -u 'prometheus:scrape me' "$url"
	expect "basic auth: wrong password after a cached success gets 401" 401 \
		-u 'prometheus:scrape me!' "$url"
}

checks_both() {
	local url=https://$base/metrics
	# shellcheck disable=SC2046
	scrape "TLS+cert+auth: right password gets 200" "${CA[@]}" $(client client) \
		-u 'prometheus:scrape me' "$url"
	# shellcheck disable=SC2046
	expect "TLS+cert+auth: no credentials get 401" 401 "${CA[@]}" $(client client) "$url"
	# shellcheck disable=SC2046
	expect "TLS+cert+auth: wrong password gets 401" 401 "${CA[@]}" $(client client) \
		-u 'prometheus:nope' "$url"
	expect "TLS+cert+auth: right password without a cert is refused" '000|403' "${CA[@]}" \
		-u 'prometheus:scrape me' "$url"
}

# An invalid web config stops the start, before anything is attached.
check_refused_config() {
	local status
	start_daemon "$tmp/bad.yml"
	for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$dpid" 2>/dev/null; then
		fail "invalid web config refused at start" "daemon still running after 10 s"
		stop_daemon
		return
	fi
	wait "$dpid"
	status=$?
	dpid=
	if [ "$status" -ne 0 ] && grep -q "bad.yml:4: .*needs client_ca_file" "$tmp/daemon.log"; then
		pass "invalid web config refused at start (exit $status, file:line named)"
	else
		fail "invalid web config refused at start" \
			"exit $status, log: $(head -c 300 "$tmp/daemon.log" | tr '\n' ' ')"
	fi
	if ip -n "$nsa" link show dnws0 | grep -q 'xdp'; then
		fail "invalid web config: nothing attached" "dnws0 has an XDP program"
	else
		pass "invalid web config: nothing attached"
	fi
}

main() {
	prerequisites
	setup_network || { fail "network namespaces and veth" "setup failed"; finish; }
	setup_files || { fail "certificates and configs" "setup failed"; finish; }
	CA=(--cacert "$tmp/ca.pem")
	local cert_probe
	cert_probe="--cacert $tmp/ca.pem $(client client) -u prometheus:x https://$base/metrics"

	check_refused_config
	with_daemon tls.yml "--cacert $tmp/ca.pem https://$base/metrics" checks_tls
	with_daemon mtls.yml "$cert_probe" checks_mtls
	with_daemon VerifyClientCertIfGiven.yml "$cert_probe" checks_verify_if_given
	with_daemon RequireAnyClientCert.yml "$cert_probe" checks_require_any
	with_daemon auth.yml "http://$base/metrics" checks_auth
	with_daemon both.yml "$cert_probe" checks_both
	finish
}

main
