#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make test's runner: host unit tests, then every bats suite in the guest,
# then the console-scanner self test.  Ends with one plain line
# "N passed, N failed, N skipped" that counts every planned test, and exits
# non-zero on any failure or kernel splat.
#
# Usage: scripts/run-tests.sh BUILD_DIR [BATS_FILTER_REGEX]
#
# What must run is known before anything runs, so that nothing that did not
# run can vanish from the count (scripts/tap-count.sh has the rules):
#   - one unit test binary per tests/unit/test_*.c, a missing one fails;
#   - the guest tests `bats --count` finds on the host (with the filter):
#     each one without a result fails, whether its file's setup_file failed
#     or the guest crashed before or during the run;
#   - skipped tests are counted apart, not as passed.
#
# TSMBPF_TEST_SUITES="10_core 35_gate": only these guest suites (file names
# without .bats); like a filter, it skips the console scanner self test.
#
# TSMBPF_KERNEL_DIR (set by `make test KERNEL=debug`): the guest boots the
# debug kernel of scripts/debug-kernel.sh (scripts/vm-run.sh --kernel-dir:
# more memory, timeouts x4, a kmemleak scan at the end of each guest run
# that the console scanner reads).  The host unit tests never see it.
#
# For tests/host/test_run_tests.sh only: TSMBPF_TESTS_DIR (a tests/ tree
# with unit/, host/ and guest/) and TSMBPF_VMRUN (a vm-run.sh stand-in).
set -uo pipefail

O=${1:?usage: run-tests.sh BUILD_DIR [FILTER]}
FILTER=${2:-${TSMBPF_TEST_FILTER:-}}
TOP=$(cd "$(dirname "$0")/.." && pwd)
TESTS=${TSMBPF_TESTS_DIR:-$TOP/tests}
VMRUN=${TSMBPF_VMRUN:-$TOP/scripts/vm-run.sh}
mkdir -p "$O/vm"
KERNEL_DIR=${TSMBPF_KERNEL_DIR:-}
unset TSMBPF_KERNEL_DIR
vmrun_kernel=()
if [ -n "$KERNEL_DIR" ]; then
	vmrun_kernel=(--kernel-dir "$KERNEL_DIR")
	guest_kernel="debug kernel $(cat "$KERNEL_DIR/kernelrelease" 2>/dev/null || echo '(not built)')"
else
	guest_kernel="Debian $("$TOP/scripts/kver.sh")"
fi
# shellcheck source=scripts/tap-count.sh
. "$TOP/scripts/tap-count.sh"

echo "== host unit tests"
tap_run_host "$TESTS" "$O" "$O/vm"

echo "== guest suites ($guest_kernel under QEMU TCG)"
files=("$TESTS"/guest/*.bats)
SUITES=${TSMBPF_TEST_SUITES:-}
if [ -n "$SUITES" ]; then
	files=()
	for s in $SUITES; do
		files+=("$TESTS/guest/${s%.bats}.bats")
	done
fi
suites=''
for f in "${files[@]}"; do
	suites+=" /opt/tsmbpf/tests/guest/$(basename "$f")"
done
# The host counts the tests the guest must run: a guest that dies before
# bats prints its plan still owes every one of them.
bats_filter=()
[ -n "$FILTER" ] && bats_filter=(--filter "$FILTER")
if ! expected=$(bats --count "${bats_filter[@]}" "${files[@]}" 2>&1) ||
	! [[ $expected =~ ^[0-9]+$ ]]; then
	tap_failure guest "bats --count on the host failed (${expected:-no output}): the guest's own plan is all there is to count against"
	expected=''
fi
echo "${expected:-?} guest tests${FILTER:+ matching '$FILTER'}${SUITES:+ in $SUITES}"
bats_args="--tap"
[ -n "$FILTER" ] && bats_args+=" --filter $(printf %q "$FILTER")"
guest_log="$O/vm/guest-tests.log"
console="$O/vm/test-console.log"
# the guest tests' own knobs, passed through: TSMBPF_SEED replays the races
# of tsmbpf_race, the fuzzer, the stress and the kill test;
# TSMBPF_VFIO_STRESS=1 runs the opt-in VFIO race; TSMBPF_FUZZ_SECS,
# TSMBPF_STRESS_SECS and TSMBPF_OWNER_KILLS lengthen those three
guest_env=
for v in TSMBPF_SEED TSMBPF_VFIO_STRESS TSMBPF_FUZZ_SECS TSMBPF_STRESS_SECS \
	TSMBPF_OWNER_KILLS; do
	[ -n "${!v:-}" ] && guest_env+="$v=$(printf %q "${!v}") "
done
"$VMRUN" --build "$O" "${vmrun_kernel[@]}" --timeout 4800 --log "$console" -- \
	"${guest_env}bats $bats_args$suites | tee /tmp/tap; rc=\${PIPESTATUS[0]};" \
	"echo TSMBPF-TAP-BEGIN; cat /tmp/tap; echo TSMBPF-TAP-END; exit \$rc" \
	| tee "$guest_log"
rc=${PIPESTATUS[0]}
if ! tap_guest_stream "$console" "$O/vm/guest.tap"; then
	case $rc in
	124) why="timed out" ;;
	125) why="crashed" ;;
	130) why="interrupted" ;;
	*) why="exited $rc" ;;
	esac
	tap_note guest "no complete TAP block: the guest $why; counted the results it streamed before that (see $console)"
fi
# A splat is one failure of its own; vm-run's 3 means only that.
if grep -q '^console-scan:' "$guest_log"; then
	tap_failure guest "kernel splat in the console (console-scan lines above; see $console)"
	[ "$rc" = 3 ] && rc=0
fi
tap_count "$O/vm/guest.tap" guest "$rc" "$expected"

if [ -z "$FILTER" ] && [ -z "$SUITES" ]; then
	echo "== console scanner self test: a WARN in the guest must fail the run"
	out=$("$VMRUN" --build "$O" "${vmrun_kernel[@]}" --timeout 600 --log "$O/vm/splat-console.log" -- \
		"insmod /opt/tsmbpf/modules/tsmbpf_splat.ko && echo 1 > /sys/kernel/debug/tsmbpf_splat/warn" 2>&1)
	src=$?
	if [ "$src" -ne 0 ] && grep -q 'console-scan:.*WARNING' <<<"$out"; then
		echo "ok - guest WARN fails the run (exit $src)"
		tap_pass=$((tap_pass + 1))
	else
		echo "not ok - guest WARN did not fail the run (exit $src)"
		tap_failure "console scanner self test" "guest WARN did not fail the run (exit $src)"
	fi
fi

if [ ${#tap_failures[@]} -gt 0 ]; then
	echo "== failures"
	printf '  %s\n' "${tap_failures[@]}"
fi
echo "$tap_pass passed, $tap_fail failed, $tap_skip skipped"
[ "$tap_fail" -eq 0 ]
