#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Private MMIO as a dma-buf: tsmbpf_vmm exports BAR ranges of a function on
# tsmbpf_vfio_pci with VFIO_DEVICE_FEATURE_DMA_BUF (the upstream 6.19
# uAPI), imports the buffer into its VM's secure page table through
# TSMBPF_MMIO_IMPORT, and the TDI's unbind revokes it with
# dma_buf_move_notify(): the importer's entries leave the table and the
# buffer refuses attachments until mmio_recover.
#
# BAR 4 is the virtio modern BAR, 16 KiB on these functions; its dma-buf
# is 4 pages.

BAR=4
GPA=0x100000000

setup_file() {
	load '../test_helper/common-setup'
	vfio_suite_setup
}

teardown_file() {
	load '../test_helper/common-setup'
	vfio_suite_teardown
}

setup() {
	load '../test_helper/common-setup'
	_common_setup
	FN=$PCI_LONE_FN
}

teardown() {
	if [ -n "${VMM_PID:-}" ]; then
		kill "$VMM_PID" 2>/dev/null
		vmm_stop >/dev/null || true
	fi
	tsmbpf_cleanup_objects
}

# line N ACTION: the JSON line of the Nth (1-based) ACTION (its first word)
# in $output
line() {
	jq -c --arg a "$2" 'select((.action | split(" ")[0]) == $a)' <<<"$output" |
		sed -n "$1p"
}

# is N ACTION JQ: that line satisfies JQ, else fail showing it
is() {
	local l
	l=$(line "$1" "$2")
	[ -n "$l" ] || fail "no line $1 for '$2' in: $output"
	jq -e "$3" <<<"$l" >/dev/null || fail "$2 #$1: $l does not satisfy $3"
}

# fn_tdi BDF: the TDI of the PCI function BDF, as JSON
fn_tdi() {
	tsmctl -j dev list | jq -c --arg b "$1" '.[] | select(.bdf == $b)'
}

@test "each platform: the dma-buf maps its BAR into the VM's table, the accept accepts it, the unbind revokes it" {
	for plat in tdx sev-tio cca; do
		run tsmbpf_vmm -j "$FN" "dmabuf-export $BAR" "tdi-bind $plat noaccept" \
			"dmabuf-import $GPA 4k" vm-info tdi-accept vm-info \
			'tdi-unbind keep' vm-info '!dmabuf-import 0x200000000' tdi-unbind
		assert_success
		is 1 dmabuf-export '.ok and .size == 16384'
		is 1 dmabuf-import '.ok and .size == 16384 and .import == 1'
		# PENDING, then accepted with the TDI
		is 1 vm-info '.imports == 1 and .import_pages == 4 and .import_accepted == 0'
		is 2 vm-info '.imports == 1 and .import_pages == 4 and .import_accepted == 4'
		# the unbind dropped the import's entries: nothing left in the table
		is 3 vm-info '.imports == 1 and .import_pages == 0 and .leaves_4k == 0 and .leaves_2m == 0'
		# unbound: the buffer is valid again, but not for this VM
		is 2 dmabuf-import '.as_expected and .error == "EPERM"'
		tdi=$(fn_tdi "$FN" | jq .tdi)
		[ -n "$tdi" ] || fail "no TDI for $FN"
		tsmctl dev destroy "$tdi"
	done
}

@test "the import names the exporting function's TDI; a range of the BAR maps only that range" {
	run tsmbpf_vmm -j "$FN" "dmabuf-export $BAR 0x1000 0x2000" 'tdi-bind tdx' \
		"dmabuf-import $GPA" vm-info tdi-unbind
	assert_success
	is 1 dmabuf-import '.ok and .size == 8192'
	is 1 vm-info '.imports == 1 and .import_pages == 2'
	tdi=$(line 1 dmabuf-import | jq .tdi)
	assert_equal "$(fn_tdi "$FN" | jq .tdi)" "$tdi"
	assert_equal "$(line 1 tdi-bind | jq .tdi)" "$tdi"
}

@test "a revoked buffer refuses new attachments until mmio_recover; after it a new bind imports again" {
	tdi=$(tsmctl dev create platform tdx pci "$FN")
	vmm_start -j "$FN" "dmabuf-export $BAR" 'tdi-bind tdx' "dmabuf-import $GPA" hold \
		'!tdi-unbind keep' vm-info '!dmabuf-import 0x200000000' "!mmap $BAR" hold \
		tdi-unbind 'tdi-bind tdx' "dmabuf-import $GPA" vm-info tdi-unbind
	inject "$tdi" mmio_recover 3
	vmm_continue
	# mmio_unmap done, mmio_recover refused: revoked, not shared
	tdi_json "$tdi" | jq -e '.state == "CONFIG_UNLOCKED" and (.shared_mmio | not)'
	vmm_stop
	output=$VMM_OUTPUT
	is 1 tdi-unbind '.as_expected and (.ok | not)'
	is 1 vm-info '.imports == 1 and .import_pages == 0 and .leaves_4k == 0'
	is 1 dmabuf-import '.ok'
	is 2 dmabuf-import '.as_expected and .error == "ENODEV"'
	is 1 mmap '.as_expected and .error == "EBUSY"'
	# the retry recovered: the same buffer imports into the new VM
	is 2 tdi-unbind '.ok'
	is 3 dmabuf-import '.ok and .import == 1 and .size == 16384'
	is 2 vm-info '.imports == 1 and .import_pages == 4'
	assert_equal "$VMM_STATUS" 0
}

@test "a gated host event revokes: FLR of the bound function drops the import's entries" {
	run tsmbpf_vmm -j "$FN" "dmabuf-export $BAR" 'tdi-bind sev-tio noaccept' \
		"dmabuf-import $GPA" tdi-accept vm-info flr vm-info '!dmabuf-import 0x200000000' tdi-unbind
	assert_success
	is 1 vm-info '.import_pages == 4 and .import_accepted == 4'
	is 1 flr '.ok'
	is 2 vm-info '.imports == 1 and .import_pages == 0 and .leaves_4k == 0 and .leaves_2m == 0'
	# recovered after the unbind, so the refusal is the VM's, not the buffer's
	is 2 dmabuf-import '.as_expected and .error == "EPERM"'
}

@test "close of the device revokes its buffers for good; the unbind comes first" {
	run tsmbpf_vmm -j "$FN" "dmabuf-export $BAR" 'tdi-bind cca' "dmabuf-import $GPA" \
		close vm-info '!dmabuf-import 0x200000000' dmabuf-release dmabuf-close
	assert_success
	is 1 vm-info '.imports == 1 and .import_pages == 0 and .leaves_4k == 0'
	is 2 dmabuf-import '.as_expected and .error == "ENODEV"'
	is 1 dmabuf-release '.ok'
	fn_tdi "$FN" | jq -e '.state == "CONFIG_UNLOCKED" and (.vm | not)'
}

@test "export: bad arguments get the upstream errors" {
	# BAR 0 is not a memory BAR here; BAR 1 (MSI-X) is 4 KiB
	run tsmbpf_vmm -j "$FN" '!dmabuf-export 0' "!dmabuf-export $BAR 0 0x1000 1" \
		"!dmabuf-export $BAR 0 0x1000 0 0" "!dmabuf-export $BAR 0 0x1000 0 65" \
		"!dmabuf-export $BAR 0 0x1000 0 2" "!dmabuf-export $BAR 0x10 0x1000" \
		"!dmabuf-export $BAR 0 0" "!dmabuf-export $BAR 0 0x100000" \
		"!dmabuf-export $BAR 0x3000 0x2000" "!dmabuf-export $BAR 0xfffffffffffff000 0x2000" \
		"dmabuf-export $BAR 0x1000 0x2000"
	assert_success
	is 1 dmabuf-export '.error == "ENODEV"'	# no memory BAR
	is 2 dmabuf-export '.error == "EINVAL"'	# flags
	is 3 dmabuf-export '.error == "EINVAL"'	# no range
	is 4 dmabuf-export '.error == "E2BIG"'	# over 64 ranges
	is 5 dmabuf-export '.error == "EINVAL"'	# argsz short of 2 ranges
	is 6 dmabuf-export '.error == "EINVAL"'	# unaligned offset
	is 7 dmabuf-export '.error == "EINVAL"'	# empty range
	is 8 dmabuf-export '.error == "EINVAL"'	# past the BAR
	is 9 dmabuf-export '.error == "EINVAL"'	# ends past the BAR
	is 10 dmabuf-export '.error == "EINVAL"'	# offset + length overflows
	is 11 dmabuf-export '.ok and .size == 8192'
}

@test "import: bad input is refused with nothing mapped and nothing kept" {
	run tsmbpf_vmm -j "$FN" "dmabuf-export $BAR" '!dmabuf-import 0' \
		'tdi-bind tdx noaccept' "import-file /dev/null $GPA" \
		"dmabuf-import 0x1234" "dmabuf-import 0x800000000000" \
		"dmabuf-import 0x7ffffffff000" "dmabuf-import $GPA" "dmabuf-import $GPA" \
		vm-info dmabuf-release dmabuf-release vm-info tdi-unbind
	# expected failures are not marked: check each line's error
	is 1 dmabuf-import '.error == "ENOENT"'	# no TDI yet: VM 0
	is 1 import-file '.error == "EINVAL"'	# not a dma-buf
	is 2 dmabuf-import '.error == "EINVAL"'	# unaligned GPA
	is 3 dmabuf-import '.error == "ERANGE"'	# in the TDIs' windows
	is 4 dmabuf-import '.error == "ERANGE"'	# runs into them
	is 5 dmabuf-import '.ok and .import == 1'
	is 6 dmabuf-import '.error == "EEXIST"'	# overlaps the first
	is 1 vm-info '.imports == 1 and .import_pages == 4'
	is 1 dmabuf-release '.ok'
	is 2 dmabuf-release '.error == "ENOENT"'
	is 2 vm-info '.imports == 0 and .import_pages == 0'
	is 1 tdi-unbind '.ok'
}

@test "a VM's destroy releases its imports; no buffer keeps the variant driver" {
	vmm_start -j "$FN" "dmabuf-export $BAR" 'tdi-bind tdx' "dmabuf-import $GPA" hold dmabuf-close
	output=$(cat "$VMM_OUT")
	vm=$(line 1 tdi-bind | jq .vm)
	tdi=$(line 1 tdi-bind | jq .tdi)
	tsmctl vm show "$vm"
	run tsmctl vm destroy "$vm" unbind
	assert_success
	run tsmctl vm show "$vm"
	assert_failure
	vmm_stop
	tsmctl dev destroy "$tdi"
	# nothing holds the module: no dma-buf, no attachment, no TDI
	assert_equal "$(awk '$1 == "tsmbpf_vfio_pci" { print $3 }' /proc/modules)" 0
}

@test "private MMIO: the BAR's region refuses pread and pwrite while bound, as its mapping does" {
	run tsmbpf_vmm -j "$FN" "region-read $BAR 0x12 2" 'tdi-bind tdx' \
		"!region-read $BAR 0x12 2" "!region-write $BAR 0x16 0 2" "!mmap $BAR" \
		'!region-read 1 0 4' tdi-unbind "region-read $BAR 0x12 2" 'cfg-read 0 2'
	assert_success
	is 1 region-read '.ok'
	is 2 region-read '.as_expected and .error == "EBUSY"'
	is 1 region-write '.as_expected and .error == "EBUSY"'
	# every memory BAR of the function is private, the MSI-X one too
	is 3 region-read '.as_expected and .error == "EBUSY"'
	# unbound: the region reads the same as before; config space always did
	v=$(line 1 region-read | jq -r .value)
	is 4 region-read ".ok and .value == $v"
	is 1 cfg-read '.ok'
}

@test "VFIO_DEVICE_IOEVENTFD with bit 63 of the offset is refused, not passed to vfio-pci-core" {
	# vfio-pci-core 6.12 computes a negative BAR index from it and reads
	# out of bounds (an oops on plain vfio-pci)
	run tsmbpf_vmm -j "$FN" '!ioeventfd 0xf3010c165f3aa4a1' '!ioeventfd 0x8000000000000000' \
		'!ioeventfd 0x70000000000' 'read-bar 4 0x12 2'
	assert_success
	is 1 ioeventfd '.error == "EINVAL"'
	is 2 ioeventfd '.error == "EINVAL"'
	is 3 ioeventfd '.error == "EINVAL"'	# the ROM region: no ioeventfd
}
