#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Crash-safe ownership: VMs and TDIs created with TSMBPF_VM_CREATE_OWNED /
# TSMBPF_TDI_CREATE_OWNED belong to the open file of /dev/tsmbpf that made
# them, as a KVM VM to its fd.  A VMM killed with SIGKILL at any point of
# bind, accept, fault-in or unbind leaves no TDI bound and no VM behind.
# tsmbpf_owner loops over owned objects; tsmbpf_vmm owns its VM.
#
# TSMBPF_SEED seeds the kill points (the runner passes it; the seed is
# printed so that a failure can be replayed).

KILLS=${TSMBPF_OWNER_KILLS:-200}

setup_file() {
	load '../test_helper/common-setup'
	tsmbpf_load_core
}

teardown_file() {
	load '../test_helper/common-setup'
	local bad=0
	tsmbpf_cleanup_objects || bad=1
	if grep -q '^tsmbpf_vfio_pci ' /proc/modules; then
		pci_restore_all || bad=1
		retry 5 rmmod tsmbpf_vfio_pci ||
			cleanup_error "rmmod tsmbpf_vfio_pci failed" || bad=1
	fi
	tsmbpf_unload_all || bad=1
	[ "$bad" = 0 ]
}

setup() {
	load '../test_helper/common-setup'
	_common_setup
	mkdir -p "$PINDIR"
	dmesg -c >/dev/null
}

teardown() {
	tsmbpf_cleanup_objects
}

# nothing_left WHEN: no VM, no TDI, no secure page table page
nothing_left() {
	local c v
	for c in nr_vms nr_tdis spt_pages; do
		v=$(cat "$SYSFS/$c")
		[ "$v" = 0 ] || fail "$1: $c is $v"
	done
}

# ms_sleep MS: sleep MS milliseconds
ms_sleep() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

@test "owned objects go with their file at a normal exit; global ones stay" {
	run tsmbpf_owner -q -p mix -n 6 -i 3
	assert_success
	jq -e '.failures == 0 and .ops == 72' <<<"$output"
	nothing_left "after exit"
	run tsmbpf_owner -q -g -n 2 -i 1
	assert_success
	assert_equal "$(cat "$SYSFS/nr_vms") $(cat "$SYSFS/nr_tdis")" "1 2"
	tsmctl -j vm list | jq -e '.[0].owner_pid == 0'
}

@test "an owned VM and TDI show their owner; tsmctl's stay global" {
	coproc OWNER { exec tsmbpf_owner -p tdx -n 1 3>&-; }
	read -r -t 30 line <&"${OWNER[0]}" || fail "tsmbpf_owner did not start"
	vm=$(sed -n 's/.*vm=\([0-9]*\).*/\1/p' <<<"$line")
	tsmctl -j vm show "$vm" | jq -e --argjson p "$OWNER_PID" '.owner_pid == $p'
	tsmctl -j dev list | jq -e 'length == 1 and .[0].owned'
	run tsmctl vm list
	assert_output --partial "pid $OWNER_PID"
	kill -9 "$OWNER_PID"
	wait "$OWNER_PID" || true
	nothing_left "after SIGKILL"
	t=$(tsmctl vm create)
	tsmctl -j vm show "$t" | jq -e '.owner_pid == 0'
}

@test "SIGKILL at random points of bind, accept, fault-in and unbind, $KILLS times: nothing left" {
	local seed=${TSMBPF_SEED:-$RANDOM} i delay pid early=0
	echo "# seed $seed" >&3
	RANDOM=$seed
	for ((i = 0; i < KILLS; i++)); do
		# the second half with the three platform policies attached
		if ((i == KILLS / 2)); then
			for p in tdx_connect sev_tio cca; do
				tsmctl policy load "$POLDIR/$p.bpf.o" >/dev/null
			done
		fi
		delay=$((RANDOM % 300))
		tsmbpf_owner -q -p mix -n 3 -s "$RANDOM" 3>&- &
		pid=$!
		ms_sleep "$delay"
		kill -9 "$pid" 2>/dev/null || early=$((early + 1))
		wait "$pid" 2>/dev/null || true
		nothing_left "kill $i (seed $seed, after $delay ms)"
	done
	echo "# $KILLS kills, $early of them after the program had failed or ended" >&3
	[ "$early" = 0 ]
	# every release ran to the end: nothing stayed behind with a warning
	run dmesg
	refute_output --partial "its owner went, but it stays"
	tsmctl -j stats | jq -e '.policy_ejections == 0'
}

@test "an operator's TDI bound to an owned VM is unbound through the gate when the owner dies, and stays" {
	coproc OWNER { exec tsmbpf_owner -p cca -n 2 3>&-; }
	read -r -t 30 line <&"${OWNER[0]}" || fail "tsmbpf_owner did not start"
	vm=$(sed -n 's/.*vm=\([0-9]*\).*/\1/p' <<<"$line")
	tdi=$(new_tdi tdx 71:00.0)
	bind_run "$tdi" "$vm"
	tdi_json "$tdi" | jq -e '.state == "RUN" and (.owned | not)'
	kill -9 "$OWNER_PID"
	wait "$OWNER_PID" || true
	tdi_json "$tdi" | jq -e '.state == "CONFIG_UNLOCKED" and .vm == null and .mmio_pages == 0 and
		(.dma | not) and (.metadata | not) and .shared_mmio'
	assert_equal "$(cat "$SYSFS/nr_vms") $(cat "$SYSFS/nr_tdis")" "0 1"
}

@test "4,096 TDIs go in seconds: owned ones in one close, global ones with tsmctl dev destroy all" {
	local t0 t1 t2
	t0=$(date +%s%N)
	run tsmbpf_owner -c -q -p mix -n 4096
	assert_success
	t1=$(date +%s%N)
	nothing_left "after the close"
	tsmbpf_owner -c -q -g -p mix -n 4096 >/dev/null
	t2=$(date +%s%N)
	run tsmctl -j dev destroy all
	assert_success
	jq -e '.destroyed == 4096 and .failed == 0' <<<"$output"
	run tsmctl -j vm destroy all
	assert_success
	jq -e '.destroyed == 1 and .failed == 0' <<<"$output"
	nothing_left "after destroy all"
	echo "# 4096 TDIs: created and released by a close in $(((t1 - t0) / 1000000)) ms;" \
		"destroyed by tsmctl dev destroy all in $((($(date +%s%N) - t2) / 1000000)) ms" >&3
}

@test "destroy all: bound TDIs are unbound first; a VM with TDIs bound stays without unbind" {
	vm=$(tsmctl vm create)
	t0=$(new_tdi tdx 72:00.0)
	t1=$(new_tdi cca 72:00.1)
	bind_run "$t0" "$vm"
	run tsmctl vm destroy all
	assert_failure
	assert_output --partial "VM $vm stays"
	assert_output --partial "vm destroy all unbind"
	run tsmctl -j dev destroy all
	assert_success
	jq -e '.destroyed == 2 and .unbound == 1 and .failed == 0' <<<"$output"
	run tsmctl vm destroy all unbind
	assert_success
	assert_output "1 VMs destroyed, 0 failed"
	nothing_left "after destroy all"
}

@test "the VMM stand-in killed at random points of bind, import and unbind: its function's TDI unbound, its VM gone" {
	local seed=${TSMBPF_SEED:-$RANDOM} i delay pid fn=$PCI_LONE_FN
	insmod "$MODDIR/tsmbpf_vfio_pci.ko"
	pci_bind_driver "$fn" tsmbpf_vfio_pci
	tdi=$(tsmctl dev create platform tdx pci "$fn")
	RANDOM=$seed
	for ((i = 0; i < 20; i++)); do
		delay=$((RANDOM % 1500))
		tsmbpf_vmm -j "$fn" 'dmabuf-export 4' 'tdi-bind tdx noaccept' \
			'dmabuf-import 0x100000000' tdi-accept 'tdi-unbind keep' \
			'tdi-bind tdx' tdi-unbind >/dev/null 2>&1 3>&- &
		pid=$!
		ms_sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		tdi_json "$tdi" | jq -e '.vm == null and .state == "CONFIG_UNLOCKED" and .host_access' >/dev/null ||
			fail "kill $i (seed $seed, $delay ms): $(tdi_json "$tdi")"
		assert_equal "$(cat "$SYSFS/nr_vms")" 0
	done
	# the function works for the next VMM
	run tsmbpf_vmm -j "$fn" 'tdi-bind tdx' tdi-unbind 'read-bar 4 0x12 2'
	assert_success
}
