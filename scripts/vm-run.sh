#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the Debian 6.12 guest kernel in QEMU (TCG, no KVM needed) on an
# initramfs holding the build's artefacts, run one command as root, and exit
# with its status.  The guest is a q35 machine with an emulated Intel IOMMU
# and three PCIe functions for the VFIO tests (0000:01:00.0 and 0000:01:00.1,
# one device set; 0000:02:00.0 alone; see "The guest machine" below).
#
# Usage: scripts/vm-run.sh --build BUILD_DIR [--timeout SECS] [--log FILE]
#                          [--mem SIZE] [--smp N] [--cpu MODEL] [--append ARGS]
#                          [--allow-splat] [--interactive] [--extra BIN]...
#                          [--kernel-dir DIR] [-- COMMAND...]
#
#   --build BUILD_DIR  build tree (see scripts/mkinitramfs.sh for what is packed)
#   --timeout SECS     kill QEMU after SECS (default 1200) and exit 124;
#                      times TSMBPF_TIMEOUT_SCALE (default 1, 4 with
#                      --kernel-dir)
#   --log FILE         console log (default BUILD_DIR/vm/console.log)
#   --mem SIZE         guest memory (default 2G, 4G with --kernel-dir)
#   --smp N            guest CPUs (default 2)
#   --cpu MODEL        QEMU CPU model (default max; max,la57=off with
#                      --kernel-dir: with 5-level paging KASAN can report a
#                      false wild-memory-access during boot)
#   --kernel-dir DIR   boot a kernel of scripts/debug-kernel.sh instead of
#                      Debian's: DIR/bzImage, release DIR/kernelrelease, its
#                      VFIO modules from DIR/modroot (default
#                      $TSMBPF_KERNEL_DIR; `make ... KERNEL=debug` sets it).
#                      The guest runs a kmemleak scan after COMMAND
#                      (tsmbpf.kmemleak=1), which scripts/scan-console.sh reads.
#   --append ARGS      extra kernel command line arguments
#   --allow-splat      do not fail on kernel splats in the console log
#   --extra BIN        also pack host program BIN and its libraries (e.g.
#                      strace, perf: a cpu-clock profile works under TCG)
#   --interactive      `make shell`: console on this terminal, login shell,
#                      no timeout; COMMAND (optional) runs before the shell.
#                      Ctrl-A X kills QEMU, Ctrl-A C toggles the QEMU monitor.
#   COMMAND...         joined with spaces into a bash script (like `ssh host
#                      CMD...`) that the guest runs in /opt/tsmbpf with stdin
#                      from /dev/null and stdout/stderr on the console.
#
# The guest console is streamed to stdout (CRs stripped) and saved to the
# log.  Exit status:
#   the command's status   parsed from the guest's "TSMBPF-EXIT-STATUS=<n>"
#   3                      the command succeeded but scripts/scan-console.sh
#                          found a kernel splat (lines shown as console-scan:)
#   124                    timeout
#   125                    no status marker: the guest panicked or crashed
#   130                    interrupted (SIGINT/SIGTERM; QEMU gets it too)
#   2                      usage error, 1 other host-side errors
# A splat is reported after a failing command, timeout or crash too, but the
# status above is kept.
#
# The one retry: a guest that crashed before its command started (no
# "TSMBPF-CMD-START" on the console and QEMU ended by itself: a rare oops
# while TCG boots the kernel) boots once more, and says so
# ("vm-run: guest crashed before the command started; retrying once"); the
# first boot's console log is kept as LOG.crash1.  Never once the command
# started, never after a timeout: a test's failure must not be retried away.
#
# For tests/host/test_vm_run.sh only: TSMBPF_QEMU, TSMBPF_KERNEL and
# TSMBPF_MKINITRAMFS replace qemu-system-x86_64, the guest kernel and
# scripts/mkinitramfs.sh.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	sed -n '10,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
say() { printf 'vm-run: %s\n' "$*" >&2; }

BUILD='' TIMEOUT=1200 LOG='' MEM='' SMP=2 CPU='' EXTRA_APPEND='' ALLOW_SPLAT=0
INTERACTIVE=0 KERNEL_DIR=${TSMBPF_KERNEL_DIR:-}
EXTRA=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=${2:?}; shift 2 ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--log) LOG=${2:?}; shift 2 ;;
	--mem) MEM=${2:?}; shift 2 ;;
	--smp) SMP=${2:?}; shift 2 ;;
	--cpu) CPU=${2:?}; shift 2 ;;
	--append) EXTRA_APPEND=${2:?}; shift 2 ;;
	--allow-splat) ALLOW_SPLAT=1; shift ;;
	--interactive) INTERACTIVE=1; shift ;;
	--kernel-dir) KERNEL_DIR=${2:?}; shift 2 ;;
	--extra) EXTRA+=(--extra "${2:?}"); shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) say "unknown argument '$1'"; usage ;;
	esac
done
[ -n "$BUILD" ] || usage
[ $# -gt 0 ] || [ "$INTERACTIVE" = 1 ] || { say "no COMMAND given"; usage; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] || { say "bad --timeout '$TIMEOUT'"; usage; }
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)

MODROOT=''
if [ -n "$KERNEL_DIR" ]; then
	# scripts/debug-kernel.sh's cache entry: slower (KASAN, lockdep under
	# TCG), bigger (KASAN's shadow), and no 5-level paging.
	[ -r "$KERNEL_DIR/kernelrelease" ] ||
		{ say "$KERNEL_DIR: no built kernel (scripts/debug-kernel.sh build)"; exit 1; }
	KVER=$(cat "$KERNEL_DIR/kernelrelease")
	KERNEL=${TSMBPF_KERNEL:-$KERNEL_DIR/bzImage}
	MODROOT=$KERNEL_DIR/modroot
	MEM=${MEM:-4G}
	CPU=${CPU:-max,la57=off}
	SCALE=${TSMBPF_TIMEOUT_SCALE:-4}
else
	KVER=${KVER:-$("$TOP/scripts/kver.sh")} || { say "no 6.12 guest kernel"; exit 1; }
	KERNEL=${TSMBPF_KERNEL:-/boot/vmlinuz-$KVER}
	SCALE=${TSMBPF_TIMEOUT_SCALE:-1}
fi
MEM=${MEM:-2G}
CPU=${CPU:-max}
[[ $SCALE =~ ^[0-9]+$ ]] || { say "bad TSMBPF_TIMEOUT_SCALE '$SCALE'"; exit 2; }
TIMEOUT=$((TIMEOUT * SCALE))
[ -r "$KERNEL" ] || { say "cannot read $KERNEL"; exit 1; }
QEMU_BIN=${TSMBPF_QEMU:-qemu-system-x86_64}
command -v "$QEMU_BIN" >/dev/null || { say "qemu-system-x86 missing"; exit 1; }
MKINITRAMFS=${TSMBPF_MKINITRAMFS:-$TOP/scripts/mkinitramfs.sh}

VMDIR=$BUILD/vm
LOG=${LOG:-$VMDIR/console.log}
mkdir -p "$VMDIR" "$(dirname "$LOG")"

# ------------------------------------------------------------ initramfs --

# Per-run names: runs on one build directory may overlap (the base tree
# mkinitramfs.sh caches in $VMDIR is shared and locked).
INITRD=$VMDIR/initramfs-$$.cpio
CMDFILE=$VMDIR/cmd-$$.sh
trap 'rm -f "$INITRD" "$CMDFILE"' EXIT
mk=(--build "$BUILD" --kver "$KVER" --out "$INITRD")
[ -n "$MODROOT" ] && mk+=(--modroot "$MODROOT")
if [ $# -gt 0 ]; then
	{
		echo "# Written by scripts/vm-run.sh; run by the guest's /init."
		echo "cd /opt/tsmbpf"
		echo "$*"
	} >"$CMDFILE"
	mk+=(--cmd "$CMDFILE")
fi
[ "$INTERACTIVE" = 1 ] && mk+=(--interactive)
mk+=("${EXTRA[@]}")
"$MKINITRAMFS" "${mk[@]}"

# ---------------------------------------------------------------- QEMU --

# loglevel=5: the console shows KERN_WARNING and worse (WARN() splats are
# KERN_WARNING), not the boot chatter.  panic=-1: reboot at once on panic,
# which with -no-reboot ends QEMU; the missing status marker then says so.
APPEND="console=ttyS0,115200 printk.time=1 loglevel=5 panic=-1"
APPEND+=" panic_on_warn=0 tsc=reliable intel_iommu=on"
# The debug kernel: /init scans for leaks after the command.
[ -n "$KERNEL_DIR" ] && APPEND+=" tsmbpf.kmemleak=1"
APPEND+="${EXTRA_APPEND:+ $EXTRA_APPEND}"
QEMU=("$QEMU_BIN" -accel tcg -machine q35 -cpu "$CPU" -smp "$SMP" -m "$MEM"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$KERNEL" -initrd "$INITRD")

# The guest machine (README "The guest machine"; the functions' addresses
# are named in tests/test_helper/common-setup.bash).  An emulated Intel
# IOMMU, before any PCI device, with interrupt remapping on: without it
# VFIO_SET_IOMMU of the type1 container fails with EPERM.  Two root ports
# at 5 GT/s: at the default 16 GT/s the kernel waits after a secondary bus
# reset for a link-active bit this QEMU never sets, and a hot reset fails
# with ENOTTY.  Behind port 1 (bus 01) the two functions of one
# multifunction slot, 0000:01:00.0 and 0000:01:00.1: one IOMMU group, one
# hot-reset set.  Behind port 2 (bus 02) one function alone, 0000:02:00.0.
# Each is a modern-only virtio-rng-pci (no I/O BAR) with FLR and PM, its DMA
# behind the IOMMU (iommu_platform=on).
RNG=virtio-rng-pci,disable-legacy=on,iommu_platform=on
QEMU+=(-device intel-iommu,intremap=on
	-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x4,chassis=1,x-speed=5
	-device pcie-root-port,id=rp2,bus=pcie.0,addr=0x5,chassis=2,x-speed=5
	-device "$RNG,id=fn0,bus=rp1,addr=0.0,multifunction=on"
	-device "$RNG,id=fn1,bus=rp1,addr=0.1"
	-device "$RNG,id=fn2,bus=rp2,addr=0.0")

if [ "$INTERACTIVE" = 1 ]; then
	if [ -t 1 ] && size=$(stty size 2>/dev/null); then
		APPEND+=" tsmbpf.rows=${size% *} tsmbpf.cols=${size#* }"
	fi
	APPEND+=" TERM=${TERM:-vt100}"
	say "interactive guest, kernel $KVER; Ctrl-A X kills QEMU; log in $LOG"
	# Ctrl-C goes to the guest (signal=off); Ctrl-A is QEMU's escape key.
	"${QEMU[@]}" -append "$APPEND" \
		-chardev "stdio,id=con,mux=on,signal=off,logfile=$LOG" \
		-serial chardev:con -mon chardev=con,mode=readline
	exit 0
fi

say "kernel $KVER, timeout ${TIMEOUT}s, log $LOG"
rm -f "$LOG.crash1"
start=$EPOCHREALTIME
interrupted=
trap 'interrupted=1' INT TERM

# run_guest: boot the guest once, console to stdout and $LOG; sets qemu_rc.
run_guest() {
	set +e
	# stdin from /dev/null: QEMU must not put the terminal in raw mode or
	# eat the user's keystrokes.  --foreground: QEMU stays in the
	# terminal's process group, so Ctrl-C reaches it.
	timeout --foreground -k 10 "$TIMEOUT" \
		"${QEMU[@]}" -append "$APPEND" -serial stdio </dev/null |
		sed -u 's/\r//g' | tee "$LOG"
	qemu_rc=${PIPESTATUS[0]}
	set -e
}

run_guest
again=''
# A crash before TSMBPF-CMD-START is the boot's, not the command's: boot
# once more.  QEMU killed by the timeout (124, or 137 after -k) or by the
# user is no crash.
if [ -z "$interrupted" ] && [ "$qemu_rc" != 124 ] && [ "$qemu_rc" != 137 ] &&
	! grep -aq 'TSMBPF-CMD-START uptime=' "$LOG"; then
	mv -f "$LOG" "$LOG.crash1"
	say "guest crashed before the command started; retrying once" \
		"(QEMU status $qemu_rc; first console log in $LOG.crash1)"
	# what the first boot died of, for the record; not on stdout, where
	# callers look for the console-scan lines of the run that counts
	"$TOP/scripts/scan-console.sh" "$LOG.crash1" | sed 's/^/vm-run: first boot: /' >&2 || true
	run_guest
	again=', second boot'
fi
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

# ---------------------------------------------------------------- verdict --

# last_value KEY: the value of the last "KEY=value" the guest printed.
last_value() {
	grep -aoE "$1=[0-9.]+" "$LOG" | tail -n1 | cut -d= -f2 || true
}
status=$(last_value TSMBPF-EXIT-STATUS)
boot=$(last_value 'TSMBPF-CMD-START uptime')
if [ -n "$interrupted" ]; then
	say "interrupted"
	exit 130
elif [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	say "TIMEOUT: guest still running after ${TIMEOUT}s, QEMU killed"
	rc=124
elif [ -z "$status" ]; then
	say "CRASH: guest ended without a TSMBPF-EXIT-STATUS line" \
		"(kernel panic? QEMU status $qemu_rc$again); see $LOG"
	rc=125
else
	say "guest command exited with status $status" \
		"(${boot:-?}s guest boot, ${elapsed}s wall$again)"
	rc=$status
fi

if ! scan=$("$TOP/scripts/scan-console.sh" "$LOG"); then
	printf '%s\n' "$scan"
	if [ "$ALLOW_SPLAT" = 1 ]; then
		say "kernel splat in console log ignored (--allow-splat)"
	else
		say "FAIL: kernel splat in console log (lines above); full log in $LOG"
		[ "$rc" = 0 ] && rc=3
	fi
fi
exit "$rc"
