#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tsmbpf benchmarks (make bench).  Runs inside the guest as root:
#
#   bench.sh [all|spt]           all (default): sections a, b and c; spt: a only
#   bench.sh summary LOG|JSON... host side: one table from the runs' figures
#                                (make bench passes the console logs, which
#                                hold a "BENCH-JSON {...}" line each)
#   bench.sh json LOG|JSON...    host side: the runs as one JSON document
#
#   a. secure page table, in kernel (/sys/kernel/debug/tsmbpf/spt_bench):
#      ns per entry of map+unmap with 4 KiB and 2 MiB leaves against a raw
#      8-byte store per entry; fault-in rate in kernel and through the uAPI
#      (tsmbpf_bench_fault)
#   b. bind+unbind cycle time with each platform's BPF policy against the
#      native fallback, at 0 and 20 us of emulated firmware latency per
#      call.  Two ways: "passes" (tsmbpf_cycle_ab: the same VM and TDIs, the
#      policy attached around every other pass of one cycle per TDI, so A
#      and B are milliseconds apart: the figure that counts) and "runs"
#      (separate tsmbpf_cycle runs with tsmctl policy load/unload between
#      them, seconds apart: a cross-check, at the mercy of the host's noise)
#   c. policy swap latency (tsmbpf_swap: tdx_connect <-> tdx_alt), idle and
#      while tsmbpf_cycle loads the TDX slot; the load must see no failure
#
# The machine is shared and QEMU TCG is noisy: every figure that matters is
# a ratio of two measurements taken side by side, A and B interleaved in
# ABBA order over BENCH_ROUNDS rounds (default 7), medians reported.
# Absolute times are emulated and only mean something next to each other.
#
# Ends with a table; the same figures go to /tmp/bench.json and, as one line
# prefixed "BENCH-JSON ", to the console.  Exit status 1 if a measurement
# failed or the swap load saw a failure; a missed target only prints MISS.
#
# Knobs (environment): BENCH_ROUNDS (7), BENCH_SPT_MB (1024), BENCH_SPT_ITERS
# (3, best of, per round), BENCH_CYCLE_PAIRS (100 pairs of passes per
# tsmbpf_cycle_ab run at 0 us), BENCH_CYCLE_PAIRS_SLOW (40, at 20 us),
# BENCH_COARSE_ROUNDS (5), BENCH_CYCLE_ITERS (200, tsmbpf_cycle -i at 0 us),
# BENCH_CYCLE_ITERS_SLOW (20, at 20 us), BENCH_SWAPS (1000).
set -euo pipefail

ROOT=${TSMBPF_ROOT:-/opt/tsmbpf}
MODDIR=$ROOT/modules
POLDIR=$ROOT/policies
TPOLDIR=$ROOT/tests/policies
SYSFS=/sys/kernel/tsmbpf
DBG=/sys/kernel/debug
SPT_BENCH=$DBG/tsmbpf/spt_bench
LATENCY=$DBG/tsmbpf_emu/latency_us
OUT=/tmp/bench.json

ROUNDS=${BENCH_ROUNDS:-7}
SPT_MB=${BENCH_SPT_MB:-1024}
SPT_ITERS=${BENCH_SPT_ITERS:-3}
CYCLE_TDIS=16
CYCLE_PAIRS=${BENCH_CYCLE_PAIRS:-100}
CYCLE_PAIRS_SLOW=${BENCH_CYCLE_PAIRS_SLOW:-40}
COARSE_ROUNDS=${BENCH_COARSE_ROUNDS:-5}
CYCLE_ITERS=${BENCH_CYCLE_ITERS:-200}
CYCLE_ITERS_SLOW=${BENCH_CYCLE_ITERS_SLOW:-20}
SLOW_US=20
SWAPS=${BENCH_SWAPS:-1000}
LOAD_TDIS=64

# Targets: (4 KiB map+unmap)/raw store, policy/native cycle time
TARGET_SPT=3
TARGET_CYCLE=1.05

# ------------------------------------------------------------- helpers --

say() { printf '%s\n' "$*"; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

# median N...: the median of numbers (mean of the middle two if even)
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ a[NR] = $1 } END {
			if (NR % 2) printf "%.6g\n", a[(NR + 1) / 2]
			else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# calc EXPR: awk arithmetic, %.6g
calc() { awk "BEGIN { printf \"%.6g\n\", $1 }"; }

# fmt FORMAT EXPR: awk arithmetic with a printf format
fmt() { awk "BEGIN { printf \"$1\", $2 }"; }

# verdict VALUE TARGET: "ok" if VALUE <= TARGET, else "MISS"
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "ok" : "MISS" }'; }

# jget JSON KEY: one field of a JSON object
jget() { jq -r ".$2" <<<"$1"; }

counter() { cat "$SYSFS/$1"; }

# slot PLATFORM: the policy holding a platform's slot, "-" when none
slot() { awk -v p="$1" '$1 == p { print $2 }' "$SYSFS/policies"; }

# wait_slot PLATFORM NAME: until the slot holds NAME ("-": empty); the link
# of an unpinned policy is released from a workqueue
wait_slot() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(slot "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	die "slot $1 holds '$(slot "$1")', expected '$2'"
}

kernel_init_on_alloc() {
	if grep -qw 'init_on_alloc=0' /proc/cmdline; then
		echo 0
	elif dmesg 2>/dev/null | grep -q 'heap alloc:off'; then
		echo 0
	else
		echo 1
	fi
}

setup() {
	[ "$(id -u)" = 0 ] || die "run as root (in the guest)"
	grep -q '^tsmbpf ' /proc/modules || insmod "$MODDIR/tsmbpf.ko"
	grep -q '^tsmbpf_emu ' /proc/modules || insmod "$MODDIR/tsmbpf_emu.ko"
	[ -w "$SPT_BENCH" ] || die "no $SPT_BENCH (debugfs mounted? tsmbpf.ko with tsmbpf_bench?)"
	[ -w "$LATENCY" ] || die "no $LATENCY (tsmbpf_emu.ko loaded?)"
	local p
	for p in tdx sev-tio cca; do
		[ "$(slot $p)" = - ] || die "the $p slot holds policy '$(slot $p)'; unload it first"
	done
	OLD_LATENCY=$(cat "$LATENCY")
	echo 0 >"$LATENCY"
}

LOAD_PID=
LOADED_POLICY=
cleanup() {
	[ -n "$LOAD_PID" ] && kill -TERM "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
	[ -n "$LOADED_POLICY" ] && tsmctl policy unload "$LOADED_POLICY" >/dev/null 2>&1
	[ -n "${OLD_LATENCY:-}" ] && echo "$OLD_LATENCY" >"$LATENCY" 2>/dev/null
	return 0
}

# -------------------------------------------- a. secure page table --

# spt_round: one in-kernel run (best of SPT_ITERS) and one uAPI fault run
spt_round() {
	echo "$SPT_MB $SPT_ITERS" >"$SPT_BENCH" || die "spt_bench $SPT_MB $SPT_ITERS failed"
	SPT_J=$(cat "$SPT_BENCH")
	FAULT_J=$(tsmbpf_bench_fault -s "$SPT_MB" -r 1) || die "tsmbpf_bench_fault failed"
}

bench_spt() {
	local r mu4 mu2 raw kf uf4 uf2 m4 u4 ratio_r
	local -a MU4 MU2 RAW KF UF4 UF2 M4 U4 R
	say "== a. secure page table, $SPT_MB MiB, in kernel (best of $SPT_ITERS per round) and through the uAPI"
	say "   init_on_alloc=$INIT_ON_ALLOC: $([ "$INIT_ON_ALLOC" = 1 ] &&
		echo 'every table page is zeroed at allocation (Debian default)' ||
		echo 'table pages are not zeroed by the allocator')"
	spt_round # warm-up: TCG translates the code paths once
	for ((r = 1; r <= ROUNDS; r++)); do
		spt_round
		mu4=$(calc "$(jget "$SPT_J" map_unmap_4k_ps) / 1000")
		mu2=$(calc "$(jget "$SPT_J" map_unmap_2m_ps) / 1000")
		m4=$(calc "$(jget "$SPT_J" map_4k_ps) / 1000")
		u4=$(calc "$(jget "$SPT_J" unmap_4k_ps) / 1000")
		raw=$(calc "$(jget "$SPT_J" raw_ps) / 1000")
		kf=$(calc "$(jget "$SPT_J" fault_ps) / 1000")
		uf4=$(jget "$FAULT_J" ns_per_fault_4k)
		uf2=$(jget "$FAULT_J" ns_per_fault_2m)
		ratio_r=$(calc "$mu4 / $raw")
		MU4+=("$mu4") MU2+=("$mu2") RAW+=("$raw") KF+=("$kf")
		UF4+=("$uf4") UF2+=("$uf2") M4+=("$m4") U4+=("$u4") R+=("$ratio_r")
		printf '   round %d/%d: 4K map+unmap %s ns/entry (map %s, unmap %s), 2M %s ns/leaf, raw %s ns, ratio %sx; fault %s ns in kernel, %s ns (4K) %s ns (2M) via uAPI\n' \
			"$r" "$ROUNDS" "$mu4" "$m4" "$u4" "$mu2" "$raw" \
			"$(fmt %.2f "$ratio_r")" "$kf" "$uf4" "$uf2"
	done
	mu4=$(median "${MU4[@]}") mu2=$(median "${MU2[@]}") raw=$(median "${RAW[@]}")
	kf=$(median "${KF[@]}") uf4=$(median "${UF4[@]}") uf2=$(median "${UF2[@]}")
	m4=$(median "${M4[@]}") u4=$(median "${U4[@]}")
	SPT_JSON=$(jq -nc \
		--argjson size_mb "$SPT_MB" --argjson iterations "$SPT_ITERS" \
		--argjson init_on_alloc "$INIT_ON_ALLOC" \
		--argjson map_unmap_4k_ns "$mu4" --argjson map_4k_ns "$m4" \
		--argjson unmap_4k_ns "$u4" --argjson map_unmap_2m_ns "$mu2" \
		--argjson raw_ns "$raw" \
		--argjson ratio_4k_raw "$(calc "$mu4 / $raw")" \
		--argjson paired_ratio_4k_raw "$(median "${R[@]}")" \
		--argjson target_ratio "$TARGET_SPT" \
		--argjson kernel_fault_ns "$kf" \
		--argjson kernel_faults_per_s "$(fmt %.0f "1e9 / $kf")" \
		--argjson uapi_fault_4k_ns "$uf4" \
		--argjson uapi_faults_per_s_4k "$(fmt %.0f "1e9 / $uf4")" \
		--argjson uapi_fault_2m_ns "$uf2" \
		--argjson uapi_faults_per_s_2m "$(fmt %.0f "1e9 / $uf2")" \
		--argjson ratio_uapi_kernel_fault "$(calc "$uf4 / $kf")" \
		'$ARGS.named')
	say "   median: 4K map+unmap $mu4 ns/entry, raw $raw ns/entry: $(fmt %.2f "$mu4 / $raw")x (target <= ${TARGET_SPT}x)"
	say
}

# ------------------------------------------ b. bind+unbind cycle time --

# cycle_run PLATFORM ITERS WANT(native|policy): ns per cycle; checks that
# every unbind went the expected way
cycle_run() {
	local plat=$1 iters=$2 want=$3 j c0 c1 cycles
	c0=$(counter "unbinds_$want")
	j=$(tsmbpf_cycle -p "$plat" -n $CYCLE_TDIS -i "$iters" -q) ||
		die "tsmbpf_cycle -p $plat failed: $j"
	c1=$(counter "unbinds_$want")
	cycles=$(jget "$j" cycles)
	[ $((c1 - c0)) -eq "$cycles" ] ||
		die "$plat: $((c1 - c0)) of $cycles unbinds were $want"
	jget "$j" ns_per_cycle
}

policy_load() {
	tsmctl policy load "$POLDIR/$2.bpf.o" >/dev/null || die "cannot load $2"
	LOADED_POLICY=$2
	wait_slot "$1" "$2"
}

policy_unload() {
	tsmctl policy unload "$2" >/dev/null || die "cannot unload $2"
	LOADED_POLICY=
	wait_slot "$1" -
}

# coarse_round PLATFORM POLICY ITERS ROUND: one ABBA step of separate
# tsmbpf_cycle runs, the policy loaded with tsmctl before and unloaded after
# its run; ns per cycle in CR_NATIVE and CR_POLICY
coarse_round() {
	local plat=$1 pol=$2 iters=$3 r=$4
	if ((r % 2)); then
		CR_NATIVE=$(cycle_run "$plat" "$iters" native)
		policy_load "$plat" "$pol"
		CR_POLICY=$(cycle_run "$plat" "$iters" policy)
		policy_unload "$plat" "$pol"
	else
		policy_load "$plat" "$pol"
		CR_POLICY=$(cycle_run "$plat" "$iters" policy)
		policy_unload "$plat" "$pol"
		CR_NATIVE=$(cycle_run "$plat" "$iters" native)
	fi
}

bench_cycle_one() { # PLATFORM POLICY LATENCY_US PAIRS ITERS
	local plat=$1 pol=$2 lat=$3 pairs=$4 iters=$5 r j n p ratio
	local -a N P R CN CP CR
	echo "$lat" >"$LATENCY"
	cycle_run "$plat" 2 native >/dev/null # warm-up
	for ((r = 1; r <= ROUNDS; r++)); do
		j=$(tsmbpf_cycle_ab -p "$plat" "$POLDIR/$pol.bpf.o" -n $CYCLE_TDIS -r "$pairs") ||
			die "tsmbpf_cycle_ab -p $plat $pol failed: $j"
		n=$(jget "$j" native_ns) p=$(jget "$j" policy_ns) ratio=$(jget "$j" ratio)
		N+=("$n") P+=("$p") R+=("$ratio")
		printf '   %-8s %2d us  round %d/%d: passes: native %s ns, %s %s ns: %sx' \
			"$plat" "$lat" "$r" "$ROUNDS" "$n" "$pol" "$p" "$(fmt %.3f "$ratio")"
		if ((r <= COARSE_ROUNDS)); then
			coarse_round "$plat" "$pol" "$iters" "$r"
			n=$CR_NATIVE p=$CR_POLICY
			CN+=("$n") CP+=("$p") CR+=("$(calc "$p / $n")")
			printf ' | runs: native %s ns, %s %s ns: %sx' \
				"$n" "$pol" "$p" "$(fmt %.3f "$p / $n")"
		fi
		printf '\n'
	done
	echo 0 >"$LATENCY"
	n=$(median "${N[@]}") p=$(median "${P[@]}") ratio=$(median "${R[@]}")
	CYCLE_ROWS+=("$(jq -nc --arg platform "$plat" --arg policy "$pol" \
		--argjson latency_us "$lat" --argjson tdis $CYCLE_TDIS \
		--argjson rounds "$ROUNDS" --argjson pairs "$pairs" \
		--argjson native_ns "$n" --argjson policy_ns "$p" \
		--argjson ratio "$ratio" --argjson target_ratio "$TARGET_CYCLE" \
		--argjson coarse_rounds "$COARSE_ROUNDS" \
		--argjson coarse_cycles_per_run $((CYCLE_TDIS * iters)) \
		--argjson coarse_native_ns "$(median "${CN[@]}")" \
		--argjson coarse_policy_ns "$(median "${CP[@]}")" \
		--argjson coarse_ratio "$(calc "$(median "${CP[@]}") / $(median "${CN[@]}")")" \
		--argjson coarse_paired_ratio "$(median "${CR[@]}")" \
		'$ARGS.named')")
	say "   median: $plat $lat us: native $n ns, $pol $p ns per cycle: $(fmt %.3f "$ratio")x (target <= $TARGET_CYCLE); separate runs: $(fmt %.3f "$(calc "$(median "${CP[@]}") / $(median "${CN[@]}")")")x"
}

bench_cycle() {
	local lat pairs iters
	CYCLE_ROWS=()
	say "== b. bind+unbind cycle, $CYCLE_TDIS TDIs, BPF policy against the native fallback"
	say "   passes: tsmbpf_cycle_ab, one VM and $CYCLE_TDIS TDIs, the policy attached and detached"
	say "           around alternate passes (ABBA), median ns per cycle of each mode"
	say "   runs:   tsmbpf_cycle runs, tsmctl policy load/unload between them (ABBA), ns per cycle"
	for lat in 0 $SLOW_US; do
		pairs=$CYCLE_PAIRS iters=$CYCLE_ITERS
		if [ "$lat" != 0 ]; then
			pairs=$CYCLE_PAIRS_SLOW iters=$CYCLE_ITERS_SLOW
		fi
		bench_cycle_one tdx tdx_connect "$lat" "$pairs" "$iters"
		bench_cycle_one sev-tio sev_tio "$lat" "$pairs" "$iters"
		bench_cycle_one cca cca "$lat" "$pairs" "$iters"
	done
	CYCLE_JSON=$(printf '%s\n' "${CYCLE_ROWS[@]}" | jq -sc .)
	say
}

# ------------------------------------------------- c. swap latency --

swap_run() {
	local j
	j=$(tsmbpf_swap "$POLDIR/tdx_connect.bpf.o" "$TPOLDIR/tdx_alt.bpf.o" -n "$SWAPS") ||
		die "tsmbpf_swap failed: $j"
	wait_slot tdx -
	echo "$j"
}

bench_swap() {
	local idle load lj lerr e0 e1 r0 r1 p0 p1 lcycles lfail lbad ok
	say "== c. policy swap (tdx_connect <-> tdx_alt, bpf_link__update_map), $SWAPS swaps"
	swap_run >/dev/null # warm-up
	idle=$(swap_run)
	say "   idle:       median $(jget "$idle" median_ns) ns, p99 $(jget "$idle" p99_ns) ns, max $(jget "$idle" max_ns) ns, failures $(jget "$idle" failures)"

	lj=$(mktemp) lerr=$(mktemp)
	e0=$(counter policy_ejections) r0=$(counter fw_refused)
	p0=$(counter unbinds_policy)
	tsmbpf_cycle -p tdx -n $LOAD_TDIS -i 1000000 -b 0x90 -q >"$lj" 2>"$lerr" &
	LOAD_PID=$!
	sleep 1
	kill -0 "$LOAD_PID" 2>/dev/null || die "the load ended early: $(cat "$lerr")"
	load=$(swap_run)
	p1=$(counter unbinds_policy)
	kill -TERM "$LOAD_PID"
	wait "$LOAD_PID" || true
	LOAD_PID=
	e1=$(counter policy_ejections) r1=$(counter fw_refused)
	if jq -e . "$lj" >/dev/null 2>&1 && [ -s "$lj" ]; then
		lcycles=$(jq -r .cycles "$lj")
		lfail=$(jq -r .failures "$lj")
		lbad=$(jq -r .not_torn_down "$lj")
	else
		# a tsmbpf_cycle without a SIGTERM handler dies mid-run: count
		# its complaints and clean up what it left
		lcycles=null
		lfail=$(grep -c '^tdi ' "$lerr" || true)
		lbad=$(grep -c 'not torn down' "$lerr" || true)
		cleanup_objects
	fi
	[ -s "$lerr" ] && sed 's/^/   load: /' "$lerr" | head -n 20
	ok=true
	[ "$lfail" = 0 ] && [ "$lbad" = 0 ] && [ $((e1 - e0)) = 0 ] &&
		[ $((r1 - r0)) = 0 ] && [ "$(jget "$load" failures)" = 0 ] || ok=false
	say "   under load: median $(jget "$load" median_ns) ns, p99 $(jget "$load" p99_ns) ns, max $(jget "$load" max_ns) ns, failures $(jget "$load" failures)"
	say "   load (tsmbpf_cycle -p tdx -n $LOAD_TDIS): $lcycles cycles, $((p1 - p0)) unbinds by a policy during the swaps, failures $lfail, not torn down $lbad, policy ejections $((e1 - e0)), firmware refusals $((r1 - r0)): $($ok && echo ok || echo FAILED)"
	SWAP_JSON=$(jq -nc --argjson idle "$idle" --argjson load "$load" \
		--argjson load_cycles "$lcycles" \
		--argjson load_policy_unbinds_during_swaps $((p1 - p0)) \
		--argjson load_failures "$lfail" \
		--argjson load_not_torn_down "$lbad" \
		--argjson ejections $((e1 - e0)) \
		--argjson fw_refused $((r1 - r0)) --argjson ok "$ok" '$ARGS.named')
	rm -f "$lj" "$lerr"
	$ok || FAILED=1
	say
}

# Unbind and destroy every TDI and VM (after a killed load).
cleanup_objects() {
	local id
	for id in $(tsmctl -j dev list | jq -r '.[] | select(.vm != null) | .tdi'); do
		tsmctl dev unbind "$id" >/dev/null 2>&1 || true
	done
	for id in $(tsmctl -j dev list | jq -r '.[].tdi'); do
		tsmctl dev destroy "$id" >/dev/null 2>&1 || true
	done
	for id in $(tsmctl -j vm list | jq -r '.[].vm'); do
		tsmctl vm destroy "$id" >/dev/null 2>&1 || true
	done
}

# ------------------------------------------------------------ table --

# spt_label JSON: the row label of a secure page table run
spt_label() {
	if [ "$(jq -r .init_on_alloc <<<"$1")" = 1 ]; then
		echo "init_on_alloc=1 (Debian default)"
	else
		echo "init_on_alloc=0 (table's own cost)"
	fi
}

# print_table JSON...: the summary of one or more runs; each run with an
# "spt" section gives a row of the secure page table tables, the first run
# with "cycle" and "swap" sections gives those.
print_table() {
	local j r s main=
	say "================================================================================================"
	say " tsmbpf bench summary: QEMU TCG, medians of ${ROUNDS_SEEN:-$ROUNDS} interleaved rounds"
	say " (absolute times are emulated; compare figures within a row, the ratios are the result)"
	say "================================================================================================"
	say
	printf ' %-36s %12s %12s %10s %9s %8s\n' \
		"secure page table, in kernel" "4K map+unm" "2M map+unm" "raw store" "4K/raw" "target"
	printf ' %-36s %12s %12s %10s %9s %8s\n' \
		"(ns per entry; 2M: per 2 MiB leaf)" "" "" "" "" ""
	for j in "$@"; do
		s=$(jq -c '.spt // empty' <<<"$j")
		[ -n "$s" ] || continue
		printf ' %-36s %12s %12s %10s %8sx %8s %s\n' "$(spt_label "$s")" \
			"$(jq -r .map_unmap_4k_ns <<<"$s")" \
			"$(jq -r .map_unmap_2m_ns <<<"$s")" \
			"$(jq -r .raw_ns <<<"$s")" \
			"$(fmt %.2f "$(jq -r .ratio_4k_raw <<<"$s")")" \
			"<= ${TARGET_SPT}x" \
			"$(verdict "$(jq -r .ratio_4k_raw <<<"$s")" $TARGET_SPT)"
	done
	say
	printf ' %-36s %12s %12s %12s %9s\n' \
		"fault-in, ns per fault (faults/s)" "in kernel 4K" "uAPI 4K" "uAPI 2M" "uAPI/kern"
	for j in "$@"; do
		s=$(jq -c '.spt // empty' <<<"$j")
		[ -n "$s" ] || continue
		printf ' %-36s %12s %12s %12s %8sx\n' "$(spt_label "$s")" \
			"$(jq -r .kernel_fault_ns <<<"$s")" \
			"$(jq -r .uapi_fault_4k_ns <<<"$s")" \
			"$(jq -r .uapi_fault_2m_ns <<<"$s")" \
			"$(fmt %.1f "$(jq -r .ratio_uapi_kernel_fault <<<"$s")")"
		printf ' %-36s %12s %12s %12s\n' "" \
			"($(fmt %.2fM "$(jq -r .kernel_faults_per_s <<<"$s") / 1e6"))" \
			"($(fmt %.0fk "$(jq -r .uapi_faults_per_s_4k <<<"$s") / 1e3"))" \
			"($(fmt %.0fk "$(jq -r .uapi_faults_per_s_2m <<<"$s") / 1e3"))"
	done
	for j in "$@"; do
		if jq -e '.cycle and .swap' >/dev/null <<<"$j"; then
			main=$j
			break
		fi
	done
	if [ -n "$main" ]; then
		say
		printf ' %-36s %12s %12s %9s %8s %5s %11s\n' \
			"bind+unbind cycle, 16 TDIs" "native ns" "policy ns" "ratio" "target" "" "runs ratio"
		while read -r r; do
			printf ' %-36s %12s %12s %8sx %8s %-5s %10sx\n' \
				"$(jq -r '"\(.platform) \(.policy), fw \(.latency_us) us"' <<<"$r")" \
				"$(jq -r .native_ns <<<"$r")" "$(jq -r .policy_ns <<<"$r")" \
				"$(fmt %.3f "$(jq -r .ratio <<<"$r")")" "<= $TARGET_CYCLE" \
				"$(verdict "$(jq -r .ratio <<<"$r")" $TARGET_CYCLE)" \
				"$(fmt %.3f "$(jq -r .coarse_ratio <<<"$r")")"
		done < <(jq -c '.cycle[]' <<<"$main")
		say
		s=$(jq -c .swap <<<"$main")
		printf ' %-36s %12s %12s %12s %9s\n' \
			"policy swap, $(jq -r .idle.swaps <<<"$s") swaps (ns)" "median" "p99" "max" "failures"
		for r in idle load; do
			printf ' %-36s %12s %12s %12s %9s\n' \
				"$([ $r = idle ] && echo idle || echo "under tsmbpf_cycle -p tdx -n $LOAD_TDIS")" \
				"$(jq -r .$r.median_ns <<<"$s")" "$(jq -r .$r.p99_ns <<<"$s")" \
				"$(jq -r .$r.max_ns <<<"$s")" "$(jq -r .$r.failures <<<"$s")"
		done
		printf ' %-36s %s\n' "load during the swaps" \
			"$(jq -r '"\(.load_cycles) cycles, \(.load_failures) failures, \(.load_not_torn_down) not torn down, \(.ejections) ejections: \(if .ok then "ok" else "FAILED" end)"' <<<"$s")"
	fi
	say
	if [ -n "$main" ]; then
		say " cycle: ns per bind+accept+unbind, median over passes that alternate native and policy on"
		say " the same TDIs (tsmbpf_cycle_ab); runs ratio: separate tsmbpf_cycle runs, policy loaded"
		say " and unloaded between them, seconds apart (host noise).  The cca policy also purges keys,"
		say " one firmware call more per cycle than the native CCA sequence (10 calls)."
	fi
	say " 4K/raw: 4 KiB map+unmap per entry over an 8-byte store per entry into a vmalloc()ed array."
	say " With init_on_alloc=1 (CONFIG_INIT_ON_ALLOC_DEFAULT_ON) the allocator zeroes every table"
	say " page with rep stosb, which QEMU TCG runs ~10x slower than hardware: under TCG that zeroing"
	say " dominates the 4 KiB map.  The init_on_alloc=0 row is the data structure's own cost."
}

# ------------------------------------------------------------- main --

# read_runs LOG|JSON...: RUNS, the last BENCH-JSON line of each console log
read_runs() {
	local f line
	RUNS=()
	for f in "$@"; do
		if [ -f "$f" ]; then
			line=$(grep -a '^BENCH-JSON ' "$f" | tail -n 1 | cut -d' ' -f2-)
			[ -n "$line" ] || die "no BENCH-JSON line in $f"
		else
			line=$f
		fi
		jq -e . >/dev/null <<<"$line" || die "bad JSON from $f"
		RUNS+=("$line")
	done
	[ ${#RUNS[@]} -gt 0 ] || die "no runs given"
}

summary() {
	read_runs "$@"
	ROUNDS_SEEN=$(jq -r .rounds <<<"${RUNS[0]}")
	print_table "${RUNS[@]}"
}

# json LOG|JSON...: the runs as one JSON document
json_runs() {
	read_runs "$@"
	printf '%s\n' "${RUNS[@]}" | jq -s '{ runs: . }'
}

main() {
	local mode=${1:-all} t0 json
	case $mode in
	all | spt) ;;
	summary)
		shift
		summary "$@"
		return
		;;
	json)
		shift
		json_runs "$@"
		return
		;;
	*) die "usage: bench.sh [all|spt] | bench.sh summary|json LOG|JSON..." ;;
	esac
	if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
		die "bad BENCH_ROUNDS '$ROUNDS'"
	fi
	trap cleanup EXIT
	FAILED=0
	setup
	INIT_ON_ALLOC=$(kernel_init_on_alloc)
	t0=$SECONDS
	say "tsmbpf bench ($mode): kernel $(uname -r), $(nproc) CPUs, init_on_alloc=$INIT_ON_ALLOC, $ROUNDS rounds"
	say
	SPT_JSON=null CYCLE_JSON=null SWAP_JSON=null
	bench_spt
	if [ "$mode" = all ]; then
		bench_cycle
		bench_swap
	fi
	json=$(jq -nc --arg mode "$mode" --arg kernel "$(uname -r)" \
		--argjson init_on_alloc "$INIT_ON_ALLOC" --argjson rounds "$ROUNDS" \
		--argjson seconds $((SECONDS - t0)) \
		--argjson spt "$SPT_JSON" --argjson cycle "$CYCLE_JSON" \
		--argjson swap "$SWAP_JSON" \
		'$ARGS.named | with_entries(select(.value != null))')
	print_table "$json"
	say
	jq . <<<"$json" >"$OUT"
	say "JSON in $OUT:"
	cat "$OUT"
	say "BENCH-JSON $json"
	say "bench: done in $((SECONDS - t0)) s$([ "$FAILED" = 0 ] || echo ', with FAILURES')"
	return "$FAILED"
}

main "$@"
