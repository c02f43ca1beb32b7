#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of the runner's counting: scripts/tap-count.sh on TAP
# streams (bats' own among them), then scripts/run-tests.sh end to end on a
# small tests/ tree with a stand-in for vm-run.sh.  The closing line must
# count every planned test: skipped apart, and every test without a result
# (a failed setup_file, a stream cut short, a guest crash before or during
# the run, a unit test binary never built) as failed.
#
# Usage: tests/host/test_run_tests.sh
# Prints TAP ("ok N - desc" / "not ok N - desc"); exits 1 if any case fails.
set -uo pipefail
# the caller's own choice of suites (make test KERNEL=debug TSMBPF_TEST_SUITES=...)
# must not reach the run-tests.sh runs below, which have their own trees
unset TSMBPF_TEST_SUITES

TOP=$(cd "$(dirname "$0")/../.." && pwd)
RUNNER=${RUNNER:-$TOP/scripts/run-tests.sh} # RUNNER=...: test another copy
LIB=${LIB:-$(dirname "$RUNNER")/tap-count.sh}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=scripts/tap-count.sh
. "$LIB"

# shellcheck source=tests/host/tap.bash
. "$(dirname "$0")/tap.bash"

# count DESC "PASS FAIL SKIP" RETURN RC [EXPECTED]: tap_count on $TMP/t.tap
# alone gives these totals and returns RETURN.
count() {
	local desc=$1 want=$2 wret=$3 ret=0
	tap_reset
	tap_count "$TMP/t.tap" t "$4" "${5:-}" || ret=$?
	local got="$tap_pass $tap_fail $tap_skip"
	ok "$([ "$got" = "$want" ] && [ "$ret" = "$wret" ]; echo $?)" \
		"$desc: $want" "got $got (return $ret, want $wret)
$(printf '%s\n' "${tap_failures[@]}")"
}

# ------------------------------------------------------ tap_count alone --

printf 'ok 1 - a\nok 2 - b\nok 3 - c\n1..3\n' >"$TMP/t.tap"
count "a passing unit-test stream, plan last" "3 0 0" 0 0

printf '1..2\nok 1 a\nok 2 b\n' >"$TMP/t.tap"
count "a passing bats stream, plan first" "2 0 0" 0 0

printf '1..3\nok 1 a\nok 2 b # skip no device\nok 3 c # SKIP\n' >"$TMP/t.tap"
count "skipped tests counted apart, not as passed" "1 0 2" 0 0

printf '1..3\nok 1 a\nnot ok 2 b\n# (in test file x.bats, line 4)\nok 3 c\n' >"$TMP/t.tap"
count "not ok counted as failed" "2 1 0" 1 1

printf '1..5\nok 1 a\nok 2 b\n' >"$TMP/t.tap"
count "fewer results than the plan: the rest failed" "2 3 0" 1 1
tap_reset
tap_count "$TMP/t.tap" t 1 >/dev/null
ok "$(printf '%s\n' "${tap_failures[@]}" | grep -qx 't: 3 of 5 planned tests have no result: 3-5'; echo $?)" \
	"the tests without a result are named" "$(printf '%s\n' "${tap_failures[@]}")"

printf 'ok 1 - a\nok 2 - b\n' >"$TMP/t.tap"
count "no plan (the program died before its plan): one failure" "2 1 0" 1 139

: >"$TMP/t.tap"
count "empty stream, nothing expected: one failure" "0 1 0" 1 0

count "crash before any output: every expected test failed" "0 40 0" 1 125 40

rm -f "$TMP/t.tap"
count "no stream file at all: every expected test failed" "0 7 0" 1 125 7

printf '1..3\nok 1 a\nok 2 b\nok 3 c\n' >"$TMP/t.tap"
count "expected (host count) above the plan: the difference failed" "3 2 0" 1 0 5

printf '1..5\nok 1 a\nok 2 b\n' >"$TMP/t.tap"
count "guest crashed mid-run: ran tests counted, the rest failed" "2 3 0" 1 125 5

printf '1..2\nok 1 a\nok 2 b\n' >"$TMP/t.tap"
count "every test passed but the producer failed: one failure" "2 1 0" 1 3

printf '1..2\nok 1 a\nnot ok 2 b\n' >"$TMP/t.tap"
count "a non-zero exit that a not ok explains adds nothing" "1 1 0" 1 1

printf '1..2\r\nok 1 a\r\nok 2 b # skip x\r\n' >"$TMP/t.tap"
count "CRLF console lines" "1 0 1" 0 0

# bats' own stream: a failed setup_file is one "not ok" under the number
# of the file's first test and its other tests get no line; a failed
# teardown_file is one more "not ok" that reuses a number.
mkdir -p "$TMP/bats"
cat >"$TMP/bats/a.bats" <<'BATS'
setup_file() { false; }
@test "a1" { true; }
@test "a2" { true; }
@test "a3" { true; }
BATS
cat >"$TMP/bats/b.bats" <<'BATS'
teardown_file() { false; }
@test "b1" { true; }
@test "b2" { skip "not here"; }
@test "b3" { false; }
BATS
if command -v bats >/dev/null; then
	(cd "$TMP/bats" && bats --tap a.bats b.bats) >"$TMP/t.tap" 2>&1
	brc=$?
	# a1-a3 failed (setup_file), b1 passed, b2 skipped, b3 and teardown_file failed
	count "real bats output: failed setup_file and teardown_file" "1 5 1" 1 "$brc" \
		"$(bats --count "$TMP"/bats/*.bats)"
else
	ok 1 "bats on the host (make deps installs it)"
fi

# tap_guest_stream: the TAP block when the guest printed it whole, else
# the TAP lines streamed after TSMBPF-CMD-START.
printf '%s\n' '[ 0.1] Run /init' 'ok 9 not a test: before the command' \
	'TSMBPF-CMD-START uptime=1.0' '1..2' 'ok 1 a' 'ok 2 b' 'TSMBPF-TAP-BEGIN' \
	'1..2' 'ok 1 a' 'not ok 2 b' 'TSMBPF-TAP-END' 'TSMBPF-EXIT-STATUS=1' >"$TMP/console"
tap_guest_stream "$TMP/console" "$TMP/t.tap"
ok "$([ $? = 0 ] && [ "$(grep -c '^not ok 2 b$' "$TMP/t.tap")" = 1 ] &&
	! grep -q '^ok 9' "$TMP/t.tap"; echo $?)" \
	"guest stream: the TAP block when complete" "$(cat "$TMP/t.tap")"
printf '%s\n' '[ 0.1] Run /init' 'ok 9 not a test: before the command' \
	'TSMBPF-CMD-START uptime=1.0' '1..3' 'ok 1 a' '# output' 'ok 2 b' \
	'[ 9.0] Kernel panic - not syncing: x' >"$TMP/console"
tap_guest_stream "$TMP/console" "$TMP/t.tap"
ret=$?
count "guest stream cut by a crash: streamed results counted, the rest failed" \
	"2 3 0" 1 125 5
ok "$([ "$ret" = 1 ] && ! grep -q '^ok 9' "$TMP/t.tap"; echo $?)" \
	"guest stream: falls back to the lines after TSMBPF-CMD-START, says so" \
	"return $ret: $(cat "$TMP/t.tap")"

# ------------------------------------------------- run-tests.sh end to end --

# A tests/ tree: two unit test sources, no host scripts, five guest tests
# in two files.
T=$TMP/tree
mkdir -p "$T/unit" "$T/host" "$T/guest"
touch "$T/unit/test_alpha.c" "$T/unit/test_beta.c"
printf '@test "x1" { true; }\n@test "x2" { true; }\n@test "x3" { true; }\n' >"$T/guest/10_x.bats"
printf '@test "y1" { true; }\n@test "y2" { true; }\n' >"$T/guest/20_y.bats"

# The vm-run.sh stand-in: the scanner self test gets its WARN; the suites
# get $STUB_CONSOLE on stdout and in --log, and exit $STUB_RC.
cat >"$TMP/vm-run" <<'STUB'
#!/usr/bin/env bash
log=
while [ $# -gt 0 ]; do
	case $1 in --log) log=$2; shift 2 ;; --) shift; break ;; *) shift ;; esac
done
if [[ $* == *tsmbpf_splat* ]]; then
	echo 'console-scan: 30: [    3.1] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1'
	exit 3
fi
echo "$*" >"$STUB_DIR/guest-cmd"
tee "$log" <"$STUB_CONSOLE"
exit "$STUB_RC"
STUB
chmod +x "$TMP/vm-run"

# build B [UNIT...]: a build tree whose unit tests are the UNITs given
mkbuild() {
	local b=$1 u
	shift
	rm -rf "$b"
	mkdir -p "$b/tests/unit"
	for u in "$@"; do
		printf '#!/bin/sh\necho "ok 1 - %s"\necho "1..1"\n' "$u" >"$b/tests/unit/$u"
		chmod +x "$b/tests/unit/$u"
	done
}

# console FILE TAP-LINES...: a guest console that ran bats to the end
console() {
	local f=$1
	shift
	{
		echo '[    0.9] Run /init as init process'
		echo 'TSMBPF-CMD-START uptime=1.00'
		printf '%s\n' "$@"
		echo TSMBPF-TAP-BEGIN
		printf '%s\n' "$@"
		echo TSMBPF-TAP-END
		echo TSMBPF-EXIT-STATUS=0
	} >"$f"
}

# runner DESC CLOSING-LINE RC [FILTER]: run-tests.sh's last line and status
runner() {
	local desc=$1 want=$2 wrc=$3 out rc last
	STUB_DIR=$TMP/stub
	mkdir -p "$STUB_DIR"
	out=$(STUB_DIR=$STUB_DIR STUB_CONSOLE=$TMP/console STUB_RC=${STUB_RC:-0} \
		TSMBPF_TESTS_DIR="$T" TSMBPF_VMRUN="$TMP/vm-run" TSMBPF_TEST_FILTER= \
		"$RUNNER" "$TMP/build" ${4:+"$4"} 2>&1)
	rc=$?
	last=$(tail -n1 <<<"$out")
	ok "$([ "$last" = "$want" ] && [ "$rc" = "$wrc" ]; echo $?)" \
		"run-tests.sh: $desc: '$want'" "got '$last', exit $rc
$out"
	runner_out=$out
}

ALL=('1..5' 'ok 1 x1' 'ok 2 x2' 'ok 3 x3' 'ok 4 y1' 'ok 5 y2')
mkbuild "$TMP/build" test_alpha test_beta
console "$TMP/console" "${ALL[@]}"
# 2 unit tests, 5 guest tests, the scanner self test
runner "everything passes" "8 passed, 0 failed, 0 skipped" 0
ok "$(grep -q -- "--filter" "$TMP/stub/guest-cmd"; [ $? = 1 ]; echo $?)" \
	"run-tests.sh: no --filter for the guest without a filter" "$(cat "$TMP/stub/guest-cmd")"

mkbuild "$TMP/build" test_alpha
runner "a unit test binary never built" "7 passed, 1 failed, 0 skipped" 1
ok "$(grep -q 'test_beta: not built' <<<"$runner_out"; echo $?)" \
	"run-tests.sh: the missing unit binary is named" "$runner_out"
mkbuild "$TMP/build" test_alpha test_beta

console "$TMP/console" '1..5' 'ok 1 x1' 'ok 2 x2 # skip no x2' 'ok 3 x3' 'ok 4 y1' 'ok 5 y2'
runner "a skipped guest test" "7 passed, 0 failed, 1 skipped" 0

console "$TMP/console" '1..5' 'ok 1 x1' 'ok 2 x2' 'ok 3 x3' 'not ok 4 setup_file failed'
STUB_RC=1 runner "a guest file's setup_file failed" "6 passed, 2 failed, 0 skipped" 1

console "$TMP/console" '1..5' 'ok 1 x1' 'not ok 2 x2' 'ok 3 x3' 'ok 4 y1' 'ok 5 y2'
STUB_RC=1 runner "a failed guest test" "7 passed, 1 failed, 0 skipped" 1

printf '%s\n' '[    0.5] Kernel panic - not syncing: boot' >"$TMP/console"
STUB_RC=125 runner "guest crashed before any output" "3 passed, 5 failed, 0 skipped" 1

printf '%s\n' '[    0.9] Run /init' 'TSMBPF-CMD-START uptime=1.00' '1..5' 'ok 1 x1' \
	'ok 2 x2' '[   40.0] Kernel panic - not syncing: x' >"$TMP/console"
STUB_RC=125 runner "guest crashed after two tests" "5 passed, 3 failed, 0 skipped" 1
ok "$(grep -q 'the guest crashed' <<<"$runner_out" &&
	grep -q 'guest: 3 of 5 planned tests have no result: 3-5' <<<"$runner_out"; echo $?)" \
	"run-tests.sh: the crash and the tests it cost are named" "$runner_out"

STUB_RC=124 runner "guest timed out after two tests" "5 passed, 3 failed, 0 skipped" 1

console "$TMP/console" "${ALL[@]}"
printf 'console-scan: 20: [ 5.0] WARNING: CPU: 1 PID: 9 at x.c:1 f\n' >>"$TMP/console"
STUB_RC=3 runner "every guest test passed, then a kernel splat" \
	"8 passed, 1 failed, 0 skipped" 1

console "$TMP/console" '1..2' 'ok 1 y1' 'ok 2 y2'
runner "a filter: only its tests are expected, no scanner self test" \
	"4 passed, 0 failed, 0 skipped" 0 'y[0-9]'
ok "$(grep -q -- "--filter y\\\\\[0-9\\\\\]" "$TMP/stub/guest-cmd"; echo $?)" \
	"run-tests.sh: the filter reaches the guest's bats" "$(cat "$TMP/stub/guest-cmd")"

printf '%s\n' '[    0.5] Kernel panic - not syncing: boot' >"$TMP/console"
STUB_RC=125 runner "a filter, and the guest crashed before any output" \
	"2 passed, 2 failed, 0 skipped" 1 'y[0-9]'

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n failed"
	exit 1
fi
