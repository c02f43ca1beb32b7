#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Settings of policies, chosen by the operator at load: `tsmctl policy load
# OBJ set NAME=VALUE` writes a policy's `const volatile` globals in .rodata
# before load.  Every platform policy takes gate=default|strict|rebind,
# the verdict of its revoke_gate(); tdx_connect keeps rebind_after_reset
# and cca purge_keys.  The verdicts are read through the test ioctl
# (`tsmctl dev gate`, tsmbpf.ko step_ioctl=1).

bats_require_minimum_version 1.5.0

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
	vm=$(tsmctl vm create)
}

teardown() {
	tsmbpf_cleanup_objects
}

EVENTS=(mse_clear bme_clear d3hot flr af_flr reset hot_reset runtime_pm
	close remove vm_destroy)

# expected_verdict GATE STATE EVENT [REBIND_AFTER_RESET]: what the platform
# policies answer, in $want (no subshell: the matrix asks 22 times per
# policy under TCG).  strict denies low-power entry of a RUN TDI only;
# rebind (or tdx_connect's rebind_after_reset=true) re-binds after resets;
# everything else unbinds first.
expected_verdict() {
	local gate=$1 state=$2 ev=$3 rar=${4:-false}
	want=unbind
	case $ev in
	flr | af_flr | reset | hot_reset)
		if [ "$gate" = rebind ] || [ "$rar" = true ]; then
			want=rebind
		fi
		;;
	d3hot | runtime_pm)
		if [ "$gate" = strict ] && [ "$state" = RUN ]; then
			want=deny
		fi
		;;
	esac
}

# gate_matrix POLICY PLATFORM BUS GATE [SETTING=VALUE...]: load POLICY with
# gate=GATE and the other settings, then ask its gate about every host
# event on a RUN TDI and on a CONFIG_LOCKED one (bound, not accepted).
# Each verdict must come from the policy and be the expected one; asking
# changes no TDI and ejects nothing.
gate_matrix() {
	local pol=$1 plat=$2 bus=$3 gate=$4 rar=false a sets tdi state ev out
	local run_tdi locked_tdi e0 got expected answers want
	shift 4
	sets=(set "gate=$gate")
	for a in "$@"; do
		sets+=(set "$a")
		[ "$a" != rebind_after_reset=true ] || rar=true
	done
	run tsmctl policy load "$POLDIR/$pol.bpf.o" "${sets[@]}"
	assert_success
	assert_equal "$(slot "$plat")" "$pol"
	run_tdi=$(new_tdi "$plat" "$bus:00.0")
	locked_tdi=$(new_tdi "$plat" "$bus:00.1")
	bind_run "$run_tdi" "$vm"
	tsmctl dev bind "$locked_tdi" vm "$vm" >/dev/null
	assert_equal "$(tdi_field "$run_tdi" state)" RUN
	assert_equal "$(tdi_field "$locked_tdi" state)" CONFIG_LOCKED
	e0=$(counter policy_ejections)
	for tdi in "$run_tdi" "$locked_tdi"; do
		state=$(tdi_field "$tdi" state)
		answers=$BATS_TEST_TMPDIR/gate.$tdi
		expected=
		for ev in "${EVENTS[@]}"; do
			tsmctl -j dev gate "$tdi" event "$ev" >>"$answers" ||
				fail "dev gate $tdi event $ev failed"
			expected_verdict "$gate" "$state" "$ev" "$rar"
			expected+="$ev $want by_policy=true"$'\n'
		done
		got=$(jq -r '"\(.event) \(.verdict) by_policy=\(.by_policy)"' "$answers")
		[ "$got" = "${expected%$'\n'}" ] ||
			fail "$pol gate=$gate $*, $state TDI: verdicts differ
-- expected --
$expected-- got --
$got"
	done
	assert_equal "$(tdi_field "$run_tdi" state)" RUN
	assert_equal "$(tdi_field "$locked_tdi" state)" CONFIG_LOCKED
	assert_equal "$(counter policy_ejections)" "$e0"
	assert_equal "$(slot "$plat")" "$pol"
}

@test "tdx_connect gate=default: unbind first for every event" {
	gate_matrix tdx_connect tdx 40 default
}

@test "tdx_connect gate=strict: deny D3hot and runtime PM while RUN only" {
	gate_matrix tdx_connect tdx 41 strict
}

@test "tdx_connect gate=rebind: rebind after FLR, AF FLR, reset and hot reset" {
	gate_matrix tdx_connect tdx 42 rebind
}

@test "sev_tio gate=default: unbind first for every event" {
	gate_matrix sev_tio sev-tio 43 default
}

@test "sev_tio gate=strict: deny D3hot and runtime PM while RUN only" {
	gate_matrix sev_tio sev-tio 44 strict
}

@test "sev_tio gate=rebind: rebind after FLR, AF FLR, reset and hot reset" {
	gate_matrix sev_tio sev-tio 45 rebind
}

@test "cca gate=default: unbind first for every event" {
	gate_matrix cca cca 46 default
}

@test "cca gate=strict: deny D3hot and runtime PM while RUN only" {
	gate_matrix cca cca 47 strict
}

@test "cca gate=rebind: rebind after FLR, AF FLR, reset and hot reset" {
	gate_matrix cca cca 48 rebind
}

@test "tdx_connect rebind_after_reset=true rebinds after resets under gate=default and gate=strict" {
	gate_matrix tdx_connect tdx 49 default rebind_after_reset=true
	tsmctl policy unload tdx_connect
	retry 5 slot_is tdx -
	gate_matrix tdx_connect tdx 4a strict rebind_after_reset=true
}

@test "loaded without settings, every platform policy runs gate=default" {
	for p in tdx_connect:tdx:50 sev_tio:sev-tio:51 cca:cca:52; do
		IFS=: read -r pol plat bus <<<"$p"
		run tsmctl policy load "$POLDIR/$pol.bpf.o"
		assert_success
		tdi=$(new_tdi "$plat" "$bus:00.0")
		bind_run "$tdi" "$vm"
		for ev in d3hot runtime_pm flr hot_reset; do
			run tsmctl -j dev gate "$tdi" event "$ev"
			assert_success
			echo "$output" | jq -e '.verdict == "unbind" and .by_policy'
		done
		run tsmctl -j policy show "$plat"
		assert_success
		echo "$output" | jq -e '.[0].settings.gate == "default"'
	done
}

# step_count PLATFORM STEP: calls of STEP in /sys/kernel/tsmbpf/steps
step_count() {
	awk -v p="$1" -v s="$2" '$1 == p && $2 == s { n = $3 } END { print n + 0 }' \
		/sys/kernel/tsmbpf/steps
}

@test "cca purge_keys=true purges the IDE keys at unbind; the default does not" {
	tdi=$(new_tdi cca 53:00.0)
	run tsmctl policy load "$POLDIR/cca.bpf.o"
	assert_success
	k0=$(step_count cca key_purge)
	bind_run "$tdi" "$vm"
	tsmctl dev unbind "$tdi"
	assert_torn_down "$tdi"
	assert_equal "$(step_count cca key_purge)" "$k0"
	tsmctl policy unload cca
	retry 5 slot_is cca -
	run tsmctl policy load "$POLDIR/cca.bpf.o" set purge_keys=true set gate=strict
	assert_success
	bind_run "$tdi" "$vm"
	tsmctl dev unbind "$tdi"
	assert_torn_down "$tdi"
	assert_equal "$(step_count cca key_purge)" "$((k0 + 1))"
	assert_equal "$(counter policy_ejections)" 0
}

@test "policy show and list print the settings in force, in text and JSON" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o" set gate=strict \
		set rebind_after_reset=yes
	assert_success
	run tsmctl policy load "$POLDIR/sev_tio.bpf.o" set gate=REBIND
	assert_success
	# loaded by bpftool: no settings given, the defaults are in force
	run bpftool struct_ops register "$POLDIR/cca.bpf.o" "$PINDIR"
	assert_success

	run --separate-stderr tsmctl -j policy show
	assert_success
	echo "$output" | jq -e '
		(.[] | select(.platform == "tdx") | .settings ==
			{"gate": "strict", "rebind_after_reset": true}) and
		(.[] | select(.platform == "sev-tio") | .settings ==
			{"gate": "rebind"}) and
		(.[] | select(.platform == "cca") | .settings ==
			{"gate": "default", "purge_keys": false})'
	run tsmctl policy show tdx
	assert_success
	assert_line --index 1 "  settings: gate=strict rebind_after_reset=true"
	run tsmctl policy show cca
	assert_line --index 1 "  settings: gate=default purge_keys=false"

	run --separate-stderr tsmctl -j policy list
	assert_success
	echo "$output" | jq -e '
		(.policies[] | select(.name == "tdx_connect") | .settings.gate == "strict") and
		(.policies[] | select(.name == "sev_tio") | .settings == {"gate": "rebind"}) and
		(.policies[] | select(.name == "cca") | .settings.purge_keys == false)'
	run tsmctl policy list
	assert_success
	assert_output --regexp 'sev_tio +[0-9]+ +[0-9]+ +gate=rebind'
	assert_output --regexp 'tdx_connect +[0-9]+ +[0-9]+ +gate=strict rebind_after_reset=true'

	# a slot on the native fallback has no settings
	tsmctl policy unload sev_tio
	retry 5 slot_is sev-tio -
	run --separate-stderr tsmctl -j policy show sev-tio
	echo "$output" | jq -e '.[0].policy == null and .[0].settings == null'
	run tsmctl policy show sev-tio
	refute_output --partial "settings:"
}

# settings_must_fail TEXT ARGS...: `tsmctl policy ARGS...` fails and says
# TEXT; no slot, generation or pin changes (load_must_fail, with settings)
settings_must_fail() {
	local text=$1 slots pins
	shift
	slots=$(cat "$SYSFS/policies")
	pins=$(ls "$PINDIR")
	run tsmctl policy "$@"
	assert_failure
	assert_output --partial "$text"
	assert_equal "$(cat "$SYSFS/policies")" "$slots"
	assert_equal "$(ls "$PINDIR")" "$pins"
}

@test "bad settings are refused with the valid ones listed; nothing is loaded or pinned" {
	tdx=$POLDIR/tdx_connect.bpf.o
	valid="settings: gate=default|strict|rebind, rebind_after_reset=true|false"
	settings_must_fail "has no setting 'gat'; $valid" load "$tdx" set gat=strict
	settings_must_fail "bad value 'lax' for setting 'gate'" load "$tdx" set gate=lax
	settings_must_fail "valid: default|strict|rebind" load "$tdx" set gate=1
	settings_must_fail "valid: true|false" load "$tdx" set rebind_after_reset=maybe
	settings_must_fail "'exit_kind' of $tdx is a variable in .bss, not a setting" \
		load "$tdx" set exit_kind=1
	settings_must_fail "setting 'gate' given twice" load "$tdx" set gate=strict set gate=rebind
	settings_must_fail "expected 'set SETTING=VALUE' at 'gate'" load "$tdx" set gate
	settings_must_fail "expected 'set SETTING=VALUE' at 'sett'" load "$tdx" sett gate=strict
	settings_must_fail "has no setting 'purge_keys'" load "$tdx" set purge_keys=true
	settings_must_fail "has no setting 'gate'; settings: it has none" \
		load "$TPOLDIR/tdx_alt.bpf.o" set gate=strict
	# the good settings before a bad one are not loaded either
	settings_must_fail "bad value" load "$POLDIR/cca.bpf.o" set gate=strict set purge_keys=2
	# JSON: one error object
	run --separate-stderr tsmctl -j policy load "$tdx" set gate=lax
	assert_failure
	echo "$output" | jq -e '.error | test("valid: default\\|strict\\|rebind")'
	run ls "$PINDIR"
	assert_output ""
	for p in tdx sev-tio cca; do
		assert_equal "$(slot $p)" -
	done
}

@test "swap with settings: the new gate answers after the swap; a bad setting changes nothing" {
	run tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	assert_success
	tdi=$(new_tdi tdx 54:00.0)
	bind_run "$tdi" "$vm"
	run tsmctl -j dev gate "$tdi" event d3hot
	echo "$output" | jq -e '.verdict == "unbind" and .by_policy'
	g0=$(tsmctl -j policy show tdx | jq '.[0].generation')

	run tsmctl policy swap tdx_connect "$POLDIR/tdx_connect.bpf.o" set gate=strict
	assert_success
	assert_equal "$(tsmctl -j policy show tdx | jq '.[0].generation')" "$((g0 + 1))"
	run tsmctl -j dev gate "$tdi" event d3hot
	echo "$output" | jq -e '.verdict == "deny" and .by_policy'
	run tsmctl -j dev gate "$tdi" event flr
	echo "$output" | jq -e '.verdict == "unbind" and .by_policy'
	run --separate-stderr tsmctl -j policy show tdx
	echo "$output" | jq -e '.[0].settings == {"gate": "strict", "rebind_after_reset": false}'

	settings_must_fail "bad value 'sometimes'" \
		swap tdx_connect "$POLDIR/tdx_connect.bpf.o" set gate=sometimes
	settings_must_fail "has no setting 'gate'" \
		swap tdx_connect "$TPOLDIR/tdx_alt.bpf.o" set gate=rebind
	settings_must_fail "expected 'set SETTING=VALUE'" \
		swap tdx_connect "$POLDIR/tdx_connect.bpf.o" gate=rebind
	run tsmctl -j dev gate "$tdi" event d3hot
	echo "$output" | jq -e '.verdict == "deny" and .by_policy'

	run tsmctl policy swap tdx_connect "$POLDIR/tdx_connect.bpf.o" set gate=rebind
	assert_success
	run tsmctl -j dev gate "$tdi" event d3hot
	echo "$output" | jq -e '.verdict == "unbind" and .by_policy'
	run tsmctl -j dev gate "$tdi" event hot_reset
	echo "$output" | jq -e '.verdict == "rebind" and .by_policy'
	assert_equal "$(tsmctl -j policy show tdx | jq -r '.[0].settings.gate')" rebind
	assert_equal "$(counter policy_ejections)" 0
}
