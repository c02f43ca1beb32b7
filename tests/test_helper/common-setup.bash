# SPDX-License-Identifier: GPL-2.0
# Shared set-up of the guest bats suites: bats-support/assert and helpers
# to load and unload tsmbpf.ko and to read its sysfs state.

TSMBPF_ROOT=${TSMBPF_ROOT:-/opt/tsmbpf}
MODDIR=$TSMBPF_ROOT/modules
POLDIR=$TSMBPF_ROOT/policies
TPOLDIR=$TSMBPF_ROOT/tests/policies
SYSFS=/sys/kernel/tsmbpf
PINDIR=/sys/fs/bpf/tsmbpf

# The guest's emulated PCIe functions (scripts/vm-run.sh, README "The guest
# machine"), all virtio-rng-pci, on virtio-pci at boot.  PCI_SET_FN0 and
# PCI_SET_FN1 are the two functions of one multifunction slot behind one root
# port: one IOMMU group and one hot-reset set (both must be on a vfio driver
# for the group to be viable).  PCI_LONE_FN is alone behind a second root
# port, in a group and a reset set of its own.
PCI_SET_FN0=0000:01:00.0
PCI_SET_FN1=0000:01:00.1
PCI_LONE_FN=0000:02:00.0
PCI_TEST_FNS=("$PCI_SET_FN0" "$PCI_SET_FN1" "$PCI_LONE_FN")
PCI_SYSFS=/sys/bus/pci/devices

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
	local p out bad=0
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
	# in bulk: each TDI unbound if bound, then destroyed; then each VM
	out=$(tsmctl dev destroy all 2>&1) ||
		cleanup_error "tsmctl dev destroy all: $out" || bad=1
	out=$(tsmctl vm destroy all 2>&1) ||
		cleanup_error "tsmctl vm destroy all: $out" || bad=1
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

# tsmbpf_tracer_wait PID ERR: until the `tsmctl trace` of PID says on its
# stderr (the file ERR) that its programs are attached; 1 if it exits
# first or takes more than 30 s
tsmbpf_tracer_wait() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q '^Tracing tsmbpf' "$2" && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^Tracing tsmbpf' "$2"
}

# tsmbpf_trace_keepers_start: before tracers are attached and detached
# while other CPUs run the traced code, hold two probes on every tsmbpf
# tracepoint: ftrace's on the trace events and two keeper tracers
# (`tsmctl trace`) on all of them, the bare tsmbpf_oplog included.  An
# attach or a detach then takes a tracepoint from two probes to three and
# back, which patches neither a static key nor a static call.  Under
# multi-threaded TCG a vCPU can run a stale INT3 of kernel text that
# another vCPU is patching (text_poke_bp) after the patch is done, and
# oops: QEMU's, not the kernel's, the protocol holds on hardware; it takes
# a few dozen patches of a site a cycle loop runs.  The keepers' PIDs are
# in TRACE_KEEPERS; tsmbpf_trace_keepers_stop ends them.
tsmbpf_trace_keepers_start() {
	local k err
	TRACE_KEEPERS=()
	echo 1 >/sys/kernel/tracing/events/tsmbpf/enable
	for k in 1 2; do
		err=$BATS_TEST_TMPDIR/keeper$k.err
		tsmctl trace --duration 3600 >/dev/null 2>"$err" 3>&- &
		TRACE_KEEPERS+=("$!")
		if ! tsmbpf_tracer_wait "$!" "$err"; then
			echo "keeper tracer $k did not start: $(cat "$err")" >&2
			return 1
		fi
	done
}

tsmbpf_trace_keepers_stop() {
	local pid
	for pid in "${TRACE_KEEPERS[@]}"; do
		kill -INT "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	TRACE_KEEPERS=()
	echo 0 >/sys/kernel/tracing/events/tsmbpf/enable
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

# ------------------------------------------------------------ PCI, VFIO --

# pci_driver BDF: the driver BDF is bound to, nothing if none.
pci_driver() {
	local link
	link=$(readlink "$PCI_SYSFS/$1/driver" 2>/dev/null) || return 0
	echo "${link##*/}"
}

# pci_error FUNC TEXT: say what a PCI helper could not do, and fail.
pci_error() {
	echo "$1: ${*:2}" >&2
	return 1
}

# pci_unbind BDF: unbind BDF from its driver, if it has one.  Blocks while
# a process holds the function open through VFIO (the driver asks it to
# let go, again and again).
pci_unbind() {
	[ -d "$PCI_SYSFS/$1" ] || pci_error pci_unbind "no PCI function $1" || return 1
	[ -e "$PCI_SYSFS/$1/driver" ] || return 0
	echo "$1" >"$PCI_SYSFS/$1/driver/unbind" ||
		pci_error pci_unbind "cannot unbind $1 from $(pci_driver "$1")"
}

# pci_bind_driver BDF DRIVER: bind BDF to DRIVER (vfio-pci, virtio-pci, a
# variant driver) the way a VMM's set-up script does: unbind it from its
# driver, set driver_override, then drivers_probe.  The override stays, so
# that nothing else claims the function.  Fails, saying why, unless BDF
# ends up on DRIVER.
pci_bind_driver() {
	local bdf=$1 drv=$2 now
	[ -d "$PCI_SYSFS/$bdf" ] || pci_error pci_bind_driver "no PCI function $bdf" || return 1
	[ "$(pci_driver "$bdf")" = "$drv" ] && return 0
	pci_unbind "$bdf" || return 1
	echo "$drv" >"$PCI_SYSFS/$bdf/driver_override" ||
		pci_error pci_bind_driver "cannot set the driver_override of $bdf" || return 1
	echo "$bdf" >/sys/bus/pci/drivers_probe 2>/dev/null
	now=$(pci_driver "$bdf")
	[ "$now" = "$drv" ] && return 0
	if [ ! -d "/sys/bus/pci/drivers/$drv" ]; then
		pci_error pci_bind_driver "no driver $drv loaded; $bdf is on ${now:-no driver}"
	else
		pci_error pci_bind_driver "$bdf is on ${now:-no driver}, not $drv"
	fi
}

# pci_group BDF: the IOMMU group number of BDF.
pci_group() {
	local link
	link=$(readlink "$PCI_SYSFS/$1/iommu_group") || return 1
	echo "${link##*/}"
}

# pci_config BDF OFFSET [BYTES]: a config space register of BDF, read
# from the device through sysfs (not through VFIO's virtual config space),
# in hex (0x...), little-endian; BYTES 1, 2 (default) or 4.  Reading wakes
# a runtime-suspended function: use pci_power_state to look at a function
# in low power.
pci_config() {
	local bytes=${3:-2} val='' i
	local -a b
	read -r -a b < <(od -An -v -tx1 -j "$(($2))" -N "$bytes" "$PCI_SYSFS/$1/config")
	[ "${#b[@]}" = "$bytes" ] || pci_error pci_config "cannot read $1 config at $2" || return 1
	for ((i = bytes - 1; i >= 0; i--)); do val+=${b[i]}; done
	echo "0x$val"
}

# pci_cap BDF CAP_ID: the config space offset of capability CAP_ID (1 PM,
# 0x10 PCI Express, ...), walked from the capability list; fails if absent.
pci_cap() {
	local pos n
	local -a b
	# one read of the first 256 bytes: a walk of single reads is slow
	# under TCG
	read -r -a b < <(od -An -v -tu1 -N 256 "$PCI_SYSFS/$1/config" | tr '\n' ' ')
	[ "${#b[@]}" = 256 ] || pci_error pci_cap "cannot read $1 config" || return 1
	pos=$((b[0x34] & 0xfc))
	for ((n = 0; pos && n < 48; n++)); do
		if ((b[pos] == $2)); then
			printf '0x%x\n' "$pos"
			return 0
		fi
		pos=$((b[pos + 1] & 0xfc))
	done
	return 1
}

# pci_power_state BDF: D0, D3hot, ... as the PCI core last set it (sysfs
# power_state; reading it does not wake the function).
pci_power_state() {
	cat "$PCI_SYSFS/$1/power_state"
}

# vfio_pci_load: the Debian vfio-pci driver (the guest's /init loaded the
# rest of the VFIO stack: irqbypass, vfio, vfio_iommu_type1, vfio_pci_core).
vfio_pci_load() {
	grep -q '^vfio_pci ' /proc/modules || modprobe vfio_pci
}

# pci_restore_all: every test function back on virtio-pci, as at boot.
pci_restore_all() {
	local bdf bad=0
	for bdf in "${PCI_TEST_FNS[@]}"; do
		pci_bind_driver "$bdf" virtio-pci || bad=1
	done
	[ "$bad" = 0 ]
}

# vmm_start ARGS...: run `tsmbpf_vmm ARGS...` in the background, its stdin
# a pipe this shell holds, and wait until it prints "ready" (a `hold`
# action, or --hold) with the functions open.  Sets VMM_PID and VMM_OUT (a
# file with its stdout and stderr).  Fails, showing what it printed, if it
# ends first.  One vmm at a time: vmm_stop before the next vmm_start.
vmm_start() {
	local fifo
	fifo=$(mktemp -u "${BATS_TEST_TMPDIR:-/tmp}/vmm-fifo.XXXXXX")
	VMM_OUT=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/vmm-out.XXXXXX")
	VMM_READY=0
	mkfifo "$fifo" || return 1
	# fd 3 closed: bats waits for whoever holds its TAP pipe
	tsmbpf_vmm "$@" <"$fifo" >"$VMM_OUT" 2>&1 3>&- &
	VMM_PID=$!
	exec {VMM_FD}>"$fifo"
	rm -f "$fifo"
	_vmm_wait_ready "tsmbpf_vmm $*"
}

# _vmm_wait_ready WHAT: wait for the next "ready" of the held vmm.
_vmm_wait_ready() {
	local i n
	for ((i = 0; i < 300; i++)); do
		n=$(grep -cE '^ready$|"status":"ready"' "$VMM_OUT" || true)
		if [ "$n" -gt "$VMM_READY" ]; then
			VMM_READY=$n
			return 0
		fi
		kill -0 "$VMM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$1: tsmbpf_vmm did not get to its next hold; it printed:" >&2
	vmm_stop >&2
	return 1
}

# vmm_continue: end the held vmm's current hold (a line on its stdin) and
# wait for its next one.
vmm_continue() {
	[ -n "${VMM_PID:-}" ] || pci_error vmm_continue "no vmm started" || return 1
	# in a subshell: should the vmm be gone, SIGPIPE ends only that
	(echo >&"$VMM_FD") 2>/dev/null
	_vmm_wait_ready vmm_continue
}

# vmm_stop: close the held vmm's stdin, so that it goes on with the actions
# after its hold and through any later hold (after --hold, it exits), and
# wait for it.  Sets VMM_OUTPUT (also printed: bats shows it with a failed
# test) and VMM_STATUS, and returns the status.  Call it in the test's own
# shell, not under `run` or in $(...): only that shell can wait for the vmm.
vmm_stop() {
	[ -n "${VMM_PID:-}" ] || pci_error vmm_stop "no vmm started" || return 1
	exec {VMM_FD}>&-
	VMM_STATUS=0
	wait "$VMM_PID" || VMM_STATUS=$?
	VMM_OUTPUT=$(cat "$VMM_OUT")
	printf '%s\n' "$VMM_OUTPUT"
	rm -f "$VMM_OUT"
	VMM_PID=''
	return "$VMM_STATUS"
}

# vfio_suite_setup [BDF...]: a suite's setup_file on real functions: the
# core, the variant driver, and the functions (default: every test
# function) bound to it.
vfio_suite_setup() {
	local bdf
	tsmbpf_load_core || return 1
	insmod "$MODDIR/tsmbpf_vfio_pci.ko" || return 1
	[ $# -gt 0 ] || set -- "${PCI_TEST_FNS[@]}"
	for bdf in "$@"; do
		pci_bind_driver "$bdf" tsmbpf_vfio_pci || return 1
	done
}

# vfio_suite_teardown: the matching teardown_file; every step is tried,
# and it fails if one did.
vfio_suite_teardown() {
	local bad=0
	tsmbpf_cleanup_objects || bad=1
	pci_restore_all || bad=1
	if grep -q '^tsmbpf_vfio_pci ' /proc/modules; then
		retry 5 rmmod tsmbpf_vfio_pci ||
			cleanup_error "rmmod tsmbpf_vfio_pci failed" || bad=1
	fi
	tsmbpf_unload_all || bad=1
	[ "$bad" = 0 ]
}
