#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make test's runner: host unit tests, then every bats suite in the guest,
# then the console-scanner self test.  Ends with one plain line
# "N passed, N failed" and exits non-zero on any failure or kernel splat.
#
# Usage: scripts/run-tests.sh BUILD_DIR [BATS_FILTER_REGEX]
set -uo pipefail

O=${1:?usage: run-tests.sh BUILD_DIR [FILTER]}
FILTER=${2:-${TSMBPF_TEST_FILTER:-}}
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$O/vm"
pass=0
fail=0
failed=()

# count_tap FILE LABEL: add the TAP results in FILE to the totals.
count_tap() {
	local p f
	p=$(grep -cE '^ok [0-9]+' "$1")
	f=$(grep -cE '^not ok [0-9]+' "$1")
	pass=$((pass + p))
	fail=$((fail + f))
	while IFS= read -r line; do
		failed+=("$2: ${line#not ok }")
	done < <(grep -E '^not ok [0-9]+' "$1")
	[ "$((p + f))" -gt 0 ]
}

echo "== host unit tests"
for t in "$O"/tests/unit/test_* "$TOP"/tests/host/test_*.sh; do
	[ -x "$t" ] || [ -f "$t" ] || continue
	log="$O/vm/host-$(basename "$t").tap"
	case $t in
	*.sh) bash "$t" >"$log" 2>&1 ;;
	*) "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	sed 's/^/  /' "$log"
	if ! count_tap "$log" "$(basename "$t")" || { [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; }; then
		fail=$((fail + 1))
		failed+=("$(basename "$t"): exited $rc")
	fi
done

echo "== guest suites (Debian $("$TOP/scripts/kver.sh") under QEMU TCG)"
suites=$(cd "$TOP/tests/guest" && ls ./*.bats | sed 's|^\./|/opt/tsmbpf/tests/guest/|' | tr '\n' ' ')
bats_args="--tap"
[ -n "$FILTER" ] && bats_args="$bats_args --filter '$FILTER'"
guest_log="$O/vm/guest-tests.log"
"$TOP/scripts/vm-run.sh" --build "$O" --timeout 3600 --log "$O/vm/test-console.log" -- \
	"bats $bats_args $suites | tee /tmp/tap; rc=\${PIPESTATUS[0]};" \
	"echo TSMBPF-TAP-BEGIN; cat /tmp/tap; echo TSMBPF-TAP-END; exit \$rc" \
	| tee "$guest_log"
rc=${PIPESTATUS[0]}
sed -n '/^TSMBPF-TAP-BEGIN$/,/^TSMBPF-TAP-END$/p' "$guest_log" >"$O/vm/guest.tap"
if ! count_tap "$O/vm/guest.tap" guest; then
	fail=$((fail + 1))
	failed+=("guest: no test results (exit $rc, see $O/vm/test-console.log)")
elif [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$O/vm/guest.tap"; then
	fail=$((fail + 1))
	failed+=("guest: run failed with $rc (console splat? see $O/vm/test-console.log)")
fi

if [ -z "$FILTER" ]; then
	echo "== console scanner self test: a WARN in the guest must fail the run"
	out=$("$TOP/scripts/vm-run.sh" --build "$O" --timeout 600 --log "$O/vm/splat-console.log" -- \
		"insmod /opt/tsmbpf/modules/tsmbpf_splat.ko && echo 1 > /sys/kernel/debug/tsmbpf_splat/warn" 2>&1)
	src=$?
	if [ "$src" -ne 0 ] && grep -q 'console-scan:.*WARNING' <<<"$out"; then
		echo "ok - guest WARN fails the run (exit $src)"
		pass=$((pass + 1))
	else
		echo "not ok - guest WARN did not fail the run (exit $src)"
		fail=$((fail + 1))
		failed+=("console scanner self test")
	fi
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "== failures"
	printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
