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
	'lockdep'
	'possible recursive locking'
	'possible circular locking'
	'inconsistent lock state'
	'suspicious RCU usage'
	'bad unlock balance'
	'held lock freed'
	'KASAN'
	'UBSAN'
	'KFENCE'
	'KCSAN'
	'unreferenced object'           # kmemleak report
	'suspected memory leak'         # "kmemleak: 1 new suspected memory leaks"
	'refcount_t:'                   # refcount_t: underflow; use-after-free.
	'list_(add|del) corruption'
	'Call Trace:'                   # any stack dump
)

# Kernel lines that match a pattern above but are harmless.
IGNORE_PATTERNS=(
	'RCU CPU stall warnings timeout set to'   # boot banner, non-default timeout
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
hits=$(tr -d '\r' <"$LOG" | LC_ALL=C grep -anE "$SPLAT" |
	LC_ALL=C grep -avE "^[0-9]+:.*$IGNORE" || true)
[ -z "$hits" ] && exit 0
while IFS= read -r line; do
	printf 'console-scan: %s\n' "${line/:/: }"
done <<<"$hits"
exit 1
