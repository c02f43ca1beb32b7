#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Foundation: the struct_ops pipeline end to end.  A policy attaches through
# tsmctl and through bpftool, its callback runs when the core unbinds a
# TDI, its kfunc calls reach the module, and the module is pinned while a
# policy is attached.

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
}

# every policy detached, every TDI and VM gone, the core clean
teardown() {
	tsmbpf_cleanup_objects
}

# new_bound_tdi PLATFORM BDF: create a VM and a TDI, bind and accept it;
# their ids in $vm and $tdi.  Called as a command, not in $(...), where
# errexit is off: each step fails the caller itself.
new_bound_tdi() {
	vm=$(tsmctl vm create) || return 1
	tdi=$(tsmctl dev create platform "$1" bdf "$2" bar 2M bar 16K) || return 1
	tsmctl dev bind "$tdi" vm "$vm" accept >/dev/null || return 1
}

@test "policy loaded by tsmctl runs on unbind and its kfuncs reach the module" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	assert_output --partial "loaded policy tdx_connect"
	[ -e "$PINDIR/tdx_connect" ]
	assert_equal "$(slot tdx)" tdx_connect

	new_bound_tdi tdx 00:01.0
	run tsmctl -j dev show "$tdi"
	assert_success
	echo "$output" | jq -e '.state == "RUN" and .mmio_pages == 516 and .dma'

	k0=$(counter kfunc_calls)
	p0=$(counter unbinds_policy)
	n0=$(counter unbinds_native)
	run tsmctl dev unbind "$tdi"
	assert_success

	# stop, unmap, dma teardown, reclaim, recover: five kfunc calls
	assert_equal "$(counter kfunc_calls)" "$((k0 + 5))"
	assert_equal "$(counter unbinds_policy)" "$((p0 + 1))"
	assert_equal "$(counter unbinds_native)" "$n0"
	run tsmctl -j dev show "$tdi"
	echo "$output" | jq -e '.state == "CONFIG_UNLOCKED" and .mmio_pages == 0 and
		(.dma | not) and (.metadata | not) and .shared_mmio and .vm == null'
}

@test "without a policy the native fallback unbinds" {
	assert_equal "$(slot tdx)" "-"
	new_bound_tdi tdx 00:02.0
	k0=$(counter kfunc_calls)
	n0=$(counter unbinds_native)
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_equal "$(counter kfunc_calls)" "$k0"
	assert_equal "$(counter unbinds_native)" "$((n0 + 1))"
}

@test "rmmod is refused while a policy is attached and works after detach" {
	# the core alone: nothing but the policy pins it
	tsmbpf_unload_all
	insmod "$MODDIR/tsmbpf.ko"
	run tsmctl policy load "$POLDIR/cca.bpf.o"
	assert_success
	run rmmod tsmbpf
	assert_failure
	grep -q '^tsmbpf ' /proc/modules

	run tsmctl policy unload cca
	assert_success
	run retry 10 rmmod tsmbpf
	assert_success
	run grep -q '^tsmbpf ' /proc/modules
	assert_failure
	tsmbpf_load_core
}

@test "bpftool struct_ops register, show, and detach by unpinning the link" {
	mkdir -p "$PINDIR"
	run bpftool struct_ops register "$POLDIR/sev_tio.bpf.o" "$PINDIR"
	assert_success
	[ -e "$PINDIR/sev_tio" ]
	assert_equal "$(slot sev-tio)" sev_tio

	run bpftool struct_ops show
	assert_success
	assert_output --partial "sev_tio"
	assert_output --partial "tsmbpf_ops"

	run bpftool -j struct_ops show
	assert_success
	echo "$output" | jq -e 'map(select(.name == "sev_tio" and .kernel_struct_ops == "tsmbpf_ops")) | length == 1'

	run bpftool struct_ops dump name sev_tio
	assert_success
	assert_output --partial "sev_tio"

	# the core calls the bpftool-registered policy too
	new_bound_tdi sev-tio 00:03.0
	p0=$(counter unbinds_policy)
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_equal "$(counter unbinds_policy)" "$((p0 + 1))"

	rm "$PINDIR/sev_tio"
	# the slot is read on every try: the link goes after a grace period
	run retry 5 slot_is sev-tio -
	assert_success
}

@test "tsmctl policy list shows pinned policies and slots, also as JSON" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	run tsmctl policy list
	assert_success
	assert_output --partial "tdx_connect"
	run tsmctl -j policy list
	assert_success
	echo "$output" | jq -e '(.policies | map(.name) | index("tdx_connect")) != null and
		(.slots[] | select(.platform == "tdx") | .policy) == "tdx_connect" and
		(.slots[] | select(.platform == "cca") | .policy) == null'
}

@test "loading a policy that is already loaded is refused without harm" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_failure
	assert_output --partial "already loaded"
	assert_equal "$(slot tdx)" tdx_connect
}
