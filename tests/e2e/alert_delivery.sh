#!/bin/bash
# alert_delivery.sh: alerts of deploy/prometheus/rules/darknet-alerts.yml
# delivered end to end: a lab sensor, the site Prometheus of deploy/fleet
# (remote-write to VictoriaMetrics, alerting.yml to Alertmanager), Alertmanager
# with deploy/fleet/alertmanager.yml, and a webhook receiver
# (tests/tools/webhook_receiver.py) that writes each notification to a file.
#
# Usage: tests/e2e/alert_delivery.sh BUILD_DIR   (root; scripts/run-tests.sh runs it)
#
# The rules are the shipped ones with every `for:` at 1 s and the recording
# rules' [5m] windows at [5s] (tests/deploy/fleet-lib.sh), so that an alert
# fires and resolves in seconds; Alertmanager's group_wait and group_interval
# are 1 s. Everything listens on 127.0.0.1; the sensor is a veth pair in
# namespaces dn-ad-PID-{i,s}. Three causes, each must deliver its alert with
# the rule's runbook annotation, then its resolution, through the route's
# receiver:
#   - the sensor's traffic stops            -> DarknetNoTraffic (resumes: resolved)
#   - `darknet-counter detach` behind the daemon's back
#                                            -> DarknetXDPDetached (daemon restarted: resolved)
#   - the scanner list's mtime 40 days back -> DarknetScannerListStale (refreshed: resolved)
# Takes about 60 s.
# shellcheck disable=SC2016,SC2034  # expect eval's its single-quoted condition
set -u

out=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
LIB_NAME=alert-delivery
# shellcheck source=tests/deploy/e2e-lib.sh
. tests/deploy/e2e-lib.sh
# shellcheck source=tests/deploy/fleet-lib.sh
. tests/deploy/fleet-lib.sh

readonly LAB=dn-ad-$$ RECEIVED_NAME=notifications.jsonl
readonly ALERTING=deploy/prometheus/rules/darknet-alerts.yml

setup() {
	local p
	lib_preflight
	fleet_preflight prometheus-alertmanager amtool python3
	ports=()
	while [ ${#ports[@]} -lt 5 ]; do
		p=$(free_port) || abort "free loopback ports"
		[[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
	done
	received=$lib_tmp/$RECEIVED_NAME
	: >"$received"
	cp "$SCANNERS" "$lib_tmp/scanners.txt"
	lab_create "$LAB" || abort "lab namespaces and veth created"
	fleet_daemon_start "$LAB" "${ports[0]}" "$lib_tmp/scanners.txt" ||
		abort "darknet-counter serves 127.0.0.1:${ports[0]}"
	ok "darknet-counter on $LAB-s/sensor0 serves 127.0.0.1:${ports[0]} (scanner list: a fresh copy)"
	receiver_start "127.0.0.1:${ports[1]}" "$received" || abort "webhook receiver listens"
	am_start "127.0.0.1:${ports[2]}" "$lib_tmp/am" "http://127.0.0.1:${ports[1]}/darknet" ||
		abort "Alertmanager starts" "$(tail -n 3 "$lib_tmp/am/alertmanager.log")"
	check "amtool check-config (alertmanager.yml, rewritten)" quiet amtool check-config "$lib_tmp/am/alertmanager.yml"
	vm_start "127.0.0.1:${ports[3]}" "$lib_tmp/vm" || abort "VictoriaMetrics starts"
	FLEET_RATE_WINDOW=5s site_prom_start prom "127.0.0.1:${ports[0]}=sensor-a" "127.0.0.1:${ports[4]}" \
		"$lib_tmp/site" "$vm_url/api/v1/write" "127.0.0.1:${ports[2]}" ||
		abort "site Prometheus starts" "$(tail -n 3 "$lib_tmp/site/prometheus.log" 2>/dev/null)"
	check "promtool check config (site: prometheus.yml + remote-write.yml + alerting.yml, short rules)" \
		quiet promtool check config "$lib_tmp/site/config/prometheus.yml"
	ok "Alertmanager $am_url, receiver 127.0.0.1:${ports[1]}, site Prometheus $prom"
	for _ in $(seq 40); do
		curl -sS "$prom/api/v1/alertmanagers" | jq -e '.data.activeAlertmanagers | length == 1' >/dev/null && break
		sleep 0.25
	done
	check "the site Prometheus sends to Alertmanager $am_url" \
		eval 'curl -sS "$prom/api/v1/alertmanagers" | jq -e ".data.activeAlertmanagers | length == 1" >/dev/null'
}

mark() { wc -l <"$received"; }

# notified ALERT STATUS MARK SECONDS: wait for a notification after line MARK
# of the receiver's file holding ALERT with status STATUS (firing or
# resolved); prints that alert (JSON) and the receiver it was routed to.
notified() {
	local end=$((SECONDS + $4)) got
	while [ "$SECONDS" -lt "$end" ]; do
		got=$(tail -n +"$(($3 + 1))" "$received" | jq -c --arg a "$1" --arg s "$2" \
			'. as $n | .alerts[] | select(.labels.alertname == $a and .status == $s)
			 | {receiver: $n.receiver, labels, annotations}' 2>/dev/null | head -n 1)
		[ -n "$got" ] && { echo "$got"; return 0; }
		sleep 0.5
	done
	return 1
}

# expect_delivered ALERT STATUS MARK RUNBOOK_START: the notification came,
# through the route's receiver, with the rule's runbook (it starts with
# RUNBOOK_START, as in darknet-alerts.yml).
expect_delivered() {
	local alert=$1 status=$2 m=$3 runbook=$4 got rb rcv
	got=$(notified "$alert" "$status" "$m" 40)
	rb=$(jq -r '.annotations.runbook // empty' <<<"$got" 2>/dev/null)
	rcv=$(jq -r '.receiver // empty' <<<"$got" 2>/dev/null)
	expect "$alert $status delivered to $rcv for sensor=$(jq -r .labels.sensor <<<"$got" 2>/dev/null), runbook \"${rb:0:50}...\"" \
		'[ "$rcv" = darknet-webhook ] && [[ $rb == "$runbook"* ]]'
}

# The runbook's first words as the shipped rule file has them.
runbook_start() {
	awk -v a="$1" '$0 ~ "alert: " a "$" { on = 1 } on && /runbook: >-/ { getline; sub(/^ +/, ""); print; exit }' "$ALERTING" |
		cut -c1-30
}

no_traffic() {
	local m rb
	rb=$(runbook_start DarknetNoTraffic)
	trafgen "$LAB" --mix nicter --rate 2000 --duration 6 --seed 3 || abort "darknet-trafgen ran"
	m=$(mark)
	ok "traffic stopped after $(sent "$lib_tmp/$LAB-trafgen.txt") packets"
	expect_delivered DarknetNoTraffic firing "$m" "$rb"
	m=$(mark)
	trafgen "$LAB" --mix nicter --rate 2000 --duration 4 --seed 4 || abort "darknet-trafgen ran again"
	expect_delivered DarknetNoTraffic resolved "$m" "$rb"
}

xdp_detached() {
	local m rb pin=${lib_pins[-1]} old=$daemon_pid
	rb=$(runbook_start DarknetXDPDetached)
	m=$(mark)
	check "darknet-counter detach --netns $LAB-s --bpffs-dir PIN sensor0 (behind the daemon's back)" \
		quiet "$DAEMON" detach --netns "$LAB-s" --bpffs-dir "$pin" sensor0
	expect_delivered DarknetXDPDetached firing "$m" "$rb"
	m=$(mark)
	stop_child "$old"
	fleet_daemon_start "$LAB" "${ports[0]}" "$lib_tmp/scanners.txt" || abort "darknet-counter restarts"
	ok "darknet-counter restarted: attached again"
	expect_delivered DarknetXDPDetached resolved "$m" "$rb"
}

scanner_list_stale() {
	local m rb
	rb=$(runbook_start DarknetScannerListStale)
	m=$(mark)
	touch -d '40 days ago' "$lib_tmp/scanners.txt"
	ok "scanner list's mtime set 40 days back"
	expect_delivered DarknetScannerListStale firing "$m" "$rb"
	m=$(mark)
	touch "$lib_tmp/scanners.txt"
	ok "scanner list refreshed (mtime now)"
	expect_delivered DarknetScannerListStale resolved "$m" "$rb"
}

prom='' am_url='' daemon_pid=''
setup
no_traffic
xdp_detached
scanner_list_stale
expect "the receiver got $(mark) notifications, every one a JSON webhook payload" \
	'[ "$(jq -s "map(select(.version == \"4\")) | length" "$received")" = "$(mark)" ]'
ok "done in $(elapsed) s"
finish
