#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# tsmctl serve and tsmctl top on the real latency maps: the Prometheus
# endpoint while cycles run (promtool, counts equal to what ran, slow
# clients, signals, bad --listen), a real Prometheus server in the guest
# scraping it with dashboards/prometheus.yml and answering PromQL over its
# HTTP API, and top under a pseudo-terminal (tsmbpf_pty) and in a pipe.
# The host side of the same (exposition lint, dashboard queries) is
# tests/host/test_dashboards.sh.

PORT=9464
PROM_PORT=9090

setup_file() {
	load '../test_helper/common-setup'
	tsmbpf_load_core
}

teardown_file() {
	load '../test_helper/common-setup'
	tsmbpf_unload_all
}

setup() {
	load '../test_helper/common-setup'
	_common_setup
	mkdir -p "$PINDIR"
	BG_PIDS=()
}

teardown() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	tsmbpf_cleanup_objects
}

# bg CMD...: run CMD in the background (fd 3 closed: bats waits for it
# otherwise); its pid in BG_PID, killed in teardown if still running.
bg() {
	"$@" 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# http_get HOST:PORT PATH: GET PATH over HTTP/1.1 with bash's /dev/tcp
# (busybox's wget crashes on a refused connection); the answer, head and
# body, into $BATS_TEST_TMPDIR/http.resp.  Fails if no answer came in 30 s.
http_get() {
	timeout 30 bash -c '
		exec 5<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
		printf "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" "$2" "$1" >&5
		cat <&5' _ "$1" "$2" >"$BATS_TEST_TMPDIR/http.resp"
}

# http_body HOST:PORT PATH: the body of a 200 answer; fails on any other
http_body() {
	http_get "$1" "$2" || return 1
	if ! head -n 1 "$BATS_TEST_TMPDIR/http.resp" | grep -qE '^HTTP/1.[01] 200 '; then
		head -n 1 "$BATS_TEST_TMPDIR/http.resp" >&2
		return 1
	fi
	sed '1,/^\r$/d' "$BATS_TEST_TMPDIR/http.resp"
}

scrape() {
	http_body "127.0.0.1:$PORT" "${1:-/metrics}"
}

# serve_start [ARGS]: tsmctl serve on 127.0.0.1:$PORT, ready to answer.
# The socket is bound before the programs load and answered only once
# they are attached, so the first good scrape means they count.
serve_start() {
	local i
	bg tsmctl serve --listen "127.0.0.1:$PORT" "$@" 2>"$BATS_TEST_TMPDIR/serve.err"
	SERVE_PID=$BG_PID
	for ((i = 0; i < 60; i++)); do
		scrape >/dev/null 2>&1 && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 1
	done
	echo "tsmctl serve did not answer:" >&2
	cat "$BATS_TEST_TMPDIR/serve.err" >&2
	return 1
}

# value FILE SERIES: the value of the sample SERIES ('name{labels}') in FILE
value() {
	awk -v s="$2" '$1 == s { v = $2; n++ } END { if (n != 1) exit 1; print v }' "$1"
}

# kernel's own step calls, "PLATFORM STEP CALLS" per line
steps_now() {
	awk '{ print $1, $2, $3 }' "$SYSFS/steps"
}

@test "serve: help, and a bad --listen is refused before anything loads" {
	run tsmctl serve --help
	assert_success
	assert_output --partial 'serve [--listen ADDR:PORT]'
	run tsmctl serve --listen 127.0.0.1
	assert_failure
	assert_output --partial "no port"
	run tsmctl serve --listen nosuchhost:9464
	assert_failure
	assert_output --partial "bad address 'nosuchhost'"
	run tsmctl serve --listen 127.0.0.1:70000
	assert_failure
	assert_output --partial "bad port '70000'"
	run tsmctl serve --listen 192.0.2.1:9464
	assert_failure
	assert_output --partial "not an address of this host"
	serve_start
	run tsmctl serve --listen "127.0.0.1:$PORT"
	assert_failure
	assert_output --partial "Address already in use"
	# the running one is unharmed
	scrape >/dev/null
}

@test "serve: the exposition passes promtool; counts equal the operations and steps run" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o" set gate=strict
	assert_success
	serve_start
	steps_now >"$BATS_TEST_TMPDIR/steps0"
	# -k: the TDX TDIs stay, so that the CCA ones get other ids
	run tsmbpf_cycle -p tdx -n 4 -i 5 -b 0x41 -q -k
	assert_success
	run tsmbpf_cycle -p cca -n 2 -i 3 -b 0x42 -q
	assert_success
	steps_now >"$BATS_TEST_TMPDIR/steps1"
	m=$BATS_TEST_TMPDIR/metrics
	scrape >"$m"
	run promtool check metrics <"$m"
	assert_success

	for op in bind accept unbind; do
		assert_equal "$(value "$m" "tsmbpf_op_seconds_count{platform=\"tdx\",op=\"$op\"}")" 20
		assert_equal "$(value "$m" "tsmbpf_op_seconds_count{platform=\"cca\",op=\"$op\"}")" 6
		assert_equal "$(value "$m" "tsmbpf_op_seconds_count{platform=\"sev-tio\",op=\"$op\"}")" 0
	done
	# +Inf equals _count
	assert_equal "$(value "$m" 'tsmbpf_op_seconds_bucket{platform="tdx",op="bind",le="+Inf"}')" 20
	# every step the kernel counted since serve started, per platform
	# and step, and no other
	n=0
	while read -r plat step calls; do
		c0=$(awk -v p="$plat" -v s="$step" '$1 == p && $2 == s { print $3 }' \
			"$BATS_TEST_TMPDIR/steps0")
		want=$((calls - ${c0:-0}))
		got=$(value "$m" "tsmbpf_step_seconds_count{platform=\"$plat\",step=\"$step\"}")
		assert_equal "$plat $step $got" "$plat $step $want"
		n=$((n + want))
	done <"$BATS_TEST_TMPDIR/steps1"
	[ "$n" -ge $((26 * 8)) ] || fail "only $n steps in 26 cycles"
	total=$(awk '$1 ~ /^tsmbpf_step_seconds_count/ { t += $2 } END { print t }' "$m")
	assert_equal "$total" "$n"
	# per TDI: 4 TDIs on bus 0x41 (functions 0-3), 5 binds each
	run grep -c '^tsmbpf_tdi_op_seconds_count{tdi="[0-9]*",bdf="0000:41:00.[0-3]",platform="tdx",op="bind"} 5$' "$m"
	assert_output 4
	# the policy in force, with its settings
	grep -q '^tsmbpf_policy_info{platform="tdx",policy="tdx_connect",settings="gate=strict[^"]*"} 1$' "$m" ||
		fail "no tsmbpf_policy_info for tdx: $(grep policy_info "$m")"
	assert_equal "$(value "$m" 'tsmbpf_policy_attach_total{platform="tdx"}')" 0
	# anything but /metrics: 404
	http_get "127.0.0.1:$PORT" /other
	run head -n 1 "$BATS_TEST_TMPDIR/http.resp"
	assert_output $'HTTP/1.1 404 Not Found\r'
	# HEAD: the head of GET, no body
	run timeout 30 bash -c 'exec 5<>/dev/tcp/127.0.0.1/'$PORT'; printf "HEAD /metrics HTTP/1.1\r\n\r\n" >&5; cat <&5'
	assert_success
	assert_line --partial 'HTTP/1.1 200 OK'
	assert_line --partial 'Content-Type: text/plain; version=0.0.4'
	refute_output --partial '# TYPE'
}

# server_conns_are N: N established connections to serve's port
server_conns_are() {
	[ "$(awk -v p="$(printf ':%04X' "$PORT")" \
		'NR > 1 && substr($2, length($2) - 4) == p && $4 == "01"' /proc/net/tcp | wc -l)" = "$1" ]
}

@test "serve: a stalled client holds up no scrape; SIGTERM and SIGINT end it with status 0" {
	serve_start
	# 5 scrapes alone, then 5 with three connections open that never send
	# a request.  A server that waited on them would add its per-client
	# deadline (SERVE_TIMEOUT_MS, 10 s) for each: 30 s more at least.  The
	# bound is against the same scrapes just before, not a speed: a slow
	# debug kernel takes several seconds a scrape.
	start=$(date +%s)
	for i in 1 2 3 4 5; do
		scrape | grep -q '^tsmbpf_tdis ' || fail "scrape $i failed"
	done
	alone=$(($(date +%s) - start))
	for i in 1 2 3; do
		bg bash -c "exec 5<>/dev/tcp/127.0.0.1/$PORT; sleep 60"
	done
	retry 30 server_conns_are 3
	start=$(date +%s)
	for i in 1 2 3 4 5; do
		scrape | grep -q '^tsmbpf_tdis ' || fail "scrape $i failed"
	done
	stalled=$(($(date +%s) - start))
	[ "$stalled" -lt $((alone + 20)) ] ||
		fail "5 scrapes took $stalled s with 3 stalled clients, $alone s without"
	kill -TERM "$SERVE_PID"
	rc=0
	wait "$SERVE_PID" || rc=$?
	assert_equal "$rc" 0
	grep -q 'Terminated after [0-9]* scrapes' "$BATS_TEST_TMPDIR/serve.err" ||
		fail "$(cat "$BATS_TEST_TMPDIR/serve.err")"
	serve_start
	kill -INT "$SERVE_PID"
	rc=0
	wait "$SERVE_PID" || rc=$?
	assert_equal "$rc" 0
	# the programs went with it: the port is free again, no tracing left
	run retry 10 bash -c "bpftool -j prog show | jq -e '[.[] | select(.name | startswith(\"lat_\"))] | length == 0'"
	assert_success
}

# promql QUERY: the JSON answer of the guest's Prometheus
promql() {
	http_body "127.0.0.1:$PROM_PORT" "/api/v1/query?query=$(jq -rn --arg q "$1" '$q | @uri')"
}

# promql_value QUERY: the single value of an instant vector, or fail
promql_value() {
	promql "$1" | jq -er '.data.result | if length == 1 then .[0].value[1] else error("\(length) series") end'
}

# is WANT CMD...: CMD prints WANT
is() {
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}

@test "a real Prometheus scrapes serve; PromQL returns counts equal to the operations run" {
	command -v prometheus >/dev/null || fail "prometheus is not in the guest (make deps; scripts/mkinitramfs.sh)"
	run tsmctl policy load "$POLDIR/cca.bpf.o" set purge_keys=true
	assert_success
	serve_start
	# the repository's scrape config, with a 1 s interval
	cfg=$BATS_TEST_TMPDIR/prometheus.yml
	sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' \
		-e 's/scrape_timeout: 10s/scrape_timeout: 1s/' \
		"$TSMBPF_ROOT/dashboards/prometheus.yml" >"$cfg"
	grep -q "targets: \['127.0.0.1:$PORT'\]" "$cfg"
	run promtool check config "$cfg"
	assert_success
	bg prometheus --config.file="$cfg" --storage.tsdb.path="$BATS_TEST_TMPDIR/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn
	retry 120 http_body "127.0.0.1:$PROM_PORT" /-/ready >/dev/null
	# scraped once before the cycles, so that rate() sees them
	retry 60 is 1 promql_value 'up{job="tsmbpf"}'
	run tsmbpf_cycle -p cca -n 3 -i 4 -b 0x43 -q
	assert_success
	run tsmbpf_cycle -p sev-tio -n 2 -i 2 -b 0x44 -q
	assert_success
	# a scrape after the cycles: within a few intervals
	retry 60 is 12 promql_value 'sum(tsmbpf_op_seconds_count{job="tsmbpf",platform="cca",op="unbind"})'
	assert_equal "$(promql_value 'up{job="tsmbpf"}')" 1
	for op in bind accept unbind; do
		assert_equal "$(promql_value "tsmbpf_op_seconds_count{job=\"tsmbpf\",platform=\"cca\",op=\"$op\"}")" 12
		assert_equal "$(promql_value "tsmbpf_op_seconds_count{job=\"tsmbpf\",platform=\"sev-tio\",op=\"$op\"}")" 4
	done
	# the series carry the scrape config's target and labels
	promql 'tsmbpf_op_seconds_count{platform="cca",op="bind"}' |
		jq -e --arg i "127.0.0.1:$PORT" '.data.result[0].metric | .instance == $i and .cluster == "local"'

	# the dashboard's p99 per step answers for the steps that ran
	# (rate() needs two samples of the series after the cycles: the
	# scrape that showed the counts may be the first)
	p99() {
		promql 'histogram_quantile(0.99, sum by (le, platform, step) (rate(tsmbpf_step_seconds_bucket{platform="cca",step="tdi_reclaim"}[1m])))' |
			jq -e '.data.result | length == 1 and (.[0].value[1] | tonumber) > 0'
	}
	retry 60 p99

	gen=$(promql_value 'tsmbpf_policy_generation{platform="cca",policy="cca"}')
	[ "$gen" -ge 1 ] || fail "generation $gen"
	assert_equal "$(promql_value 'count(tsmbpf_policy_info{platform="cca",settings=~".*purge_keys=true.*"})')" 1
}

# row PLATFORM WHAT COUNT: a row of top's table as it prints it
row() {
	printf '%-8s %-14s %8s' "$1" "$2" "$3"
}

@test "top under a pseudo-terminal: rows for what ran, redraws, q quits and restores the terminal" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	run tsmbpf_pty -t 240 -r 50 -c 120 \
		-a 'wait:HOST EVENT' \
		-a 'run:tsmbpf_cycle -p tdx -n 2 -i 3 -b 0x45 -q' \
		-a "wait:$(row tdx bind 6)" \
		-a "wait:$(row tdx '  tdi_reclaim' 6)" \
		-a 'sleep:1' \
		-a 'key:q' -- tsmctl top -d 0.5
	assert_success
	assert_line --partial 'TSMBPF-PTY exit=0 termios=restored'
	assert_output --partial "$(printf '%-8s %-16s' tdx tdx_connect)"
	assert_output --partial "$(row tdx accept 6)"
	assert_output --partial "$(row tdx unbind 6)"
	assert_output --partial "$(row tdx '  tdi_stop' 6)"
	assert_output --partial $'\e[?1049h'	# the alternate screen ...
	assert_output --partial $'\e[?1049l'	# ... left
	assert_output --partial $'\e[?25h'	# the cursor back
	# redrawn in place: several frames
	frames=$(grep -o $'\e\\[H' <<<"$output" | wc -l)
	[ "$frames" -ge 3 ] || fail "$frames frames"
}

@test "top under a pseudo-terminal: SIGINT exits cleanly and restores the terminal" {
	run tsmbpf_pty -t 120 -a 'wait:HOST EVENT' -a 'sleep:1' -a 'signal:INT' -- tsmctl top -d 0.5
	assert_success
	assert_line --partial 'TSMBPF-PTY exit=0 termios=restored'
	assert_output --partial $'\e[?1049l'
}

@test "top not on a terminal: plain screens, --once, and one JSON object per interval" {
	run tsmctl top --once -d 0.2
	assert_success
	assert_output --partial 'PLATFORM OP / STEP'
	refute_output --partial $'\e'
	[ "$(grep -c '^tsmctl top' <<<"$output")" = 1 ]
	run tsmctl top -d 0.2 -n 2
	assert_success
	[ "$(grep -c '^tsmctl top' <<<"$output")" = 2 ]

	out=$BATS_TEST_TMPDIR/top.json
	bg tsmctl -j top -d 0.5 -n 240 >"$out"
	pid=$BG_PID
	retry 60 test -s "$out"	# a first interval: attached
	run tsmbpf_cycle -p cca -n 2 -i 2 -b 0x46 -q
	assert_success
	retry 30 bash -c "tail -n 1 '$out' | jq -e '.platforms[] | select(.platform == \"cca\") | .ops[] | select(.op == \"unbind\") | .count == 4'"
	tail -n 1 "$out" | jq -e '.platforms[] | select(.platform == "cca") | .steps | length > 3 and all(.count % 4 == 0 and .count > 0 and .p99_ns >= .p50_ns and .max_ns > 0)'
	tail -n 1 "$out" | jq -e '.interval_ns > 0 and .timeline_drops == 0'
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	# every line is one JSON object
	run jq -c 'type' "$out"
	refute_output --partial null
	run bash -c "jq -e 'type == \"object\"' '$out' | sort -u"
	assert_output true
}
