#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The defects of the review of the core (issue 8), one test each: races on
# create, destroy and bind (bounded, seeded stress in tsmbpf_race), the
# unprivileged sysfs deadlock, and the fail-closed holes of the policy
# layer (tsmbpf_error() in init() and in event(), -EPROTO from bind(),
# exit() once and last, a swap's exit(), a refused mmio_recover, a stale
# firmware error).  TSMBPF_SEED=N replays the races with one seed.

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
}

teardown() {
	echo 0 >/sys/kernel/debug/tsmbpf_emu/latency_us
	if grep -q '^tsmbpf_failslab ' /proc/modules; then
		rmmod tsmbpf_failslab
	fi
	tsmbpf_cleanup_objects
}

# slow_firmware: 200 ms per firmware call, so that an unbind holds its
# TDI's lock for about a second and other operations queue behind it in a
# known order (mutex waiters are woken first come, first served)
slow_firmware() {
	echo "${1:-200000}" >/sys/kernel/debug/tsmbpf_emu/latency_us
}

# in_kernel PID PATTERN...: wait (up to 60 s) until PID sleeps in the
# kernel in a function matching one PATTERN (/proc/PID/wchan, the first
# function outside the scheduler and the lock code): there, e.g. waiting
# for a TDI's lock, not just started.  Orders the steps of a race without
# guessing with sleeps, which a loaded host stretches.
in_kernel() {
	local pid=$1 i w='' p
	shift
	for ((i = 0; i < 600; i++)); do
		w=$(cat "/proc/$pid/wchan" 2>/dev/null) ||
			fail "process $pid ended before it slept in $* (last in ${w:-?})"
		for p in "$@"; do
			[[ $w == *"$p"* ]] && return 0
		done
		sleep 0.1
	done
	fail "process $pid never slept in $* (wchan: $w)"
}

# race SCENARIO: three seconds of tsmbpf_race SCENARIO, which prints its seed
race() {
	run tsmbpf_race ${TSMBPF_SEED:+-s "$TSMBPF_SEED"} -t 3 "$1"
	echo "$output"
	assert_success
	assert_line --regexp "^ok - $1: [0-9]+ rounds$"
}

@test "race: unprivileged readers of tdis/N/vm during destroy do not deadlock" {
	race sysfs-destroy
}

@test "race: two destroys of one id never remove the TDI a create reused it for" {
	race destroy-twice
}

@test "race: a bind and a destroy of one TDI never both succeed" {
	race bind-destroy
}

@test "race: the undo of a create that cannot copy out destroys only its own TDI" {
	race create-efault
}

@test "race: a VM destroy and a bind to that VM never both succeed" {
	race vm-destroy-bind
}

@test "race: concurrent creates of one BDF: exactly one succeeds" {
	race dup-bdf
}

@test "race: creates of one BDF while the id allocation drops the XArray lock" {
	# an XArray allocates its nodes under its lock with GFP_NOWAIT and
	# drops the lock only if that fails: make it fail, for tsmbpf_race
	insmod "$MODDIR/tsmbpf_failslab.ko"
	echo "tsmbpf_race 1000000" >/sys/kernel/debug/tsmbpf_failslab/fail_xa_node
	race dup-bdf
	read -r _ _ forced </sys/kernel/debug/tsmbpf_failslab/fail_xa_node
	[ "$forced" -gt 0 ] || fail "no node allocation took the unlocked path"
}

@test "a bind queued behind a destroy of its TDI fails: destroyed TDIs refuse operations" {
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 74:00.0)
	bind_run "$tdi" "$vm"
	slow_firmware 1000000
	tsmctl dev unbind "$tdi" >/dev/null &
	unbind=$!
	in_kernel "$unbind" tsmbpf_emu_call
	tsmctl dev destroy "$tdi" &
	destroy=$!
	in_kernel "$destroy" tdi_destroy
	# takes its reference now, gets the lock after the destroy
	run tsmctl dev bind "$tdi" vm "$vm"
	bind_status=$status bind_output=$output
	wait "$unbind"
	wait "$destroy"
	echo "bind: $bind_status $bind_output"
	[ "$bind_status" -ne 0 ] || fail "bind of a destroyed TDI succeeded"
	[[ $bind_output == *"no device interface"* ]] || fail "bind: $bind_output"
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.bound == 0'
	echo 0 >/sys/kernel/debug/tsmbpf_emu/latency_us
	run tsmctl vm destroy "$vm"
	assert_success
	# the id is free and clean: a new TDI on it has no window mapped
	tdi2=$(new_tdi tdx 74:00.1)
	assert_equal "$tdi2" "$tdi"
	assert_torn_down "$tdi2"
}

@test "a late destroy never removes the TDI that reused the destroyed id" {
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 79:00.0)
	bind_run "$tdi" "$vm"
	echo 400000 >/sys/kernel/debug/tsmbpf_emu/latency_us
	tsmctl dev unbind "$tdi" >/dev/null &
	unbind=$!
	sleep 0.5
	tsmctl dev destroy "$tdi" >/tmp/destroy1.out 2>&1 &
	d1=$!
	sleep 0.3
	# holds the lock for one firmware call after the first destroy (it
	# is refused: the TDI is unlocked by then)
	tsmctl dev step "$tdi" tdi_stop >/dev/null 2>&1 &
	step=$!
	sleep 0.3
	tsmctl dev destroy "$tdi" >/tmp/destroy2.out 2>&1 &
	d2=$!
	# the moment the first destroy is done, a create may reuse the id
	run retry 5 test ! -e "$SYSFS/tdis/$tdi"
	assert_success
	new=$(new_tdi tdx 79:00.1)
	wait "$unbind"
	s1=0 s2=0
	wait "$d1" || s1=$?
	wait "$step" || true
	wait "$d2" || s2=$?
	echo 0 >/sys/kernel/debug/tsmbpf_emu/latency_us
	cat /tmp/destroy1.out /tmp/destroy2.out
	echo "destroys: $s1 $s2; new tdi $new (old id $tdi)"
	[ $((s1 == 0)) -ne $((s2 == 0)) ] || fail "destroys returned $s1 and $s2"
	run tsmctl -j dev show "$new"
	assert_success
	echo "$output" | jq -e '.bdf == "0000:79:00.1"'
	assert_equal "$(cat "$SYSFS/nr_tdis")" 1
	run tsmctl dev destroy "$new"
	assert_success
	# nothing of either is left: the BDFs and the id are free
	tdi3=$(new_tdi tdx 79:00.1)
	tsmctl dev destroy "$tdi3"
}

@test "exit() runs once when an ejection races the policy's unload" {
	echo >/sys/kernel/tracing/trace
	run tsmctl policy load "$TPOLDIR/bad_order_exit.bpf.o"
	assert_success
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 78:00.0)
	bind_run "$tdi" "$vm"
	slow_firmware
	# the policy's unbind, four slow steps, ends in an ejection ...
	tsmctl dev unbind "$tdi" >/dev/null &
	unbind=$!
	sleep 0.3
	# ... while the operator unloads it: the unload clears the slot
	# first and waits for the unbind
	run tsmctl policy unload bad_order_exit
	assert_success
	wait "$unbind"
	echo 0 >/sys/kernel/debug/tsmbpf_emu/latency_us
	assert_torn_down "$tdi"
	# the struct_ops map goes once unregistration is over
	run retry 10 no_struct_ops bad_order_exit
	assert_success
	grep 'tsmbpf-test bad_order_exit' /sys/kernel/tracing/trace || true
	assert_equal "$(trace_count 'tsmbpf-test bad_order_exit exit')" 1
}

# no_struct_ops NAME: no struct_ops map of that name is left
no_struct_ops() {
	! bpftool -j struct_ops show | jq -e --arg n "$1" 'select(.name == $n)' >/dev/null
}

@test "a bind queued behind its VM's destroy fails: destroyed VMs take no TDI" {
	vm=$(tsmctl vm create)
	vm2=$(tsmctl vm create)
	tdi=$(new_tdi tdx 75:00.0)
	bind_run "$tdi" "$vm2"
	slow_firmware 1000000
	tsmctl dev unbind "$tdi" >/dev/null &
	unbind=$!
	in_kernel "$unbind" tsmbpf_emu_call
	# takes a reference on $vm now, waits for the TDI's lock
	tsmctl dev bind "$tdi" vm "$vm" >/tmp/bind.out 2>&1 &
	bind=$!
	in_kernel "$bind" tdi_bind lock_live
	run tsmctl vm destroy "$vm"
	destroy_status=$status
	kill -0 "$unbind" 2>/dev/null ||
		fail "the unbind ended before the VM's destroy: the bind was not queued"
	assert_equal "$destroy_status" 0
	wait "$unbind"
	bind_status=0
	wait "$bind" || bind_status=$?
	cat /tmp/bind.out
	[ "$destroy_status" -ne 0 ] || [ "$bind_status" -ne 0 ] ||
		fail "VM $vm destroyed and TDI $tdi bound to it: $(tdi_json "$tdi")"
	echo 0 >/sys/kernel/debug/tsmbpf_emu/latency_us
	assert_equal "$(tdi_field "$tdi" vm)" null
}

@test "a destroyed TDI's directory is gone before its id is reused" {
	# the race above checks this under load; here the sysfs side of it:
	# the directory is gone before the id can be reused
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 70:00.0)
	tsmctl dev destroy "$tdi"
	[ ! -e "$SYSFS/tdis/$tdi" ]
	tdi2=$(new_tdi tdx 70:00.1)
	assert_equal "$tdi2" "$tdi"
	assert_equal "$(cat "$SYSFS/tdis/$tdi2/bdf")" 0000:70:00.1
	assert_equal "$(cat "$SYSFS/tdis/$tdi2/vm")" 0
	bind_run "$tdi2" "$vm"
	assert_equal "$(cat "$SYSFS/tdis/$tdi2/vm")" "$vm"
}

@test "init() calling tsmbpf_error() refuses the attach, with an exit record" {
	load_must_fail "$TPOLDIR/err_init.bpf.o" "init"
	assert_equal "$(slot tdx)" "-"
	exit_record tdx | jq -e '.kind == "error" and .callback == "init" and
		.policy == "err_init" and (.msg | contains("init refuses: code 42"))'
}

# ev_count N: err_event's counter N (0 exit calls, 1 events after exit,
# 2 exit kind, 3 events)
ev_count() {
	map_value ev_counts "$1"
}

# map_value MAP KEY: the u64 at KEY of the BPF array map named MAP
map_value() {
	local id
	id=$(bpftool -j map show | jq -r --arg m "$1" '.[] | select(.name == $m) | .id')
	[ -n "$id" ] || return 1
	bpftool -j map lookup id "$id" key "$2" 0 0 0 | jq -r '.formatted.value'
}

# ev_count_is N VALUE: for retry
ev_count_is() {
	[ "$(ev_count "$1")" = "$2" ]
}

# trace_count TEXT: lines of the trace buffer containing TEXT
trace_count() {
	grep -c -- "$1" /sys/kernel/tracing/trace || true
}

@test "event() calling tsmbpf_error() during a native bind ejects the policy" {
	echo >/sys/kernel/tracing/trace
	run tsmctl policy load "$TPOLDIR/err_event.bpf.o"
	assert_success
	e0=$(counter policy_ejections)
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 77:00.0)
	# err_event sequences nothing: the bind is native, event() runs alone
	run tsmctl dev bind "$tdi" vm "$vm"
	assert_success
	assert_equal "$(counter policy_ejections)" "$((e0 + 1))"
	assert_equal "$(slot tdx)" "-"
	exit_record tdx | jq -e --arg t "$tdi" '.kind == "error" and
		.callback == "event" and .policy == "err_event" and
		(.msg | contains("event() on tdi \($t) step 1"))'
	# exit() once, with kind error (2), after the last event()
	run retry 5 ev_count_is 0 1
	assert_success
	assert_equal "$(ev_count 2)" 2
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(ev_count 1)" 0
	# unloading the ejected policy does not call exit() again
	run tsmctl policy unload err_event
	assert_success
	assert_equal "$(trace_count 'tsmbpf-test err_event exit kind 2')" 1
	assert_equal "$(trace_count 'tsmbpf-test err_event exit')" 1
}

@test "an ejected policy's event() never runs after its exit(), under load" {
	run tsmctl policy load "$TPOLDIR/err_event.bpf.o"
	assert_success
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 77:00.0)
	tsmbpf_cycle -p tdx -n 4 -i 40 -b 0x31 -q >/tmp/cycle.json &
	cycle=$!
	sleep 0.5
	run tsmctl dev bind "$tdi" vm "$vm"
	assert_success
	wait "$cycle"
	jq -e '.failures == 0 and .not_torn_down == 0' /tmp/cycle.json
	assert_equal "$(slot tdx)" "-"
	run retry 5 ev_count_is 0 1
	assert_success
	[ "$(ev_count 3)" -gt 1 ] || fail "event() ran $(ev_count 3) times"
	assert_equal "$(ev_count 1)" 0
}

@test "bind() returning -EPROTO fails the bind and the policy stays attached" {
	run tsmctl policy load "$TPOLDIR/bind_fails.bpf.o"
	assert_success
	e0=$(counter policy_ejections)
	b0=$(counter binds)
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 71:00.0)
	run tsmctl dev bind "$tdi" vm "$vm"
	assert_failure
	assert_output --partial "Protocol error"
	assert_torn_down "$tdi"
	assert_equal "$(slot tdx)" bind_fails
	assert_equal "$(counter policy_ejections)" "$e0"
	assert_equal "$(counter binds)" "$b0"
}

@test "a failed bind reports its own firmware error, not an earlier one" {
	run tsmctl policy load "$TPOLDIR/bind_fails.bpf.o" set bind_errno=13
	assert_success
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 72:00.0)
	# an earlier refusal: stop on an unlocked interface
	run tsmctl dev step "$tdi" tdi_stop
	assert_failure
	assert_output --partial TDX_DEVIF_INVALID_STATE
	assert_equal "$(tdi_field "$tdi" last_fw_error)" TDX_DEVIF_INVALID_STATE
	# bind() refuses without any firmware refusal: no firmware code
	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_failure
	assert_output --partial "Permission denied"
	refute_output --partial TDX_DEVIF_INVALID_STATE
}

@test "a swap calls the replaced policy's exit() once, with kind swapped" {
	echo >/sys/kernel/tracing/trace
	run tsmctl policy load "$TPOLDIR/exit_log.bpf.o"
	assert_success
	run tsmctl policy swap exit_log "$POLDIR/tdx_connect.bpf.o"
	assert_success
	assert_equal "$(slot tdx)" tdx_connect
	assert_equal "$(trace_count "exit_log exit kind 7: replaced by 'tdx_connect'")" 1
	assert_equal "$(trace_count 'tsmbpf-test exit_log exit')" 1
	# the slot's exit record is untouched by a swap
	exit_record tdx | jq -e '.kind != "swapped"'
}

@test "exit() runs once on unload, with kind unregistered" {
	echo >/sys/kernel/tracing/trace
	run tsmctl policy load "$TPOLDIR/exit_log.bpf.o"
	assert_success
	run tsmctl policy unload exit_log
	assert_success
	assert_equal "$(trace_count 'tsmbpf-test exit_log exit kind 1: detached')" 1
	assert_equal "$(trace_count 'tsmbpf-test exit_log exit')" 1
}

@test "unbind fails while the firmware refuses mmio_recover; a retry completes it" {
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 73:00.0)
	bind_run "$tdi" "$vm"
	u0=$(counter unbinds)
	inject "$tdi" mmio_recover 3
	run tsmctl dev unbind "$tdi"
	assert_failure
	assert_output --partial INJECTED
	# torn down, but not shared again: still attached to its VM
	tdi_json "$tdi" | jq -e --argjson v "$vm" '.state == "CONFIG_UNLOCKED" and
		.mmio_pages == 0 and (.dma | not) and (.metadata | not) and
		(.shared_mmio | not) and .vm == $v'
	assert_equal "$(counter unbinds)" "$u0"
	run tsmctl vm destroy "$vm"
	assert_failure
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(counter unbinds)" "$((u0 + 1))"
}

# failslab_arm SIZE COUNT: the next COUNT kmalloc()s of SIZE bytes made by
# tsmbpf.ko's own code fail (tests/modules/tsmbpf_failslab.c)
failslab_arm() {
	local base len
	grep -q '^tsmbpf_failslab ' /proc/modules ||
		insmod "$MODDIR/tsmbpf_failslab.ko"
	read -r len base < <(awk '$1 == "tsmbpf" { print $2, $6 }' /proc/modules)
	echo "$1 $2 $base $len" >/sys/kernel/debug/tsmbpf_failslab/fail
}

# btf_size STRUCT: the size of a struct of tsmbpf.ko, from its BTF
btf_size() {
	bpftool btf dump file /sys/kernel/btf/tsmbpf |
		sed -n "s/.*STRUCT '$1' size=\([0-9]*\).*/\1/p"
}

@test "an ejection allocates nothing: with that kzalloc failing it still ejects" {
	size=$(btf_size tsmbpf_exit_info)
	[ -n "$size" ]
	run tsmctl policy load "$TPOLDIR/bad_wrong_order.bpf.o"
	assert_success
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 76:00.0)
	bind_run "$tdi" "$vm"
	e0=$(counter policy_ejections)
	# every allocation of an exit record by tsmbpf.ko fails from here
	failslab_arm "$size" 100
	run tsmctl dev unbind "$tdi"
	assert_success
	echo "0 0 0 0" >/sys/kernel/debug/tsmbpf_failslab/fail
	assert_torn_down "$tdi"
	assert_equal "$(counter policy_ejections)" "$((e0 + 1))"
	assert_equal "$(slot tdx)" "-"
	exit_record tdx | jq -e '.kind == "invariant" and .policy == "bad_wrong_order"'
}
