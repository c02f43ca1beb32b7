#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel code passes checkpatch.pl --strict (make check: the kernel
# source's own script, from the tools deps unpacked), so that a style
# regression fails make test rather than waiting for someone to run
# make check by hand.
#
# Usage: tests/host/test_checkpatch.sh   (TSMBPF_BUILD: the build directory)
# Prints TAP.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TSMBPF_BUILD:-$TOP/build}

echo 1..1
if [ ! -x "$BUILD/tools/src/scripts/checkpatch.pl" ]; then
	echo "not ok 1 - checkpatch --strict: no $BUILD/tools/src/scripts/checkpatch.pl (make deps)"
	exit 1
fi
if out=$(O=$BUILD make -s -C "$TOP" --no-print-directory check 2>&1); then
	echo "ok 1 - checkpatch --strict: kernel/, tests/modules/, the uAPI header"
else
	echo "not ok 1 - checkpatch --strict"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
