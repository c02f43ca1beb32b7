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
	[ -z "${TRACE_KEEPERS[*]:-}" ] || tsmbpf_trace_keepers_stop
	tsmbpf_cleanup_objects
}

@test "stress: $SECS s of random operations, policy swaps, tracing, rmmod attempts and host events; invariants hold" {
	local seed=${TSMBPF_SEED:-$RANDOM}
	# the tracing thread attaches and detaches while the others run
	tsmbpf_trace_keepers_start
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
	tsmbpf_trace_keepers_stop
}
