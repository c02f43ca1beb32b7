#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of scripts/vm-run.sh's one retry: a guest that crashed
# before its command started boots once more and says so; a guest whose
# command started, or that timed out, is never booted again.  And of the
# guest machine it asks QEMU for: q35, the IOMMU and the PCIe functions the
# VFIO tests use.  And of its exit statuses: 3 for a splat after a command
# that succeeded (the command's own otherwise, --allow-splat keeps it), 124
# for a timeout, 125 for a crash, 2 for a usage error.  QEMU, the initramfs builder and the kernel are stand-ins
# (TSMBPF_QEMU, TSMBPF_MKINITRAMFS, TSMBPF_KERNEL): each boot prints the
# console text the case gives it, records its arguments and exits with the
# case's QEMU status.
#
# Usage: tests/host/test_vm_run.sh
# Prints TAP ("ok N - desc" / "not ok N - desc"); exits 1 if any case fails.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
VMRUN=${VMRUN:-$TOP/scripts/vm-run.sh} # VMRUN=...: test another copy
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=tests/host/tap.bash
. "$(dirname "$0")/tap.bash"

# The stand-ins.  Boot K (1, 2, ...) writes its arguments to $STUB/argsK,
# one a line, prints $STUB/bootK.txt and exits with the status in
# $STUB/bootK.rc; with $STUB/bootK.hang it hangs instead.
cat >"$TMP/qemu" <<'STUB'
#!/usr/bin/env bash
k=$(($(cat "$STUB/boots" 2>/dev/null || echo 0) + 1))
echo "$k" >"$STUB/boots"
printf '%s\n' "$@" >"$STUB/args$k"
cat "$STUB/boot$k.txt" 2>/dev/null
[ -e "$STUB/boot$k.hang" ] && exec sleep 30
exit "$(cat "$STUB/boot$k.rc" 2>/dev/null || echo 0)"
STUB
cat >"$TMP/mkinitramfs" <<'STUB'
#!/usr/bin/env bash
while [ $# -gt 0 ]; do [ "$1" = --out ] && : >"$2"; shift; done
STUB
chmod +x "$TMP/qemu" "$TMP/mkinitramfs"
: >"$TMP/vmlinuz"

BOOT='[    0.000000] Linux version 6.12.0-stub
[    0.900000] Run /init as init process'
PANIC='[    0.500000] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    0.500001] Kernel panic - not syncing: Fatal exception
[    0.500002] Rebooting in 1 seconds..'
started() { # STATUS: a boot whose command ran and exited with STATUS
	printf '%s\nTSMBPF-CMD-START uptime=1.00\nhello\nTSMBPF-EXIT-STATUS=%s\n' "$BOOT" "$1"
}

# run_case NAME [VM-RUN ARGS...]: vm-run.sh on the stand-ins; sets rc, out
# (stderr and stdout), boots, LOG.
run_case() {
	local name=$1
	shift
	STUB=$TMP/$name
	LOG=$STUB/console.log
	mkdir -p "$STUB"
	out=$(STUB=$STUB KVER=stub TSMBPF_QEMU="$TMP/qemu" \
		TSMBPF_MKINITRAMFS="$TMP/mkinitramfs" TSMBPF_KERNEL="$TMP/vmlinuz" \
		"$VMRUN" --build "$STUB/build" --log "$LOG" "$@" -- true 2>&1)
	rc=$?
	boots=$(cat "$STUB/boots" 2>/dev/null || echo 0)
}
RETRY='guest crashed before the command started; retrying once'

# 1. A crash while booting, then a good boot: retried once, reported, the
# first log kept, the command's status returned.
mkdir -p "$TMP/crash-then-ok"
printf '%s\n%s\n' "$BOOT" "$PANIC" >"$TMP/crash-then-ok/boot1.txt"
started 0 >"$TMP/crash-then-ok/boot2.txt"
run_case crash-then-ok
ok "$([ "$rc" = 0 ] && [ "$boots" = 2 ]; echo $?)" \
	"crash before the command started: booted twice, exit 0" "rc=$rc boots=$boots
$out"
ok "$(grep -qF "vm-run: $RETRY" <<<"$out"; echo $?)" \
	"the retry is reported in the output" "$out"
ok "$(grep -q 'Kernel panic' "$LOG.crash1" && ! grep -q 'Kernel panic' "$LOG" &&
	grep -q TSMBPF-CMD-START "$LOG"; echo $?)" \
	"the first boot's log is kept as LOG.crash1, LOG is the second boot's"
ok "$(grep -q 'vm-run: first boot: console-scan: .*Kernel panic' <<<"$out"; echo $?)" \
	"what the first boot died of is shown" "$out"

# 2. A crash after the command started is the command's: no retry.
mkdir -p "$TMP/crash-after-start"
printf '%s\nTSMBPF-CMD-START uptime=1.00\nok 1 x\n%s\n' "$BOOT" "$PANIC" \
	>"$TMP/crash-after-start/boot1.txt"
started 0 >"$TMP/crash-after-start/boot2.txt"
run_case crash-after-start
ok "$([ "$rc" = 125 ] && [ "$boots" = 1 ] && [ ! -e "$LOG.crash1" ] &&
	! grep -qF "$RETRY" <<<"$out"; echo $?)" \
	"crash after TSMBPF-CMD-START: no retry, exit 125" "rc=$rc boots=$boots
$out"

# 3. Two crashes while booting: one retry only.
mkdir -p "$TMP/crash-twice"
for k in 1 2 3; do printf '%s\n%s\n' "$BOOT" "$PANIC" >"$TMP/crash-twice/boot$k.txt"; done
run_case crash-twice
ok "$([ "$rc" = 125 ] && [ "$boots" = 2 ]; echo $?)" \
	"two crashes before the command started: exactly one retry, exit 125" \
	"rc=$rc boots=$boots
$out"

# 4. QEMU itself failing at once (no console at all) is a crash before the
# command too.
mkdir -p "$TMP/qemu-fails"
echo 1 >"$TMP/qemu-fails/boot1.rc"
started 0 >"$TMP/qemu-fails/boot2.txt"
run_case qemu-fails
ok "$([ "$rc" = 0 ] && [ "$boots" = 2 ]; echo $?)" \
	"QEMU exiting 1 with no console: retried once" "rc=$rc boots=$boots
$out"

# 5. A timeout is not a crash, even before the command started: no retry.
mkdir -p "$TMP/timeout"
printf '%s\n' "$BOOT" >"$TMP/timeout/boot1.txt"
: >"$TMP/timeout/boot1.hang"
started 0 >"$TMP/timeout/boot2.txt"
run_case timeout --timeout 1
ok "$([ "$rc" = 124 ] && [ "$boots" = 1 ]; echo $?)" \
	"a boot that hangs until the timeout: no retry, exit 124" "rc=$rc boots=$boots
$out"

# 6. A good run: one boot, the command's status, no retry, and a stale
# LOG.crash1 from an earlier run does not survive.
mkdir -p "$TMP/good"
started 7 >"$TMP/good/boot1.txt"
echo stale >"$TMP/good/console.log.crash1"
run_case good
ok "$([ "$rc" = 7 ] && [ "$boots" = 1 ] && [ ! -e "$LOG.crash1" ] &&
	! grep -qF "$RETRY" <<<"$out"; echo $?)" \
	"command started and exited 7: one boot, exit 7, no LOG.crash1" \
	"rc=$rc boots=$boots
$out"

# 7. A failing command is never retried.
mkdir -p "$TMP/cmd-fails"
started 1 >"$TMP/cmd-fails/boot1.txt"
started 0 >"$TMP/cmd-fails/boot2.txt"
run_case cmd-fails
ok "$([ "$rc" = 1 ] && [ "$boots" = 1 ]; echo $?)" \
	"a failing command: one boot, its status" "rc=$rc boots=$boots
$out"

# 8. The guest machine: q35; an Intel IOMMU with interrupt remapping,
# before any PCI device; two root ports at 5 GT/s; behind the first, two
# functions of one multifunction slot, behind the second one function, all
# modern-only virtio-rng-pci behind the IOMMU; intel_iommu=on.
mkdir -p "$TMP/machine"
started 0 >"$TMP/machine/boot1.txt"
run_case machine
args=$STUB/args1
# arg_after OPT VALUE: VALUE follows OPT somewhere in the arguments
arg_after() {
	awk -v o="$1" -v v="$2" 'prev == o && $0 == v { f = 1 } { prev = $0 }
		END { exit !f }' "$args"
}
# line_of TEXT: the line number of the first argument containing TEXT
line_of() {
	grep -nF -- "$1" "$args" | head -n1 | cut -d: -f1
}
RNG=virtio-rng-pci,disable-legacy=on,iommu_platform=on
ok "$([ "$rc" = 0 ] && arg_after -machine q35; echo $?)" \
	"the guest is a q35 machine" "rc=$rc; arguments: $(tr '\n' ' ' <"$args")"
ok "$(arg_after -device intel-iommu,intremap=on &&
	[ "$(line_of intel-iommu)" -lt "$(line_of pcie-root-port)" ] &&
	! grep -q 'intremap=off' "$args"; echo $?)" \
	"an Intel IOMMU with interrupt remapping, before the PCI devices" \
	"$(tr '\n' ' ' <"$args")"
ok "$(arg_after -device pcie-root-port,id=rp1,bus=pcie.0,addr=0x4,chassis=1,x-speed=5 &&
	arg_after -device pcie-root-port,id=rp2,bus=pcie.0,addr=0x5,chassis=2,x-speed=5
	echo $?)" "two root ports at x-speed=5" "$(tr '\n' ' ' <"$args")"
ok "$(arg_after -device "$RNG,id=fn0,bus=rp1,addr=0.0,multifunction=on" &&
	arg_after -device "$RNG,id=fn1,bus=rp1,addr=0.1" &&
	arg_after -device "$RNG,id=fn2,bus=rp2,addr=0.0" &&
	[ "$(grep -c virtio-rng-pci "$args")" = 3 ]; echo $?)" \
	"two functions of one slot behind port 1, one behind port 2" \
	"$(tr '\n' ' ' <"$args")"
append=$(awk 'prev == "-append" { print } { prev = $0 }' "$args")
ok "$(grep -qw 'intel_iommu=on' <<<"$append" && ! grep -q intremap <<<"$append"
	echo $?)" "the kernel command line has intel_iommu=on" "-append $append"

# 9. --append adds to the kernel command line, the IOMMU stays on.
mkdir -p "$TMP/append"
started 0 >"$TMP/append/boot1.txt"
run_case append --append 'tsmbpf.x=1'
args=$STUB/args1
append=$(awk 'prev == "-append" { print } { prev = $0 }' "$args")
ok "$(grep -qw 'intel_iommu=on' <<<"$append" && grep -qw 'tsmbpf.x=1' <<<"$append"
	echo $?)" "--append keeps intel_iommu=on" "-append $append"

# 10. A kernel splat after a command that succeeded fails the run with 3
# (README: "fails on kernel splats"); the splat line is shown.
WARN='[    2.000000] WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 foo+0x1/0x2'
mkdir -p "$TMP/splat"
printf '%s\nTSMBPF-CMD-START uptime=1.00\n%s\nTSMBPF-EXIT-STATUS=0\n' "$BOOT" "$WARN" \
	>"$TMP/splat/boot1.txt"
run_case splat
ok "$([ "$rc" = 3 ] && [ "$boots" = 1 ] &&
	grep -q 'console-scan: .*WARNING: CPU: 0 PID: 1' <<<"$out" &&
	grep -q 'FAIL: kernel splat' <<<"$out"; echo $?)" \
	"a splat after a command that exited 0: exit 3, the splat shown" "rc=$rc boots=$boots
$out"

# 11. --allow-splat: the same console, the command's status.
mkdir -p "$TMP/allow-splat"
cp "$TMP/splat/boot1.txt" "$TMP/allow-splat/boot1.txt"
run_case allow-splat --allow-splat
ok "$([ "$rc" = 0 ] && grep -q 'splat in console log ignored' <<<"$out"; echo $?)" \
	"--allow-splat: a splat is reported but the command's 0 stands" "rc=$rc
$out"

# 12. A splat after a failing command keeps the command's status.
mkdir -p "$TMP/splat-fail"
printf '%s\nTSMBPF-CMD-START uptime=1.00\n%s\nTSMBPF-EXIT-STATUS=5\n' "$BOOT" "$WARN" \
	>"$TMP/splat-fail/boot1.txt"
run_case splat-fail
ok "$([ "$rc" = 5 ] && grep -q 'console-scan:' <<<"$out"; echo $?)" \
	"a splat after a command that exited 5: exit 5, the splat shown" "rc=$rc
$out"

# 13. A timeout after the command started: 124, never retried.
mkdir -p "$TMP/timeout-late"
printf '%s\nTSMBPF-CMD-START uptime=1.00\nok 1 x\n' "$BOOT" >"$TMP/timeout-late/boot1.txt"
: >"$TMP/timeout-late/boot1.hang"
run_case timeout-late --timeout 1
ok "$([ "$rc" = 124 ] && [ "$boots" = 1 ] && grep -q TIMEOUT <<<"$out"; echo $?)" \
	"a command that hangs: exit 124 after --timeout, one boot" "rc=$rc boots=$boots
$out"

# 14. Usage errors: 2, and QEMU never starts.
mkdir -p "$TMP/usage"
for a in "--timeout x" "--frobnicate" ""; do
	STUB=$TMP/usage
	# shellcheck disable=SC2086 # the words of $a are the arguments
	out=$(STUB=$STUB KVER=stub TSMBPF_QEMU="$TMP/qemu" \
		TSMBPF_MKINITRAMFS="$TMP/mkinitramfs" TSMBPF_KERNEL="$TMP/vmlinuz" \
		"$VMRUN" --build "$STUB/build" $a 2>&1)
	rc=$?
	ok "$([ "$rc" = 2 ] && [ ! -e "$STUB/boots" ]; echo $?)" \
		"usage error (${a:-no command}): exit 2, no boot" "rc=$rc
$out"
done

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n failed"
	exit 1
fi
