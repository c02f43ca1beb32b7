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

# Unload every policy, then the module; policies pin the module until
# their maps are freed after an RCU grace period.
tsmbpf_unload() {
	local p
	for p in "$PINDIR"/*; do
		[ -e "$p" ] && rm -f "$p"
	done
	grep -q '^tsmbpf ' /proc/modules || return 0
	retry 10 rmmod tsmbpf
}

tsmbpf_reload() {
	tsmbpf_unload
	tsmbpf_load
}

counter() {
	cat "$SYSFS/$1"
}

# slot PLATFORM: the policy holding a platform's slot, "-" when none.
slot() {
	awk -v p="$1" '$1 == p { print $2 }' "$SYSFS/policies"
}

# Core with the single-step test ioctl, plus the emulated firmware.
tsmbpf_load_core() {
	tsmbpf_unload_all
	insmod "$MODDIR/tsmbpf.ko" step_ioctl=1
	insmod "$MODDIR/tsmbpf_emu.ko"
}

# Detach every policy, unbind and destroy every TDI and VM: a clean core.
tsmbpf_cleanup_objects() {
	local id p
	[ -e /dev/tsmbpf ] || return 0
	echo clear >/sys/kernel/debug/tsmbpf_emu/inject 2>/dev/null || true
	for p in "$PINDIR"/*; do
		[ -e "$p" ] && tsmctl policy unload "$(basename "$p")" >/dev/null
	done
	for id in $(tsmctl -j dev list | jq -r '.[] | select(.vm != null) | .tdi'); do
		tsmctl dev unbind "$id" >/dev/null 2>&1 || true
	done
	for id in $(tsmctl -j dev list | jq -r '.[].tdi'); do
		tsmctl dev destroy "$id" >/dev/null 2>&1 || true
	done
	for id in $(tsmctl -j vm list | jq -r '.[].vm'); do
		tsmctl vm destroy "$id" >/dev/null 2>&1 || true
	done
}

# A clean core, then unload the emulator and the core.  TDIs pin the
# emulator, the emulator pins the core.
tsmbpf_unload_all() {
	tsmbpf_cleanup_objects
	grep -q '^tsmbpf_emu ' /proc/modules && rmmod tsmbpf_emu
	tsmbpf_unload
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
