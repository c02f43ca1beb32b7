# SPDX-License-Identifier: GPL-2.0
#
# TAP counting for scripts/run-tests.sh: sourced by it, and by
# tests/host/test_run_tests.sh, which feeds it every case the runner must
# count honestly.  The runner's closing line must count every planned test:
# a skipped test is not a pass, and a planned test with no result (its
# file's setup_file failed, the producer died, the guest crashed) is a
# failure.
#
# Totals: tap_pass, tap_fail, tap_skip.  tap_failures[]: one line per
# failure ("LABEL: what"), plus notes that explain them (tap_note).
#
# The caller sets its own shell options (run-tests.sh: set -uo pipefail).

# tap_reset: zero the totals.
tap_reset() {
	tap_pass=0 tap_fail=0 tap_skip=0
	tap_failures=()
}
tap_reset

# tap_failure LABEL TEXT: one failure that no TAP line reports.
tap_failure() {
	tap_fail=$((tap_fail + 1))
	tap_failures+=("$1: $2")
}

# tap_note LABEL TEXT: a line for the failure list that counts nothing
# (what explains failures counted elsewhere, e.g. the guest crashed).
tap_note() {
	tap_failures+=("$1: $2")
}

# tap_count FILE LABEL RC [EXPECTED]: add the TAP stream in FILE, written by
# a producer that exited with RC, to the totals.
#   "ok N ... # skip ..."  skipped; any other "ok N" passed;
#   "not ok N ..."         failed (bats also reports a failed setup_file or
#                          teardown_file this way);
#   a number in 1..max(EXPECTED, plan) with no result line: failed.  bats
#                          reports a failed setup_file as one "not ok" under
#                          the number of the file's first test and gives the
#                          file's other tests no line at all, so results are
#                          matched by number, not counted;
#   no plan and no EXPECTED: one failure (the producer ended before its
#                          plan; unit tests print theirs last);
#   RC non-zero and none of the above failed: one failure.
# EXPECTED is what the runner knows must run (the guest's `bats --count`
# on the host), so that a stream that ended before its plan, or never
# began, still counts every test.  A missing FILE is an empty stream.
# Returns 0 if the stream added no failure.
tap_count() {
	local file=$1 label=$2 rc=$3 want=${4:-} sum p s f m plan
	local -a lines
	[ -r "$file" ] || file=/dev/null
	mapfile -t lines < <(tr -d '\r' <"$file" | awk -v want="$want" '
		/^ok [0-9]+([ \t]|$)/ {
			seen[$2 + 0] = 1
			if (tolower($0) ~ /#[ \t]*skip/) s++; else p++
			next
		}
		/^not ok [0-9]+([ \t]|$)/ {
			seen[$3 + 0] = 1
			f++
			sub(/^not ok /, "")
			fails[f] = $0
			next
		}
		/^1\.\.[0-9]+([ \t]|$)/ {
			n = substr($1, 4) + 0
			if (plan == "" || n > plan) plan = n
		}
		END {
			total = want == "" ? plan + 0 : want + 0
			if (plan != "" && plan > total) total = plan
			# the missing numbers, as ranges: "2, 7-40"
			for (i = 1; i <= total; i++) {
				if (i in seen) continue
				if (m++ && i == hi + 1) { hi = i; continue }
				if (m > 1) ranges = ranges span(lo, hi) ", "
				lo = hi = i
			}
			if (m) ranges = ranges span(lo, hi)
			printf "%d %d %d %d %s %d %s\n", p, s, f, m,
				plan == "" ? "-" : plan, total, ranges
			for (i = 1; i <= f; i++) print fails[i]
		}
		function span(a, b) { return a == b ? a : a "-" b }
		')
	read -r p s f m plan total ranges <<<"${lines[0]}"
	tap_pass=$((tap_pass + p))
	tap_skip=$((tap_skip + s))
	tap_fail=$((tap_fail + f + m))
	for sum in "${lines[@]:1}"; do
		tap_failures+=("$label: not ok $sum")
	done
	if [ "$m" -gt 0 ]; then
		tap_failures+=("$label: $m of $total planned tests have no result: ${ranges}")
	fi
	if [ "$plan" = - ] && [ -z "$want" ]; then
		tap_failure "$label" "no TAP plan: the stream ended early (exit $rc)"
		return 1
	fi
	if [ "$((f + m))" -gt 0 ]; then
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		tap_failure "$label" "exited $rc without a failing test"
		return 1
	fi
	return 0
}

# tap_guest_stream CONSOLE_LOG OUT: the guest's TAP stream into OUT.  The
# guest prints it whole between TSMBPF-TAP-BEGIN and TSMBPF-TAP-END once
# bats has ended; without that block (the guest crashed or timed out) the
# lines bats streamed to the console after TSMBPF-CMD-START, as far as they
# go.  Returns 1 when it had to fall back to the streamed lines.
tap_guest_stream() {
	local log=$1 out=$2
	if [ -r "$log" ] && grep -aq '^TSMBPF-TAP-END$' "$log"; then
		tr -d '\r' <"$log" |
			sed -n '/^TSMBPF-TAP-BEGIN$/,/^TSMBPF-TAP-END$/p' >"$out"
		return 0
	fi
	if [ -r "$log" ]; then
		tr -d '\r' <"$log" | sed -n '/TSMBPF-CMD-START/,$p' |
			grep -aE '^(not )?ok [0-9]+|^1\.\.[0-9]+' >"$out"
	else
		: >"$out"
	fi
	return 1
}

# tap_run_host TESTS BUILD LOGDIR: the host unit tests.  Every
# TESTS/unit/test_X.c must have been built into BUILD/tests/unit/test_X: a
# missing binary is a failure, not a test less.  Then every
# TESTS/host/test_*.sh, with TSMBPF_BUILD=BUILD in its environment (to find
# the unit binaries).  Each one's output is shown indented and kept in
# LOGDIR/host-NAME.tap.
tap_run_host() {
	local tests=$1 build=$2 logdir=$3 src t name log rc
	local -a progs=()
	for src in "$tests"/unit/test_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		progs+=("$build/tests/unit/$name")
	done
	for t in "$tests"/host/test_*.sh; do
		[ -e "$t" ] && progs+=("$t")
	done
	for t in "${progs[@]}"; do
		name=$(basename "$t")
		log=$logdir/host-$name.tap
		case $t in
		*.sh) TSMBPF_BUILD=$build bash "$t" >"$log" 2>&1 ;;
		*)
			if [ ! -x "$t" ]; then
				echo "  missing: $t"
				tap_failure "$name" "not built: no executable $t"
				continue
			fi
			"$t" >"$log" 2>&1
			;;
		esac
		rc=$?
		sed 's/^/  /' "$log"
		tap_count "$log" "$name" "$rc"
	done
}
