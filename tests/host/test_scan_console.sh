#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side unit test of scripts/scan-console.sh: clean guest console logs
# must pass (exit 0), every kind of kernel splat must be caught (exit 1), and
# userspace output that merely looks like a splat must not be.
#
# Usage: tests/host/test_scan_console.sh
# Prints TAP ("ok N - desc" / "not ok N - desc"); exits 1 if any case fails.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
SCAN=${SCAN:-$TOP/scripts/scan-console.sh} # SCAN=...: test another copy
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

n=0
failed=0

# check WANT DESC: run the scanner on $TMP/log, which holds the case's text.
check() {
	local want=$1 desc=$2 got=0 out
	n=$((n + 1))
	out=$("$SCAN" "$TMP/log" 2>&1) || got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $got, want $want)"
		tail -n 3 "$TMP/log" | sed 's/^/#   log: /'
		[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/#   out: /'
		failed=$((failed + 1))
	fi
}

# Lines from a real boot of the Debian 6.12 guest (loglevel=8), the module
# taint messages and the guest /init's own output: must all pass.
CLEAN_BOOT=$(cat <<'EOF'
[    0.000000] Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2026-11-14)
[    0.000000] Command line: console=ttyS0,115200 printk.time=1 loglevel=5 panic=-1 panic_on_warn=0 tsc=reliable
[    0.000000] NX (Execute Disable) protection: active
[    0.041679] ACPI: Early table checksum verification disabled
[    0.076108] clocksource: refined-jiffies: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: 7645519600211568 ns
[    0.110614] Kernel command line: console=ttyS0,115200 printk.time=1 loglevel=5 panic=-1 panic_on_warn=0 tsc=reliable
[    0.200000] rcu: Preemptible hierarchical RCU implementation.
[    0.200001] rcu: 	RCU CPU stall warnings timeout set to 21 (rcu_cpu_stall_timeout).
[    0.200002] rcu: RCU calculated value of scheduler-enlistment delay is 100 jiffies.
[    0.642653] LSM: initializing lsm=lockdown,capability,landlock,yama,apparmor,tomoyo,bpf,ipe,ima,evm
[    0.645435] Yama: disabled by default; enable with sysctl kernel.yama.*
[    0.725890] APIC calibration not consistent with PM-Timer: 103ms instead of 100ms
[    1.081257] mtrr: your CPUs had inconsistent fixed MTRR settings
[    1.082481] mtrr: your CPUs had inconsistent MTRRdefType settings
[    1.256911] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug
[    1.301398] acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended configuration space under this bridge
[    1.943511] Block layer SCSI generic (bsg) driver version 0.4 loaded (major 246)
[    1.948039] amd_pstate: the _CPC object is not present in SBIOS or ACPI disabled
[    2.343769] ima: No TPM chip found, activating TPM-bypass!
[    2.481549] RAS: Correctable Errors collector initialized.
[    2.959756] x86/mm: Checked W+X mappings: passed, no W+X pages found.
[    2.960253] Run /init as init process
TSMBPF-CMD-START uptime=3.18
[    3.342567] tsmbpf_splat: loading out-of-tree module taints kernel.
[    3.343730] tsmbpf_splat: module verification failed: signature and/or required key missing - tainting kernel
TSMBPF-EXIT-STATUS=0
[    3.433776] ACPI: PM: Preparing to enter system sleep state S5
[    3.435123] reboot: Restarting system
EOF
)

printf '%s\n' "$CLEAN_BOOT" >"$TMP/log"
check 0 "clean Debian 6.12 boot with module taint messages"

printf '%s\n' "$CLEAN_BOOT" | sed 's/$/\r/' >"$TMP/log"
check 0 "clean boot with CRLF line endings"

: >"$TMP/log"
check 0 "empty log"

# Userspace output (no printk timestamp) that looks like a splat.
for line in \
	'WARNING: foo' \
	'BUG: the test reports a bug' \
	'Kernel panic test: skipped' \
	'not ok 3 detects a stall # Call Trace: expected' \
	'# refcount_t: underflow expected in output' \
	'WARNING: [    1.0] not a kernel timestamp (no microseconds)'; do
	printf '%s\n%s\n' "$CLEAN_BOOT" "$line" >"$TMP/log"
	check 0 "userspace line: $line"
done

# Kernel lines that contain a pattern's letters but are not splats.
for line in \
	'[    3.400000] tsmbpf: struct_ops tsm_ops installed' \
	'[    3.400001] tsmbpf: policy uninstalled, reinstalled on reload' \
	'[    3.400002] Lockdown: tsmctl: unsigned module loading is restricted' \
	'[    3.400003] tsmbpf: loading out-of-tree module taints kernel.'; do
	printf '%s\n%s\n' "$CLEAN_BOOT" "$line" >"$TMP/log"
	check 0 "benign kernel line: $line"
done

# A userspace line before the timestamp of a clean kernel line it got
# interleaved with: the pattern must follow the timestamp.
printf '%s\n' 'WARNING: foo[    3.500000] random: crng init done' >"$TMP/log"
check 0 "userspace WARNING interleaved before a clean kernel line"

# One sample line per pattern in scan-console.sh, as the kernel prints it.
SPLATS=(
	'BUG: kernel NULL pointer dereference, address: 0000000000000000'
	'BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585'
	'BUG: unable to handle page fault for address: ffffffffc0400000'
	'kernel BUG at mm/slub.c:4321!'
	'BUG kmalloc-64 (Tainted: G    B      OE     ): Right Redzone overwritten'
	'WARNING: CPU: 0 PID: 168 at kernel/bpf/verifier.c:123 do_check+0x19/0x30'
	'WARNING: possible circular locking dependency detected'
	'Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI'
	'Oops: 0002 [#1] PREEMPT SMP NOPTI'
	'Kernel panic - not syncing: Fatal exception'
	'general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI'
	'Unable to handle kernel paging request at virtual address dead000000000108'
	'rcu: INFO: rcu_preempt self-detected stall on CPU'
	'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:'
	'rcu: rcu_preempt kthread starved for 10502 jiffies! g2313 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=1'
	'watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [tsmctl:170]'
	'watchdog: Watchdog detected hard LOCKUP on cpu 1'
	'INFO: task tsmctl:171 blocked for more than 120 seconds.'
	'"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.'
	'INFO: lockdep is turned off.'
	'possible recursive locking detected'
	'inconsistent lock state'
	'suspicious RCU usage.'
	'bad unlock balance detected!'
	'held lock freed!'
	'BUG: KASAN: slab-use-after-free in tsm_policy_put+0x1d/0x40 [tsmbpf]'
	'KASAN: null-ptr-deref in range [0x0000000000000000-0x0000000000000007]'
	'UBSAN: array-index-out-of-bounds in kernel/bpf/core.c:1234:5'
	# the debug kernel's reports (scripts/debug-kernel.config), as 6.12
	# prints their first lines: lockdep ...
	'WARNING: possible recursive locking detected'
	'WARNING: inconsistent lock state'
	'WARNING: suspicious RCU usage'
	'WARNING: lock held when returning to user space!'
	'lock held when returning to user space!'
	'WARNING: possible irq lock inversion dependency detected'
	'possible irq lock inversion dependency detected'
	'WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected'
	'SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected'
	'WARNING: bad unlock balance detected!'
	'WARNING: held lock freed!'
	'DEBUG_LOCKS_WARN_ON(1)'
	'BUG: MAX_LOCKDEP_CHAINS too low!'
	'BUG: workqueue leaked atomic, lock or RCU: kworker/0:1[25]'
	'BUG: workqueue leaked lock or atomic: kworker/0:1/0x00000000/25'
	'BUG: Invalid wait context'
	# ... DEBUG_ATOMIC_SLEEP ...
	'BUG: sleeping function called from invalid context at include/linux/sched/mm.h:321'
	'BUG: scheduling while atomic: tsmctl/171/0x00000002'
	'scheduling while atomic: tsmctl/171/0x00000002'
	# ... KASAN (generic) ...
	'BUG: KASAN: use-after-free in tsmbpf_tdi_put+0x4e/0x90 [tsmbpf]'
	'BUG: KASAN: slab-out-of-bounds in tsmbpf_spt_map+0x1a2/0x300 [tsmbpf]'
	'BUG: KASAN: wild-memory-access in identify_cpu+0x2f/0x60'
	'BUG: KASAN: double-free in kfree+0x10/0x20'
	# ... UBSAN ...
	'UBSAN: shift-out-of-bounds in kernel/tsmbpf_spt.c:88:12'
	'UBSAN: signed-integer-overflow in kernel/tsmbpf_core.c:10:3'
	'UBSAN: invalid-load in kernel/tsmbpf_core.c:12:7'
	# ... kmemleak from the kernel (its own scan thread, or giving up)
	'kmemleak: Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE'
	'kmemleak: Cannot allocate a kmemleak_object structure'
	'BUG: KFENCE: out-of-bounds read in tsm_lookup+0x2a/0x80 [tsmbpf]'
	'BUG: KCSAN: data-race in tsm_attach / tsm_detach'
	'unreferenced object 0xffff888100a0b000 (size 64):'
	'kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)'
	'refcount_t: underflow; use-after-free.'
	'list_del corruption. prev->next should be ffff888100a0b000, but was 0000000000000000'
	'list_add corruption. next->prev should be prev (ffff888100a0b000), but was 0000000000000000.'
	'Call Trace:'
)
for s in "${SPLATS[@]}"; do
	printf '%s\n[    4.123456] %s\nTSMBPF-EXIT-STATUS=0\n' "$CLEAN_BOOT" "$s" \
		>"$TMP/log"
	check 1 "kernel splat: $s"
done

# Every pattern has a sample above.
while IFS= read -r p; do
	n=$((n + 1))
	if printf '%s\n' "${SPLATS[@]}" | grep -qE -- "$p"; then
		echo "ok $n - pattern '$p' has a sample line"
	else
		echo "not ok $n - pattern '$p' has no sample line"
		failed=$((failed + 1))
	fi
done < <("$SCAN" --patterns)

# The debug kernel's kmemleak block, printed by the guest's /init from
# /sys/kernel/debug/kmemleak (no timestamps: the one block of userspace
# output the scanner reads).
LEAK=$(cat <<'EOF'
unreferenced object 0xffff888104a8c100 (size 96):
  comm "tsmctl", pid 212, jiffies 4294952210
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 7c1b2f00):
    kmemleak_alloc+0x4a/0x80
    __kmalloc_cache_noprof+0x2f5/0x3f0
    tsmbpf_vm_create+0x5d/0x1f0 [tsmbpf]
    tsmbpf_ioctl+0x3a1/0x900 [tsmbpf]
    __x64_sys_ioctl+0x12b/0x1a0
    do_syscall_64+0x9e/0x1a0
    entry_SYSCALL_64_after_hwframe+0x77/0x7f
EOF
)
# Fault-injection windows (tests/bin/tsmbpf_failnth.c): a failed vmalloc's
# stack dump and kmemleak's scan-area notice are expected inside one only.
INJECT=$(cat <<'EOF'
[   41.000000] tsmbpf-failnth: fault injection on
[   41.100000] vmalloc error: size 4096, failed to allocate pages, mode:0xdc0(GFP_KERNEL|__GFP_ZERO), nodemask=(null),cpuset=/,mems_allowed=0
[   41.100001] CPU: 1 UID: 0 PID: 321 Comm: tsmbpf_failnth Tainted: G           O       6.12.117 #1
[   41.100002] Call Trace:
[   41.100003]  <TASK>
[   41.100004]  dump_stack_lvl+0x5d/0x80
[   41.100005]  warn_alloc+0x164/0x190
[   41.100006]  ? lockdep_hardirqs_on_prepare+0x275/0x410
[   41.200000] kmemleak: Cannot allocate a scan area, scanning the full object
[   42.000000] tsmbpf-failnth: fault injection off
EOF
)
printf '%s\n%s\n' "$CLEAN_BOOT" "$INJECT" >"$TMP/log"
check 0 "fault-injection window: a failed vmalloc's Call Trace and kmemleak's scan-area notice"
printf '%s\n%s\n[   43.000000] Call Trace:\n' "$CLEAN_BOOT" "$INJECT" >"$TMP/log"
check 1 "fault-injection window: a Call Trace after the window closed"
printf '%s\n%s\n[   43.000000]  ? lockdep_hardirqs_on_prepare+0x275/0x410\n' "$CLEAN_BOOT" "$INJECT" >"$TMP/log"
check 1 "fault-injection window: a lockdep-named stack frame after the window closed"
printf '%s\n%s\n' "$CLEAN_BOOT" "$INJECT" |
	sed 's/^\[   41.100001\] CPU/[   41.100000] WARNING: CPU: 1 PID: 321 at kernel\/foo.c:12 bar+0x1\/0x2\n&/' >"$TMP/log"
check 1 "fault-injection window: a WARNING inside it"
printf '%s\n%s\n' "$CLEAN_BOOT" "$INJECT" |
	sed 's/Cannot allocate a scan area.*/Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE/' >"$TMP/log"
check 1 "fault-injection window: kmemleak giving up inside it"
printf '%s\n%s\n' "$CLEAN_BOOT" "$INJECT" | sed '/fault injection off/d' >"$TMP/log"
check 1 "fault-injection window never closed"
printf '%s\n%s\n' "$CLEAN_BOOT" "$INJECT" | sed 's/^\[ *[0-9.]*\] tsmbpf-failnth/tsmbpf-failnth/' >"$TMP/log"
check 1 "fault-injection markers from userspace open no window"

kml() { # BODY: a clean run with a kmemleak block holding BODY
	printf '%s\n' "$CLEAN_BOOT" | sed '/^TSMBPF-EXIT-STATUS/,$d'
	echo TSMBPF-KMEMLEAK-BEGIN
	[ -z "$1" ] || printf '%s\n' "$1"
	echo TSMBPF-KMEMLEAK-END
	echo TSMBPF-EXIT-STATUS=0
}
kml '' >"$TMP/log"
check 0 "kmemleak block without objects"
kml "$LEAK" >"$TMP/log"
check 1 "kmemleak block with an unreferenced object"
kml "$LEAK"$'\n'"${LEAK//0xffff888104a8c100/0xffff888104a8c200}" | sed 's/$/\r/' >"$TMP/log"
check 1 "kmemleak block with two objects, CRLF"
kml 'TSMBPF-KMEMLEAK-ERROR: no scan (kmemleak off or disabled?)' >"$TMP/log"
check 1 "kmemleak block: no scan"
{ kml '' | sed '/TSMBPF-KMEMLEAK-END/,$d'; printf '%s\n' "$LEAK"; } >"$TMP/log"
check 1 "kmemleak block without its end marker, an object (guest died)"
{ kml '' | sed '/TSMBPF-KMEMLEAK-END/,$d'; } >"$TMP/log"
check 1 "kmemleak block cut short before any object"
printf '%s\n%s\n' "$CLEAN_BOOT" "$LEAK" >"$TMP/log"
check 0 "kmemleak-like userspace output outside the block"
# the report: every line of the object, with line numbers
kml "$LEAK" >"$TMP/log"
n=$((n + 1))
out=$("$SCAN" "$TMP/log" || true)
first=$(($(printf '%s\n' "$CLEAN_BOOT" | sed '/^TSMBPF-EXIT-STATUS/,$d' | wc -l) + 2))
if [ "$(wc -l <<<"$out")" = "$(wc -l <<<"$LEAK")" ] &&
	[ "$(head -n1 <<<"$out")" = "console-scan: $first: kmemleak: unreferenced object 0xffff888104a8c100 (size 96):" ] &&
	grep -q '^console-scan: [0-9]*: kmemleak:     tsmbpf_vm_create+0x5d/0x1f0 \[tsmbpf\]$' <<<"$out"; then
	echo "ok $n - kmemleak object reported whole, with line numbers"
else
	echo "not ok $n - kmemleak object reported whole, with line numbers"
	printf '%s\n' "$out" | sed 's/^/#   out: /'
	failed=$((failed + 1))
fi

# Lines of a clean boot of the debug kernel (scripts/debug-kernel.sh) at
# loglevel=5: must pass.
for line in \
	'[    0.000000] kasan: KernelAddressSanitizer initialized (generic)' \
	'[    0.000000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar' \
	'[    0.000000] ... MAX_LOCKDEP_SUBCLASSES:  8' \
	'[    0.000000] ... MAX_LOCKDEP_CHAINS:      131072' \
	'[    0.000000]  memory used by lock dependency info: 26033 kB' \
	'[    0.000000] kmemleak: Kernel memory leak detector initialized (mem pool available: 36543)'; do
	printf '%s\n%s\n' "$CLEAN_BOOT" "$line" >"$TMP/log"
	check 0 "debug kernel boot line: $line"
done

# Timestamps beyond 99999 s, CRLF, interleaving after userspace output.
printf '[123456.000001] WARNING: CPU: 1 PID: 2 at x.c:1 f+0x0/0x1\n' >"$TMP/log"
check 1 "splat with a wide timestamp"
printf '[    4.000000][  T170] WARNING: CPU: 1 PID: 2 at x.c:1 f+0x0/0x1\n' \
	>"$TMP/log"
check 1 "splat with a CONFIG_PRINTK_CALLER timestamp"
printf '[    4.000000] WARNING: CPU: 1 PID: 2 at x.c:1 f+0x0/0x1\r\n' >"$TMP/log"
check 1 "splat with CRLF line ending"
printf 'ok 1 loads the policy[    4.000000] BUG: kernel NULL pointer dereference\n' \
	>"$TMP/log"
check 1 "splat interleaved after userspace output"

# The scanner reports the line number and the line.
printf '%s\n[    4.000000] Kernel panic - not syncing: test\n' "$CLEAN_BOOT" \
	>"$TMP/log"
n=$((n + 1))
want="console-scan: $(($(printf '%s\n' "$CLEAN_BOOT" | wc -l) + 1)): [    4.000000] Kernel panic - not syncing: test"
if [ "$("$SCAN" "$TMP/log" || true)" = "$want" ]; then
	echo "ok $n - offending line printed with its line number"
else
	echo "not ok $n - offending line printed with its line number"
	failed=$((failed + 1))
fi

# Usage errors.
n=$((n + 1))
rc=0
"$SCAN" "$TMP/no-such-log" 2>/dev/null || rc=$?
if [ "$rc" = 2 ]; then
	echo "ok $n - missing log is a usage error (exit 2)"
else
	echo "not ok $n - missing log is a usage error (exit $rc, want 2)"
	failed=$((failed + 1))
fi

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n failed"
	exit 1
fi
