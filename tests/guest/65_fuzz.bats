#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The uAPI fuzzer (tests/bin/tsmbpf_fuzz.c): random and valid calls of
# every ioctl of /dev/tsmbpf and every VFIO ioctl, feature and operation of
# the variant driver, on the guest's three real functions.  It prints its
# seed; TSMBPF_SEED=N replays a run.  About 45 seconds here;
# TSMBPF_FUZZ_SECS sets the length (the debug kernel's run sets it longer).
# Afterwards nothing may be left, and every module must unload.

FUZZ_SECS=${TSMBPF_FUZZ_SECS:-45}

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
}

teardown() {
	tsmbpf_cleanup_objects
}

# fuzz ARGS...: run the fuzzer on the three functions; its JSON summary
# (the last line) in $summary
fuzz() {
	run tsmbpf_fuzz -j ${TSMBPF_SEED:+-s "$TSMBPF_SEED"} "$@" "${PCI_TEST_FNS[@]}"
	summary=$(tail -n 1 <<<"$output")
}

@test "fuzz: random and valid calls of every ioctl and VFIO feature: no splat, sane errnos, nothing leaked" {
	fuzz -t "$FUZZ_SECS"
	echo "$output" | head -n 1
	assert_success
	assert_line --regexp '^ok - [0-9]+ calls in'
	# every ioctl of /dev/tsmbpf succeeded; unknown commands got ENOTTY
	# and nothing else; every VFIO operation ran
	jq -e '.ok and .unreached == [] and
		([.tsmbpf | to_entries[] | select(.key != "unknown_command") | .value.ok] | all(. > 0)) and
		.tsmbpf.unknown_command.calls > 0 and .tsmbpf.unknown_command.ok == 0 and
		.tsmbpf.unknown_command.errnos == ["ENOTTY"]' \
		<<<"$summary" >/dev/null || fail "coverage: $summary"
	jq -e '[.vfio[], .features[]] | all(.calls > 0)' <<<"$summary" >/dev/null ||
		fail "VFIO coverage: $summary"
	# the DMA_BUF feature exported buffers, and imports used them
	jq -e '.features.DMA_BUF.ok > 0 and .tsmbpf.MMIO_IMPORT.ok > 0' \
		<<<"$summary" >/dev/null || fail "no dma-buf went through: $summary"
	jq -r '"calls/s: \(.calls_per_sec), calls: \(.calls)"' <<<"$summary"
	# the fuzzer's own check, and the core's view: nothing left
	tsmbpf_assert_clean
}

@test "fuzz: a seed replays the same calls" {
	local a b
	# /dev/tsmbpf alone: no VFIO timing in the way; the firmware's nonces
	# are its own random numbers
	a=$(tsmbpf_fuzz -s 77 -n 3000 -v | grep '^#[0-9]' | sed 's/nonce=0x[0-9a-f]*/nonce=N/') ||
		fail "run 1: $a"
	b=$(tsmbpf_fuzz -s 77 -n 3000 -v | grep '^#[0-9]' | sed 's/nonce=0x[0-9a-f]*/nonce=N/') ||
		fail "run 2: $b"
	[ "$(wc -l <<<"$a")" -gt 3000 ] || fail "too few calls printed: $(wc -l <<<"$a")"
	[ "$a" = "$b" ] || fail "seed 77 made different calls: $(diff <(echo "$a") <(echo "$b") | head -5)"
}

@test "fuzz: a VM made behind the fuzzer's back fails its audit (the checks can fail)" {
	fuzz -n 500 -L
	assert_failure
	# the audit, LIST or STATS sees it: whichever runs first
	assert_output --regexp "not ok - .*(but no call of the fuzzer's made it|the fuzzer has)"
}

@test "fuzz: afterwards both modules and the emulator unload, the functions go back to virtio-pci" {
	# the fuzzer's bulk clean-up left nothing for the operator's
	tsmbpf_assert_clean
	run tsmctl dev destroy all
	assert_success
	run tsmctl vm destroy all unbind
	assert_success
	pci_restore_all
	run rmmod tsmbpf_vfio_pci
	assert_success
	run rmmod tsmbpf_emu
	assert_success
	run rmmod tsmbpf
	assert_success
	run grep -E '^tsmbpf' /proc/modules
	assert_failure
}
