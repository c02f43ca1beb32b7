#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tsmbpf benchmarks (make bench).  Runs inside the guest as root:
#
#   bench.sh [all|spt|cycle|swap|vfio|trace|scrape]
#                                all (default): sections a to f; spt, cycle,
#                                swap, vfio, trace, scrape: one of them alone
#   bench.sh summary LOG|JSON... host side: one table from the runs' figures
#                                (make bench passes the console logs, which
#                                hold a "BENCH-JSON {...}" line each)
#   bench.sh json LOG|JSON...    host side: the runs as one JSON document
#   bench.sh host-calib TSMBPF_CALIB
#                                host side: tsmbpf_calib's figures on the
#                                host as a BENCH-JSON line, a run for the
#                                summary (section e's guest/host factor)
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
#      them, seconds apart: a cross-check, at the mercy of the host's
#      noise).  An A/A row (a policy of another platform attached around the
#      "policy" passes) shows the bias of the method itself.
#   c. policy swap latency (tsmbpf_swap: tdx_connect <-> tdx_alt), idle and
#      while tsmbpf_cycle loads the TDX slot; the load must see no failure
#   d. host events through the real VFIO uAPI on the lone test function
#      (tsmbpf_bench_vfio, ns per event, each timed around its syscall):
#      1. not TSM-bound: VFIO_DEVICE_RESET and a PCI_COMMAND write clearing
#         MSE under tsmbpf_vfio_pci (no TDI; an unbound TDI attached)
#         against plain vfio-pci, the function rebound between the drivers
#         every run (ABC/CBA): the gate's cost when nothing is bound
#      2. bound: the same events on a bound and accepted TDI of each
#         platform (bound again, untimed, before each event), the gate
#         unbinding it first: each platform's policy against native, the
#         policy loaded and unloaded between runs (ABBA)
#   e. the latency tracing programs (bpf/tsmbpf_lat.bpf.c) attached against
#      detached, bind+accept+unbind cycles of each platform natively
#      (tsmbpf_cycle_ab -t: the same VM and TDIs, the programs attached
#      around alternate passes, ABBA), in both modes, each round running
#      both: histograms only (-H, the timeline off: what tsmctl top and
#      tsmctl serve attach) and histograms + timeline (-L, tsmctl trace:
#      the timeline read live for the whole run by a thread that polls it
#      as tsmctl trace does, every record read, none dropped, so that its
#      wake-ups fall in the timed passes); ns per record = the added ns
#      per cycle over the timeline records per cycle (a step, operation or
#      state change each; in both modes the program runs once per hold of
#      a TDI's lock, on its latency log, and the timeline takes the log as
#      one ring buffer record, so it is the cost per thing logged); the firmware latency
#      busy-waits (tsmbpf_emu latency_spin=1), so the 20 and 100 us rows add that
#      of CPU per call and no wake-up noise; each pass, traced or not, starts
#      with one untimed cycle (-W 1): attaching and detaching flip the
#      tracepoints' static keys, which rewrites kernel text, and QEMU TCG
#      translates those pages again on their next run, a cost real CPUs do
#      not have that otherwise lands on every traced pass and on half the
#      untraced ones (it had put the paired ratios 0.02 to 0.2 above the
#      ratio of medians); and an A/A control (-H -c): every tracing
#      program but the one that runs in a cycle (lat_oplog) attached
#      around the "traced" passes, the same attach, detach and text
#      rewriting with nothing traced, whose ratio shows what the method
#      itself adds (it should be 1); first, tsmbpf_calib's ns per
#      iteration of three loops (a clock read, a log2 histogram add, an
#      indirect call), which make bench also runs on the host before the
#      guest boots: the summary divides the two, the factor by which the
#      guest's CPU work is slower while the emulated firmware's latency is
#      wall-clock time
#   f. tsmctl serve with 4,096 TDIs that each ran one bind+accept+unbind:
#      ms per scrape (GET /metrics), with the per-TDI histograms and with
#      --no-tdi, the body's bytes and samples; an absolute time, no ratio
#
# The machine is shared and QEMU TCG is noisy: every figure that matters is
# a ratio of two measurements taken side by side, A and B interleaved in
# ABBA order over several rounds, medians reported.  Absolute times are
# emulated and only mean something next to each other.
#
# Ends with a table; the same figures go to /tmp/bench.json and, as one line
# prefixed "BENCH-JSON ", to the console.  Exit status 1 if a measurement
# failed or the swap load saw a failure; a missed target only prints MISS.
#
# Knobs (environment): BENCH_ROUNDS (7, sections a and f), BENCH_SPT_MB (1024),
# BENCH_SCRAPE_TDIS (4096, a multiple of 256, section f),
# BENCH_SPT_ITERS (3, best of, per round), BENCH_CYCLE_ROUNDS (7,
# tsmbpf_cycle_ab runs per row), BENCH_CYCLE_PAIRS (100 pairs of passes per
# run at 0 us), BENCH_CYCLE_PAIRS_SLOW (100, at 20 us), BENCH_COARSE_ROUNDS
# (5), BENCH_CYCLE_ITERS (200, tsmbpf_cycle -i at 0 us),
# BENCH_CYCLE_ITERS_SLOW (20, at 20 us), BENCH_SWAPS (1000),
# BENCH_VFIO_ROUNDS (7, section d), BENCH_VFIO_EVENTS (20 resets per run),
# BENCH_VFIO_EVENTS_FAST (50 MSE writes per run), BENCH_TRACE_ROUNDS (7,
# section e), BENCH_TRACE_PAIRS (100 pairs of passes per run at 0 us),
# BENCH_TRACE_PAIRS_SLOW (30, at 20 and 100 us), BENCH_TRACE_US ("0 20
# 100", the firmware latencies of section e, in us).
#
# Under TCG every process start costs ~0.1 s (jq ~0.7 s): the loops parse
# JSON and read sysfs in bash, and the table is one jq program.
set -euo pipefail

# the guest's PCI functions and pci_bind_driver (section d); sourced first,
# so that this script's helpers of the same name (counter, slot) win
# shellcheck source-path=SCRIPTDIR source=test_helper/common-setup.bash
. "$(dirname "${BASH_SOURCE[0]}")/test_helper/common-setup.bash"

ROOT=${TSMBPF_ROOT:-/opt/tsmbpf}
MODDIR=$ROOT/modules
POLDIR=$ROOT/policies
TPOLDIR=$ROOT/tests/policies
SYSFS=/sys/kernel/tsmbpf
DBG=/sys/kernel/debug
SPT_BENCH=$DBG/tsmbpf/spt_bench
LATENCY=$DBG/tsmbpf_emu/latency_us
SPIN=$DBG/tsmbpf_emu/latency_spin
OUT=/tmp/bench.json

ROUNDS=${BENCH_ROUNDS:-7}
SCRAPE_TDIS=${BENCH_SCRAPE_TDIS:-4096}
SPT_MB=${BENCH_SPT_MB:-1024}
SPT_ITERS=${BENCH_SPT_ITERS:-3}
CYCLE_TDIS=16
CYCLE_ROUNDS=${BENCH_CYCLE_ROUNDS:-7}
CYCLE_PAIRS=${BENCH_CYCLE_PAIRS:-100}
CYCLE_PAIRS_SLOW=${BENCH_CYCLE_PAIRS_SLOW:-100}
COARSE_ROUNDS=${BENCH_COARSE_ROUNDS:-5}
CYCLE_ITERS=${BENCH_CYCLE_ITERS:-200}
CYCLE_ITERS_SLOW=${BENCH_CYCLE_ITERS_SLOW:-20}
SLOW_US=20
SWAPS=${BENCH_SWAPS:-1000}
LOAD_TDIS=64
VFIO_ROUNDS=${BENCH_VFIO_ROUNDS:-7}
VFIO_EVENTS=${BENCH_VFIO_EVENTS:-20}
VFIO_EVENTS_FAST=${BENCH_VFIO_EVENTS_FAST:-50}
TRACE_ROUNDS=${BENCH_TRACE_ROUNDS:-7}
TRACE_PAIRS=${BENCH_TRACE_PAIRS:-100}
TRACE_PAIRS_SLOW=${BENCH_TRACE_PAIRS_SLOW:-30}
TRACE_US=${BENCH_TRACE_US:-0 $SLOW_US 100}

# Targets: (4 KiB map+unmap)/raw store, policy/native cycle time
TARGET_SPT=3
TARGET_CYCLE=1.05
# tsmbpf_vfio_pci/vfio-pci, host event on a function that is not bound
TARGET_VFIO=1.05
# traced/untraced cycle time
TARGET_TRACE=1.03

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
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			f = (m >= 1000 || m <= -1000) ? "%.0f\n" : "%.6g\n"
			printf f, m }'
}

# ratio A B: A / B, 4 decimals
ratio() { awk "BEGIN { printf \"%.4f\n\", $1 / $2 }"; }

# fmt FORMAT EXPR: awk arithmetic with a printf format
fmt() { awk "BEGIN { printf \"$1\", $2 }"; }

# jv JSON KEY: REPLY = the value of KEY in a flat JSON object, quotes off
jv() {
	local re="\"$2\":(\"[^\"]*\"|[^,}]*)"
	[[ $1 =~ $re ]] || die "no '$2' in: $1"
	REPLY=${BASH_REMATCH[1]}
	REPLY=${REPLY#\"}
	REPLY=${REPLY%\"}
}

# counter NAME: REPLY = /sys/kernel/tsmbpf/NAME
counter() { read -r REPLY <"$SYSFS/$1"; }

# slot PLATFORM: REPLY = the policy holding a platform's slot, "-" if none
slot() {
	local plat pol rest
	REPLY='?'
	while read -r plat pol rest; do
		if [ "$plat" = "$1" ]; then
			REPLY=$pol
			return
		fi
	done <"$SYSFS/policies"
}

# wait_slot PLATFORM NAME: until the slot holds NAME ("-": empty); the link
# of an unpinned policy is released from a workqueue
wait_slot() {
	local i
	for ((i = 0; i < 100; i++)); do
		slot "$1"
		[ "$REPLY" = "$2" ] && return 0
		sleep 0.05
	done
	die "slot $1 holds '$REPLY', expected '$2'"
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
	local p
	[ "$(id -u)" = 0 ] || die "run as root (in the guest)"
	grep -q '^tsmbpf ' /proc/modules || insmod "$MODDIR/tsmbpf.ko"
	grep -q '^tsmbpf_emu ' /proc/modules || insmod "$MODDIR/tsmbpf_emu.ko"
	[ -w "$SPT_BENCH" ] || die "no $SPT_BENCH (debugfs mounted? tsmbpf.ko with tsmbpf_bench?)"
	[ -w "$LATENCY" ] || die "no $LATENCY (tsmbpf_emu.ko loaded?)"
	for p in tdx sev-tio cca; do
		slot $p
		[ "$REPLY" = - ] || die "the $p slot holds policy '$REPLY'; unload it first"
	done
	read -r OLD_LATENCY <"$LATENCY"
	echo 0 >"$LATENCY"
}

LOAD_PID=
LOADED_POLICY=
VFIO_USED=
cleanup() {
	[ -n "$LOAD_PID" ] && kill -TERM "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
	[ -n "$LOADED_POLICY" ] && tsmctl policy unload "$LOADED_POLICY" >/dev/null 2>&1
	[ -n "${OLD_LATENCY:-}" ] && echo "$OLD_LATENCY" >"$LATENCY" 2>/dev/null
	if [ -n "$VFIO_USED" ]; then
		cleanup_objects >/dev/null 2>&1
		pci_restore_all >/dev/null 2>&1
	fi
	return 0
}

# -------------------------------------------- a. secure page table --

bench_spt() {
	local t0=$SECONDS r spt fault mu4 mu2 m4 u4 raw kf uf4 uf2 ratio pg c4
	local -a MU4 MU2 M4 U4 RAW KF UF4 UF2 R PG C4
	say "== a. secure page table, $SPT_MB MiB, in kernel (best of $SPT_ITERS per round) and through the uAPI"
	if [ "$INIT_ON_ALLOC" = 1 ]; then
		say "   init_on_alloc=1: the allocator zeroes every table page (Debian default)"
	else
		say "   init_on_alloc=0: table pages are not zeroed by the allocator"
	fi
	for ((r = 0; r <= ROUNDS; r++)); do # round 0 warms up
		echo "$SPT_MB $SPT_ITERS" >"$SPT_BENCH" ||
			die "spt_bench $SPT_MB $SPT_ITERS failed"
		read -r spt <"$SPT_BENCH"
		fault=$(tsmbpf_bench_fault -s "$SPT_MB" -r 1) ||
			die "tsmbpf_bench_fault failed"
		((r)) || continue
		# ps per entry from the kernel -> ns
		jv "$spt" map_unmap_4k_ps && mu4=$REPLY
		jv "$spt" map_unmap_2m_ps && mu2=$REPLY
		jv "$spt" map_4k_ps && m4=$REPLY
		jv "$spt" unmap_4k_ps && u4=$REPLY
		jv "$spt" raw_ps && raw=$REPLY
		jv "$spt" fault_ps && kf=$REPLY
		jv "$spt" alloc_4k_ps && pg=$REPLY
		jv "$spt" map_unmap_4k_cold_ps && c4=$REPLY
		jv "$fault" ns_per_fault_4k && uf4=$REPLY
		jv "$fault" ns_per_fault_2m && uf2=$REPLY
		read -r mu4 mu2 m4 u4 raw kf pg c4 ratio < <(awk "BEGIN {
			printf \"%.6g %.6g %.6g %.6g %.6g %.6g %.6g %.6g %.4f\n\", $mu4 / 1000,
			$mu2 / 1000, $m4 / 1000, $u4 / 1000, $raw / 1000, $kf / 1000,
			$pg / 1000, $c4 / 1000, $mu4 / $raw }")
		MU4+=("$mu4") MU2+=("$mu2") M4+=("$m4") U4+=("$u4") RAW+=("$raw")
		KF+=("$kf") UF4+=("$uf4") UF2+=("$uf2") R+=("$ratio") PG+=("$pg")
		C4+=("$c4")
		printf '   round %d/%d: 4K map+unmap %s ns/entry (map %s, unmap %s; new table %s, page allocator %s), 2M %s ns/leaf, raw %s ns, ratio %sx; fault %s ns in kernel, %s ns (4K) %s ns (2M) via uAPI\n' \
			"$r" "$ROUNDS" "$mu4" "$m4" "$u4" "$c4" "$pg" "$mu2" "$raw" \
			"$ratio" "$kf" "$uf4" "$uf2"
	done
	mu4=$(median "${MU4[@]}") mu2=$(median "${MU2[@]}") m4=$(median "${M4[@]}")
	u4=$(median "${U4[@]}") raw=$(median "${RAW[@]}") kf=$(median "${KF[@]}")
	uf4=$(median "${UF4[@]}") uf2=$(median "${UF2[@]}") pg=$(median "${PG[@]}")
	c4=$(median "${C4[@]}")
	ratio=$(ratio "$mu4" "$raw")
	SPT_JSON=$(printf '{"size_mb":%s,"iterations":%s,"init_on_alloc":%s,"map_unmap_4k_ns":%s,"map_4k_ns":%s,"unmap_4k_ns":%s,"map_unmap_4k_cold_ns":%s,"ratio_4k_cold_raw":%s,"alloc_4k_ns":%s,"map_unmap_2m_ns":%s,"raw_ns":%s,"ratio_4k_raw":%s,"paired_ratio_4k_raw":%s,"target_ratio":%s,"kernel_fault_ns":%s,"kernel_faults_per_s":%s,"uapi_fault_4k_ns":%s,"uapi_faults_per_s_4k":%s,"uapi_fault_2m_ns":%s,"uapi_faults_per_s_2m":%s,"ratio_uapi_kernel_fault":%s}' \
		"$SPT_MB" "$SPT_ITERS" "$INIT_ON_ALLOC" "$mu4" "$m4" "$u4" "$c4" \
		"$(ratio "$c4" "$raw")" "$pg" "$mu2" "$raw" "$ratio" \
		"$(median "${R[@]}")" "$TARGET_SPT" "$kf" \
		"$(fmt %.0f "1e9 / $kf")" "$uf4" "$(fmt %.0f "1e9 / $uf4")" \
		"$uf2" "$(fmt %.0f "1e9 / $uf2")" "$(ratio "$uf4" "$kf")")
	say "   median: 4K map+unmap $mu4 ns/entry, raw $raw ns/entry: ${ratio}x (target <= ${TARGET_SPT}x); into a new table $c4 ns/entry, page allocator $pg ns/entry [$((SECONDS - t0)) s]"
	say
}

# ------------------------------------------ b. bind+unbind cycle time --

# cycle_run PLATFORM ITERS WANT(native|policy): REPLY = ns per cycle of a
# tsmbpf_cycle run; checks that every unbind went the expected way
cycle_run() {
	local plat=$1 iters=$2 want=$3 j c0 cycles
	counter "unbinds_$want" && c0=$REPLY
	j=$(tsmbpf_cycle -p "$plat" -n $CYCLE_TDIS -i "$iters" -q) ||
		die "tsmbpf_cycle -p $plat failed: $j"
	jv "$j" cycles && cycles=$REPLY
	counter "unbinds_$want"
	[ $((REPLY - c0)) -eq "$cycles" ] ||
		die "$plat: $((REPLY - c0)) of $cycles unbinds were $want"
	jv "$j" ns_per_cycle
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
		cycle_run "$plat" "$iters" native && CR_NATIVE=$REPLY
		policy_load "$plat" "$pol"
		cycle_run "$plat" "$iters" policy && CR_POLICY=$REPLY
		policy_unload "$plat" "$pol"
	else
		policy_load "$plat" "$pol"
		cycle_run "$plat" "$iters" policy && CR_POLICY=$REPLY
		policy_unload "$plat" "$pol"
		cycle_run "$plat" "$iters" native && CR_NATIVE=$REPLY
	fi
}

# bench_cycle_one PLATFORM POLICY LATENCY_US PAIRS ITERS [control]: one row;
# "control": an A/A row, POLICY serves another platform (tsmbpf_cycle_ab -c)
bench_cycle_one() {
	local plat=$1 pol=$2 lat=$3 pairs=$4 iters=$5 control=${6:-}
	local t0=$SECONDS r j n p ratio label=$pol runs=null cn cp cratio att det
	local coarse=$((COARSE_ROUNDS < CYCLE_ROUNDS ? COARSE_ROUNDS : CYCLE_ROUNDS))
	local -a N P R CN CP CR AT DT SN SP ab=()
	if [ -n "$control" ]; then
		ab=(-c) coarse=0 label="$pol (A/A)"
	fi
	echo "$lat" >"$LATENCY"
	cycle_run "$plat" 2 native # warm-up
	for ((r = 1; r <= CYCLE_ROUNDS; r++)); do
		j=$(tsmbpf_cycle_ab "${ab[@]}" -p "$plat" "$POLDIR/$pol.bpf.o" \
			-n $CYCLE_TDIS -r "$pairs") ||
			die "tsmbpf_cycle_ab ${ab[*]} -p $plat $pol failed: $j"
		jv "$j" native_ns && n=$REPLY
		jv "$j" policy_ns && p=$REPLY
		jv "$j" ratio && ratio=$REPLY
		jv "$j" attach_ns && AT+=("$REPLY")
		jv "$j" detach_ns && DT+=("$REPLY")
		jv "$j" native_fw_slept_ns && SN+=("$REPLY")
		jv "$j" policy_fw_slept_ns && SP+=("$REPLY")
		N+=("$n") P+=("$p") R+=("$ratio")
		printf '   %-8s %2d us  round %d/%d: passes: native %s ns, %s %s ns: %sx' \
			"$plat" "$lat" "$r" "$CYCLE_ROUNDS" "$n" "$label" "$p" "$ratio"
		if ((r <= coarse)); then
			coarse_round "$plat" "$pol" "$iters" "$r"
			CN+=("$CR_NATIVE") CP+=("$CR_POLICY")
			CR+=("$(ratio "$CR_POLICY" "$CR_NATIVE")")
			printf ' | runs: native %s ns, %s %s ns: %sx' \
				"$CR_NATIVE" "$pol" "$CR_POLICY" "${CR[-1]}"
		fi
		printf '\n'
	done
	echo 0 >"$LATENCY"
	n=$(median "${N[@]}") p=$(median "${P[@]}") ratio=$(median "${R[@]}")
	att=$(median "${AT[@]}") det=$(median "${DT[@]}")
	if ((coarse)); then
		cn=$(median "${CN[@]}") cp=$(median "${CP[@]}")
		cratio=$(ratio "$cp" "$cn")
		runs=$(printf '{"rounds":%s,"cycles_per_run":%s,"native_ns":%s,"policy_ns":%s,"ratio":%s,"paired_ratio":%s}' \
			"$coarse" $((CYCLE_TDIS * iters)) "$cn" "$cp" "$cratio" \
			"$(median "${CR[@]}")")
	fi
	CYCLE_ROWS+=("$(printf '{"platform":"%s","policy":"%s","control":%s,"latency_us":%s,"tdis":%s,"rounds":%s,"pairs":%s,"native_ns":%s,"policy_ns":%s,"ratio":%s,"target_ratio":%s,"attach_ns":%s,"detach_ns":%s,"native_fw_slept_ns":%s,"policy_fw_slept_ns":%s,"runs":%s}' \
		"$plat" "$pol" "$([ -n "$control" ] && echo true || echo false)" \
		"$lat" $CYCLE_TDIS "$CYCLE_ROUNDS" "$pairs" "$n" "$p" "$ratio" \
		"$TARGET_CYCLE" "$att" "$det" "$(median "${SN[@]}")" \
		"$(median "${SP[@]}")" "$runs")")
	if [ -n "$control" ]; then
		say "   median: $plat $lat us: native $n ns, $label $p ns per cycle: ${ratio}x (should be 1) [$((SECONDS - t0)) s]"
	else
		say "   median: $plat $lat us: native $n ns, $pol $p ns per cycle: ${ratio}x (target <= $TARGET_CYCLE); separate runs: ${cratio:-?}x [$((SECONDS - t0)) s]"
	fi
}

bench_cycle() {
	local lat pairs iters
	CYCLE_ROWS=()
	say "== b. bind+unbind cycle, $CYCLE_TDIS TDIs, BPF policy against the native fallback"
	say "   passes: tsmbpf_cycle_ab, one VM and $CYCLE_TDIS TDIs, the policy attached and detached"
	say "           around alternate passes (ABBA), median ns per cycle of each mode"
	say "   runs:   tsmbpf_cycle runs, tsmctl policy load/unload between them (ABBA), ns per cycle"
	say "   A/A:    control, the cca policy attached around alternate passes of TDX cycles"
	for lat in 0 $SLOW_US; do
		pairs=$CYCLE_PAIRS iters=$CYCLE_ITERS
		if [ "$lat" != 0 ]; then
			pairs=$CYCLE_PAIRS_SLOW iters=$CYCLE_ITERS_SLOW
		fi
		bench_cycle_one tdx tdx_connect "$lat" "$pairs" "$iters"
		bench_cycle_one sev-tio sev_tio "$lat" "$pairs" "$iters"
		bench_cycle_one cca cca "$lat" "$pairs" "$iters"
		bench_cycle_one tdx cca "$lat" "$pairs" "$iters" control
	done
	CYCLE_JSON="[$(
		IFS=,
		echo "${CYCLE_ROWS[*]}"
	)]"
	say
}

# ------------------------------------------------- c. swap latency --

# say_swap LABEL JSON
say_swap() {
	local k out=$1:
	for k in median_ns p90_ns p99_ns max_ns over_1ms failures; do
		jv "$2" $k
		out+=" ${k%_ns} $REPLY"
	done
	say "   $out"
}

bench_swap() {
	local t0=$SECONDS idle load lj ljf lerr e0 r0 p0 p1 lcycles lfail lbad ok=true
	say "== c. policy swap (tdx_connect <-> tdx_alt, bpf_link__update_map), $SWAPS swaps, ns"
	tsmbpf_swap "$POLDIR/tdx_connect.bpf.o" "$TPOLDIR/tdx_alt.bpf.o" -n 20 >/dev/null ||
		die "tsmbpf_swap failed" # warm-up
	wait_slot tdx -
	idle=$(tsmbpf_swap "$POLDIR/tdx_connect.bpf.o" "$TPOLDIR/tdx_alt.bpf.o" -n "$SWAPS") ||
		die "tsmbpf_swap failed: $idle"
	wait_slot tdx -
	say_swap "idle      " "$idle"

	ljf=$(mktemp) lerr=$(mktemp)
	counter policy_ejections && e0=$REPLY
	counter fw_refused && r0=$REPLY
	counter unbinds_policy && p0=$REPLY
	tsmbpf_cycle -p tdx -n $LOAD_TDIS -i 1000000 -b 0x90 -q >"$ljf" 2>"$lerr" &
	LOAD_PID=$!
	sleep 1
	kill -0 "$LOAD_PID" 2>/dev/null || die "the load ended early: $(cat "$lerr")"
	load=$(tsmbpf_swap "$POLDIR/tdx_connect.bpf.o" "$TPOLDIR/tdx_alt.bpf.o" -n "$SWAPS") ||
		true # failures are counted in its JSON
	counter unbinds_policy && p1=$REPLY
	kill -TERM "$LOAD_PID"
	wait "$LOAD_PID" || true
	LOAD_PID=
	[[ $load == '{'* ]] || die "tsmbpf_swap under load failed: $load"
	wait_slot tdx -
	say_swap "under load" "$load"
	lj=
	read -r lj <"$ljf" || true
	if [[ $lj == '{'* ]]; then
		jv "$lj" cycles && lcycles=$REPLY
		jv "$lj" failures && lfail=$REPLY
		jv "$lj" not_torn_down && lbad=$REPLY
	else
		# a tsmbpf_cycle without a SIGTERM handler dies mid-run: count
		# its complaints and clean up what it left
		lcycles=null
		lfail=$(grep -c '^tdi ' "$lerr" || true)
		lbad=$(grep -c 'not torn down' "$lerr" || true)
		cleanup_objects
	fi
	[ -s "$lerr" ] && sed 's/^/   load: /' "$lerr" | head -n 20
	counter policy_ejections && e0=$((REPLY - e0))
	counter fw_refused && r0=$((REPLY - r0))
	jv "$load" failures
	if [ "$lfail" != 0 ] || [ "$lbad" != 0 ] || [ "$e0" != 0 ] ||
		[ "$r0" != 0 ] || [ "$REPLY" != 0 ]; then
		ok=false
	fi
	say "   load (tsmbpf_cycle -p tdx -n $LOAD_TDIS): $lcycles cycles, $((p1 - p0)) unbinds by a policy during the swaps, failures $lfail, not torn down $lbad, policy ejections $e0, firmware refusals $r0: $($ok && echo ok || echo FAILED)"
	SWAP_JSON=$(printf '{"idle":%s,"load":%s,"load_cycles":%s,"load_policy_unbinds_during_swaps":%s,"load_failures":%s,"load_not_torn_down":%s,"ejections":%s,"fw_refused":%s,"ok":%s}' \
		"$idle" "$load" "$lcycles" $((p1 - p0)) "$lfail" "$lbad" "$e0" \
		"$r0" "$ok")
	rm -f "$ljf" "$lerr"
	$ok || FAILED=1
	say "   [$((SECONDS - t0)) s]"
	say
}

# ------------------------------------- d. host events through VFIO --

# vfio_n EVENT: VFIO_N = the events per run: few resets (an FLR waits
# 100 ms), many config writes (a millisecond each, noisier)
vfio_n() {
	VFIO_N=$VFIO_EVENTS
	[ "$1" = reset ] || VFIO_N=$VFIO_EVENTS_FAST
}

# vfio_run EVENT [TDI VM]: REPLY = the tsmbpf_bench_vfio JSON of a run on
# VFIO_BDF (its driver already set)
vfio_run() {
	local ev=$1 j
	shift
	j=$(tsmbpf_bench_vfio -n "$VFIO_N" -e "$ev" ${1:+-t "$1" -V "$2"} "$VFIO_BDF") ||
		die "tsmbpf_bench_vfio -e $ev ${1:+-t $1 -V $2} $VFIO_BDF failed: $j"
	REPLY=$j
}

# vfio_mode MODE EVENT: one run of section d.1 in MODE (vfio-pci, tvp:
# tsmbpf_vfio_pci without a TDI, tdi: with an unbound TDI); REPLY = the
# median ns per event, VFIO_P90 its p90
vfio_mode() {
	local mode=$1 ev=$2 tdi='' j
	case $mode in
	vfio-pci) pci_bind_driver "$VFIO_BDF" vfio-pci || die "cannot bind vfio-pci" ;;
	*) pci_bind_driver "$VFIO_BDF" tsmbpf_vfio_pci || die "cannot bind tsmbpf_vfio_pci" ;;
	esac
	if [ "$mode" = tdi ]; then
		tdi=$(tsmctl dev create platform tdx pci "$VFIO_BDF") ||
			die "cannot create a TDI for $VFIO_BDF"
	fi
	vfio_run "$ev"
	j=$REPLY
	if [ -n "$tdi" ]; then
		tsmctl dev destroy "$tdi" >/dev/null || die "cannot destroy tdi $tdi"
	fi
	jv "$j" p90_ns && VFIO_P90=$REPLY
	jv "$j" median_ns
}

bench_vfio_unbound() {
	local ev=$1 t0=$SECONDS r m a b c
	local -a A B C RB RC PA PB PC order
	for ((r = 0; r <= VFIO_ROUNDS; r++)); do # round 0 warms up
		order=(vfio-pci tvp tdi)
		((r % 2)) || order=(tdi tvp vfio-pci)
		for m in "${order[@]}"; do
			vfio_mode "$m" "$ev"
			case $m in
			vfio-pci) a=$REPLY && ((r)) && PA+=("$VFIO_P90") ;;
			tvp) b=$REPLY && ((r)) && PB+=("$VFIO_P90") ;;
			tdi) c=$REPLY && ((r)) && PC+=("$VFIO_P90") ;;
			esac
		done
		((r)) || continue
		A+=("$a") B+=("$b") C+=("$c")
		RB+=("$(ratio "$b" "$a")") RC+=("$(ratio "$c" "$a")")
		printf '   %-9s round %d/%d: vfio-pci %s ns, tsmbpf_vfio_pci %s ns (%sx), with an unbound TDI %s ns (%sx)\n' \
			"$ev" "$r" "$VFIO_ROUNDS" "$a" "$b" "${RB[-1]}" "$c" "${RC[-1]}"
	done
	a=$(median "${A[@]}") b=$(median "${B[@]}") c=$(median "${C[@]}")
	VFIO_UNBOUND_ROWS+=("$(printf '{"event":"%s","events_per_run":%s,"vfio_pci_ns":%s,"tvp_ns":%s,"tvp_tdi_ns":%s,"vfio_pci_p90_ns":%s,"tvp_p90_ns":%s,"tvp_tdi_p90_ns":%s,"ratio":%s,"paired_ratio":%s,"ratio_tdi":%s,"paired_ratio_tdi":%s,"target_ratio":%s}' \
		"$ev" "$VFIO_N" "$a" "$b" "$c" "$(median "${PA[@]}")" "$(median "${PB[@]}")" \
		"$(median "${PC[@]}")" "$(ratio "$b" "$a")" "$(median "${RB[@]}")" \
		"$(ratio "$c" "$a")" "$(median "${RC[@]}")" "$TARGET_VFIO")")
	say "   median: $ev: vfio-pci $a ns, tsmbpf_vfio_pci $b ns: $(ratio "$b" "$a")x, with an unbound TDI $c ns: $(ratio "$c" "$a")x (target <= $TARGET_VFIO) [$((SECONDS - t0)) s]"
}

# vfio_bound_run PLATFORM EVENT TDI VM WANT(native|policy): REPLY = median
# ns; VFIO_UNB += events that left the TDI unbound, VFIO_BAD += unbinds
# not made the WANT way
vfio_bound_run() {
	local c0 j n
	counter "unbinds_$5" && c0=$REPLY
	vfio_run "$2" "$3" "$4"
	j=$REPLY
	counter "unbinds_$5"
	n=$((REPLY - c0))
	jv "$j" unbound_by_event && VFIO_UNB=$((VFIO_UNB + REPLY))
	# every event (warm-up included) unbinds, the WANT way
	[ "$n" -ge "$VFIO_N" ] || VFIO_BAD=$((VFIO_BAD + VFIO_N - n))
	jv "$j" median_ns
}

bench_vfio_bound() {
	local plat=$1 pol=$2 ev=$3 t0=$SECONDS r n p vm tdi unb_n unb_p bad_n bad_p
	local -a N P R
	vm=$(tsmctl vm create) || die "cannot create a VM"
	tdi=$(tsmctl dev create platform "$plat" pci "$VFIO_BDF") ||
		die "cannot create a $plat TDI for $VFIO_BDF"
	unb_n=0 unb_p=0 bad_n=0 bad_p=0
	for ((r = 0; r <= VFIO_ROUNDS; r++)); do # round 0 warms up
		VFIO_UNB=0 VFIO_BAD=0
		if ((r % 2)); then
			vfio_bound_run "$plat" "$ev" "$tdi" "$vm" native && n=$REPLY
			unb_n=$((unb_n + VFIO_UNB)) bad_n=$((bad_n + VFIO_BAD)) VFIO_UNB=0 VFIO_BAD=0
			policy_load "$plat" "$pol"
			vfio_bound_run "$plat" "$ev" "$tdi" "$vm" policy && p=$REPLY
			policy_unload "$plat" "$pol"
			unb_p=$((unb_p + VFIO_UNB)) bad_p=$((bad_p + VFIO_BAD))
		else
			policy_load "$plat" "$pol"
			vfio_bound_run "$plat" "$ev" "$tdi" "$vm" policy && p=$REPLY
			policy_unload "$plat" "$pol"
			unb_p=$((unb_p + VFIO_UNB)) bad_p=$((bad_p + VFIO_BAD)) VFIO_UNB=0 VFIO_BAD=0
			vfio_bound_run "$plat" "$ev" "$tdi" "$vm" native && n=$REPLY
			unb_n=$((unb_n + VFIO_UNB)) bad_n=$((bad_n + VFIO_BAD))
		fi
		((r)) || { unb_n=0 unb_p=0 bad_n=0 bad_p=0; continue; }
		N+=("$n") P+=("$p") R+=("$(ratio "$p" "$n")")
		printf '   %-8s %-9s round %d/%d: native %s ns, %s %s ns: %sx\n' \
			"$plat" "$ev" "$r" "$VFIO_ROUNDS" "$n" "$pol" "$p" "${R[-1]}"
	done
	tsmctl dev destroy "$tdi" >/dev/null || die "cannot destroy tdi $tdi"
	tsmctl vm destroy "$vm" >/dev/null || die "cannot destroy vm $vm"
	n=$(median "${N[@]}") p=$(median "${P[@]}")
	local total=$((VFIO_ROUNDS * VFIO_N)) ok=true
	[ "$unb_n" = "$total" ] && [ "$unb_p" = "$total" ] && [ "$bad_n" = 0 ] &&
		[ "$bad_p" = 0 ] || ok=false
	$ok || FAILED=1
	VFIO_BOUND_ROWS+=("$(printf '{"platform":"%s","policy":"%s","event":"%s","events_per_run":%s,"native_ns":%s,"policy_ns":%s,"ratio":%s,"paired_ratio":%s,"events":%s,"unbound_native":%s,"unbound_policy":%s,"unbinds_other_way_native":%s,"unbinds_other_way_policy":%s,"ok":%s}' \
		"$plat" "$pol" "$ev" "$VFIO_N" "$n" "$p" "$(ratio "$p" "$n")" \
		"$(median "${R[@]}")" "$total" "$unb_n" "$unb_p" "$bad_n" "$bad_p" "$ok")")
	say "   median: $plat $ev: native $n ns, $pol $p ns: $(ratio "$p" "$n")x; unbound by the event: $unb_n/$total native, $unb_p/$total policy$($ok || echo ', FAILED') [$((SECONDS - t0)) s]"
}

bench_vfio() {
	local ev
	VFIO_BDF=$PCI_LONE_FN
	VFIO_UNBOUND_ROWS=() VFIO_BOUND_ROWS=()
	VFIO_USED=1
	vfio_pci_load || die "cannot load vfio-pci"
	grep -q '^tsmbpf_vfio_pci ' /proc/modules ||
		insmod "$MODDIR/tsmbpf_vfio_pci.ko" || die "cannot load tsmbpf_vfio_pci.ko"
	say "== d. host events through VFIO on $VFIO_BDF (tsmbpf_bench_vfio), $VFIO_EVENTS resets or $VFIO_EVENTS_FAST MSE writes per run, ns per event"
	say "   1. not bound: tsmbpf_vfio_pci (no TDI; an unbound TDI) against vfio-pci, rebound every run"
	for ev in reset mse-clear; do
		vfio_n "$ev"
		bench_vfio_unbound "$ev"
	done
	say "   2. bound and accepted before each event, the gate unbinds first: policy against native"
	pci_bind_driver "$VFIO_BDF" tsmbpf_vfio_pci || die "cannot bind tsmbpf_vfio_pci"
	for ev in reset mse-clear; do
		vfio_n "$ev"
		bench_vfio_bound tdx tdx_connect "$ev"
		bench_vfio_bound sev-tio sev_tio "$ev"
		bench_vfio_bound cca cca "$ev"
	done
	pci_restore_all || die "cannot put the test functions back on virtio-pci"
	VFIO_USED=
	VFIO_JSON=$(printf '{"bdf":"%s","rounds":%s,"unbound":[%s],"bound":[%s]}' \
		"$VFIO_BDF" "$VFIO_ROUNDS" \
		"$(IFS=,; echo "${VFIO_UNBOUND_ROWS[*]}")" "$(IFS=,; echo "${VFIO_BOUND_ROWS[*]}")")
	say
}

# ------------------------------------------------ e. latency tracing --

# calib: tsmbpf_calib's figures into CALIB_JSON, each the lower of this
# run's and the last one's (before and after section e: another process
# on the shared machine only ever slows a round down)
calib() {
	local j
	j=$(tsmbpf_calib) || die "tsmbpf_calib failed: $j"
	say "   this guest's CPU, ns per iteration (tsmbpf_calib): $j"
	[ "$CALIB_JSON" = null ] || j=$(jq -c --argjson b "$CALIB_JSON" \
		'with_entries(if (.key | endswith("_ns")) then .value = ([.value, $b[.key]] | min) else . end)' \
		<<<"$j") || die "bad JSON from tsmbpf_calib: $j"
	CALIB_JSON=$j
}

bench_trace() {
	local plat lat pairs t0 r j n p ratio pr mode m inv order
	local -a args rows=()
	# per mode (hist, timeline, control): space-separated figures of the rounds
	local -A TN TP TR TPR TC TRECS
	# each mode's tsmbpf_cycle_ab options and its name in the figures
	local -A MODE_ARGS=([hist]="-H" [timeline]="-L" [control]="-H -c")
	local -A MODE_NAME=([hist]=histograms [timeline]=histograms+timeline [control]=control)
	say "== e. bind+accept+unbind cycle, $CYCLE_TDIS TDIs, native, the latency tracing programs"
	say "   attached around alternate passes (tsmbpf_cycle_ab -t, ABBA), at ${TRACE_US// /, } us of"
	say "   emulated firmware latency per call, in both modes: histograms only (-H: what"
	say "   tsmctl top and tsmctl serve attach) and histograms + timeline (-L: tsmctl trace, read"
	say "   live by a polling thread), and an A/A control (-H -c: every program attached but"
	say "   lat_oplog, the one a cycle runs; it should read 1); each round runs the three, in"
	say "   turning order; each pass starts with one untimed cycle (-W 1).  The firmware latency busy-waits"
	say "   (latency_spin=1, as a SEAMCALL or an RMI call runs on the calling CPU): a sleep's"
	say "   wake-up under TCG adds more noise than the overhead measured"
	calib
	echo 1 >"$SPIN"
	# shellcheck disable=SC2086 # a list of latencies
	for lat in $TRACE_US; do
	pairs=$TRACE_PAIRS
	[ "$lat" = 0 ] || pairs=$TRACE_PAIRS_SLOW
	echo "$lat" >"$LATENCY"
	for plat in tdx sev-tio cca; do
		t0=$SECONDS
		TN=() TP=() TR=() TPR=() TC=() TRECS=([hist]=0 [timeline]=0 [control]=0)
		cycle_run "$plat" 2 native # warm-up
		for ((r = 1; r <= TRACE_ROUNDS; r++)); do
			# each mode first, second and third in turn
			case $((r % 3)) in
			1) order="hist timeline control" ;;
			2) order="timeline control hist" ;;
			0) order="control hist timeline" ;;
			esac
			for m in $order; do
				# shellcheck disable=SC2206 # the options split
				args=(-t -W 1 ${MODE_ARGS[$m]})
				j=$(tsmbpf_cycle_ab "${args[@]}" -p "$plat" -n $CYCLE_TDIS -r "$pairs") ||
					die "tsmbpf_cycle_ab ${args[*]} -p $plat failed: $j"
				jv "$j" native_ns && n=$REPLY
				jv "$j" policy_ns && p=$REPLY
				jv "$j" ratio && ratio=$REPLY
				TN[$m]+=" $n" TP[$m]+=" $p" TR[$m]+=" $ratio"
				jv "$j" paired_ratio && TPR[$m]+=" $REPLY"
				jv "$j" records_per_cycle && TC[$m]+=" $REPLY"
				jv "$j" trace_records && TRECS[$m]=$((TRECS[$m] + REPLY))
				say "   $plat $lat us round $r/$TRACE_ROUNDS, $m: untraced $n ns, traced $p ns per cycle: ${ratio}x"
			done
		done
		# records per cycle: what the latency log holds, in both modes
		# shellcheck disable=SC2086 # the lists split into their figures
		inv=$(median ${TC[timeline]})
		for m in hist timeline control; do
			# shellcheck disable=SC2086
			n=$(median ${TN[$m]}) p=$(median ${TP[$m]}) ratio=$(median ${TR[$m]}) pr=$(median ${TPR[$m]})
			mode=${MODE_NAME[$m]}
			rows+=("$(printf '{"platform":"%s","latency_us":%s,"mode":"%s","tdis":%s,"rounds":%s,"pairs":%s,"untraced_ns":%s,"traced_ns":%s,"ratio":%s,"paired_ratio":%s,"records":%s,"hits_per_cycle":%s,"ns_per_hit":%s,"target_ratio":%s}' \
				"$plat" "$lat" "$mode" $CYCLE_TDIS "$TRACE_ROUNDS" "$pairs" "$n" "$p" "$ratio" \
				"$pr" "${TRECS[$m]}" "$inv" "$(fmt '%.0f' "($p - $n) / $inv")" "$TARGET_TRACE")")
			say "   median: $plat $lat us, $mode: untraced $n ns, traced $p ns per cycle: ${ratio}x, paired ${pr}x (target <= $TARGET_TRACE); $(fmt '%.0f' "($p - $n) / $inv") ns per record ($inv per cycle); ${TRECS[$m]} records"
		done
		say "   [$((SECONDS - t0)) s]"
	done
	done
	echo 0 >"$LATENCY"
	echo 0 >"$SPIN"
	calib
	TRACE_JSON="[$(
		IFS=,
		echo "${rows[*]}"
	)]"
	say
}

# ------------------------------------------- f. exporter scrape --

# scrape PORT: one GET /metrics from tsmctl serve on PORT through bash's
# /dev/tcp (busybox wget crashes on a refused connection); REPLY = ms,
# SCRAPE_BYTES and SCRAPE_LINES of the body
scrape() {
	local t0 t1 f=/tmp/scrape.$1
	t0=$(date +%s%N)
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || die "cannot connect to port $1"
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&"$fd"
	cat <&"$fd" >"$f"
	exec {fd}>&-
	t1=$(date +%s%N)
	grep -q '^HTTP/1.[01] 200' "$f" || die "scrape of port $1: $(head -1 "$f")"
	SCRAPE_BYTES=$(wc -c <"$f") SCRAPE_LINES=$(grep -c '^tsmbpf_' "$f")
	REPLY=$(((t1 - t0) / 1000000))
}

# serve_start PORT ARGS...: tsmctl serve on PORT; SERVE_PIDS += its pid.
# The socket is bound before the programs load and answered once they are
# attached: a connect alone does not mean they count, a 200 does.
serve_start() {
	local port=$1 i
	shift
	tsmctl serve --listen "127.0.0.1:$port" "$@" >/dev/null 2>"/tmp/serve.$port.err" &
	SERVE_PIDS+=("$!")
	for ((i = 0; i < 600; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
			printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 &&
			read -r -t 60 line <&3 && [[ $line == "HTTP/1."[01]" 200"* ]]) 2>/dev/null &&
			return 0
		sleep 0.1
	done
	die "tsmctl serve on $port did not start: $(cat "/tmp/serve.$port.err")"
}

bench_scrape() {
	local t0=$SECONDS r full notdi n
	local -a F N PLATS=(tdx sev-tio cca)
	say "== f. tsmctl serve, $SCRAPE_TDIS TDIs that each ran one bind+accept+unbind: time per scrape"
	SERVE_PIDS=()
	serve_start 19464
	serve_start 19465 --no-tdi
	# 256 TDIs per VM (the bound limit), one cycle each, kept
	for ((r = 0; r < SCRAPE_TDIS / 256; r++)); do
		tsmbpf_cycle -p "${PLATS[r % 3]}" -n 256 -i 1 -b $((0x90 + r)) -k -q >/dev/null ||
			die "tsmbpf_cycle -n 256 -b $((0x90 + r)) failed"
	done
	for ((r = 0; r <= ROUNDS; r++)); do # round 0 warms up
		scrape 19464 && full=$REPLY
		local fb=$SCRAPE_BYTES fl=$SCRAPE_LINES
		scrape 19465 && notdi=$REPLY
		# every TDI's bind, accept and unbind counted: the scrape is
		# of what it claims
		n=$(grep -c '^tsmbpf_tdi_op_seconds_count{' /tmp/scrape.19464)
		((n == 3 * SCRAPE_TDIS)) ||
			die "scrape: $n per-TDI operation series, not $((3 * SCRAPE_TDIS))"
		((r)) || continue
		F+=("$full") N+=("$notdi")
		printf '   round %d/%d: %s ms (%s bytes, %s samples); --no-tdi %s ms (%s bytes, %s samples)\n' \
			"$r" "$ROUNDS" "$full" "$fb" "$fl" "$notdi" "$SCRAPE_BYTES" "$SCRAPE_LINES"
	done
	kill -TERM "${SERVE_PIDS[@]}" 2>/dev/null
	wait "${SERVE_PIDS[@]}" 2>/dev/null
	SERVE_PIDS=()
	cleanup_objects
	full=$(median "${F[@]}") notdi=$(median "${N[@]}")
	SCRAPE_JSON=$(printf '{"tdis":%s,"rounds":%s,"scrape_ms":%s,"bytes":%s,"samples":%s,"scrape_no_tdi_ms":%s}' \
		"$SCRAPE_TDIS" "$ROUNDS" "$full" "$fb" "$fl" "$notdi")
	say "   median: $full ms per scrape with the per-TDI histograms, $notdi ms with --no-tdi [$((SECONDS - t0)) s]"
	say
}

# Unbind and destroy every TDI and VM (after a killed load).
cleanup_objects() {
	tsmctl dev destroy all >/dev/null 2>&1 || true
	tsmctl vm destroy all unbind >/dev/null 2>&1 || true
}

# ------------------------------------------------------------ table --

# The summary table of one or more runs (a JSON array on stdin): each run's
# "spt" gives a row of the secure page table tables; the first run with
# "cycle" and "swap" gives those tables.
# shellcheck disable=SC2016 # jq's $variables
TABLE_JQ='
def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
def rpad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
def fixed($d):
	if . == null then "-" else
	(. * pow(10; $d) | round | tostring) as $s |
	(if ($s | length) <= $d then ("0" * ($d + 1 - ($s | length))) + $s else $s end) as $t |
	if $d == 0 then $t else $t[0:($t | length) - $d] + "." + $t[($t | length) - $d:] end
	end;
def num:
	if . == null then "-" elif . == floor then tostring
	elif . >= 100 then fixed(0) elif . >= 10 then fixed(2) else fixed(3) end;
def verdict($t): if . <= $t then "ok" else "MISS" end;
# tsmbpf_calib'"'"'s loops: its key and the row'"'"'s name
def calib_loops: ["clock_ns", "clock_gettime (vDSO)"], ["hist_ns", "log2 histogram add"],
	["call_ns", "indirect call"];
def spt_label:
	if .init_on_alloc == 1 then "init_on_alloc=1 (Debian default)"
	else "init_on_alloc=0 (table'"'"'s own cost)" end;
def row($l; $cols): " " + ($l | rpad(36)) + ($cols | map(" " + .) | join(""));
. as $runs | [$runs[] | select(.cycle)][0] as $cy | [$runs[] | select(.swap)][0] as $sw |
[$runs[] | select(.vfio)][0] as $vf | [$runs[] | select(.spt)][0] as $sp |
[$runs[] | select(.trace)][0] as $tr |
[$runs[] | select(.host_calib)][0].host_calib as $hc | [$runs[] | select(.calib)][0].calib as $gc |
[$runs[] | select(.scrape)][0].scrape as $sc |
[
	("=" * 100),
	" tsmbpf bench summary: QEMU TCG, medians over interleaved rounds",
	" (absolute times are emulated; compare figures within a row, the ratios are the result)",
	("=" * 100),
	(if $sp == null then empty else
	 "",
	row("secure page table, in kernel";
	    ["4K map+unm", "2M map+unm", "raw store" | lpad(11)] + ["4K/raw" | lpad(8)] + ["target" | lpad(7)] +
	    ["" | lpad(4)] + ["4K new tbl" | lpad(11)] + ["new/raw" | lpad(8)]),
	row("(ns per entry; 2M: per 2 MiB leaf)"; []),
	($runs[] | .spt // empty |
	 row(spt_label; [(.map_unmap_4k_ns, .map_unmap_2m_ns, .raw_ns) | num | lpad(11)] +
		    [(.ratio_4k_raw | fixed(2)) + "x" | lpad(8)] +
		    ["<= \(.target_ratio)x" | lpad(7)] +
		    [.target_ratio as $t | .ratio_4k_raw | verdict($t) | lpad(4)] +
		    [(.map_unmap_4k_cold_ns | num | lpad(11)),
		     (if .ratio_4k_cold_raw == null then "-" else (.ratio_4k_cold_raw | fixed(2)) + "x" end | lpad(8))])),
	"",
	row("fault-in, ns per fault (faults/s)";
	    ["in kernel 4K", "uAPI 4K", "uAPI 2M" | lpad(12)] + ["uAPI/kern" | lpad(9)]),
	($runs[] | .spt // empty |
	 row(spt_label; [(.kernel_fault_ns, .uapi_fault_4k_ns, .uapi_fault_2m_ns) | num | lpad(12)] +
		    [(.ratio_uapi_kernel_fault | fixed(1)) + "x" | lpad(9)]),
	 row(""; ["(" + (.kernel_faults_per_s / 1e6 | fixed(2)) + "M)",
		  "(" + (.uapi_faults_per_s_4k / 1e3 | fixed(0)) + "k)",
		  "(" + (.uapi_faults_per_s_2m / 1e3 | fixed(0)) + "k)" | lpad(12)]))
	 end),
	(if $cy == null then empty else
	 "",
	 row("bind+unbind cycle, \($cy.cycle[0].tdis) TDIs";
	     ["native ns", "policy ns" | lpad(10)] + ["+ns" | lpad(8)] + ["ratio" | lpad(8)] +
	     ["target" | lpad(7)] + ["" | rpad(4)] + ["runs ratio" | lpad(10)]),
	 ($cy.cycle[] |
	  if .control then
	   row("A/A: \(.platform), \(.policy) attached, fw \(.latency_us) us";
	       [(.native_ns, .policy_ns) | num | lpad(10)] + [.policy_ns - .native_ns | num | lpad(8)] +
	       [(.ratio | fixed(3)) + "x" | lpad(8)] + ["= 1" | lpad(7)])
	  else
	   row("\(.platform) \(.policy), fw \(.latency_us) us";
	       [(.native_ns, .policy_ns) | num | lpad(10)] + [.policy_ns - .native_ns | num | lpad(8)] +
	       [(.ratio | fixed(3)) + "x" | lpad(8)] + ["<= \(.target_ratio)" | lpad(7)] +
	       [.target_ratio as $t | .ratio | verdict($t) | rpad(4)] +
	       [if .runs then (.runs.ratio | fixed(3)) + "x" else "-" end | lpad(10)])
	  end)
	 end),
	(if $tr == null then empty else
	 "",
	 row("cycle, tracing attached (\($tr.trace[0].tdis) TDIs)";
	     ["untraced", "traced" | lpad(10)] + ["+ns" | lpad(8)] + ["ratio" | lpad(8)] +
	     ["target" | lpad(7)] + ["" | rpad(4)] + ["paired" | lpad(8)] + ["ns/hit" | lpad(7)] +
	     ["records" | lpad(9)]),
	 ($tr.trace[] |
	  row("\(.platform), fw \(.latency_us) us, \(if .mode == "histograms" then "hist" elif .mode == "control" then "A/A control" elif .mode then "hist+timeline" else "native" end)";
	      [(.untraced_ns, .traced_ns) | num | lpad(10)] + [.traced_ns - .untraced_ns | num | lpad(8)] +
	      [(.ratio | fixed(3)) + "x" | lpad(8)] +
	      (if .mode == "control" then ["~ 1" | lpad(7)] + ["" | rpad(4)]
	       else ["<= \(.target_ratio)" | lpad(7)] + [.target_ratio as $t | .ratio | verdict($t) | rpad(4)] end) +
	      [(.paired_ratio | fixed(3)) + "x" | lpad(8)] + [.ns_per_hit | num | lpad(7)] +
	      [.records | num | lpad(9)]))
	 end),
	(if $gc == null then empty else
	 "",
	 row("the same code, ns per iteration";
	     ["host", "guest" | lpad(10)] + ["guest/host" | lpad(11)]),
	 (calib_loops as [$f, $l] |
	  row($l; [($hc[$f], $gc[$f]) | fixed(2) | lpad(10)] +
		  [if $hc == null then "-" else ($gc[$f] / $hc[$f] | fixed(1)) + "x" end | lpad(11)]))
	 end),
	(if $gc == null or $hc == null or $tr == null then empty else
	 ([calib_loops[0] as $f | $gc[$f] / $hc[$f]] | [min, max]) as [$lo, $hi] |
	 " The emulated firmware'"'"'s latency is wall-clock time, the guest'"'"'s code \($lo | fixed(1))x to \($hi | fixed(1))x",
	 " slower than the host'"'"'s: fw L us weighs the tracing as firmware calls of L / \($hi | fixed(1)) to",
	 " L / \($lo | fixed(1)) us would on the host'"'"'s CPU: " +
	 ([$tr.trace[].latency_us] | unique | map(select(. > 0)) |
	  map("\(.) us ~ \(. / $hi | fixed(1)) to \(. / $lo | fixed(1)) us") | join(", ")) + "."
	 end),
	(if $sc == null then empty else
	 "",
	 row("tsmctl serve, \($sc.tdis) TDIs, a scrape";
	     ["ms", "bytes", "samples" | lpad(10)]),
	 row("with the per-TDI histograms"; [($sc.scrape_ms, $sc.bytes, $sc.samples) | num | lpad(10)]),
	 row("--no-tdi"; [$sc.scrape_no_tdi_ms | num | lpad(10)])
	 end),
	(if $sw == null then empty else
	 "",
	 ($sw.swap as $s |
	  row("policy swap, \($s.idle.swaps) swaps (ns)";
	      ["median", "p90", "p99", "max" | lpad(10)] + [">1 ms", "failures" | lpad(8)]),
	  ($s | (["idle", .idle], ["under tsmbpf_cycle -p tdx -n 64", .load]) as [$l, $x] |
	   row($l; [($x.median_ns, $x.p90_ns, $x.p99_ns, $x.max_ns) | num | lpad(10)] +
		   [($x.over_1ms, $x.failures) | num | lpad(8)])),
	  row("load during the swaps";
	      ["\($s.load_cycles) cycles, \($s.load_failures) failures, \($s.load_not_torn_down) not torn down, \($s.ejections) ejections: \(if $s.ok then "ok" else "FAILED" end)"]))
	 end),
	(if $vf == null then empty else
	 "",
	 row("VFIO event, not bound, ns per event";
	     ["vfio-pci", "tsmbpf_vfio" | lpad(11)] + ["ratio" | lpad(8)] + ["target" | lpad(7)] + ["" | rpad(4)] +
	     ["+ TDI" | lpad(11)] + ["ratio" | lpad(8)]),
	 ($vf.vfio.unbound[] |
	  row("\(.event), \(.events_per_run // $vf.vfio.events_per_run) per run, \($vf.vfio.rounds) rounds";
	      [(.vfio_pci_ns, .tvp_ns) | num | lpad(11)] + [(.paired_ratio | fixed(3)) + "x" | lpad(8)] +
	      ["<= \(.target_ratio)" | lpad(7)] + [.target_ratio as $t | .paired_ratio | verdict($t) | rpad(4)] +
	      [.tvp_tdi_ns | num | lpad(11)] + [(.paired_ratio_tdi | fixed(3)) + "x" | lpad(8)])),
	 "",
	 row("VFIO event, TDI bound, ns per event";
	     ["native ns", "policy ns" | lpad(11)] + ["+ns" | lpad(9)] + ["ratio" | lpad(8)] + ["paired" | lpad(8)] +
	     ["unbound" | lpad(9)]),
	 ($vf.vfio.bound[] |
	  row("\(.platform) \(.policy), \(.event)";
	      [(.native_ns, .policy_ns) | num | lpad(11)] + [.policy_ns - .native_ns | num | lpad(9)] +
	      [(.ratio | fixed(3)) + "x" | lpad(8)] + [(.paired_ratio | fixed(3)) + "x" | lpad(8)] +
	      ["\(.unbound_policy)/\(.events)" + (if .ok then "" else " FAILED" end) | lpad(9)]))
	 end),
	"",
	(if $vf == null then empty else
	 " VFIO: ns per event on \($vf.vfio.bdf), each timed around its one syscall (VFIO_DEVICE_RESET;",
	 " mse-clear: a PCI_COMMAND write without MSE through the config region).  Not bound: the",
	 " function rebound between vfio-pci and tsmbpf_vfio_pci every run, ratio tsmbpf/vfio-pci",
	 " (median of the rounds'"'"' ratios, each of two runs side by side);",
	 " + TDI: an unbound TDI attached (the gate looks it up and lets the event pass).  Bound: the",
	 " TDI bound and accepted (untimed) before each event, the gate unbinds it before the event",
	 " reaches vfio-pci-core: the time from the event to the zap and on, policy against native",
	 " (ratio: of the medians; paired: median of the rounds'"'"' ratios);",
	 " unbound: events that left the TDI unbound with the policy loaded.  A reset includes the",
	 " function reset itself (an FLR waits 100 ms), which the gate'"'"'s cost is small against.",
	 ""
	 end),
	(if $cy == null and $sw == null then empty else
	 " cycle: ns per bind+accept+unbind, median over passes that alternate native and policy on",
	 " the same TDIs (tsmbpf_cycle_ab); +ns: policy - native.  A/A: the same with a policy of",
	 " another platform attached, so both modes run native: the bias of the method itself.",
	 " runs ratio: separate tsmbpf_cycle runs, the policy loaded and unloaded between them,",
	 " seconds apart, at the mercy of the host'"'"'s noise.  Policies make the same firmware calls",
	 " as the native sequences (the cca policy purges keys only with purge_keys set).",
	 " swap: one bpf_link__update_map() (map update + LINK_UPDATE); the core'"'"'s update waits",
	 " for an expedited SRCU grace period, so unbinds already running finish first."
	 end),
	(if $sp == null then empty else
	 " 4K/raw: 4 KiB map+unmap per entry over an 8-byte store per entry into a vmalloc()ed array.",
	" The table keeps the pages an unmap empties (tsmbpf.spt_keep_pages, as TDX keeps a TD'"'"'s",
	" S-EPT pages): 4K map+unm maps into a table that kept them, as a bind after an unbind does;",
	" 4K new tbl maps into a new table, every table page (one per 512 entries) from the page",
	" allocator.  With init_on_alloc=1 (CONFIG_INIT_ON_ALLOC_DEFAULT_ON) the allocator zeroes each",
	" with rep stosb, which QEMU TCG runs one byte at a time, far slower than hardware: under TCG",
	 " that zeroing dominates a map into a new table.  init_on_alloc=0 shows the same without it."
	 end)
] | .[]
'

# print_table JSON...: the table of these runs
print_table() {
	printf '%s\n' "$@" | jq -rs "$TABLE_JQ"
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

main() {
	local mode=${1:-all} t0 json
	case $mode in
	all | spt | cycle | swap | vfio | trace | scrape) ;;
	summary)
		shift
		read_runs "$@"
		print_table "${RUNS[@]}"
		return
		;;
	host-calib)
		# on the host: tsmbpf_calib as a run of its own, for the summary
		[ $# = 2 ] || die "usage: bench.sh host-calib TSMBPF_CALIB"
		json=$("$2") || die "$2 failed"
		printf 'BENCH-JSON {"mode":"host","host_calib":%s}\n' "$json"
		return
		;;
	json)
		shift
		read_runs "$@"
		printf '%s\n' "${RUNS[@]}" | jq -s '{ runs: . }'
		return
		;;
	*) die "usage: bench.sh [all|spt|cycle|swap|vfio|trace|scrape] | bench.sh summary|json LOG|JSON... | bench.sh host-calib TSMBPF_CALIB" ;;
	esac
	for n in "$ROUNDS" "$CYCLE_ROUNDS" "$CYCLE_PAIRS" "$CYCLE_PAIRS_SLOW" \
		"$SWAPS" "$SPT_MB" "$SPT_ITERS" "$CYCLE_ITERS" "$CYCLE_ITERS_SLOW" \
		"$VFIO_ROUNDS" "$VFIO_EVENTS" "$VFIO_EVENTS_FAST" "$TRACE_ROUNDS" \
		"$TRACE_PAIRS" "$TRACE_PAIRS_SLOW"; do
		[[ $n =~ ^[1-9][0-9]*$ ]] || die "bad knob value '$n'"
	done
	[[ $COARSE_ROUNDS =~ ^[0-9]+$ ]] || die "bad BENCH_COARSE_ROUNDS"
	trap cleanup EXIT
	FAILED=0
	setup
	INIT_ON_ALLOC=$(kernel_init_on_alloc)
	t0=$SECONDS
	say "tsmbpf bench ($mode): kernel $(uname -r), $(nproc) CPUs, init_on_alloc=$INIT_ON_ALLOC"
	say
	SPT_JSON=null CYCLE_JSON=null SWAP_JSON=null VFIO_JSON=null TRACE_JSON=null
	SCRAPE_JSON=null CALIB_JSON=null
	case $mode in all | spt) bench_spt ;; esac
	case $mode in all | cycle) bench_cycle ;; esac
	case $mode in all | swap) bench_swap ;; esac
	case $mode in all | vfio) bench_vfio ;; esac
	case $mode in all | trace) bench_trace ;; esac
	case $mode in all | scrape) bench_scrape ;; esac
	json=$(printf '{"mode":"%s","kernel":"%s","init_on_alloc":%s,"rounds":%s,"cycle_rounds":%s,"seconds":%s,"spt":%s,"cycle":%s,"swap":%s,"vfio":%s,"trace":%s,"scrape":%s,"calib":%s}' \
		"$mode" "$(uname -r)" "$INIT_ON_ALLOC" "$ROUNDS" "$CYCLE_ROUNDS" \
		$((SECONDS - t0)) "$SPT_JSON" "$CYCLE_JSON" "$SWAP_JSON" "$VFIO_JSON" "$TRACE_JSON" \
		"$SCRAPE_JSON" "$CALIB_JSON")
	jq 'with_entries(select(.value != null))' <<<"$json" >"$OUT" ||
		die "bad JSON: $json"
	json=$(jq -c . "$OUT")
	print_table "$json"
	say
	say "JSON in $OUT:"
	cat "$OUT"
	say "BENCH-JSON $json"
	say "bench: done in $((SECONDS - t0)) s$([ "$FAILED" = 0 ] || echo ', with FAILURES')"
	return "$FAILED"
}

main "$@"
