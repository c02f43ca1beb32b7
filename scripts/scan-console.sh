#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a guest console log for kernel splats.
#
# Usage: scripts/scan-console.sh LOG
#        scripts/scan-console.sh --patterns   (print the splat patterns)
#
# Prints every offending line as "console-scan: LINENO: TEXT" and exits 1 if
# LOG holds a kernel splat (warning, BUG, oops, panic, lockup, stall, lockdep,
# sanitizer or kmemleak report, refcount error, stack dump); exits 0 if it
# holds none, 2 on usage errors.
#
# Only kernel lines count: a pattern must follow a printk timestamp
# "[    1.234567] " on the same line (the timestamp may be preceded by
# userspace output the kernel line was interleaved with).  Output of the
# guest's test command ("WARNING: foo" from a script) never matches.
# The guest must boot with printk.time=1, and with a console loglevel that
# shows KERN_WARNING (loglevel=5): WARN() prints at that level.
#
# The one exception: the kmemleak report the guest's /init prints on the
# debug kernel (scripts/vm-run.sh --kernel-dir) between the lines
# TSMBPF-KMEMLEAK-BEGIN and TSMBPF-KMEMLEAK-END (a `cat` of
# /sys/kernel/debug/kmemleak, no timestamps).  Each object it lists is a
# splat ("kmemleak:" lines: the object, its hex dump and backtrace), unless
# its report matches KMEMLEAK_IGNORE below; so is a TSMBPF-KMEMLEAK-ERROR
# line (no scan: kmemleak off or disabled) and a block with no end marker.
#
# Fault-injection windows: between the kernel lines
# "tsmbpf-failnth: fault injection on" and "... off" (tests/bin/
# tsmbpf_failnth.c writes them to /dev/kmsg around its run) allocations
# fail on purpose, and the kernel reports some of them the way it reports
# any failed allocation: vmalloc's warn_alloc() dumps the stack
# ("vmalloc error: ..." then "Call Trace:"), kmemleak scans an object whole
# when it cannot allocate a scan area.  Inside a window only the lines of
# INJECTION_EXPECTED and stack frames (" ? lockdep_hardirqs_on_prepare+0x2/
# 0x4" matches 'lockdep') are let through; every other pattern still counts
# (a WARNING or BUG in an error path is exactly what the test hunts), and
# a window that is opened and never closed is a splat itself.
set -euo pipefail

# Kernel messages that mean something went wrong (extended regexps, matched
# case-sensitively against the text after the timestamp).  Keep this the one
# list; tests/host/test_scan_console.sh has a sample line for each.
SPLAT_PATTERNS=(
	'BUG:'                          # BUG: kernel NULL pointer deref, soft lockup,
	                                #   sleeping function called from invalid context ...
	'kernel BUG at'                 # BUG()/BUG_ON()
	'\<BUG [^ ]+ \(.*\): '          # SLUB: "BUG kmalloc-64 (Tainted: G O): Redzone ..."
	'WARNING:'                      # WARN*(), lockdep "WARNING: possible ... locking"
	'DEBUG_LOCKS_WARN_ON'           # lockdep's internal checks
	'\<Oops\>'                      # "Oops: general protection fault ..." / "Oops: 0002"
	'Kernel panic'                  # "Kernel panic - not syncing: ..."
	'general protection fault'
	'Unable to handle kernel'
	'\<stall'                       # rcu: INFO: rcu_preempt self-detected stall on CPU,
	                                #   rcu: INFO: rcu_sched detected stalls on CPUs/tasks
	'kthread starved'               # RCU grace-period kthread starved
	'soft lockup'
	'hard LOCKUP'
	'hung_task'
	'blocked for more than'         # INFO: task x:1 blocked for more than 120 seconds.
	'lockdep'                       # "INFO: lockdep is turned off."
	'possible recursive locking'
	'possible circular locking'
	'irq lock inversion'            # "possible irq lock inversion dependency detected"
	'-safe -> [A-Z]+-unsafe lock order' # "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected"
	'inconsistent lock state'
	'suspicious RCU usage'
	'bad unlock balance'
	'held lock freed'
	'lock held when returning to user space'
	'leaked (atomic, )?lock'        # "BUG: workqueue leaked atomic, lock or RCU"
	'scheduling while atomic'
	'KASAN'                         # "BUG: KASAN: slab-use-after-free in ..."
	'UBSAN'                         # "UBSAN: array-index-out-of-bounds in ..."
	'KFENCE'
	'KCSAN'
	'unreferenced object'           # kmemleak report
	'suspected memory leak'         # "kmemleak: 1 new suspected memory leaks"
	'kmemleak: (Memory pool empty|Cannot allocate)' # kmemleak gives up
	'refcount_t:'                   # refcount_t: underflow; use-after-free.
	'list_(add|del) corruption'
	'Call Trace:'                   # any stack dump
)

# Kernel lines that match a pattern above but are harmless.
IGNORE_PATTERNS=(
	'RCU CPU stall warnings timeout set to'   # boot banner, non-default timeout
)

# Expected inside a fault-injection window only; see the header.
INJECTION_EXPECTED=(
	'Call Trace:'                                  # warn_alloc()'s dump_stack()
	'kmemleak: Cannot allocate a scan area'        # pr_warn_once, then scans the whole object
)
WINDOW_ON='tsmbpf-failnth: fault injection on'
WINDOW_OFF='tsmbpf-failnth: fault injection off'

# kmemleak objects that are not leaks of ours (extended regexps, matched
# against the object's whole report: header, hex dump, backtrace).  Keep it
# narrow, and say why for each.
KMEMLEAK_IGNORE=(
)

if [ "${1:-}" = --patterns ]; then # for tests/host/test_scan_console.sh
	printf '%s\n' "${SPLAT_PATTERNS[@]}"
	exit 0
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 LOG" >&2
	exit 2
fi
LOG=$1
[ -r "$LOG" ] || { echo "scan-console: cannot read $LOG" >&2; exit 2; }

join() { local IFS='|'; echo "$*"; }

pats=()
for p in "${SPLAT_PATTERNS[@]}"; do pats+=("($p)"); done
# "[    1.234567] ", or "[    1.234567][  T123] " with CONFIG_PRINTK_CALLER.
TS='\[ *[0-9]+\.[0-9]{6}\](\[ *[CT][0-9]+\])? '
SPLAT="$TS.*($(join "${pats[@]}"))"
IGNORE="$TS.*($(join "${IGNORE_PATTERNS[@]}"))"

# LC_ALL=C: console logs may hold arbitrary bytes; -a: never "binary file".
hits=$(tr -d '\r' <"$LOG" | LC_ALL=C grep -anE "$SPLAT|$TS.*($WINDOW_ON|$WINDOW_OFF)" |
	LC_ALL=C grep -avE "^[0-9]+:.*$IGNORE" || true)
# Drop the window markers and, inside a window, the expected lines (each
# hit is already a kernel line: plain substrings suffice).
if [ -n "$hits" ]; then
	hits=$(LC_ALL=C awk -v on="$WINDOW_ON" -v off="$WINDOW_OFF" \
		-v expected="$(printf '%s\n' "${INJECTION_EXPECTED[@]}")" '
	BEGIN { nexp = split(expected, want, "\n") }
	function is_expected(i) {
		for (i = 1; i <= nexp; i++)
			if (want[i] != "" && index($0, want[i]))
				return 1
		return 0
	}
	index($0, on) { inwin = 1; opened = $0; next }
	index($0, off) { inwin = 0; next }
	inwin && is_expected() { next }
	# a frame of a stack dump: the header line of the dump decides
	inwin && /\] +([?] )?[A-Za-z0-9_.]+[+]0x[0-9a-f]+\/0x[0-9a-f]+/ { next }
	{ print }
	END {
		if (inwin) {
			split(opened, f, ":")
			print f[1] ":fault-injection window opened here and never closed (the injecting program died?)"
		}
	}' <<<"$hits")
fi

# The kmemleak block: one report per object, each starting at its
# "unreferenced object" line; at most 400 lines of them.
kml_ignore=$(join "${KMEMLEAK_IGNORE[@]}")
leaks=$(tr -d '\r' <"$LOG" | LC_ALL=C awk -v ign="$kml_ignore" '
function flush() {
	if (obj != "" && (ign == "" || obj !~ ign))
		out = out obj
	obj = ""
}
index($0, "TSMBPF-KMEMLEAK-BEGIN") { inb = 1; seen = NR; next }
index($0, "TSMBPF-KMEMLEAK-END") { flush(); inb = 0; next }
!inb { next }
index($0, "TSMBPF-KMEMLEAK-ERROR") { flush(); out = out NR ":kmemleak: " $0 "\n"; next }
/unreferenced object 0x/ { flush() }
{ if (obj != "" || /unreferenced object 0x/) obj = obj NR ":kmemleak: " $0 "\n" }
END {
	flush()
	if (inb)
		out = out seen ":kmemleak: TSMBPF-KMEMLEAK-BEGIN without TSMBPF-KMEMLEAK-END: the scan did not finish\n"
	n = split(out, l, "\n") - 1
	for (i = 1; i <= n && i <= 400; i++)
		print l[i]
	if (n > 400)
		print seen ":kmemleak: ... " n - 400 " more lines of the report"
}')

[ -z "$hits" ] && [ -z "$leaks" ] && exit 0
while IFS= read -r line; do
	[ -n "$line" ] && printf 'console-scan: %s\n' "${line/:/: }"
done <<<"$hits${hits:+${leaks:+$'\n'}}$leaks"
exit 1
