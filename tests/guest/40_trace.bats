#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Latency tracing (issue 10): the tracepoints, the BPF histograms and
# timeline of bpf/tsmbpf_lat.bpf.c and `tsmctl trace`.  Every count is
# checked against what the core itself counts (/sys/kernel/tsmbpf/steps)
# or against the operations the test ran.

bats_require_minimum_version 1.5.0

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
	T=$BATS_TEST_TMPDIR
	TRACE_PID= CYC_PID=
}

teardown() {
	if [ -n "$CYC_PID" ]; then
		kill -INT "$CYC_PID" 2>/dev/null
		wait "$CYC_PID" 2>/dev/null
	fi
	echo 0 >/sys/kernel/tracing/events/tsmbpf/enable
	if [ -n "$TRACE_PID" ]; then
		kill -TERM "$TRACE_PID" 2>/dev/null
		wait "$TRACE_PID" 2>/dev/null
	fi
	[ -z "${TRACE_KEEPERS[*]:-}" ] || tsmbpf_trace_keepers_stop
	tsmbpf_cleanup_objects
}

# trace_start NAME ARGS...: `tsmctl ARGS` in the background, stdout in
# $T/NAME.out, stderr in $T/NAME.err; returns once the programs are
# attached.  The pid is in TRACE_PID.
trace_start() {
	local name=$1
	shift
	tsmctl "$@" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	TRACE_PID=$!
	tsmbpf_tracer_wait "$TRACE_PID" "$T/$name.err" && return 0
	cat "$T/$name.err" >&2
	fail "tsmctl $* did not start"
}

# trace_stop [SIG]: end the tracer (SIGINT by default); it must exit 0
trace_stop() {
	local rc=0
	kill -"${1:-INT}" "$TRACE_PID"
	wait "$TRACE_PID" || rc=$?
	TRACE_PID=
	[ "$rc" = 0 ] || fail "tsmctl trace exited $rc: $(cat "$T"/*.err)"
}

# steps_snapshot FILE: /sys/kernel/tsmbpf/steps as "platform step calls"
steps_snapshot() {
	awk '{ print $1, $2, $3 }' "$SYSFS/steps" | sort >"$1"
}

# steps_delta BEFORE AFTER: "platform step n" for each step whose count
# moved, sorted
steps_delta() {
	join -a 2 -e 0 -o '2.1,1.2,2.2' <(awk '{ print $1 "/" $2, $3 }' "$1" | sort) \
		<(awk '{ print $1 "/" $2, $3 }' "$2" | sort) |
		awk '$3 != $2 { split($1, k, "/"); print k[1], k[2], $3 - $2 }' | sort
}

# hist_dump MAP: the entries of per-CPU histogram array MAP of the running
# tracer (formatted from its BTF), as JSON objects {key, count, slots}: the
# CPUs' copies summed, entries that counted nothing left out
# tdi_hists: hist_tdi's entries (an array indexed by TDI id) that have a
# count, as one JSON array of {key, value}
tdi_hists() {
	bpftool -j map dump name hist_tdi | jq -c '[.[].formatted |
		select([.value.op[].count] | add > 0)]'
}

hist_dump() {
	bpftool -j map dump name "$1" | jq -c '.[].formatted |
		{key, count: ([.values[].value.count] | add),
		 slots: ([.values[].value.slots | add] | add)} | select(.count > 0)'
}

PLAT_NAMES=(tdx sev-tio cca)

# hist_steps: "platform step count" of hist_step, counts checked against
# the slots they sum to, sorted
hist_steps() {
	hist_dump hist_step | jq -r --argjson names '["tdx","sev-tio","cca"]' \
		--argjson steps "$(step_names_json)" '. |
		if .slots != .count then
			error("slots do not add up to the count: \(.)") else . end |
		($steps | length) as $n |
		"\($names[.key / $n | floor]) \($steps[.key % $n]) \(.count)"' | sort
}

# enum tsmbpf_step order, as tsmctl names the steps, up to TSMBPF_STEP_NR
# (hist_step has TSMBPF_STEP_NR entries per platform)
step_names_json() {
	echo '["none","tdi_lock","mmio_map","dma_setup","accept","tdi_start","tdi_stop","mmio_unmap","dma_teardown","tdi_reclaim","mmio_recover","key_purge","fence_clear","device_error"]'
}

@test "trace help, and bad arguments are refused with the reason" {
	run tsmctl trace help
	assert_success
	assert_output --partial 'FILTER := { tdi ID'
	assert_output --partial '--perfetto FILE'
	run tsmctl help
	assert_output --partial 'trace'
	run -1 --separate-stderr tsmctl trace platform arm
	[[ "$stderr" == *"unknown platform 'arm'"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace step stop
	[[ "$stderr" == *"unknown step 'stop'"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace tdi x
	[[ "$stderr" == *"bad TDI id 'x'"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace --ringbuf-size 5000
	[[ "$stderr" == *"bad ring buffer size '5000'"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace --duration -1
	[[ "$stderr" == *"bad duration"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace --count
	[[ "$stderr" == *"'--count' needs a value"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace --perfetto /nonexistent/x.json
	[[ "$stderr" == *"cannot write '/nonexistent/x.json'"* ]] || fail "$stderr"
	run -1 --separate-stderr tsmctl trace bogus 1
	[[ "$stderr" == *"unknown argument 'bogus'"* ]] || fail "$stderr"
}

# cycles_checked PLATFORM N: N cycles of bind+accept+unbind on 2 TDIs
cycles_checked() {
	run tsmbpf_cycle -p "$1" -n 2 -i "$(($2 / 2))" -b 0x31 -q
	assert_success
	echo "$output" | jq -e ".cycles == $2 and .failures == 0 and .not_torn_down == 0" >/dev/null ||
		fail "cycles on $1: $output"
}

@test "histograms count every step run, per platform and step, native and with each policy" {
	trace_start t trace --duration 600
	steps_snapshot "$T/s0"
	for p in tdx sev-tio cca; do
		cycles_checked "$p" 6
	done
	for p in tdx_connect:tdx sev_tio:sev-tio cca:cca; do
		tsmctl policy load "$POLDIR/${p%%:*}.bpf.o" >/dev/null
		cycles_checked "${p##*:}" 6
	done
	steps_snapshot "$T/s1"
	steps_delta "$T/s0" "$T/s1" >"$T/want"
	hist_steps >"$T/got"
	# each platform ran its whole bind, accept and unbind 12 times
	for p in tdx sev-tio cca; do
		for s in tdi_lock mmio_map dma_setup accept tdi_start tdi_stop \
			mmio_unmap dma_teardown tdi_reclaim mmio_recover; do
			grep -qx "$p $s 12" "$T/got" || fail "$p $s: not 12 in: $(cat "$T/got")"
		done
	done
	run diff "$T/want" "$T/got"
	assert_success
	# per (platform, op): 12 binds, accepts and unbinds each (14 entries
	# per platform: bind, accept, unbind, then one per host event)
	run bash -c "$(declare -f hist_dump); hist_dump hist_op | jq -r '\"\(.key / 14 | floor) \(.key % 14) \(.count)\"' | sort"
	assert_output "$(printf '%s\n' '0 0 12' '0 1 12' '0 2 12' '1 0 12' '1 1 12' '1 2 12' '2 0 12' '2 1 12' '2 2 12')"
	# per TDI: each run's two TDIs take the ids of the run before's
	# (destroyed): the last run's, cca, each bound 3 times, are what is left
	run bash -c "$(declare -f tdi_hists); tdi_hists | jq -c '[.[].value |
		[.platform, [.op[].count]]]'"
	assert_output '[[2,[3,3,3,0]],[2,[3,3,3,0]]]'
	assert_equal "$(hist_dump hist_op | jq -s '[.[].count] | add')" 108
	trace_stop
	grep -q ' 0 dropped$' "$T/t.err" || fail "drops: $(cat "$T/t.err")"
}

# tdi_hist ID: "platform bdf binds accepts unbinds events" of TDI ID in
# hist_tdi (the per-TDI histograms and their labels), "" if it has none
tdi_hist() {
	tdi_hists | jq -r --argjson id "$1" '.[] | select(.key == $id) | .value |
		"\(.platform) \(.bdf) \([.op[].count] | map(tostring) | join(" "))"'
}

@test "a TDI id reused after a destroy: the per-TDI counts and BDF are the new TDI's only" {
	trace_start t trace --duration 600
	vm=$(tsmctl vm create)
	a=$(new_tdi tdx 0:46:00.0)
	for i in 1 2 3; do
		tsmctl dev bind "$a" vm "$vm" accept >/dev/null
		tsmctl dev unbind "$a" >/dev/null
	done
	# TSMBPF_BDF(0, 0x46, 0, 0) = 0x4600 = 17920
	run tdi_hist "$a"
	assert_output '0 17920 3 3 3 0'
	tsmctl dev destroy "$a" >/dev/null
	# a destroyed TDI's histograms stay (a scrape after the run sees them)
	run tdi_hist "$a"
	assert_output '0 17920 3 3 3 0'
	# the lowest free id: the destroyed TDI's
	b=$(new_tdi cca 0:47:00.3)
	assert_equal "$b" "$a"
	run tdi_hist "$b"
	assert_output ''
	tsmctl dev bind "$b" vm "$vm" accept >/dev/null
	tsmctl dev unbind "$b" >/dev/null
	# cca, TSMBPF_BDF(0, 0x47, 0, 3) = 0x4703 = 18179, one of each
	run tdi_hist "$b"
	assert_output '2 18179 1 1 1 0'
	trace_stop
	# the timeline names the new TDI's BDF and platform too
	grep -q " $b 0000:47:00.3 cca " "$T/t.out" || fail "no record of the new TDI: $(tail -3 "$T/t.out")"
}

# jl_seq FILE TDI: the kinds and names of TDI's records in the JSON lines
jl_seq() {
	jq -r --argjson t "$2" 'select(.tdi == $t) |
		if .kind == "step" then "step:\(.step)"
		elif .kind == "op" then "op:\(.op)"
		elif .kind == "state" then "state:\(.from)>\(.to)"
		else "\(.kind):\(.event)" end' "$1"
}

@test "the timeline is in the order of the operations, with TDI, BDF, platform and generation" {
	vm=$(tsmctl vm create)
	a=$(new_tdi tdx 0:41:00.0)
	b=$(new_tdi cca 0:42:00.1)
	trace_start t -j trace
	tsmctl dev bind "$a" vm "$vm" accept >/dev/null
	tsmctl dev bind "$b" vm "$vm" >/dev/null
	tsmctl dev unbind "$a" >/dev/null
	tsmctl policy load "$POLDIR/cca.bpf.o" >/dev/null
	tsmctl dev unbind "$b" >/dev/null
	tsmctl policy unload cca >/dev/null
	retry 5 slot_is cca -
	trace_stop
	jq -e . "$T/t.out" >/dev/null || fail "not JSON lines"
	run jl_seq "$T/t.out" "$a"
	assert_output "$(printf '%s\n' state:CONFIG_UNLOCKED\>CONFIG_LOCKED step:tdi_lock \
		step:mmio_map step:dma_setup op:bind step:accept state:CONFIG_LOCKED\>RUN \
		step:tdi_start op:accept state:RUN\>CONFIG_UNLOCKED step:tdi_stop \
		step:mmio_unmap step:dma_teardown step:tdi_reclaim step:mmio_recover op:unbind)"
	run jl_seq "$T/t.out" "$b"
	assert_output "$(printf '%s\n' state:CONFIG_UNLOCKED\>CONFIG_LOCKED step:tdi_lock \
		step:mmio_map step:dma_setup op:bind step:mmio_unmap step:dma_teardown \
		state:CONFIG_LOCKED\>CONFIG_UNLOCKED step:tdi_stop step:tdi_reclaim \
		step:mmio_recover op:unbind)"
	# the operations across TDIs and the policy changes, in order
	run jq -r 'select(.kind == "op" or .kind == "attach" or .kind == "detach") |
		"\(.kind) \(.op // .policy) \(.tdi // "-")"' "$T/t.out"
	assert_output "$(printf '%s\n' "op bind $a" "op accept $a" "op bind $b" "op unbind $a" \
		"attach cca -" "op unbind $b" "detach cca -")"
	# time never goes back; every record on a TDI names its BDF and platform
	jq -se '[.[].ts_ns] as $t | $t == ($t | sort)' "$T/t.out" >/dev/null || fail "out of order"
	jq -se --argjson a "$a" --argjson b "$b" 'map(select(.tdi == $a)) |
		all(.bdf == "0000:41:00.0" and .platform == "tdx")' "$T/t.out" >/dev/null
	jq -se --argjson b "$b" 'map(select(.tdi == $b)) |
		all(.bdf == "0000:42:00.1" and .platform == "cca")' "$T/t.out" >/dev/null
	# the policy's unbind ran its steps under its generation
	gen=$(jq -s 'map(select(.kind == "attach"))[0].gen' "$T/t.out")
	jq -se --argjson b "$b" --argjson g "$gen" 'map(select(.tdi == $b and .kind == "step" and
		(.step == "tdi_stop" or .step == "tdi_reclaim"))) |
		length == 2 and all(.gen == $g and .by_policy and .policy == "cca")' "$T/t.out" >/dev/null ||
		fail "policy steps: $(grep "\"tdi\":$b" "$T/t.out")"
	# text mode and filters: only tdx steps named tdi_stop
	trace_start f trace platform tdx step tdi_stop
	tsmctl dev bind "$a" vm "$vm" accept >/dev/null
	tsmctl dev bind "$b" vm "$vm" accept >/dev/null
	tsmctl dev unbind "$b" >/dev/null
	tsmctl dev unbind "$a" >/dev/null
	trace_stop
	run cat "$T/f.out"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp "^[0-9]+\.[0-9]{6} step +$a 0000:41:00.0 tdx .* tdi_stop .*ret=0"
}

@test "a few records reach tsmctl trace at its next poll, though they wake no one" {
	vm=$(tsmctl vm create)
	a=$(new_tdi sev-tio 0:48:00.0)
	trace_start t -j trace --count 3
	# one bind: a handful of records, far below the fill that wakes the
	# reader (a quarter of the 256 KiB ring buffer); tsmctl reads the
	# buffer at every poll, woken or not, so it ends by itself
	tsmctl dev bind "$a" vm "$vm" >/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TRACE_PID" 2>/dev/null; then
		fail "tsmctl trace --count 3 still waits after 10 s, $(wc -l <"$T/t.out") records shown"
	fi
	wait "$TRACE_PID" || fail "tsmctl trace failed: $(cat "$T/t.err")"
	TRACE_PID=
	assert_equal "$(wc -l <"$T/t.out")" 3
	jq -se 'all(.tdi == '"$a"')' "$T/t.out" >/dev/null || fail "$(cat "$T/t.out")"
	tsmctl dev unbind "$a" >/dev/null
}

@test "host events: receipt, verdict and completion in the timeline and the counters" {
	vm=$(tsmctl vm create)
	a=$(new_tdi sev-tio 0:43:00.0)
	tsmctl dev bind "$a" vm "$vm" accept >/dev/null
	trace_start t -j trace tdi "$a"
	tsmctl vm destroy "$vm" unbind >/dev/null
	# cnt_verdict: (platform * 11 events + event) * 3 verdicts + verdict
	run bash -c "bpftool -j map dump name cnt_verdict | jq -c '[.[].formatted | select(.value > 0) |
		[(.key / 33 | floor), (.key / 3 | floor) % 11, .key % 3, .value]]'"
	assert_output '[[1,10,0,1]]'
	trace_stop
	run bash -c "jq -r 'select(.kind | test(\"event|verdict\")) | \"\(.kind) \(.event) \(.verdict // \"-\")\"' $T/t.out"
	assert_output "$(printf '%s\n' 'event vm_destroy -' 'verdict vm_destroy unbind' 'event_done vm_destroy unbind')"
	# the unbind happened between the verdict and the completion
	run jl_seq "$T/t.out" "$a"
	assert_line --index 2 'state:RUN>CONFIG_UNLOCKED'
	assert_line --index -1 'event_done:vm_destroy'
}

# A TDI's steps reach the timeline when its lock is released, the
# ejection at once: the core hands the TDI's log over before the
# ejection's record, so the order holds.
@test "an ejection in bind: the policy's steps, then the ejection, then the native sequence" {
	vm=$(tsmctl vm create)
	a=$(new_tdi tdx 0:49:00.0)
	tsmctl policy load "$TPOLDIR/adv_err_bind_tdx.bpf.o" >/dev/null
	trace_start t -j trace tdi "$a"
	tsmctl dev bind "$a" vm "$vm" >/dev/null
	retry 5 slot_is tdx -
	trace_stop
	run jl_seq "$T/t.out" "$a"
	assert_output "$(printf '%s\n' state:CONFIG_UNLOCKED\>CONFIG_LOCKED step:tdi_lock \
		step:mmio_map step:dma_setup eject:null state:CONFIG_LOCKED\>CONFIG_UNLOCKED \
		step:tdi_stop step:mmio_unmap step:dma_teardown step:tdi_reclaim \
		state:CONFIG_UNLOCKED\>CONFIG_LOCKED step:tdi_lock step:mmio_map step:dma_setup \
		op:bind)"
	# the policy's steps under its name; the undo and the bind native
	jq -se 'map(select(.kind == "step")) | .[:3] |
		all(.by_policy and .policy == "adv_err_bind_tdx")' "$T/t.out" >/dev/null ||
		fail "policy steps: $(cat "$T/t.out")"
	jq -se 'map(select(.kind == "step")) | .[3:] |
		all((.by_policy | not) and .policy == "native")' "$T/t.out" >/dev/null ||
		fail "native steps: $(cat "$T/t.out")"
	jq -se 'map(select(.kind == "op")) | length == 1 and .[0].policy == "native" and .[0].ret == 0' \
		"$T/t.out" >/dev/null || fail "bind: $(cat "$T/t.out")"
	jq -se '[.[].ts_ns] as $t | $t == ($t | sort)' "$T/t.out" >/dev/null || fail "out of order"
	tsmctl dev unbind "$a" >/dev/null
}

@test "the drop counter counts what a ring buffer too small could not hold" {
	vm=$(tsmctl vm create)
	# a big one sees everything; a 4 KiB one, stopped, overflows
	trace_start big trace --ringbuf-size 4M
	big=$TRACE_PID
	trace_start small trace --ringbuf-size 4K
	small=$TRACE_PID
	kill -STOP "$small"
	cycles_checked tdx 20
	kill -CONT "$small"
	TRACE_PID=$small trace_stop
	TRACE_PID=$big trace_stop
	read -r n_big _ d_big _ < <(tail -n1 "$T/big.err")
	read -r n_small _ d_small _ < <(tail -n1 "$T/small.err")
	assert_equal "$d_big" 0
	[ "$d_small" -gt 0 ] || fail "nothing dropped: $(cat "$T/small.err")"
	assert_equal "$((n_small + d_small))" "$n_big"
	assert_equal "$(wc -l <"$T/big.out")" "$n_big"
}

@test "perfetto: valid trace-event JSON, one slice per step on the TDI's track, in order" {
	trace_start t trace --perfetto "$T/p.json"
	steps_snapshot "$T/s0"
	vm=$(tsmctl vm create)
	a=$(new_tdi tdx 0:44:00.0)
	b=$(new_tdi sev-tio 0:44:00.1)
	c=$(new_tdi cca 0:44:00.2)
	for i in 1 2; do
		for t in "$a" "$b" "$c"; do
			tsmctl dev bind "$t" vm "$vm" accept >/dev/null
			tsmctl dev unbind "$t" >/dev/null
		done
	done
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o" >/dev/null
	tsmctl policy swap tdx_connect "$TPOLDIR/tdx_alt.bpf.o" >/dev/null
	steps_snapshot "$T/s1"
	trace_stop TERM
	jq -e '.traceEvents | length > 0' "$T/p.json" >/dev/null || fail "not JSON: $(tail -c 300 "$T/p.json")"
	# one X slice per step the core ran, per platform
	steps_delta "$T/s0" "$T/s1" >"$T/want"
	jq -r '.traceEvents[] | select(.ph == "X" and .cat == "step") |
		"\(["","tdx","sev-tio","cca"][.pid]) \(.name)"' "$T/p.json" |
		sort | uniq -c | awk '{ print $2, $3, $1 }' | sort >"$T/got"
	run diff "$T/want" "$T/got"
	assert_success
	# each TDI's steps on its own track (pid: platform + 1, tid: TDI), in order
	for t in "$a:1" "$b:2" "$c:3"; do
		id=${t%%:*} pid=${t##*:}
		run jq -r --argjson t "$id" '[.traceEvents[] | select(.ph == "X" and .cat == "step" and .tid == $t)] |
			(map(.pid) | unique | tostring), (sort_by(.ts) | map(.name) | join(","))' "$T/p.json"
		assert_line --index 0 "[$pid]"
		case $pid in
		1) order=tdi_lock,mmio_map,dma_setup,accept,tdi_start,tdi_stop,mmio_unmap,dma_teardown,tdi_reclaim,mmio_recover ;;
		2) order=tdi_lock,mmio_map,dma_setup,accept,tdi_start,tdi_stop,mmio_unmap,dma_teardown,tdi_reclaim,mmio_recover ;;
		3) order=tdi_lock,mmio_map,dma_setup,accept,tdi_start,mmio_unmap,dma_teardown,tdi_stop,tdi_reclaim,mmio_recover ;;
		esac
		assert_line --index 1 "$order,$order"
		jq -e --argjson t "$id" --argjson p "$pid" '[.traceEvents[] | select(.ph == "M" and
			.name == "thread_name" and .tid == $t and .pid == $p)] | length == 1' "$T/p.json" >/dev/null ||
			fail "no track name for tdi $id"
	done
	# steps nest in their operation's slice; swap and attach are instants
	jq -e --argjson t "$a" '[.traceEvents[] | select(.tid == $t and .ph == "X")] as $e |
		[$e[] | select(.cat == "op")] as $ops | [$e[] | select(.cat == "step")] |
		all(. as $s | any($ops[]; .ts <= $s.ts and $s.ts + $s.dur <= .ts + .dur))' "$T/p.json" >/dev/null ||
		fail "a step outside its operation"
	run jq -r '.traceEvents[] | select(.ph == "i" and (.cat == "attach" or .cat == "swap")) |
		"\(.cat) \(.name) \(.pid)"' "$T/p.json"
	assert_output "$(printf '%s\n' 'attach tdx_connect 1' 'swap tdx_alt 1')"
}

@test "perf and ftrace see the tsmbpf trace events" {
	for e in tsmbpf_step tsmbpf_state tsmbpf_bind tsmbpf_accept tsmbpf_unbind \
		tsmbpf_host_event tsmbpf_host_verdict tsmbpf_host_event_done \
		tsmbpf_policy_attach tsmbpf_policy_swap tsmbpf_policy_detach tsmbpf_eject; do
		[ -d /sys/kernel/tracing/events/tsmbpf/$e ] || fail "no ftrace event $e"
	done
	# ftrace: the state event, formatted (another suite may have left the
	# ring buffer off: 20_policy's swap test turns tracing_on off)
	on=$(cat /sys/kernel/tracing/tracing_on)
	echo 1 >/sys/kernel/tracing/tracing_on
	echo 1 >/sys/kernel/tracing/events/tsmbpf/tsmbpf_state/enable
	echo >/sys/kernel/tracing/trace
	vm=$(tsmctl vm create)
	a=$(new_tdi cca 0:45:00.0)
	tsmctl dev bind "$a" vm "$vm" accept >/dev/null
	echo 0 >/sys/kernel/tracing/events/tsmbpf/tsmbpf_state/enable
	echo "$on" >/sys/kernel/tracing/tracing_on
	run grep -c "tsmbpf_state: tdi=$a bdf=0000:45:00.0 plat=cca .*config_locked -> run" /sys/kernel/tracing/trace
	assert_output 1
	command -v perf >/dev/null || fail "perf is not in the guest"
	run perf record -q -e 'tsmbpf:*' -a -o "$T/perf.data" -- \
		sh -c "tsmctl vm destroy $vm unbind && tsmctl policy load $POLDIR/cca.bpf.o &&
			tsmctl policy unload cca && sleep 1"
	assert_success
	perf script -i "$T/perf.data" >"$T/perf.txt" 2>/dev/null
	for e in tsmbpf_step tsmbpf_state tsmbpf_unbind tsmbpf_host_event tsmbpf_host_verdict \
		tsmbpf_host_event_done tsmbpf_policy_attach tsmbpf_policy_detach; do
		grep -q "tsmbpf:$e:" "$T/perf.txt" || fail "perf saw no $e: $(head -5 "$T/perf.txt")"
	done
	run grep -c 'tsmbpf:tsmbpf_step:' "$T/perf.txt"
	assert_output 5	# CCA unbind: unmap, DMA, stop, reclaim, recover
}

# bpftrace (Debian's 0.17, in the initramfs with its LLVM and clang
# libraries): no kernel headers in the guest; it builds the args struct of
# a tracepoint from the event's format file and the types from BTF
# (/sys/kernel/btf).  Like perf above, it attaches and detaches while
# nothing runs the tracepoints: `-c CMD` starts CMD only once every probe
# is attached, and bpftrace detaches after CMD has exited.
@test "bpftrace lists every tsmbpf trace event, with the fields of its format file" {
	command -v bpftrace >/dev/null || fail "bpftrace is not in the guest"
	ev=/sys/kernel/tracing/events/tsmbpf
	for e in "$ev"/*/; do
		e=${e%/}
		echo "tracepoint:tsmbpf:${e##*/}"
	done | sort >"$T/want"
	# the twelve events perf sees above, at least
	[ "$(wc -l <"$T/want")" -ge 12 ] || fail "only $(cat "$T/want") in $ev"
	run --separate-stderr bpftrace -l 'tracepoint:tsmbpf:*'
	assert_success
	printf '%s\n' "${lines[@]}" | sort >"$T/got"
	run diff "$T/want" "$T/got"
	assert_success
	# tsmbpf_step's arguments, as its format file has them (less the
	# common_ fields of every event)
	sed -nE 's/^\s*field:(.*) ([a-z_]+);\s.*/\1 \2/p' "$ev/tsmbpf_step/format" |
		grep -v ' common_' >"$T/fields"
	run --separate-stderr bpftrace -lv tracepoint:tsmbpf:tsmbpf_step
	assert_success
	assert_line --index 0 tracepoint:tsmbpf:tsmbpf_step
	printf '%s\n' "${lines[@]:1}" | sed 's/^ *//' >"$T/args"
	run diff "$T/fields" "$T/args"
	assert_success
	grep -qx 'u32 step' "$T/args" || fail "no step argument: $(cat "$T/args")"
}

@test "bpftrace counts tsmbpf_step by platform and step: the steps the cycles ran" {
	command -v bpftrace >/dev/null || fail "bpftrace is not in the guest"
	vm=$(tsmctl vm create)
	a=$(new_tdi tdx 0:48:00.0)
	b=$(new_tdi cca 0:48:00.1)
	# 4 bind+accept+unbind cycles on the TDX TDI, 2 on the CCA one; bpftrace
	# runs the script (-c takes no shell quoting: a plain path)
	cat >"$T/cycles.sh" <<-EOF
		for t in $a $a $a $a $b $b; do
			tsmctl dev bind \$t vm $vm accept >/dev/null || exit 1
			tsmctl dev unbind \$t >/dev/null || exit 1
		done
		echo done >"$T/cycles.done"
	EOF
	steps_snapshot "$T/s0"
	run --separate-stderr bpftrace -e 'tracepoint:tsmbpf:tsmbpf_step
		{ @steps[args->platform, args->step] = count(); }' -c "/bin/bash $T/cycles.sh"
	assert_success
	steps_snapshot "$T/s1"
	[ -f "$T/cycles.done" ] || fail "the cycles failed: $output $stderr"
	assert_line --index 0 'Attaching 1 probe...'
	# "@steps[0, 1]: 4" -> "tdx tdi_lock 4"
	printf '%s\n' "${lines[@]}" | sed -nE 's/^@steps\[([0-9]+), ([0-9]+)\]: ([0-9]+)$/\1 \2 \3/p' |
		jq -Rr --argjson names '["tdx","sev-tio","cca"]' --argjson steps "$(step_names_json)" \
			'split(" ") | map(tonumber) | "\($names[.[0]]) \($steps[.[1]]) \(.[2])"' |
		sort >"$T/got"
	# TDX: bind 3 steps, accept 2, unbind 5, each once a cycle; CCA too
	for s in tdi_lock mmio_map dma_setup accept tdi_start tdi_stop mmio_unmap \
		dma_teardown tdi_reclaim mmio_recover; do
		echo "tdx $s 4"
		echo "cca $s 2"
	done | sort >"$T/want"
	run diff "$T/want" "$T/got"
	assert_success
	# and what the core counted
	steps_delta "$T/s0" "$T/s1" >"$T/core"
	run diff "$T/core" "$T/got"
	assert_success
}

# Two probes on every tracepoint before the cycles start, gone after they
# end (tsmbpf_trace_keepers_start says why: no kernel text is patched under
# load).  What attaches and detaches under load is the BPF programs: the
# tracepoints' probe arrays, which is what this test is about.
@test "attaching and detaching the tracer while cycles run leaves everything consistent" {
	tsmbpf_trace_keepers_start
	tsmbpf_cycle -p tdx -n 4 -i 0 -b 0x51 -q >"$T/cyc.out" 3>&- &
	CYC_PID=$!
	sleep 1
	for i in 1 2 3 4 5; do
		trace_start t$i -j trace --count 40
		wait "$TRACE_PID" || fail "trace $i failed: $(cat "$T/t$i.err")"
		TRACE_PID=
		assert_equal "$(wc -l <"$T/t$i.out")" 40
		# no bogus duration from an operation that began before the attach
		jq -se 'all(.dur_ns == null or .dur_ns < 10000000000)' "$T/t$i.out" >/dev/null ||
			fail "a bogus duration in trace $i"
		if [ "$i" = 3 ]; then
			tsmctl policy load "$POLDIR/tdx_connect.bpf.o" >/dev/null
		fi
	done
	kill -INT "$CYC_PID"
	wait "$CYC_PID"
	CYC_PID=
	tsmbpf_trace_keepers_stop
	jq -e '.failures == 0 and .not_torn_down == 0 and .cycles > 0' "$T/cyc.out"
	# the tracers' programs are gone
	run bash -c 'bpftool -j prog show | jq "[.[] | select(.name | startswith(\"lat_\"))] | length"'
	assert_output 0
}
