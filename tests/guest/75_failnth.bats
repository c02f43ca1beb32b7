#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures: tsmbpf_failnth fails each allocation on a tsmbpf path
# once in turn, with fault injection scoped to its own task
# (/proc/thread-self/fail-nth: FAILSLAB and FAIL_PAGE_ALLOC), and checks a
# clean errno, whole objects and no splat after each.  The leaks are the
# kmemleak scan's at the end of the guest run.  Needs a kernel with
# CONFIG_FAULT_INJECTION: the debug kernel (make test KERNEL=debug);
# Debian's has none, and the tests skip there, saying so.

setup_file() {
	load '../test_helper/common-setup'
	[ -e /proc/self/fail-nth ] || return 0
	tsmbpf_load_core || return 1
	insmod "$MODDIR/tsmbpf_vfio_pci.ko" || return 1
	pci_bind_driver "$PCI_LONE_FN" tsmbpf_vfio_pci || return 1
	# sleeping allocations too (GFP_KERNEL is all tsmbpf uses); no noise
	for d in failslab fail_page_alloc; do
		echo N >"/sys/kernel/debug/$d/ignore-gfp-wait" || return 1
		echo 0 >"/sys/kernel/debug/$d/verbose" || return 1
	done
	echo 0 >/sys/kernel/debug/fail_page_alloc/min-order
}

teardown_file() {
	load '../test_helper/common-setup'
	[ -e /proc/self/fail-nth ] || return 0
	local bad=0
	for d in failslab fail_page_alloc; do
		echo Y >"/sys/kernel/debug/$d/ignore-gfp-wait" || bad=1
	done
	tsmbpf_cleanup_objects || bad=1
	pci_restore_all || bad=1
	retry 5 rmmod tsmbpf_vfio_pci || cleanup_error "rmmod tsmbpf_vfio_pci failed" || bad=1
	tsmbpf_unload_all || bad=1
	[ "$bad" = 0 ]
}

setup() {
	load '../test_helper/common-setup'
	[ -e /proc/self/fail-nth ] ||
		skip "no /proc/self/fail-nth: this kernel has no CONFIG_FAULT_INJECTION (make test KERNEL=debug has)"
	_common_setup
	dmesg -c >/dev/null
}

teardown() {
	[ -e /proc/self/fail-nth ] || return 0
	tsmbpf_cleanup_objects
}

# failnth PATH...: run those paths; each but accept and unbind must have
# failed at least one site (those two allocate nothing when the TDI's BARs
# are whole 2 MiB leaves: no split)
failnth() {
	local args=() p
	for p in "$@"; do args+=(-p "$p"); done
	run tsmbpf_failnth -q -f "$PCI_LONE_FN" "${args[@]}"
	echo "$output"
	assert_success
	js=$(tail -n1 <<<"$output")
	jq -e '.ok' <<<"$js"
	for p in "$@"; do
		[ "$p" = accept ] || [ "$p" = unbind ] && continue
		jq -e --arg p "$p" '.paths[$p].sites > 0' <<<"$js" >/dev/null ||
			fail "path $p: no allocation site was failed: $js"
	done
	echo "# $(jq -c --args '.paths | with_entries(select(.key | IN($ARGS.positional[]))) | map_values(.sites)' "$@" <<<"$js")" >&3
}

@test "allocation failures: VM and TDI create" {
	failnth vm-create tdi-create
}

@test "allocation failures: bind, accept, unbind, fault-in and map" {
	failnth bind accept unbind fault map
}

@test "allocation failures: dma-buf export and import" {
	failnth export import
}

@test "allocation failures: policy attach and tracing attach" {
	failnth policy-attach trace-attach
}
