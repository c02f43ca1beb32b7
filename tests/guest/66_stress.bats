#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Concurrency stress: tsmbpf_stress runs worker threads of random bind,
# accept, fault, map, unbind and gate calls on shared VMs and TDIs while
# other threads load, swap and unload policies, attach and detach the
# latency tracing, try to unload the modules, and drive host events on a
# real function through VFIO; then it checks the invariants.  Seeded by
# TSMBPF_SEED (printed); TSMBPF_STRESS_SECS lengthens it (the debug kernel
# run).

SECS=${TSMBPF_STRESS_SECS:-20}

setup_file() {
	load '../test_helper/common-setup'
	vfio_suite_setup "$PCI_LONE_FN"
}

teardown_file() {
	load '../test_helper/common-setup'
	vfio_suite_teardown
}

setup() {
	load '../test_helper/common-setup'
	_common_setup
	mkdir -p "$PINDIR"
}

teardown() {
	tsmbpf_cleanup_objects
}

@test "stress: $SECS s of random operations, policy swaps, tracing, rmmod attempts and host events; invariants hold" {
	local seed=${TSMBPF_SEED:-$RANDOM}
	# Two probes on each tracepoint for the whole run, ftrace's and a
	# keeper tracer's: the tracing thread's attach and detach then take
	# them from 2 to 3 and back, which patches neither a static key nor a
	# static call while other CPUs run the code (multi-threaded TCG can
	# oops on cross-modified kernel text)
	echo 1 >/sys/kernel/tracing/events/tsmbpf/enable
	tsmctl trace --duration 3600 >/dev/null 2>"$BATS_TEST_TMPDIR/keeper.err" 3>&- &
	keeper=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^Tracing tsmbpf' "$BATS_TEST_TMPDIR/keeper.err" && break
		sleep 0.1
	done
	grep -q '^Tracing tsmbpf' "$BATS_TEST_TMPDIR/keeper.err" ||
		fail "the keeper tracer did not start: $(cat "$BATS_TEST_TMPDIR/keeper.err")"
	tdi=$(tsmctl dev create platform tdx pci "$PCI_LONE_FN")
	run tsmbpf_stress -q -s "$seed" -t "$SECS" -T 4 -n 24 -f "$PCI_LONE_FN"
	echo "$output"
	assert_success
	js=$(tail -n1 <<<"$output")
	echo "# $(jq -c '{seed, ok, ops: (.ops | map_values(.total))}' <<<"$js")" >&3
	jq -e '.ok' <<<"$js"
	# every kind of operation ran, and most of the TDI ones did something
	jq -e '.ops | to_entries | all(.value.total > 0)' <<<"$js"
	jq -e '.ops.bind.ok > 0 and .ops.accept.ok > 0 and .ops.unbind.ok > 0 and
		.ops.fault.ok > 0 and .ops.map.ok > 0 and .ops.gate.ok > 0 and .ops.host.ok > 0' <<<"$js"
	# the function's TDI ends whole and usable
	tdi_json "$tdi" | jq -e '.vm == null and .state == "CONFIG_UNLOCKED" and .host_access'
	assert_equal "$(cat "$SYSFS/nr_vms")" 0
	kill -INT "$keeper"
	wait "$keeper" || true
	echo 0 >/sys/kernel/tracing/events/tsmbpf/enable
}
