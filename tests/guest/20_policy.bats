#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The struct_ops policy layer: per-platform policies sequence bind and
# unbind, slots and generations, atomic swap under load, and fail-closed
# handling of broken policies (refused at load, or ejected at run time with
# an exit record while the core finishes the job natively).

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
	vm=$(tsmctl vm create)
}

teardown() {
	# a test that stops tracing turns it back on, failed or not: later
	# suites read bpf_printk output from the trace buffer
	echo 1 >/sys/kernel/tracing/tracing_on
	tsmbpf_cleanup_objects
}

@test "each platform's policy runs full cycles; the native sequence is not used" {
	for p in tdx_connect:tdx sev_tio:sev-tio cca:cca; do
		pol=${p%%:*} plat=${p##*:}
		run tsmctl policy load "$POLDIR/$pol.bpf.o"
		assert_success
		n0=$(counter unbinds_native)
		u0=$(counter unbinds_policy)
		k0=$(counter kfunc_calls)
		run tsmbpf_cycle -p "$plat" -n 8 -i 5 -b 0x21 -q
		assert_success
		echo "$output" | jq -e '.cycles == 40 and .failures == 0 and .not_torn_down == 0'
		assert_equal "$(counter unbinds_native)" "$n0"
		assert_equal "$(counter unbinds_policy)" "$((u0 + 40))"
		# bind: 3 steps; unbind: 5 (6 with CCA's key purge)
		k=$(( $(counter kfunc_calls) - k0 ))
		[ "$k" -ge $((40 * 8)) ] || fail "only $k kfunc calls for 40 cycles"
		assert_equal "$(tsmctl -j policy show "$plat" | jq -r '.[0].policy')" "$pol"
		tsmctl policy unload "$pol"
	done
	assert_equal "$(counter policy_ejections)" 0
}

# step_count PLATFORM STEP: calls of STEP in /sys/kernel/tsmbpf/steps
step_count() {
	awk -v p="$1" -v s="$2" '$1 == p && $2 == s { n = $3 } END { print n + 0 }' \
		/sys/kernel/tsmbpf/steps
}

# map_value MAP KEY: the value at KEY of the BPF array map named MAP
# (map names are cut at 15 characters)
map_value() {
	local id
	id=$(bpftool -j map show | jq -r --arg m "$1" '.[] | select(.name == $m) | .id')
	[ -n "$id" ] || return 1
	bpftool -j map lookup id "$id" key "$2" 0 0 0 | jq -r '.formatted.value'
}

@test "the core counts every step; the TDX policy hears of failures only, through event()" {
	s0=$(step_count tdx tdi_stop)
	l0=$(step_count tdx tdi_lock)
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	run tsmbpf_cycle -p tdx -n 4 -i 5 -b 0x22 -q
	assert_success
	assert_equal "$(step_count tdx tdi_stop)" $((s0 + 20))
	assert_equal "$(step_count tdx tdi_lock)" $((l0 + 20))
	# TSMBPF_OPS_F_EVENT_ERRORS: twenty cycles, no failure, no event
	for step in 1 6 7 8 9; do
		assert_equal "$(map_value tdx_failures $step)" 0
	done
	# a refused lock (step 1) reaches event() with the firmware's code
	tdi=$(new_tdi tdx 22:10.0)
	inject "$tdi" tdi_lock
	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_failure
	echo "$output" | jq -e '.fw_error == "TSMBPF_FW_INJECTED"'
	assert_equal "$(map_value tdx_failures 1)" 1
	assert_equal "$(map_value tdx_last_error 1)" $((0xf00))
	grep -q '^tdx tdi_lock [0-9]* 1$' /sys/kernel/tsmbpf/steps
	run tsmctl -j stats steps
	assert_success
	echo "$output" | jq -e --argjson n $((l0 + 21)) \
		'.[] | select(.platform == "tdx" and .step == "tdi_lock") |
		 .calls == $n and .refused == 1'
	run tsmctl stats steps
	assert_output --regexp 'tdx +tdi_stop +[0-9]+ +0'
	# the policy is not ejected for a firmware refusal in bind
	assert_equal "$(slot tdx)" tdx_connect
	assert_equal "$(counter policy_ejections)" 0
}

# steps_total: firmware calls of every platform and step so far
steps_total() {
	awk '{ n += $3 } END { print n + 0 }' /sys/kernel/tsmbpf/steps
}

# bss_value OBJECT VAR: a global of a loaded BPF object, from its .bss map
bss_value() {
	bpftool -j map dump name "$1.bss" | jq -r --arg v "$2" '[.. | objects | .[$v]? // empty][0]'
}

@test "an observe-only policy sees every step while the core sequences natively" {
	run tsmctl policy load "$TPOLDIR/observer.bpf.o"
	assert_success
	for p in tdx sev-tio cca; do
		assert_equal "$(slot $p)" observer
	done
	s0=$(steps_total)
	n0=$(counter unbinds_native)
	u0=$(counter unbinds_policy)
	run tsmbpf_cycle -p cca -n 4 -i 5 -b 0x23 -q
	assert_success
	echo "$output" | jq -e '.cycles == 20 and .failures == 0 and .not_torn_down == 0'
	assert_equal "$(counter unbinds_native)" $((n0 + 20))
	assert_equal "$(counter unbinds_policy)" "$u0"
	assert_equal "$(bss_value observer steps_seen)" $(($(steps_total) - s0))
	assert_equal "$(bss_value observer failures_seen)" 0
	# a refused step reaches it as a failure; it answers no gate
	tdi=$(new_tdi tdx 23:10.0)
	inject "$tdi" tdi_lock
	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_failure
	assert_equal "$(bss_value observer failures_seen)" 1
	bind_run "$tdi" "$vm"
	run tsmctl -j dev gate "$tdi" event flr
	assert_success
	echo "$output" | jq -e '.verdict == "unbind" and (.by_policy | not)'
	assert_equal "$(counter policy_ejections)" 0
}

@test "a second policy for a taken slot fails with EBUSY and names the holder" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	run tsmctl policy load "$TPOLDIR/tdx_alt.bpf.o"
	assert_failure
	assert_output --partial "Device or resource busy"
	assert_output --partial "held by policy 'tdx_connect'"
	assert_equal "$(slot tdx)" tdx_connect
	[ ! -e "$PINDIR/tdx_alt" ]
	# bpftool gets the same answer
	run bpftool struct_ops register "$TPOLDIR/tdx_alt.bpf.o" "$PINDIR"
	assert_failure
	assert_equal "$(slot tdx)" tdx_connect
}

@test "bpftool struct_ops show lists attached policies; rmmod is refused while attached" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	run bpftool struct_ops register "$POLDIR/cca.bpf.o" "$PINDIR"
	assert_success
	run bpftool -j struct_ops show
	assert_success
	echo "$output" | jq -e '[.[] | select(.kernel_struct_ops == "tsmbpf_ops") | .name] | sort == ["cca", "tdx_connect"]'
	run rmmod tsmbpf
	assert_failure
	grep -q '^tsmbpf ' /proc/modules
}

@test "generations increase on every attach and swap and show in sysfs" {
	g0=$(cat "$SYSFS/generation")
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	g1=$(tsmctl -j policy show tdx | jq '.[0].generation')
	[ "$g1" -gt "$g0" ]
	run tsmctl policy swap tdx_connect "$TPOLDIR/tdx_alt.bpf.o"
	assert_success
	assert_equal "$(slot tdx)" tdx_alt
	# two commands: the left side of && is exempt from errexit
	[ -e "$PINDIR/tdx_alt" ]
	[ ! -e "$PINDIR/tdx_connect" ]
	g2=$(tsmctl -j policy show tdx | jq '.[0].generation')
	[ "$g2" -gt "$g1" ]
	[ "$(cat "$SYSFS/generation")" -ge "$g2" ]
	# a swap to a policy for another platform is refused, nothing changes
	run tsmctl policy swap tdx_alt "$POLDIR/cca.bpf.o"
	assert_failure
	assert_equal "$(slot tdx)" tdx_alt
}

# check_trace FILE: every bind and unbind ran entirely on one policy: the
# steps of an operation carry the generation of its end record, and a
# policy's operation made its steps through the policy.  No event may be
# lost: an operation whose records are missing proves nothing, so a
# "[LOST N EVENTS]" from trace_pipe fails the check (the test sizes the
# ring buffer for a whole run).
check_trace() {
	awk '
	/LOST [0-9]+ EVENTS/ {
		match($0, /LOST [0-9]+/); lost += substr($0, RSTART + 5, RLENGTH - 5)
		print "lost events: " $0
		# what came before cannot be attributed
		for (t in gens) { gens[t] = ""; bys[t] = "" }
		next
	}
	/tsmbpf_step:/ {
		match($0, /tdi=[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
		match($0, /step=[a-z_]+/); s = substr($0, RSTART + 5, RLENGTH - 5)
		if (s == "accept" || s == "tdi_start" || s == "mmio_recover") next
		match($0, /gen=[0-9]+/); g = substr($0, RSTART + 4, RLENGTH - 4)
		match($0, /by=[a-z]+/); b = substr($0, RSTART + 3, RLENGTH - 3)
		gens[t] = gens[t] " " g; bys[t] = bys[t] " " b
		next
	}
	/tsmbpf_(bind|unbind):/ {
		match($0, /tdi=[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
		match($0, /gen=[0-9]+/); g = substr($0, RSTART + 4, RLENGTH - 4)
		match($0, /policy=[a-z_]+/); p = substr($0, RSTART + 7, RLENGTH - 7)
		ops++
		if (p == "native") native++
		n = split(gens[t], a, " ")
		for (i = 1; i <= n; i++) if (a[i] != g) { bad++; print "mixed generations: " $0 }
		split(bys[t], c, " ")
		for (i = 1; i <= n; i++) if (p != "native" && c[i] != "policy") { bad++; print "native step in policy op: " $0 }
		gens[t] = ""; bys[t] = ""
	}
	END { printf "ops=%d native=%d lost=%d bad=%d\n", ops, native, lost, bad; exit bad > 0 || lost > 0 }
	' "$1"
}

@test "swap A->B->A 200 times under a 64-TDI bind/unbind loop: no violation, no failure, one policy per operation" {
	T=/sys/kernel/tracing
	echo 0 >$T/tracing_on
	# No event may be lost.  A run records ~370,000 events of ~52 bytes
	# under TCG, most on the CPU that runs the cycle loop: 64 MiB per CPU
	# holds the whole run even if the trace_pipe reader stalls.
	echo 65536 >$T/buffer_size_kb
	echo >$T/trace	# after the resize: empty, loss counters at zero
	for e in tsmbpf_step tsmbpf_bind tsmbpf_unbind; do
		echo 1 >$T/events/tsmbpf/$e/enable
	done

	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	e0=$(counter policy_ejections)
	n0=$(counter unbinds_native)
	g0=$(counter generation)
	cat $T/trace_pipe >/tmp/trace.txt &
	tracer=$!
	echo 1 >$T/tracing_on
	u0=$(counter unbinds)
	tsmbpf_cycle -p tdx -n 64 -i 0 -b 0x30 -q >/tmp/cycle.json 2>/tmp/cycle.err &
	loop=$!
	# the loop is running (a round of 64 done) before the first swap: on
	# a loaded host its start can take longer than any fixed sleep
	for ((i = 0; i < 300 && $(counter unbinds) < u0 + 64; i++)); do
		sleep 0.1
	done
	[ "$(counter unbinds)" -ge $((u0 + 64)) ] || fail "the cycle loop did not start"
	# 200 swaps of the pinned link: tdx_alt, tdx_connect, tdx_alt, ...;
	# after each, unbinds complete under the new policy (-w: a condition,
	# not a pace the loop may miss on a loaded machine)
	run tsmbpf_swap -l "$PINDIR/tdx_connect" -w 2 "$POLDIR/tdx_connect.bpf.o" \
		"$TPOLDIR/tdx_alt.bpf.o" -n 200
	swap_out=$output
	swap_rc=$status
	sleep 1
	kill -TERM "$loop"
	wait "$loop" || true
	echo 0 >$T/tracing_on
	sleep 1
	kill "$tracer" || true
	for e in tsmbpf_step tsmbpf_bind tsmbpf_unbind; do
		echo 0 >$T/events/tsmbpf/$e/enable
	done
	# events the ring buffer overwrote before the reader got them or could
	# not record, on any CPU: none
	overrun=$(awk '/^(commit )?overrun:|^dropped events:/ { n += $NF }
		END { print n + 0 }' $T/per_cpu/cpu*/stats)

	echo "$swap_out"
	cat /tmp/cycle.json
	assert_equal "$swap_rc" 0
	assert_equal "$overrun" 0
	echo "$swap_out" | jq -e '.swaps == 200 and .failures == 0'
	jq -e '.failures == 0 and .not_torn_down == 0 and .cycles > 0' /tmp/cycle.json
	# one generation per swap: strictly increasing, none skipped or reused
	assert_equal "$(counter generation)" "$((g0 + 200))"
	assert_equal "$(tsmctl -j policy show tdx | jq '.[0].generation')" "$((g0 + 200))"
	assert_equal "$(counter policy_ejections)" "$e0"
	assert_equal "$(counter unbinds_native)" "$n0"
	assert_equal "$(slot tdx)" tdx_connect
	run check_trace /tmp/trace.txt
	echo "$output" | tail -5
	assert_success
	echo "$output" | tail -1 | grep -q 'native=0'
	grep -q 'policy=tdx_alt' /tmp/trace.txt
	grep -q 'policy=tdx_connect' /tmp/trace.txt
	rm -f /tmp/trace.txt
}

@test "tsmctl policy swap: generations strictly increase, each swap is one step" {
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	last=$(tsmctl -j policy show tdx | jq '.[0].generation')
	cur=tdx_connect
	for i in 1 2 3 4; do
		if [ "$cur" = tdx_connect ]; then
			run tsmctl -j policy swap tdx_connect "$TPOLDIR/tdx_alt.bpf.o"
			cur=tdx_alt
		else
			run tsmctl -j policy swap tdx_alt "$POLDIR/tdx_connect.bpf.o"
			cur=tdx_connect
		fi
		assert_success
		g=$(tsmctl -j policy show tdx | jq '.[0].generation')
		assert_equal "$g" "$((last + 1))"
		assert_equal "$(slot tdx)" "$cur"
		last=$g
	done
}

# eject_case POLICY PLATFORM BDF KIND STEP: attach POLICY, bind and unbind a
# TDI, expect an ejection of KIND (missing STEP), the TDI torn down by the
# native fallback, and the next cycle to run natively.
eject_case() {
	local pol=$1 plat=$2 bdf=$3 kind=$4 step=$5 tdi rec
	run tsmctl policy load "$TPOLDIR/$pol.bpf.o"
	assert_success
	tdi=$(new_tdi "$plat" "$bdf")
	bind_run "$tdi" "$vm"
	e0=$(counter policy_ejections)
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(counter policy_ejections)" "$((e0 + 1))"
	assert_equal "$(slot "$plat")" "-"
	rec=$(exit_record "$plat")
	echo "$rec" | jq -e --arg p "$pol" --arg k "$kind" --arg s "$step" \
		'.policy == $p and .kind == $k and .missing_step == $s and .callback == "unbind" and .generation > 0'
	run tsmctl policy show "$plat"
	assert_output --partial "EXIT: $kind (policy $pol"
	# the platform now runs on the fallback
	n0=$(counter unbinds_native)
	bind_run "$tdi" "$vm"
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(counter unbinds_native)" "$((n0 + 1))"
	tsmctl policy unload "$pol"
}

@test "wrong order: ejected with an invariant exit record naming mmio_unmap and the TDX error" {
	eject_case bad_wrong_order tdx 0b:00.0 invariant mmio_unmap
	exit_record tdx | jq -e '.fw_error == "TDX_DEVIF_HAS_MAPPED_MMIO" and (.msg | test("mmio_unmap not done"))'
}

@test "skipped step: ejected with an invariant exit record naming dma_teardown" {
	eject_case bad_skip_step cca 0b:01.0 invariant dma_teardown
	exit_record cca | jq -e '.fw_error == "RMI_ERROR_DEVICE_STATE" and (.msg | test("dma_teardown not done"))'
}

@test "double stop: tsmbpf_error() ejects with the policy's message" {
	eject_case bad_double_stop sev-tio 0b:02.0 error mmio_unmap
	exit_record sev-tio | jq -e '.msg | test("^double stop of tdi [0-9]+: ret -1 fw 200$")'
}

@test "overrun: a callback over timeout_ms is ejected although it finished" {
	eject_case bad_overrun tdx 0b:03.0 timeout none
	exit_record tdx | jq -e '.duration_ns > 1000000 and (.msg | test("deadline"))'
}

@test "bad return value: unbind() returning 5 is ejected" {
	eject_case bad_return tdx 0b:04.0 bad-return none
	exit_record tdx | jq -e '.ret == 5'
}

@test "bad verdict: revoke_gate() answering 7 is ejected and the safe verdict holds" {
	run tsmctl policy load "$TPOLDIR/bad_verdict.bpf.o"
	assert_success
	tdi=$(new_tdi cca 0b:05.0)
	bind_run "$tdi" "$vm"
	run tsmctl -j dev gate "$tdi" event flr
	assert_success
	echo "$output" | jq -e '.verdict == "unbind" and (.by_policy | not)'
	exit_record cca | jq -e '.kind == "bad-return" and .callback == "revoke_gate" and .ret == 7'
	assert_equal "$(slot cca)" "-"
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
}

@test "revoke_gate: the TDX policy's verdicts, and the native default without a policy" {
	tdi=$(new_tdi tdx 0b:06.0)
	bind_run "$tdi" "$vm"
	run tsmctl -j dev gate "$tdi" event flr
	echo "$output" | jq -e '.verdict == "unbind" and (.by_policy | not)'
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	run tsmctl -j dev gate "$tdi" event mse_clear
	echo "$output" | jq -e '.verdict == "unbind" and .by_policy'
	run tsmctl dev gate "$tdi" event nonsense
	assert_failure
}

@test "half bind: ejected, rolled back and bound natively" {
	run tsmctl policy load "$TPOLDIR/bad_bind.bpf.o"
	assert_success
	tdi=$(new_tdi tdx 0b:07.0)
	run tsmctl dev bind "$tdi" vm "$vm" accept
	assert_success
	assert_equal "$(tdi_field "$tdi" state)" RUN
	exit_record tdx | jq -e '.kind == "invariant" and .callback == "bind"'
	assert_equal "$(slot tdx)" "-"
	tsmctl dev unbind "$tdi"
	assert_torn_down "$tdi"
}

@test "broken policies are refused at load with the verifier's or init_member's message" {
	load_must_fail "$TPOLDIR/bad_name.bpf.o" "policy name 'Bad Name!' invalid"
	load_must_fail "$TPOLDIR/bad_flags.bpf.o" "unknown flags 0x100"
	load_must_fail "$TPOLDIR/bad_timeout.bpf.o" "timeout_ms 60000 over the 10000 ms cap"
	load_must_fail "$TPOLDIR/bad_sleepable_gate.bpf.o" "attach to unsupported member revoke_gate of struct tsmbpf_ops"
	load_must_fail "$TPOLDIR/bad_step_in_gate.bpf.o" "sleepable"
	# the same refusals through bpftool
	run bpftool struct_ops register "$TPOLDIR/bad_flags.bpf.o" "$PINDIR"
	assert_failure
	# and TDIs are unaffected: a cycle still works on the fallback
	run tsmbpf_cycle -p tdx -n 2 -i 2 -b 0x23 -q
	assert_success
}

@test "the kfuncs are refused to programs that are not tsmbpf policies" {
	run bpftool prog load "$TPOLDIR/not_a_policy.bpf.o" /sys/fs/bpf/not_a_policy
	assert_failure
	assert_output --partial "calling kernel function tsmbpf_tdi_state is not allowed"
	[ ! -e /sys/fs/bpf/not_a_policy ]
}
