#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Adversarial policies (issue 11, item 3), driven by the table
# tests/policies/adversarial.tsv: each row names a policy object of
# tests/policies/, what to do with it and the outcome it must have: refused
# at load with a message, refused by its init(), ejected with an exit
# record (kind, callback, missing step), harmless, or an operation failing
# with the policy's own errno.  For every row, whatever the outcome, every
# TDI ends whole (unbound, torn down and shared; or bound and RUN), the
# kernel log has no splat, the platform's slot is empty once the policy is
# unloaded, and a native bind, accept and unbind works on each platform.
#
# One test per class of the table; a test runs all its rows and fails
# naming each row that failed and why.

TABLE=${BATS_TEST_DIRNAME}/../policies/adversarial.tsv
CLASSES=(order extra bind-undo error timeout return multi platforms load gate)
PLATFORMS=(tdx sev-tio cca)
EVENTS=(mse_clear bme_clear d3hot flr af_flr reset hot_reset runtime_pm
	close remove vm_destroy)
# what the kernel log must never show
SPLAT='WARNING: CPU|BUG:|Oops|UBSAN|KASAN|circular locking|lock held when returning|sleeping function called|kernel BUG'

setup_file() {
	load '../test_helper/common-setup'
	tsmbpf_load_core
}

teardown_file() {
	load '../test_helper/common-setup'
	tsmbpf_unload_all
}

setup() {
	load '../test_helper/common-setup'
	_common_setup
	mkdir -p "$PINDIR"
}

teardown() {
	tsmbpf_cleanup_objects
}

# rows CLASS: the table's rows of CLASS (all rows with "all")
rows() {
	awk -F'\t' -v c="$1" '!/^#/ && NF && (c == "all" || $2 == c)' "$TABLE"
}

# row_fail TEXT: the current row failed; say why (on stderr, which bats
# shows with a failed test) and return 1
row_fail() {
	echo "row $ROW_NAME ($ROW_CLASS): $*" >&2
	return 1
}

# Under TCG every process costs: the row runner reads sysfs with shell
# builtins and hands all its JSON to one jq.

# cnt VAR COUNTER: VAR = the value of /sys/kernel/tsmbpf/COUNTER
cnt() {
	read -r "$1" <"$SYSFS/$2"
}

# slots_hold PLATFORMS NAME: each slot of the comma-separated PLATFORMS
# holds NAME ("-": none)
slots_hold() {
	local plat pol gen p
	declare -A held=()
	while read -r plat pol gen; do
		held[$plat]=$pol
	done <"$SYSFS/policies"
	for p in ${1//,/ }; do
		[ "${held[$p]}" = "$2" ] || return 1
	done
}

slots_text() {
	tr '\n' ';' <"$SYSFS/policies"
}

# log_has ERE: the kernel log has a line matching ERE (for retry)
log_has() {
	dmesg | grep -Eq -- "$1"
}

# op_add OP PLATFORM TDI RC OUT: one operation, a line of $ROW_DIR/ops
op_add() {
	local out=${5//$'\n'/ }
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${3:-0}" "$4" "${out//$'\t'/ }" >>"$ROW_DIR/ops"
}

# trigger OP: run OP on every TDI of the row (ROW_TDIS, ROW_ON), in order
trigger() {
	local op=$1 i tdi plat out rc ev
	case $op in
	vmdestroy)
		rc=0
		out=$(tsmctl vm destroy "$ROW_VM" unbind 2>&1) || rc=$?
		op_add vmdestroy - 0 "$rc" "$out"
		return 0
		;;
	bind | gate | unbind) ;;
	*) row_fail "unknown trigger '$op'"; return 1 ;;
	esac
	for i in "${!ROW_TDIS[@]}"; do
		tdi=${ROW_TDIS[i]} plat=${ROW_ON[i]}
		case $op in
		bind)
			rc=0
			out=$(tsmctl dev bind "$tdi" vm "$ROW_VM" accept 2>&1) || rc=$?
			op_add bind "$plat" "$tdi" "$rc" "$out"
			ROW_BOUND[i]=$((rc == 0))
			;;
		unbind)
			# only what was bound: a bind may have failed
			[ "${ROW_BOUND[i]}" = 1 ] || continue
			rc=0
			out=$(tsmctl dev unbind "$tdi" 2>&1) || rc=$?
			op_add unbind "$plat" "$tdi" "$rc" "$out"
			;;
		gate)
			for ev in "${EVENTS[@]}"; do
				tsmctl -j dev gate "$tdi" event "$ev" >>"$ROW_DIR/gates" 2>&1 ||
					{ row_fail "dev gate $tdi event $ev: $(tail -1 "$ROW_DIR/gates")"; return 1; }
			done
			;;
		esac
	done
}

# The checks of a row after its trigger, in one jq program over
# {policies: `policy show`, tdis: `dev list`, ops, gates, load, counters}:
# prints one line per failed check.
ROW_JQ='
def rec($p): (.policies[] | select(.platform == $p) | .exit) // null;
def ctx: {exit: rec($plats[0]), gates: .gates, ops: .ops, load: .load,
	  unbinds_policy: .unbinds_policy, unbinds_native: .unbinds_native};
(if $outcome == "eject" or $outcome == "init" then
	$plats[] as $p | rec($p) as $r |
	if ($r != null and $r.policy == $name and $r.kind == $kind and
	    $r.callback == $cb and $r.missing_step == $step and
	    # a refused init() never had a generation of its own
	    ($outcome == "init" or ($r.generation >= $g0 and $r.tdi == $lasttdi))) then empty
	else "\($p) exit record \($r | tojson); want \($kind) in \($cb)(), missing \($step), tdi \($lasttdi)" end
 else empty end),
(.tdis[] | select(.tdi as $t | $tdis | index($t)) |
	if (.vm == null and .state == "CONFIG_UNLOCKED" and .mmio_pages == 0 and
	    (.dma | not) and (.metadata | not) and .shared_mmio) or
	   (.vm != null and .state == "RUN" and .mmio_pages > 0 and .dma and
	    .metadata and (.shared_mmio | not)) then empty
	else "tdi \(.tdi) is half done: \(tojson)" end),
(if $check == "-" then empty
 elif (ctx | @CHECK@) then empty
 else "check failed; context: \(ctx | tojson)" end)
'

# native_cycles PLATFORM...: with no policy in their slots, a bind, accept
# and unbind cycle on a new TDI of each platform runs natively and leaves
# it torn down (tsmbpf_cycle checks the TDI after the unbind)
native_cycles() {
	local p n0 n1 out bus=$((0x70))
	for p in "$@"; do
		cnt n0 unbinds_native
		out=$(tsmbpf_cycle -p "$p" -n 1 -i 1 -b "$bus" -q 2>&1) ||
			{ row_fail "native $p cycle failed: $out"; return 1; }
		[[ $out == *'"cycles":1,"failures":0,"not_torn_down":0'* ]] ||
			{ row_fail "native $p cycle: $out"; return 1; }
		cnt n1 unbinds_native
		[ "$n1" = $((n0 + 1)) ] || { row_fail "the $p unbind was not native"; return 1; }
		bus=$((bus + 1))
	done
}

# run_row ROWNO FIELDS...: one row of the table, see adversarial.tsv
run_row() {
	local rowno=$1
	local name=$2 class=$3 platforms=$4 on=$5 trig=$6 outcome=$7 kind=$8
	local callback=$9 step=${10} check=${11} logre=${12}
	local obj e0 e1 g0 slots0 load rc p i op tdi up0 un0 up1 un1 pin out
	local errs log natives tl last jqcheck
	ROW_NAME=$name ROW_CLASS=$class
	ROW_TDIS=() ROW_ON=() ROW_BOUND=()
	ROW_DIR=$BATS_TEST_TMPDIR/$name
	mkdir -p "$ROW_DIR"
	: >"$ROW_DIR/ops"
	: >"$ROW_DIR/gates"
	[ "$platforms" = - ] && platforms=''
	[ "$on" = - ] && on=''
	obj=$TPOLDIR/$name.bpf.o
	[ -e "$obj" ] || { row_fail "no object $obj"; return 1; }
	dmesg -c >/dev/null
	cnt e0 policy_ejections
	cnt g0 generation
	slots0=$(slots_text)
	ROW_VM=$(tsmctl vm create)

	# ---- load
	rc=0
	load=$(tsmctl policy load "$obj" 2>&1) || rc=$?
	case $outcome in
	refused | init)
		[ "$rc" != 0 ] || { row_fail "the load succeeded: $load"; return 1; }
		[ -z "$(ls -A "$PINDIR")" ] || { row_fail "pinned after a refused load: $(ls -A "$PINDIR")"; return 1; }
		[ "$(slots_text)" = "$slots0" ] || { row_fail "the slots changed: $(slots_text)"; return 1; }
		;;
	*)
		[ "$rc" = 0 ] || { row_fail "the load failed: $load"; return 1; }
		slots_hold "$platforms" "$name" ||
			{ row_fail "slots $platforms do not hold $name: $(slots_text)"; return 1; }
		;;
	esac
	if [ "$outcome" = refused ]; then
		[[ $load == *"$check"* ]] || { row_fail "the load error lacks '$check': $load"; return 1; }
		check=-
	fi

	# ---- trigger
	i=0
	for p in ${on//,/ }; do
		tdi=$(new_tdi "$p" "$(printf '%02x:%02x.0' $((0x60 + i)) $((rowno % 32)))") ||
			{ row_fail "cannot create a $p TDI"; return 1; }
		ROW_TDIS+=("$tdi") ROW_ON+=("$p") ROW_BOUND+=(0)
		i=$((i + 1))
	done
	cnt up0 unbinds_policy
	cnt un0 unbinds_native
	if [ "$trig" != load ]; then
		for op in ${trig//+/ }; do
			trigger "$op" || return 1
		done
	fi
	cnt up1 unbinds_policy
	cnt un1 unbinds_native
	cnt e1 policy_ejections

	# ---- the outcome: ejections and slots here, the rest in ROW_JQ
	case $outcome in
	eject)
		[ "$e1" = $((e0 + 1)) ] || { row_fail "$((e1 - e0)) ejections, want 1"; return 1; }
		slots_hold "$platforms" - || { row_fail "slots $platforms not all empty: $(slots_text)"; return 1; }
		;;
	*)
		[ "$e1" = "$e0" ] || { row_fail "ejected, want $outcome: $(tsmctl policy show)"; return 1; }
		;;
	esac
	case $outcome in
	harmless | fails)
		slots_hold "$platforms" "$name" || { row_fail "slots $platforms no longer hold $name"; return 1; }
		;;
	esac
	if [ "$outcome" = fails ] && [[ $'\n'$(cut -f4 "$ROW_DIR/ops") != *$'\n'[1-9]* ]]; then
		row_fail "no operation failed: $(cat "$ROW_DIR/ops")"
		return 1
	fi
	p=${platforms:-tdx}
	jqcheck=$check
	[ "$check" != - ] || jqcheck=true
	shopt -u patsub_replacement 2>/dev/null || true
	printf -v tl '%s,' "${ROW_TDIS[@]}"
	last=0
	[ "${#ROW_TDIS[@]}" = 0 ] || last=${ROW_TDIS[-1]}
	errs=$(jq -rn \
		--argjson policies "$(tsmctl -j policy show)" \
		--argjson tdis "$(tsmctl -j dev list)" \
		--slurpfile gates "$ROW_DIR/gates" \
		--rawfile opsraw "$ROW_DIR/ops" --arg load "$load" \
		--argjson up $((up1 - up0)) --argjson un $((un1 - un0)) \
		--arg outcome "$outcome" --arg name "$name" --arg kind "$kind" \
		--arg cb "$callback" --arg step "$step" --argjson g0 "$g0" \
		--arg check "$check" --arg platsS "$p" --argjson tdis_row "[${tl%,}]" \
		--argjson lasttdi "$last" \
		"{policies: \$policies, tdis: \$tdis, gates: \$gates, load: \$load,
		  unbinds_policy: \$up, unbinds_native: \$un,
		  ops: [\$opsraw | split(\"\n\")[] | select(length > 0) | split(\"\t\") |
			{op: .[0], platform: .[1], tdi: (.[2] | tonumber),
			 rc: (.[3] | tonumber), out: .[4]}]} as \$in |
		 (\$platsS | split(\",\")) as \$plats | \$tdis_row as \$tdis |
		 \$in | ${ROW_JQ//@CHECK@/$jqcheck}" 2>&1) ||
		{ row_fail "jq: $errs"; return 1; }
	[ -z "$errs" ] || { row_fail "$errs"; return 1; }

	# ---- unbind what is still bound, with the policy if it is there
	for i in "${!ROW_TDIS[@]}"; do
		tdi=${ROW_TDIS[i]}
		[ "$(tdi_field "$tdi" vm)" != null ] || continue
		out=$(tsmctl dev unbind "$tdi" 2>&1) || { row_fail "unbind of $tdi failed: $out"; return 1; }
		assert_torn_down "$tdi" || { row_fail "tdi $tdi not torn down: $(tdi_json "$tdi")"; return 1; }
	done

	# ---- unload: the slots empty, an exit record kept
	for pin in "$PINDIR"/*; do
		[ -e "$pin" ] || continue
		out=$(tsmctl policy unload "${pin##*/}" 2>&1) ||
			{ row_fail "unload ${pin##*/}: $out"; return 1; }
	done
	retry 5 slots_hold "$p" - || { row_fail "slots $p not empty after unload: $(slots_text)"; return 1; }
	if [ "$outcome" = eject ] || [ "$outcome" = init ]; then
		out=$(tsmctl -j policy show | jq -c --arg n "$name" --arg k "$kind" \
			--arg plats "$p" '($plats | split(",")) as $plats |
			 [.[] | select(.platform as $x | $plats | index($x)) | .exit |
			  select(.policy != $n or .kind != $k)]')
		[ "$out" = "[]" ] || { row_fail "exit records lost at unload: $out"; return 1; }
	fi
	if [ "$logre" != - ]; then
		retry 5 log_has "$logre" || { row_fail "no log line matching /$logre/: $(dmesg | tail -5)"; return 1; }
	fi
	log=$(dmesg)
	if [[ $log =~ $SPLAT ]]; then
		row_fail "kernel splat: $(grep -E -A5 "$SPLAT" <<<"$log" | head -20)"
		return 1
	fi

	# ---- the platforms fall back to native
	natives=$(tr ',' '\n' <<<"$p,$on" | awk 'NF && !seen[$0]++')
	native_cycles $natives || return 1

	# ---- nothing left behind
	out=$(tsmctl dev destroy all 2>&1) || { row_fail "dev destroy all: $out"; return 1; }
	out=$(tsmctl vm destroy all 2>&1) || { row_fail "vm destroy all: $out"; return 1; }
	cnt i nr_tdis
	[ "$i" = 0 ] || { row_fail "$i TDIs left"; return 1; }
	cnt i nr_vms
	[ "$i" = 0 ] || { row_fail "$i VMs left"; return 1; }
}

# run_class CLASS: every row of CLASS, each from a clean core; fail naming
# the rows that failed
run_class() {
	local line n=0 failed=() rowno=0
	local -a f
	while IFS=$'\t' read -r -a f; do
		rowno=$((rowno + 1))
		[ "${#f[@]}" = 11 ] || { failed+=("${f[0]}: ${#f[@]} fields, want 11"); continue; }
		n=$((n + 1))
		if ! run_row "$rowno" "${f[@]}"; then
			failed+=("${f[0]}")
			tsmbpf_cleanup_objects || failed+=("${f[0]} (clean-up)")
		fi
	done < <(rows "$1")
	echo "class $1: $n rows, ${#failed[@]} failed" >&2
	[ "$n" -gt 0 ] || fail "no rows of class $1"
	[ "${#failed[@]}" = 0 ] || fail "class $1: failed rows: ${failed[*]}"
}

@test "the table: at least 30 adv_* policies, one row each, every class covered, every object built" {
	local names adv c objs
	names=$(rows all | cut -f1 | sort)
	[ -z "$(uniq -d <<<"$names")" ] || fail "rows listed twice: $(uniq -d <<<"$names")"
	adv=$(grep -c '^adv_' <<<"$names")
	[ "$adv" -ge 30 ] || fail "only $adv adv_* rows"
	for c in "${CLASSES[@]}"; do
		[ -n "$(rows "$c")" ] || fail "no row of class $c"
	done
	run awk -F'\t' -v cl=" ${CLASSES[*]} " '!/^#/ && NF && (NF != 11 || index(cl, " " $2 " ") == 0) { print }' "$TABLE"
	assert_output ""
	# every adv_* object has its row, every row its object
	objs=$(cd "$TPOLDIR" && ls adv_*.bpf.o | sed 's/\.bpf\.o$//' | sort)
	run comm -23 <(echo "$objs") <(echo "$names")
	assert_output ""
	run comm -13 <(cd "$TPOLDIR" && ls *.bpf.o | sed 's/\.bpf\.o$//' | sort) <(echo "$names")
	assert_output ""
}

@test "wrong order and skipped steps on each platform: ejected, finished natively" {
	run_class order
}

@test "extra steps after a correct teardown" {
	run_class extra
}

@test "a bind that undoes itself" {
	run_class bind-undo
}

@test "tsmbpf_error() in every callback, in the policy's operations and during native ones" {
	run_class error
}

@test "CPU-bound loops past the deadline, in every callback" {
	run_class timeout
}

@test "every kind of bad return value" {
	run_class return
}

@test "multi-platform policies with one platform's order everywhere" {
	run_class multi
}

@test "unknown or zero platforms are refused at load" {
	run_class platforms
}

@test "bad names, flags and timeouts are refused at load; the limits are not" {
	run_class load
}

@test "gating answers for each event; unrefusable events unbind whatever the answer" {
	run_class gate
}
