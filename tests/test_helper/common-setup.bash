# SPDX-License-Identifier: GPL-2.0
# Shared set-up of the guest bats suites: bats-support/assert and helpers
# to load and unload tsmbpf.ko and to read its sysfs state.

TSMBPF_ROOT=${TSMBPF_ROOT:-/opt/tsmbpf}
MODDIR=$TSMBPF_ROOT/modules
POLDIR=$TSMBPF_ROOT/policies
TPOLDIR=$TSMBPF_ROOT/tests/policies
SYSFS=/sys/kernel/tsmbpf
PINDIR=/sys/fs/bpf/tsmbpf

_common_setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

# Retry a command for up to $1 seconds (RCU grace periods, link release).
retry() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@"
}

tsmbpf_load() {
	grep -q '^tsmbpf ' /proc/modules || insmod "$MODDIR/tsmbpf.ko"
}

# cleanup_error TEXT: say what a clean-up step could not do, on stderr
# (bats shows it with the failed test), and fail.
cleanup_error() {
	echo "cleanup: $*" >&2
	return 1
}

# Unload every policy, then the module; policies pin the module until
# their maps are freed after an RCU grace period.  Each step must work.
tsmbpf_unload() {
	local p
	for p in "$PINDIR"/*; do
		[ -e "$p" ] || continue
		rm -f "$p" || cleanup_error "cannot remove $p" || return 1
	done
	grep -q '^tsmbpf ' /proc/modules || return 0
	retry 10 rmmod tsmbpf || cleanup_error "rmmod tsmbpf failed: still in use" || return 1
}

tsmbpf_reload() {
	tsmbpf_unload || return 1
	tsmbpf_load
}

counter() {
	cat "$SYSFS/$1"
}

# slot PLATFORM: the policy holding a platform's slot, "-" when none.
slot() {
	awk -v p="$1" '$1 == p { print $2 }' "$SYSFS/policies"
}

# slot_is PLATFORM POLICY: the slot holds POLICY ("-": none), read anew on
# each call, so that `retry 5 slot_is tdx -` waits for a release.
slot_is() {
	[ "$(slot "$1")" = "$2" ]
}

# Core with the single-step test ioctl, plus the emulated firmware.
tsmbpf_load_core() {
	tsmbpf_unload_all || return 1
	insmod "$MODDIR/tsmbpf.ko" step_ioctl=1 || return 1
	insmod "$MODDIR/tsmbpf_emu.ko"
}

# tsmbpf_assert_clean: the core holds nothing: no TDI, no VM, no secure
# page table page in a tree or kept for reuse (both go with the last VM),
# no policy in a slot, nothing pinned.  A leak fails the test that leaked.
tsmbpf_assert_clean() {
	local c v bad=0 slots
	[ -e "$SYSFS/nr_tdis" ] || return 0
	for c in nr_tdis nr_vms spt_pages spt_kept_pages; do
		v=$(cat "$SYSFS/$c") || v="(unreadable)"
		if [ "$v" != 0 ]; then
			echo "cleanup: $SYSFS/$c is $v after the clean-up, want 0" >&2
			bad=1
		fi
	done
	# a link unpinned with rm goes after an RCU grace period
	if ! retry 5 awk '$2 != "-" { exit 1 }' "$SYSFS/policies" 2>/dev/null; then
		slots=$(tr '\n' ';' <"$SYSFS/policies")
		echo "cleanup: a policy still holds a slot after the clean-up: $slots" >&2
		bad=1
	fi
	if [ -n "$(ls -A "$PINDIR" 2>/dev/null)" ]; then
		echo "cleanup: still pinned in $PINDIR: $(ls -A "$PINDIR" | tr '\n' ' ')" >&2
		bad=1
	fi
	[ "$bad" = 0 ]
}

# Detach every policy, unbind and destroy every TDI and VM, and assert the
# core is clean.  Every step must succeed: a failed unbind, destroy or
# unload is a defect, and so is anything left over.  All steps are tried
# even after one failed, so that the next test starts as clean as it can;
# each failure is said on stderr, and the function then fails (in a
# teardown, bats reports that as the test's failure).
tsmbpf_cleanup_objects() {
	local id p out ids bad=0
	[ -e /dev/tsmbpf ] || return 0
	if [ -e /sys/kernel/debug/tsmbpf_emu/inject ]; then
		echo clear >/sys/kernel/debug/tsmbpf_emu/inject ||
			cleanup_error "cannot clear the emulator's injected failures" || bad=1
	fi
	for p in "$PINDIR"/*; do
		[ -e "$p" ] || continue
		out=$(tsmctl policy unload "${p##*/}" 2>&1) ||
			cleanup_error "tsmctl policy unload ${p##*/}: $out" || bad=1
	done
	ids=$(tsmctl -j dev list | jq -r '.[] | select(.vm != null) | .tdi') ||
		cleanup_error "tsmctl -j dev list failed" || return 1
	for id in $ids; do
		out=$(tsmctl dev unbind "$id" 2>&1) ||
			cleanup_error "tsmctl dev unbind $id: $out" || bad=1
	done
	ids=$(tsmctl -j dev list | jq -r '.[].tdi') ||
		cleanup_error "tsmctl -j dev list failed" || return 1
	for id in $ids; do
		out=$(tsmctl dev destroy "$id" 2>&1) ||
			cleanup_error "tsmctl dev destroy $id: $out" || bad=1
	done
	ids=$(tsmctl -j vm list | jq -r '.[].vm') ||
		cleanup_error "tsmctl -j vm list failed" || return 1
	for id in $ids; do
		out=$(tsmctl vm destroy "$id" 2>&1) ||
			cleanup_error "tsmctl vm destroy $id: $out" || bad=1
	done
	tsmbpf_assert_clean || bad=1
	[ "$bad" = 0 ]
}

# A clean core, then unload the emulator and the core.  TDIs pin the
# emulator, the emulator pins the core.  Each step must work.
tsmbpf_unload_all() {
	local bad=0
	tsmbpf_cleanup_objects || bad=1
	if grep -q '^tsmbpf_emu ' /proc/modules; then
		rmmod tsmbpf_emu || cleanup_error "rmmod tsmbpf_emu failed" || bad=1
	fi
	tsmbpf_unload || bad=1
	[ "$bad" = 0 ]
}

# tdi_json TDI: the TDI as JSON; tdi_field TDI FIELD: one field
tdi_json() {
	tsmctl -j dev show "$1"
}

tdi_field() {
	tsmctl -j dev show "$1" | jq -r ".$2"
}

# assert_torn_down TDI: the invariant after every unbind
assert_torn_down() {
	tdi_json "$1" | jq -e '.state == "CONFIG_UNLOCKED" and .mmio_pages == 0 and
		(.dma | not) and (.metadata | not) and .shared_mmio and .vm == null' >/dev/null
}

# assert_step_refused TDI STEP FW_ERROR: the firmware refuses STEP with
# FW_ERROR and the TDI's state does not change
assert_step_refused() {
	local before after
	before=$(tdi_json "$1" | jq -c 'del(.last_fw_error)')
	run tsmctl -j dev step "$1" "$2"
	assert_failure
	echo "$output" | jq -e --arg e "$3" '.fw_error == $e' >/dev/null ||
		fail "step $2: expected $3, got: $output"
	after=$(tdi_json "$1" | jq -c 'del(.last_fw_error)')
	assert_equal "$after" "$before"
}

assert_step_ok() {
	run tsmctl dev step "$1" "$2" "${@:3}"
	assert_success
}

# new_tdi PLATFORM BDF [BAR...]: create a TDI, print its id
new_tdi() {
	local plat=$1 bdf=$2 bars=() b
	shift 2
	[ $# -gt 0 ] || set -- 2M 16K
	for b in "$@"; do bars+=(bar "$b"); done
	tsmctl dev create platform "$plat" bdf "$bdf" "${bars[@]}"
}

# inject TDI STEP [COUNT]: the emulated firmware refuses the next COUNT
# calls of STEP (a name, or its number) on TDI with TSMBPF_FW_INJECTED
inject() {
	echo "$1 $2 ${3:-1}" >/sys/kernel/debug/tsmbpf_emu/inject
}

# bind_run TDI VM: bind and accept: RUN
bind_run() {
	tsmctl dev bind "$1" vm "$2" accept >/dev/null
}

# exit_record PLATFORM: the slot's last exit record as JSON
exit_record() {
	tsmctl -j policy show "$1" | jq -c '.[0].exit'
}

# load_must_fail OBJ TEXT: loading OBJ fails and the output says TEXT;
# nothing is left pinned and no slot changes
load_must_fail() {
	local before
	before=$(cat "$SYSFS/policies")
	run tsmctl policy load "$1"
	assert_failure
	assert_output --partial "$2"
	assert_equal "$(cat "$SYSFS/policies")" "$before"
	run ls "$PINDIR"
	assert_output ""
}
