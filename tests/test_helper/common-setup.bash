# SPDX-License-Identifier: GPL-2.0
# Shared set-up of the guest bats suites: bats-support/assert and helpers
# to load and unload tsmbpf.ko and to read its sysfs state.

TSMBPF_ROOT=${TSMBPF_ROOT:-/opt/tsmbpf}
MODDIR=$TSMBPF_ROOT/modules
POLDIR=$TSMBPF_ROOT/policies
TPOLDIR=$TSMBPF_ROOT/tests/policies
SYSFS=/sys/kernel/tsmbpf
PINDIR=/sys/fs/bpf/tsmbpf

_common_setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
}

# Retry a command for up to $1 seconds (RCU grace periods, link release).
retry() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@"
}

tsmbpf_load() {
	grep -q '^tsmbpf ' /proc/modules || insmod "$MODDIR/tsmbpf.ko"
}

# Unload every policy, then the module; policies pin the module until
# their maps are freed after an RCU grace period.
tsmbpf_unload() {
	local p
	for p in "$PINDIR"/*; do
		[ -e "$p" ] && rm -f "$p"
	done
	grep -q '^tsmbpf ' /proc/modules || return 0
	retry 10 rmmod tsmbpf
}

tsmbpf_reload() {
	tsmbpf_unload
	tsmbpf_load
}

counter() {
	cat "$SYSFS/$1"
}

# slot PLATFORM: the policy holding a platform's slot, "-" when none.
slot() {
	awk -v p="$1" '$1 == p { print $2 }' "$SYSFS/policies"
}
