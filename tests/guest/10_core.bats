#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Kernel core: VMs, TDIs, the TDISP state machine, the emulated TDX Connect,
# SEV-TIO and CCA firmware and their ordering rules, the uAPI's handling of
# bad input, and injected firmware failures.  No policy is attached: every
# unbind here runs the native fallback.

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
	vm=$(tsmctl vm create)
}

teardown() {
	tsmbpf_cleanup_objects
}

@test "each platform: bind, accept, RUN, unbind leaves the TDI torn down and shared" {
	for plat in tdx sev-tio cca; do
		tdi=$(new_tdi "$plat" 01:00.0)
		run tsmctl dev bind "$tdi" vm "$vm" vbdf 00:05.0 viommu tsm-vtd
		assert_success
		tdi_json "$tdi" | jq -e '.state == "CONFIG_LOCKED" and .metadata and .dma and
			(.shared_mmio | not) and .mmio_pages == 516 and .vbdf == "0000:00:05.0" and
			.viommu == "tsm-vtd"'
		nonce=$(echo "$output" | sed -n 's/.*nonce \(0x[0-9a-f]*\).*/\1/p')
		run tsmctl dev accept "$tdi" nonce "$nonce"
		assert_success
		assert_equal "$(cat /sys/kernel/tsmbpf/tdis/$tdi/state)" RUN
		run tsmctl dev unbind "$tdi"
		assert_success
		assert_torn_down "$tdi"
		assert_equal "$(cat /sys/kernel/tsmbpf/tdis/$tdi/state)" CONFIG_UNLOCKED
		tsmctl dev destroy "$tdi"
	done
}

@test "100 cycles on 32 TDIs per platform, counters back to zero" {
	base=$(cat /sys/kernel/tsmbpf/spt_pages)
	bus=0x40
	for plat in tdx sev-tio cca; do
		run tsmbpf_cycle -p "$plat" -n 32 -i 100 -b "$bus" -q
		assert_success
		echo "$output" | jq -e '.cycles == 3200 and .failures == 0 and .not_torn_down == 0'
		bus=$((bus + 1))
	done
	assert_equal "$(cat /sys/kernel/tsmbpf/nr_tdis)" 0
	assert_equal "$(cat /sys/kernel/tsmbpf/spt_pages)" "$base"
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.bound == 0 and .spt_leaves_4k == 0 and .spt_leaves_2m == 0 and .spt_pages == 1'
}

@test "TDX Connect: every wrong unbind order is refused with its TDX error" {
	tdi=$(new_tdi tdx 02:00.0)
	bind_run "$tdi" "$vm"
	assert_step_refused "$tdi" mmio_unmap TDX_DEVIF_INVALID_STATE
	assert_step_refused "$tdi" dma_teardown TDX_DEVIF_INVALID_STATE
	assert_step_refused "$tdi" tdi_reclaim TDX_DEVIF_INVALID_STATE
	assert_step_refused "$tdi" mmio_recover TDX_DEVIF_INVALID_STATE
	assert_step_ok "$tdi" tdi_stop
	assert_step_refused "$tdi" tdi_stop TDX_DEVIF_INVALID_STATE
	assert_step_refused "$tdi" tdi_reclaim TDX_DEVIF_HAS_MAPPED_MMIO
	assert_step_refused "$tdi" dma_teardown TDX_DEVIF_HAS_MAPPED_MMIO
	assert_step_ok "$tdi" mmio_unmap
	assert_step_refused "$tdi" tdi_reclaim TDX_DEVIF_HAS_MAPPED_DMA
	assert_step_ok "$tdi" dma_teardown
	assert_step_refused "$tdi" mmio_recover TDX_DEVIF_INVALID_STATE
	assert_step_ok "$tdi" tdi_reclaim
	assert_step_ok "$tdi" mmio_recover
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
}

@test "TDX Connect: ERROR accepts only STOP; one outstanding TDISP request" {
	tdi=$(new_tdi tdx 02:01.0)
	bind_run "$tdi" "$vm"
	echo "$tdi 1" >/sys/kernel/debug/tsmbpf_emu/outstanding
	assert_step_refused "$tdi" tdi_stop TDX_DEVIF_TDISP_OUT_REQ
	echo "$tdi 0" >/sys/kernel/debug/tsmbpf_emu/outstanding
	assert_step_ok "$tdi" device_error
	assert_equal "$(tdi_field "$tdi" state)" ERROR
	assert_step_refused "$tdi" tdi_start TDX_DEVIF_TDISP_ERROR_STATE
	assert_step_refused "$tdi" mmio_map TDX_DEVIF_TDISP_ERROR_STATE
	assert_step_refused "$tdi" mmio_unmap TDX_DEVIF_INVALID_STATE
	run tsmctl dev unbind "$tdi" reason error
	assert_success
	assert_torn_down "$tdi"
}

@test "SEV-TIO: RMP immutable until unbound; reclaim waits for MMIO and DMA; ERROR fences the ASID" {
	tdi=$(new_tdi sev-tio 03:00.0)
	bind_run "$tdi" "$vm"
	assert_step_refused "$tdi" mmio_unmap SEV_TIO_RMP_IMMUTABLE
	assert_step_refused "$tdi" dma_teardown SEV_TIO_RMP_IMMUTABLE
	assert_step_refused "$tdi" tdi_reclaim SEV_TIO_INVALID_STATE
	assert_step_ok "$tdi" tdi_stop
	assert_step_refused "$tdi" tdi_reclaim SEV_TIO_MMIO_IN_USE
	assert_step_ok "$tdi" dma_teardown	# either order after the stop
	assert_step_refused "$tdi" tdi_reclaim SEV_TIO_MMIO_IN_USE
	assert_step_ok "$tdi" mmio_unmap
	assert_step_ok "$tdi" tdi_reclaim
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"

	# ERROR fences DMA; the fence must be cleared before the next lock
	bind_run "$tdi" "$vm"
	assert_step_ok "$tdi" device_error
	assert_equal "$(tdi_field "$tdi" fenced)" true
	for s in tdi_stop mmio_unmap dma_teardown tdi_reclaim; do
		assert_step_ok "$tdi" "$s"
	done
	assert_step_refused "$tdi" tdi_lock SEV_TIO_ASID_FENCED
	assert_step_ok "$tdi" fence_clear
	assert_equal "$(tdi_field "$tdi" fenced)" false
	assert_step_ok "$tdi" tdi_lock
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"

	# the native bind clears a fence itself
	bind_run "$tdi" "$vm"
	assert_step_ok "$tdi" device_error
	run tsmctl dev unbind "$tdi" reason error
	assert_success
	assert_equal "$(tdi_field "$tdi" fenced)" true
	run tsmctl dev bind "$tdi" vm "$vm" accept
	assert_success
	assert_equal "$(tdi_field "$tdi" fenced)" false
}

@test "CCA: memory and DMA must go before VDEV_UNLOCK; VDEV_DESTROY works from ERROR" {
	tdi=$(new_tdi cca 04:00.0)
	bind_run "$tdi" "$vm"
	assert_step_refused "$tdi" tdi_stop RMI_ERROR_DEVICE_MEMORY
	assert_step_refused "$tdi" dma_teardown RMI_ERROR_DEVICE_MEMORY
	assert_step_refused "$tdi" tdi_reclaim RMI_ERROR_DEVICE_STATE
	assert_step_ok "$tdi" mmio_unmap
	assert_step_refused "$tdi" tdi_stop RMI_ERROR_DEVICE_DMA
	assert_step_refused "$tdi" tdi_reclaim RMI_ERROR_DEVICE_STATE
	assert_step_ok "$tdi" dma_teardown
	assert_step_ok "$tdi" tdi_stop
	assert_step_ok "$tdi" key_purge
	assert_step_ok "$tdi" tdi_reclaim
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"

	bind_run "$tdi" "$vm"
	assert_step_ok "$tdi" device_error
	assert_step_ok "$tdi" mmio_unmap
	assert_step_ok "$tdi" dma_teardown
	assert_step_ok "$tdi" tdi_reclaim	# VDEV_DESTROY straight from ERROR
	assert_equal "$(tdi_field "$tdi" state)" CONFIG_UNLOCKED
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
}

@test "VM destroy is refused while a TDI is bound" {
	tdi=$(new_tdi tdx 05:00.0)
	bind_run "$tdi" "$vm"
	run tsmctl vm destroy "$vm"
	assert_failure
	assert_output --partial "still has bound device interfaces"
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.bound == 1'
	run tsmctl dev destroy "$tdi"
	assert_failure
	tsmctl dev unbind "$tdi"
	run tsmctl vm destroy "$vm"
	assert_success
}

@test "an smmuv3 vIOMMU cannot carry a TSM device" {
	tdi=$(new_tdi cca 05:01.0)
	run tsmctl dev bind "$tdi" vm "$vm" viommu smmuv3
	assert_failure
	assert_output --partial "cannot carry a TSM device interface"
	assert_torn_down "$tdi"
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.bound == 0'
}

@test "START with a wrong nonce is refused and the TDI stays locked" {
	for plat in tdx sev-tio cca; do
		tdi=$(new_tdi "$plat" 05:02.0)
		run tsmctl -j dev bind "$tdi" vm "$vm"
		assert_success
		nonce=$(echo "$output" | jq -r .nonce)
		run tsmctl -j dev accept "$tdi" nonce 2	# nonces are odd
		assert_failure
		echo "$output" | jq -e '.fw_error | test("NONCE")'
		assert_equal "$(tdi_field "$tdi" state)" CONFIG_LOCKED
		run tsmctl dev accept "$tdi" nonce "$nonce"
		assert_success
		assert_equal "$(tdi_field "$tdi" state)" RUN
		tsmctl dev unbind "$tdi"
		tsmctl dev destroy "$tdi"
	done
}

@test "uAPI: short argsz, unknown flags, unknown ids, bad ranges, non-root all refused and change nothing" {
	tdi=$(new_tdi tdx 06:00.0)
	run uapi_check "$tdi" "$vm"
	echo "$output"
	assert_success
	refute_output --partial "not ok"
	assert_torn_down "$tdi"
}

@test "tsmctl: bad input gets a clear error" {
	run tsmctl dev create platform cove bdf 00:01.0 bar 4K
	assert_failure
	assert_output --partial "unknown platform"
	run tsmctl dev create platform tdx bdf 00:20.0 bar 4K
	assert_failure
	assert_output --partial "invalid BDF"
	run tsmctl dev create platform tdx bdf 00:01.0 bar 3M
	assert_failure
	assert_output --partial "powers of two"
	tdi=$(new_tdi tdx 06:01.0)
	run tsmctl dev create platform tdx bdf 06:01.0 bar 4K
	assert_failure
	assert_output --partial "already exists"
	run tsmctl dev bind 9999 vm "$vm"
	assert_failure
	run tsmctl dev unbind "$tdi"
	assert_failure
	assert_output --partial "not bound"
	run tsmctl dev frobnicate
	assert_failure
	run tsmctl -j dev show 4242
	assert_failure
	echo "$output" | jq -e '.error'
	run tsmctl dev help
	assert_success
	assert_output --partial "Usage:"
	run tsmctl stats steps everything
	assert_failure
	assert_output --partial "unexpected argument 'everything'"
	run tsmctl stats frobnicate
	assert_failure
	assert_output --partial "unknown command 'frobnicate'"
}

@test "secure page table: 1 GiB with mixed 4 KiB and 2 MiB leaves maps and unmaps without a leak" {
	base=$(cat /sys/kernel/tsmbpf/spt_pages)
	kept_base=$(cat /sys/kernel/tsmbpf/spt_kept_pages)
	tdi=$(new_tdi tdx 07:00.0 1G)
	run tsmctl dev bind "$tdi" vm "$vm" lazy accept
	assert_success
	# 4 KiB at both ends, 2 MiB leaves in between
	run tsmctl dev map "$tdi" bar 0 offset 4K size $(( (1 << 30) - 8192 ))
	assert_success
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.spt_leaves_4k == 1022 and .spt_leaves_2m == 510'
	assert_equal "$(tdi_field "$tdi" mmio_pages)" 262142
	# overlapping map is refused and maps nothing
	run tsmctl dev map "$tdi" bar 0 offset 0 size 8K
	assert_failure
	assert_output --partial "already mapped"
	assert_equal "$(tdi_field "$tdi" mmio_pages)" 262142
	# the whole BAR in 4 KiB leaves on a second TDI
	tdi2=$(new_tdi tdx 07:01.0 1G)
	tsmctl dev bind "$tdi2" vm "$vm" lazy accept
	run tsmctl dev map "$tdi2" bar 0 offset 0 size 1G 4k
	assert_success
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.spt_leaves_4k == 1022 + 262144'
	tsmctl dev unbind "$tdi"
	tsmctl dev unbind "$tdi2"
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.spt_leaves_4k == 0 and .spt_leaves_2m == 0 and .spt_pages == 1 and .spt_epoch > 0'
	assert_equal "$(cat /sys/kernel/tsmbpf/spt_pages)" "$base"
	# the emptied table pages stay with the VM for the next map...
	kept=$(tsmctl -j vm show "$vm" | jq .spt_kept_pages)
	[ "$kept" -gt 512 ] || fail "only $kept table pages kept after unmapping 1 GiB of 4 KiB leaves"
	assert_equal "$(cat /sys/kernel/tsmbpf/spt_kept_pages)" "$((kept_base + kept))"
	tsmctl dev bind "$tdi2" vm "$vm" lazy accept
	run tsmctl dev map "$tdi2" bar 0 offset 0 size 1G 4k
	assert_success
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e --argjson k "$kept" \
		'.spt_leaves_4k == 262144 and .spt_kept_pages == $k - .spt_pages + 1'
	tsmctl dev unbind "$tdi2"
	# ...up to tsmbpf.spt_keep_pages, and go with it
	echo 16 >/sys/module/tsmbpf/parameters/spt_keep_pages
	tsmctl dev bind "$tdi2" vm "$vm" lazy accept
	tsmctl dev map "$tdi2" bar 0 offset 0 size 1G 4k
	tsmctl dev unbind "$tdi2"
	echo 1024 >/sys/module/tsmbpf/parameters/spt_keep_pages
	tsmctl -j vm show "$vm" | jq -e '.spt_kept_pages == 16 and .spt_pages == 1'
	tsmctl dev destroy "$tdi"
	tsmctl dev destroy "$tdi2"
	tsmctl vm destroy "$vm"
	assert_equal "$(cat /sys/kernel/tsmbpf/spt_kept_pages)" "$kept_base"
	assert_equal "$(cat /sys/kernel/tsmbpf/spt_pages)" "$((base - 1))"
	vm=$(tsmctl vm create)
}

@test "secure page table: a fault maps exactly one 2 MiB block or one 4 KiB page" {
	tdi=$(new_tdi sev-tio 07:02.0 4M 16K)
	run tsmctl -j dev bind "$tdi" vm "$vm" lazy accept
	assert_success
	gpa0=$(tdi_json "$tdi" | jq -r '.bars[0].gpa')
	gpa1=$(tdi_json "$tdi" | jq -r '.bars[1].gpa')
	run tsmctl -j dev fault "$tdi" gpa $((gpa0 + 0x1234))
	assert_success
	echo "$output" | jq -e '.mapped == 2097152'
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.spt_leaves_2m == 1 and .spt_leaves_4k == 0'
	run tsmctl -j dev fault "$tdi" gpa $((gpa0 + 0x1fffff))
	echo "$output" | jq -e '.mapped == 0'
	# a block with a page already mapped takes 4 KiB faults
	tsmctl dev map "$tdi" bar 0 offset 3M size 4K
	run tsmctl -j dev fault "$tdi" gpa $((gpa0 + 0x200000))
	echo "$output" | jq -e '.mapped == 4096'
	# a 16 KiB BAR cannot hold a 2 MiB block
	run tsmctl -j dev fault "$tdi" gpa $((gpa1 + 0x2000))
	echo "$output" | jq -e '.mapped == 4096'
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.spt_leaves_2m == 1 and .spt_leaves_4k == 3'
	assert_equal "$(tdi_field "$tdi" mmio_pages)" $((512 + 3))
	# outside any BAR
	run tsmctl dev fault "$tdi" gpa 0x1000
	assert_failure
	assert_output --partial "not in a private MMIO BAR"
	tsmctl dev unbind "$tdi"
	assert_torn_down "$tdi"
	run tsmctl -j vm show "$vm"
	echo "$output" | jq -e '.spt_pages == 1'
}

@test "injected firmware failure at each bind step: reported, rolled back, nothing half done" {
	# the emulator takes a step by name or by number, and nothing else
	tdi=$(new_tdi tdx 08:01.0)
	run inject "$tdi" frobnicate
	assert_failure
	run inject "$tdi" 99
	assert_failure
	inject "$tdi" 1 # tdi_lock
	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_failure
	echo "$output" | jq -e '.fw_error == "TSMBPF_FW_INJECTED"'
	assert_equal "$(tdi_field "$tdi" last_fw_error)" TSMBPF_FW_INJECTED
	tsmctl dev destroy "$tdi"
	for plat in tdx sev-tio cca; do
		tdi=$(new_tdi "$plat" 08:00.0)
		for s in tdi_lock mmio_map dma_setup; do
			inject "$tdi" "$s"
			run tsmctl -j dev bind "$tdi" vm "$vm"
			assert_failure
			echo "$output" | jq -e '.fw_error == "TSMBPF_FW_INJECTED"'
			assert_torn_down "$tdi"
			tsmctl -j vm show "$vm" | jq -e '.bound == 0 and .spt_leaves_4k == 0 and .spt_leaves_2m == 0'
		done
		for s in accept tdi_start; do
			run tsmctl -j dev bind "$tdi" vm "$vm"
			nonce=$(echo "$output" | jq -r .nonce)
			inject "$tdi" "$s"
			run tsmctl -j dev accept "$tdi" nonce "$nonce"
			assert_failure
			echo "$output" | jq -e '.fw_error == "TSMBPF_FW_INJECTED"'
			assert_equal "$(tdi_field "$tdi" state)" CONFIG_LOCKED
			run tsmctl dev unbind "$tdi"
			assert_success
			assert_torn_down "$tdi"
		done
		tsmctl dev destroy "$tdi"
	done
}

@test "injected firmware failure at each unbind step: retried, or reported with the TDI still bound" {
	for plat in tdx sev-tio cca; do
		tdi=$(new_tdi "$plat" 09:00.0)
		for s in tdi_stop mmio_unmap dma_teardown tdi_reclaim; do
			# a transient failure: the native sequence retries
			bind_run "$tdi" "$vm"
			r0=$(tsmctl -j stats | jq .fw_refused)
			inject "$tdi" "$s" 1
			run tsmctl dev unbind "$tdi"
			assert_success
			assert_torn_down "$tdi"
			assert_equal "$(tsmctl -j stats | jq .fw_refused)" $((r0 + 1))

			# a persistent failure: reported, TDI stays bound and consistent
			bind_run "$tdi" "$vm"
			inject "$tdi" "$s" 3
			run tsmctl -j dev unbind "$tdi"
			assert_failure
			echo "$output" | jq -e '.fw_error == "TSMBPF_FW_INJECTED"'
			tdi_json "$tdi" | jq -e '.vm != null and .metadata'
			run tsmctl -j vm show "$vm"
			echo "$output" | jq -e '.bound == 1'
			echo clear >/sys/kernel/debug/tsmbpf_emu/inject
			run tsmctl dev unbind "$tdi"
			assert_success
			assert_torn_down "$tdi"
		done
		tsmctl dev destroy "$tdi"
	done
}

@test "TDIs pin the emulated firmware; the firmware pins the core" {
	tdi=$(new_tdi tdx 0a:00.0)
	run rmmod tsmbpf_emu
	assert_failure
	run rmmod tsmbpf
	assert_failure
	tsmctl dev destroy "$tdi"
	run tsmctl dev create platform tdx bdf 0a:00.1 bar 4K
	assert_success
	tsmctl dev destroy "$output"
}
