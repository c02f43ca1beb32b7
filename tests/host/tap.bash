# SPDX-License-Identifier: GPL-2.0
#
# TAP for the host tests (tests/host/test_*.sh), sourced: each case is
#   ok STATUS DESC [DETAIL]
# one TAP line, "ok N - DESC" when STATUS is 0, else "not ok N - DESC"
# and DETAIL (its first 40 lines) as "#" comments.  $n counts the cases
# and $failed the failures; the test prints its plan ("1..$n") at the end
# and exits 1 if any failed.

n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | head -n 40 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}
