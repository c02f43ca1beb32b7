#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Real VFIO in the guest: the emulated PCIe functions (virtio-rng-pci) on
# the Debian vfio-pci driver, driven by tsmbpf_vmm through the type1
# container uAPI, as a VMM would.  Each host event that can revoke a
# function's MMIO is raised, and its effect checked where it lands: the
# device's own config space read through sysfs, its power state, the BAR
# mapping (read, or SIGBUS), and the virtio registers a reset clears.  No
# tsmbpf module here: this is the ground the variant driver stands on.
#
# BAR 4 is the virtio modern BAR; QEMU puts the common configuration at its
# start: num_queues (u16, 1 for virtio-rng) at 0x12, device_status (u8) at
# 0x14, which any reset of the function sets back to 0.

BAR=4
NUM_QUEUES=0x12
STATUS=0x14

setup_file() {
	load '../test_helper/common-setup'
	vfio_pci_load || return 1
	for bdf in "${PCI_TEST_FNS[@]}"; do
		pci_bind_driver "$bdf" vfio-pci || return 1
	done
}

teardown_file() {
	load '../test_helper/common-setup'
	local bad=0
	pci_restore_all || bad=1
	if grep -q '^vfio_pci ' /proc/modules; then
		retry 5 rmmod vfio_pci || cleanup_error "rmmod vfio_pci failed" || bad=1
	fi
	[ "$bad" = 0 ]
}

setup() {
	load '../test_helper/common-setup'
	_common_setup
}

teardown() {
	if [ -n "${VMM_PID:-}" ]; then
		kill "$VMM_PID" 2>/dev/null
		vmm_stop >/dev/null || true
	fi
}

# line ACTION [TEXT]: the JSON line of the last ACTION in TEXT (default:
# $output)
line() {
	jq -c --arg a "$1" 'select(.action == $a)' <<<"${2-$output}" | tail -n1
}

# vfio_maps PID: how many mappings of a VFIO device PID has
vfio_maps() {
	grep -c 'vfio-device' "/proc/$1/maps" || true
}

# cmd_bit BDF BIT: 1 if PCI_COMMAND of BDF, read from the device, has BIT
cmd_bit() {
	echo $((($(pci_config "$1" 0x04) & $2) != 0))
}

# pm_state BDF: the PMCSR power state bits of BDF, read from the device
pm_state() {
	local pm
	pm=$(pci_cap "$1" 0x01) || return 1
	echo $(($(pci_config "$1" $((pm + 4))) & 3))
}

runtime_status() {
	cat "$PCI_SYSFS/$1/power/runtime_status"
}

runtime_is() {
	[ "$(runtime_status "$1")" = "$2" ]
}

@test "the guest: three functions on vfio-pci, two sharing a group, the VFIO modules loaded" {
	for m in irqbypass vfio vfio_iommu_type1 vfio_pci_core vfio_pci; do
		grep -q "^$m " /proc/modules || fail "module $m not loaded"
	done
	for bdf in "${PCI_TEST_FNS[@]}"; do
		assert_equal "$(cat "$PCI_SYSFS/$bdf/vendor"):$(cat "$PCI_SYSFS/$bdf/device")" \
			0x1af4:0x1044
		assert_equal "$(pci_driver "$bdf")" vfio-pci
		[ -c "/dev/vfio/$(pci_group "$bdf")" ] || fail "no /dev/vfio/$(pci_group "$bdf")"
		# FLR in DEVCAP, for the flr tests
		exp=$(pci_cap "$bdf" 0x10)
		(($(pci_config "$bdf" $((exp + 4)) 4) & (1 << 28))) || fail "$bdf: no FLR"
	done
	assert_equal "$(pci_group "$PCI_SET_FN0")" "$(pci_group "$PCI_SET_FN1")"
	[ "$(pci_group "$PCI_SET_FN0")" != "$(pci_group "$PCI_LONE_FN")" ]
	# the two functions are one slot behind one root port, the third alone
	assert_equal "$(readlink -f "$PCI_SYSFS/$PCI_SET_FN0/..")" \
		"$(readlink -f "$PCI_SYSFS/$PCI_SET_FN1/..")"
	[ "$(readlink -f "$PCI_SYSFS/$PCI_SET_FN0/..")" != \
		"$(readlink -f "$PCI_SYSFS/$PCI_LONE_FN/..")" ]
}

@test "open: container, group, device; capabilities and BARs as the device has them" {
	bdf=$PCI_LONE_FN
	run tsmbpf_vmm -j "$bdf"
	assert_success
	l=$(line "open $bdf")
	jq -e --argjson g "$(pci_group "$bdf")" \
		--argjson pm $(($(pci_cap "$bdf" 0x01))) --argjson exp $(($(pci_cap "$bdf" 0x10))) \
		'.ok and .group == $g and .reset and .pm_cap == $pm and .exp_cap == $exp and
		 .iommu == "type1v2"' <<<"$l"
	# BAR 4's size is the resource's; it and the MSI-X BAR 1 are mapped
	read -r start end _ < <(sed -n 5p "$PCI_SYSFS/$bdf/resource")
	jq -e --argjson size $((end - start + 1)) '.size == $size and .mmap == "ok"' \
		<<<"$(line "bar 4")"
	jq -e '.mmap == "ok"' <<<"$(line "bar 1")"
}

@test "map BARs, read and write the device through the mapping" {
	vmm_start "$PCI_LONE_FN" hold
	assert_equal "$(vfio_maps "$VMM_PID")" 2
	vmm_stop
	run tsmbpf_vmm -j "$PCI_LONE_FN" "read-bar $BAR $NUM_QUEUES 2" \
		"write-bar $BAR $STATUS 1 1" "read-bar $BAR $STATUS 1"
	assert_success
	jq -e '.value == 1' <<<"$(line "read-bar $BAR $NUM_QUEUES 2")"
	jq -e '.value == 1' <<<"$(line "read-bar $BAR $STATUS 1")"
}

@test "mse-clear: memory decode off in the device, the mapping faults; mse-set restores both" {
	bdf=$PCI_LONE_FN
	vmm_start -j "$bdf" hold mse-clear "!read-bar $BAR $NUM_QUEUES 2" hold \
		mse-set "read-bar $BAR $NUM_QUEUES 2" hold
	assert_equal "$(cmd_bit "$bdf" 0x2)" 1
	vmm_continue
	assert_equal "$(cmd_bit "$bdf" 0x2)" 0
	vmm_continue
	assert_equal "$(cmd_bit "$bdf" 0x2)" 1
	vmm_stop
	jq -e '.ok and .before % 4 >= 2 and .after % 4 < 2' <<<"$(line mse-clear "$VMM_OUTPUT")"
	jq -e '.as_expected and .error == "SIGBUS"' \
		<<<"$(line "read-bar $BAR $NUM_QUEUES 2" "$(grep '"failure"' <<<"$VMM_OUTPUT")")"
	jq -e '.ok and .value == 1' \
		<<<"$(line "read-bar $BAR $NUM_QUEUES 2" "$(grep '"success"' <<<"$VMM_OUTPUT")")"
}

@test "bme-set, bme-clear: bus master in the device" {
	bdf=$PCI_LONE_FN
	vmm_start "$bdf" bme-set hold bme-clear hold
	assert_equal "$(cmd_bit "$bdf" 0x4)" 1
	vmm_continue
	assert_equal "$(cmd_bit "$bdf" 0x4)" 0
	vmm_stop
}

@test "d3hot, d0: PMCSR power state in the device, the mapping faults in D3hot" {
	bdf=$PCI_LONE_FN
	vmm_start -j "$bdf" hold d3hot "!read-bar $BAR 0 4" hold d0 "read-bar $BAR 0 4" hold
	assert_equal "$(pci_power_state "$bdf")" D0
	assert_equal "$(pm_state "$bdf")" 0
	vmm_continue
	assert_equal "$(pci_power_state "$bdf")" D3hot
	assert_equal "$(pm_state "$bdf")" 3
	vmm_continue
	assert_equal "$(pci_power_state "$bdf")" D0
	assert_equal "$(pm_state "$bdf")" 0
	vmm_stop
	jq -e '.ok and .after % 4 == 3' <<<"$(line d3hot "$VMM_OUTPUT")"
	jq -e '.ok and .after % 4 == 0' <<<"$(line d0 "$VMM_OUTPUT")"
	grep -q '"action":"read-bar 4 0 4".*"expect":"failure".*"error":"SIGBUS"' <<<"$VMM_OUTPUT"
}

# reset_clears ACTION: ACTION on the lone function resets it: the
# device_status written before reads 0 after
reset_clears() {
	run tsmbpf_vmm -j "$PCI_LONE_FN" "write-bar $BAR $STATUS 1 1" \
		"read-bar $BAR $STATUS 1" "$1" "read-bar $BAR $STATUS 1"
	assert_success
	assert_equal "$(jq -c 'select(.action == "read-bar 4 0x14 1") | .value' <<<"$output" |
		tr '\n' ' ')" "1 0 "
	jq -e '.ok' <<<"$(line "$1")"
}

@test "flr through PCIe DEVCTL resets the function" {
	reset_clears flr
	# initiate-FLR reads back 0 in the device
	exp=$(pci_cap "$PCI_LONE_FN" 0x10)
	assert_equal $(($(pci_config "$PCI_LONE_FN" $((exp + 8))) & 0x8000)) 0
}

@test "VFIO_DEVICE_RESET returns 0 and resets the function" {
	reset_clears reset
}

@test "hot reset of the two-function set resets both functions" {
	run tsmbpf_vmm -j "$PCI_SET_FN0,$PCI_SET_FN1" \
		"write-bar $BAR $STATUS 1 1" "dev 1" "write-bar $BAR $STATUS 1 1" \
		"dev 0" hot-reset "read-bar $BAR $STATUS 1" "dev 1" "read-bar $BAR $STATUS 1"
	assert_success
	jq -e --arg set "$PCI_SET_FN0 $PCI_SET_FN1" '.ok and .set == $set and .groups == 1' \
		<<<"$(line hot-reset)"
	for bdf in "$PCI_SET_FN0" "$PCI_SET_FN1"; do
		jq -se --arg b "$bdf" 'map(select(.action == "read-bar 4 0x14 1" and
			.bdf == $b)) | length == 1 and .[0].value == 0' <<<"$output"
	done
	# from the other function, with only that one open: the set's group
	# is the same, so the reset has what it needs
	run tsmbpf_vmm -j "$PCI_SET_FN1" hot-reset
	assert_success
	jq -e --arg set "$PCI_SET_FN0 $PCI_SET_FN1" '.set == $set' <<<"$(line hot-reset)"
}

@test "hot reset of the lone function: a set of one" {
	run tsmbpf_vmm -j "$PCI_LONE_FN" "write-bar $BAR $STATUS 1 1" hot-reset \
		"read-bar $BAR $STATUS 1"
	assert_success
	jq -e --arg set "$PCI_LONE_FN" '.ok and .set == $set' <<<"$(line hot-reset)"
	jq -e '.value == 0' <<<"$(line "read-bar $BAR $STATUS 1")"
}

@test "low-power entry: runtime-suspended in D3hot, the mapping faults; exit resumes" {
	bdf=$PCI_LONE_FN
	vmm_start -j "$bdf" hold low-power "!read-bar $BAR $NUM_QUEUES 2" "!low-power" hold \
		low-power-exit "read-bar $BAR $NUM_QUEUES 2" hold
	assert_equal "$(runtime_status "$bdf")" active
	vmm_continue
	# no config space reads here: they would wake the function
	retry 5 runtime_is "$bdf" suspended
	assert_equal "$(pci_power_state "$bdf")" D3hot
	vmm_continue
	assert_equal "$(runtime_status "$bdf")" active
	assert_equal "$(pci_power_state "$bdf")" D0
	vmm_stop
	grep -q '"action":"read-bar 4 0x12 2".*"expect":"failure".*"error":"SIGBUS"' <<<"$VMM_OUTPUT"
	# a second entry is refused
	jq -e '.as_expected and .error == "EINVAL"' <<<"$(line low-power "$VMM_OUTPUT")"
	jq -e '.ok and .value == 1' <<<"$(line "read-bar $BAR $NUM_QUEUES 2" \
		"$(grep '"success"' <<<"$VMM_OUTPUT")")"
}

@test "close: the mappings go, vfio-pci idles the function, actions after it fail" {
	bdf=$PCI_LONE_FN
	vmm_start "$bdf" hold close "!reset" hold
	assert_equal "$(vfio_maps "$VMM_PID")" 2
	assert_equal "$(runtime_status "$bdf")" active
	vmm_continue
	assert_equal "$(vfio_maps "$VMM_PID")" 0
	# the device is released, the group still open: vfio-pci suspends it
	retry 5 runtime_is "$bdf" suspended
	vmm_stop
	grep -qF '!reset: EBADF' <<<"$VMM_OUTPUT"
}

@test "the exit status: an action that did not do what was asked fails the run" {
	bdf=$PCI_LONE_FN
	run tsmbpf_vmm "$bdf" '!reset'
	assert_failure 1
	assert_line --partial '!reset: ok -- UNEXPECTED'
	run tsmbpf_vmm "$bdf" mse-clear "read-bar $BAR 0" mse-set reset
	assert_failure 1
	assert_line --partial 'read-bar 4 0: SIGBUS -- UNEXPECTED'
	# the actions after the failed one still run
	assert_line --partial 'reset: ok'
	run tsmbpf_vmm "$bdf" frobnicate
	assert_failure 2
	run tsmbpf_vmm 01:00.0
	assert_failure 2
}

@test "--hold keeps the functions open until a signal; the group cannot be opened twice" {
	bdf=$PCI_LONE_FN
	vmm_start --hold "$bdf"
	run tsmbpf_vmm -j "$bdf"
	assert_failure 1
	jq -e '.error == "EBUSY"' <<<"$(line "open $bdf")"
	kill -TERM "$VMM_PID"
	vmm_stop
	grep -qx 'hold: ok, ended_by=TERM' <<<"$VMM_OUTPUT"
	run tsmbpf_vmm "$bdf"
	assert_success
}
