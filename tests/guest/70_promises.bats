#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Promises of README.md and kernel/README.md that no other suite proved
# (issue 11, item 7; tests/PROMISES.md maps every promise to its test):
# the native retry count and its -EIO, the firmware codes and rules of
# SEV-TIO and CCA not reached elsewhere, the sysfs files of a TDI, the
# limits, tsmctl's help, -p, Hint: line and devset, a multi-platform
# policy's init(), ejection, trace record, log line and exit(), the
# generation on detach and on ejection, `tsmctl policy swap` under load, a
# policy facing firmware that keeps failing, and the test ioctls without
# step_ioctl=1.

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
	T=$BATS_TEST_TMPDIR
	CYC_PID= HELD=
	vm=$(tsmctl vm create)
}

teardown() {
	if [ -n "$CYC_PID" ]; then
		kill -TERM "$CYC_PID" 2>/dev/null
		wait "$CYC_PID" 2>/dev/null
	fi
	echo 0 >/sys/kernel/tracing/events/tsmbpf/enable
	for t in $HELD; do
		echo "$t 0" >/sys/kernel/debug/tsmbpf_emu/outstanding
	done
	tsmbpf_cleanup_objects
}

# outstanding TDI 1|0: the emulated firmware holds (1) or releases (0) a
# TDISP request on TDI
outstanding() {
	echo "$1 $2" >/sys/kernel/debug/tsmbpf_emu/outstanding || return 1
	HELD+=" $1"
}

# fw_refused: the core's count of firmware refusals
fw_refused() {
	tsmctl -j stats | jq .fw_refused
}

# trace_count TEXT: lines of the trace buffer containing TEXT
trace_count() {
	grep -c -- "$1" /sys/kernel/tracing/trace || true
}

trace_count_is() {
	[ "$(trace_count "$1")" = "$2" ]
}

# ------------------------------------------------------------- retries --

@test "native steps retry 3 times: 2 injected failures pass, 3 fail with -EIO and the TDI stays bound" {
	# kernel/README.md "Native sequences retry a refused step up to 3 times"
	local plat s bdf=0x60 code
	for ps in tdx:tdi_stop sev-tio:dma_teardown cca:mmio_unmap tdx:mmio_recover; do
		plat=${ps%%:*} s=${ps#*:}
		tdi=$(new_tdi "$plat" "$(printf '%x' $bdf):00.0")
		bdf=$((bdf + 1))
		bind_run "$tdi" "$vm"
		r0=$(fw_refused)
		inject "$tdi" "$s" 2
		run tsmctl dev unbind "$tdi"
		assert_success
		assert_torn_down "$tdi"
		assert_equal "$(fw_refused)" "$((r0 + 2))"

		bind_run "$tdi" "$vm"
		r0=$(fw_refused)
		inject "$tdi" "$s" 3
		run tsmctl -j dev unbind "$tdi"
		assert_failure
		echo "$output" | jq -e '.error == "Input/output error" and
			.fw_error == "TSMBPF_FW_INJECTED" and .operation == "unbind"'
		code=$(echo "$output" | jq .fw_code)
		assert_equal "$(fw_refused)" "$((r0 + 3))"
		# still attached to its VM; reported in sysfs as well
		tdi_json "$tdi" | jq -e --argjson v "$vm" '.vm == $v'
		assert_equal "$(cat "$SYSFS/tdis/$tdi/last_fw_error")" "$(printf '%#x' "$code")"
		tsmctl -j vm show "$vm" | jq -e '.bound == 1'
		if [ "$s" != mmio_recover ]; then
			tdi_json "$tdi" | jq -e '.metadata and (.shared_mmio | not)'
		fi
		# the operator retries once the firmware lets go
		echo clear >/sys/kernel/debug/tsmbpf_emu/inject
		run tsmctl dev unbind "$tdi"
		assert_success
		assert_torn_down "$tdi"
		tsmctl dev destroy "$tdi"
	done
}

# ------------------------------------------------------ firmware rules --

@test "one outstanding TDISP request: LOCK, START, STOP refused with each platform's busy code" {
	# kernel/README.md: one TDISP request (LOCK, START, STOP) may be
	# outstanding per TDI; TDX_DEVIF_TDISP_OUT_REQ, SEV_TIO_REQUEST_PENDING,
	# RMI_ERROR_DEVICE_BUSY
	local bdf=0x68
	for pc in tdx:TDX_DEVIF_TDISP_OUT_REQ sev-tio:SEV_TIO_REQUEST_PENDING \
		cca:RMI_ERROR_DEVICE_BUSY; do
		plat=${pc%%:*} code=${pc#*:}
		tdi=$(new_tdi "$plat" "$(printf '%x' $bdf):00.0")
		bdf=$((bdf + 1))
		# LOCK, through a bind: refused, nothing left half done
		outstanding "$tdi" 1
		run tsmctl -j dev bind "$tdi" vm "$vm"
		assert_failure
		echo "$output" | jq -e --arg c "$code" '.fw_error == $c and
			.error == "Device or resource busy"'
		assert_torn_down "$tdi"
		outstanding "$tdi" 0
		run tsmctl -j dev bind "$tdi" vm "$vm"
		assert_success
		nonce=$(echo "$output" | jq -r .nonce)
		assert_step_ok "$tdi" accept
		# START
		outstanding "$tdi" 1
		assert_step_refused "$tdi" tdi_start "$code"
		outstanding "$tdi" 0
		assert_step_ok "$tdi" tdi_start nonce "$nonce"
		assert_equal "$(cat "$SYSFS/tdis/$tdi/state")" RUN
		# STOP; on CCA memory and DMA go first, and they are no TDISP
		# requests: the outstanding one does not hold them up
		outstanding "$tdi" 1
		if [ "$plat" = cca ]; then
			assert_step_ok "$tdi" mmio_unmap
			assert_step_ok "$tdi" dma_teardown
		fi
		assert_step_refused "$tdi" tdi_stop "$code"
		outstanding "$tdi" 0
		run tsmctl dev unbind "$tdi"
		assert_success
		assert_torn_down "$tdi"
	done
}

@test "SEV-TIO: reclaim waits for DMA (SEV_TIO_DMA_IN_USE); in ERROR only STOP reaches the device (SEV_TIO_TDISP_ERROR)" {
	tdi=$(new_tdi sev-tio 6c:00.0)
	bind_run "$tdi" "$vm"
	assert_step_ok "$tdi" tdi_stop
	assert_step_ok "$tdi" mmio_unmap
	assert_step_refused "$tdi" tdi_reclaim SEV_TIO_DMA_IN_USE
	assert_step_ok "$tdi" dma_teardown
	assert_step_ok "$tdi" tdi_reclaim
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"

	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_success
	nonce=$(echo "$output" | jq -r .nonce)
	assert_step_ok "$tdi" device_error
	assert_equal "$(tdi_field "$tdi" state)" ERROR
	assert_step_refused "$tdi" accept SEV_TIO_TDISP_ERROR
	run tsmctl -j dev step "$tdi" tdi_start nonce "$nonce"
	assert_failure
	echo "$output" | jq -e '.fw_error == "SEV_TIO_TDISP_ERROR"'
	assert_step_refused "$tdi" mmio_map SEV_TIO_TDISP_ERROR
	assert_step_refused "$tdi" dma_setup SEV_TIO_TDISP_ERROR
	# ERROR fenced the ASID, which a LOCK meets first
	assert_step_refused "$tdi" tdi_lock SEV_TIO_ASID_FENCED
	assert_step_ok "$tdi" tdi_stop
	assert_equal "$(tdi_field "$tdi" state)" CONFIG_UNLOCKED
	run tsmctl dev unbind "$tdi" reason error
	assert_success
	assert_torn_down "$tdi"
}

@test "CCA: in ERROR only STOP reaches the device; VDEV_UNLOCK from ERROR once memory and DMA are gone" {
	tdi=$(new_tdi cca 6d:00.0)
	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_success
	nonce=$(echo "$output" | jq -r .nonce)
	assert_step_ok "$tdi" accept
	assert_step_ok "$tdi" device_error
	assert_equal "$(tdi_field "$tdi" state)" ERROR
	run tsmctl -j dev step "$tdi" tdi_start nonce "$nonce"
	assert_failure
	echo "$output" | jq -e '.fw_error == "RMI_ERROR_DEVICE_STATE"'
	assert_step_refused "$tdi" mmio_map RMI_ERROR_DEVICE_STATE
	assert_step_refused "$tdi" dma_setup RMI_ERROR_DEVICE_STATE
	assert_step_refused "$tdi" tdi_lock RMI_ERROR_DEVICE_STATE
	# STOP is taken in ERROR, in CCA's order
	assert_step_refused "$tdi" tdi_stop RMI_ERROR_DEVICE_MEMORY
	assert_step_ok "$tdi" mmio_unmap
	assert_step_ok "$tdi" dma_teardown
	assert_step_ok "$tdi" tdi_stop
	assert_equal "$(tdi_field "$tdi" state)" CONFIG_UNLOCKED
	assert_step_ok "$tdi" tdi_reclaim
	run tsmctl dev unbind "$tdi" reason error
	assert_success
	assert_torn_down "$tdi"
}

@test "emulator knobs: stats counts calls and refusals per platform and the time latency_us really slept" {
	E=/sys/kernel/debug/tsmbpf_emu
	assert_equal "$(head -1 $E/stats)" "platform calls refused slept_ns"
	tdi=$(new_tdi cca 6b:00.0)
	read -r c0 r0 s0 < <(awk '$1 == "cca" { print $2, $3, $4 }' $E/stats)
	bind_run "$tdi" "$vm"
	assert_step_refused "$tdi" tdi_stop RMI_ERROR_DEVICE_MEMORY
	read -r c1 r1 s1 < <(awk '$1 == "cca" { print $2, $3, $4 }' $E/stats)
	# bind 3 + accept 2 + the refused stop
	assert_equal "$c1 $r1 $s1" "$((c0 + 6)) $((r0 + 1)) $s0"
	echo 1000 >$E/latency_us
	tsmctl dev unbind "$tdi"
	echo 0 >$E/latency_us
	read -r c2 r2 s2 < <(awk '$1 == "cca" { print $2, $3, $4 }' $E/stats)
	# CCA unbind: unmap, DMA, unlock, destroy, recover; 1 ms each at least
	assert_equal "$c2 $r2" "$((c1 + 5)) $r1"
	[ "$((s2 - s1))" -ge 5000000 ] || fail "slept $((s2 - s1)) ns for 5 calls of 1 ms"
	assert_torn_down "$tdi"

	# latency_spin: the same time, busy-waited on the calling CPU: the
	# task runs, so its system time (this shell's children's, in clock
	# ticks of 10 ms) grows by about as much; a sleep would add none
	assert_equal "$(cat $E/latency_spin)" N
	echo 1 >$E/latency_spin
	echo 40000 >$E/latency_us
	local me=$BASHPID	# this shell; inside $(...) it is the subshell's
	t0=$(awk '{ print $16 + $17 }' "/proc/$me/stat")
	bind_run "$tdi" "$vm"
	t1=$(awk '{ print $16 + $17 }' "/proc/$me/stat")
	echo 0 >$E/latency_us
	echo 0 >$E/latency_spin
	read -r c3 r3 s3 < <(awk '$1 == "cca" { print $2, $3, $4 }' $E/stats)
	assert_equal "$c3 $r3" "$((c2 + 5)) $r2"
	[ "$((s3 - s2))" -ge 200000000 ] || fail "spun $((s3 - s2)) ns for 5 calls of 40 ms"
	[ "$((t1 - t0))" -ge 10 ] || fail "the bind ran $((t1 - t0)) ticks for 200 ms of spinning"
	tsmctl dev unbind "$tdi"
	assert_torn_down "$tdi"
}

# -------------------------------------------------------------- sysfs --

# sysfs_matches TDI: each file of tdis/TDI says what `tsmctl -j dev show` says
sysfs_matches() {
	local d=$SYSFS/tdis/$1 j
	j=$(tdi_json "$1")
	assert_equal "$(cat "$d/platform")" "$(jq -r .platform <<<"$j")"
	assert_equal "$(cat "$d/bdf")" "$(jq -r .bdf <<<"$j")"
	assert_equal "$(cat "$d/state")" "$(jq -r .state <<<"$j")"
	assert_equal "$(cat "$d/vm")" "$(jq -r '.vm // 0' <<<"$j")"
	assert_equal "$(cat "$d/mmio_pages")" "$(jq -r .mmio_pages <<<"$j")"
	assert_equal "$(cat "$d/resources")" "$(jq -r '"metadata=\(.metadata | if . then 1 else 0 end) dma=\(.dma | if . then 1 else 0 end) shared_mmio=\(.shared_mmio | if . then 1 else 0 end) accepted=\(.accepted | if . then 1 else 0 end) fenced=\(.fenced | if . then 1 else 0 end)"' <<<"$j")"
}

@test "sysfs: tdis/<id>/ has platform, bdf, state, vm, mmio_pages, resources, last_fw_error, read-only, following the TDI" {
	tdi=$(new_tdi sev-tio 6e:03.1 2M 16K)
	d=$SYSFS/tdis/$tdi
	run ls "$d"
	assert_output "$(printf '%s\n' bdf last_fw_error mmio_pages platform resources state vm)"
	for f in bdf last_fw_error mmio_pages platform resources state vm; do
		assert_equal "$(stat -c %a "$d/$f")" 444
	done
	run sh -c "echo RUN >$d/state"
	assert_failure
	assert_equal "$(cat "$d/platform")" sev-tio
	assert_equal "$(cat "$d/bdf")" 0000:6e:03.1
	assert_equal "$(cat "$d/state")" CONFIG_UNLOCKED
	assert_equal "$(cat "$d/vm")" 0
	assert_equal "$(cat "$d/mmio_pages")" 0
	assert_equal "$(cat "$d/resources")" "metadata=0 dma=0 shared_mmio=1 accepted=0 fenced=0"
	assert_equal "$(cat "$d/last_fw_error")" 0x0
	sysfs_matches "$tdi"

	run tsmctl -j dev bind "$tdi" vm "$vm"
	assert_success
	nonce=$(echo "$output" | jq -r .nonce)
	assert_equal "$(cat "$d/state")" CONFIG_LOCKED
	assert_equal "$(cat "$d/vm")" "$vm"
	assert_equal "$(cat "$d/mmio_pages")" 516
	assert_equal "$(cat "$d/resources")" "metadata=1 dma=1 shared_mmio=0 accepted=0 fenced=0"
	sysfs_matches "$tdi"
	run tsmctl dev accept "$tdi" nonce "$nonce"
	assert_success
	assert_equal "$(cat "$d/state")" RUN
	assert_equal "$(cat "$d/resources")" "metadata=1 dma=1 shared_mmio=0 accepted=1 fenced=0"
	sysfs_matches "$tdi"
	# a refusal: the platform's code, in hex
	run tsmctl -j dev step "$tdi" mmio_unmap
	assert_failure
	code=$(echo "$output" | jq .fw_code)
	[ "$code" -gt 0 ]
	assert_equal "$(cat "$d/last_fw_error")" "$(printf '%#x' "$code")"
	# ERROR fences the ASID: fenced=1 after the unbind
	assert_step_ok "$tdi" device_error
	assert_equal "$(cat "$d/state")" ERROR
	run tsmctl dev unbind "$tdi" reason error
	assert_success
	assert_equal "$(cat "$d/state")" CONFIG_UNLOCKED
	assert_equal "$(cat "$d/vm")" 0
	assert_equal "$(cat "$d/mmio_pages")" 0
	assert_equal "$(cat "$d/resources")" "metadata=0 dma=0 shared_mmio=1 accepted=0 fenced=1"
	sysfs_matches "$tdi"
	tsmctl dev destroy "$tdi"
	[ ! -e "$d" ]
}

@test "sysfs: the counters are tsmctl stats' and move with each bind and unbind" {
	tdi=$(new_tdi tdx 6f:00.0)
	s0=$(tsmctl -j stats)
	for c in binds unbinds unbinds_native unbinds_policy unbinds_fw_fallback policy_ejections \
		fw_calls fw_refused faults spt_pages spt_kept_pages; do
		assert_equal "$(counter "$c")" "$(jq ".$c" <<<"$s0")"
	done
	assert_equal "$(counter nr_tdis)" "$(jq .tdis <<<"$s0")"
	assert_equal "$(counter nr_vms)" "$(jq .vms <<<"$s0")"
	k0=$(counter kfunc_calls)
	bind_run "$tdi" "$vm"
	tsmctl dev unbind "$tdi"
	s1=$(tsmctl -j stats)
	assert_equal "$(jq .binds <<<"$s1")" "$(($(jq .binds <<<"$s0") + 1))"
	assert_equal "$(jq .unbinds <<<"$s1")" "$(($(jq .unbinds <<<"$s0") + 1))"
	assert_equal "$(jq .unbinds_native <<<"$s1")" "$(($(jq .unbinds_native <<<"$s0") + 1))"
	# bind 3 + accept 2 + unbind 5 firmware calls on TDX
	assert_equal "$(jq .fw_calls <<<"$s1")" "$(($(jq .fw_calls <<<"$s0") + 10))"
	for c in binds unbinds unbinds_native fw_calls; do
		assert_equal "$(counter "$c")" "$(jq ".$c" <<<"$s1")"
	done
	# kfunc_calls counts a policy's steps: none natively; tdx_connect
	# makes 3 at bind and 5 at unbind
	assert_equal "$(counter kfunc_calls)" "$k0"
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	bind_run "$tdi" "$vm"
	tsmctl dev unbind "$tdi"
	assert_equal "$(counter kfunc_calls)" "$((k0 + 8))"
	assert_equal "$(counter unbinds_policy)" "$(($(jq .unbinds_policy <<<"$s1") + 1))"
}

# -------------------------------------------------------------- limits --

@test "limits: 8,191 TDIs; the 8,192nd is refused with ENOSPC" {
	# global (-g): they stay after tsmbpf_owner exits
	run tsmbpf_owner -c -g -q -p tdx -n 8191
	assert_success
	echo "$output" | jq -e '.tdis == 8191'
	assert_equal "$(counter nr_tdis)" 8191
	run tsmctl dev create platform tdx bdf 0:bf:00.0 bar 4K
	assert_failure
	assert_output "Error: too many device interfaces"	# ENOSPC
	assert_equal "$(counter nr_tdis)" 8191
	# one destroyed, one created: the id is free again
	tsmctl dev destroy 4000
	run tsmctl dev create platform tdx bdf 0:bf:00.0 bar 4K
	assert_success
	assert_output 4000
}

@test "limits: 256 bound TDIs per VM, each in its own 512 GiB window of the upper half of the GPA space" {
	run tsmbpf_fill -n 257 -b 0x70
	assert_success
	echo "$output" | jq -e '.tdis == 257 and .bound == 256 and .errno == 28'	# ENOSPC
	v=$(echo "$output" | jq .vm)
	last=$(($(echo "$output" | jq .first) + 256))
	tsmctl -j vm show "$v" | jq -e '.bound == 256'
	assert_torn_down "$last"
	run tsmctl -j dev bind "$last" vm "$v" lazy
	assert_failure
	echo "$output" | jq -e '.error | test("no room for another device interface")'
	# the windows: 512 GiB apart, all in [2^47, 2^48), none shared
	run tsmctl -j dev list
	assert_success
	echo "$output" | jq -e '[.[] | select(.vm != null) | .bars[0].gpa] |
		length == 256 and (unique | length) == 256 and
		all(. >= 140737488355328 and . < 281474976710656 and . % 549755813888 == 0)'
	# the limit is per VM
	run tsmctl dev bind "$last" vm "$vm" lazy
	assert_success
	# a window freed by an unbind is taken again
	tsmctl dev unbind "$last"
	tsmctl dev unbind "$((last - 1))"
	run tsmctl dev bind "$last" vm "$v" lazy
	assert_success
}

@test "limits: BARs of 4 KiB to 64 GiB, placed largest first and naturally aligned; 2 KiB and 128 GiB refused" {
	run tsmctl dev create platform tdx bdf 72:00.0 bar 2K
	assert_failure
	run tsmctl dev create platform tdx bdf 72:00.0 bar 128G
	assert_failure
	tdi=$(new_tdi tdx 72:00.0 4K 64G 2M)
	run tsmctl -j dev bind "$tdi" vm "$vm" lazy accept
	assert_success
	j=$(tdi_json "$tdi")
	echo "$j" | jq -e --argjson id "$tdi" '.bars | map(.size) == [4096, 68719476736, 2097152]'
	# host window id << 39; the 64 GiB BAR at its base, then 2 MiB, then 4 KiB
	echo "$j" | jq -e --argjson id "$tdi" '
		($id * 549755813888) as $h |
		.bars[1].hpa == $h and .bars[2].hpa == $h + 68719476736 and
		.bars[0].hpa == $h + 68719476736 + 2097152 and
		all(.bars[]; (.gpa % .size) == 0 and (.hpa % .size) == 0)'
	# 2 MiB leaves in the big BAR, 4 KiB in the small one
	gpa1=$(echo "$j" | jq '.bars[1].gpa')
	gpa0=$(echo "$j" | jq '.bars[0].gpa')
	run tsmctl -j dev fault "$tdi" gpa $((gpa1 + (64 << 30) - 1))
	assert_success
	echo "$output" | jq -e '.mapped == 2097152'
	run tsmctl -j dev fault "$tdi" gpa "$gpa0"
	assert_success
	echo "$output" | jq -e '.mapped == 4096'
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
}

@test "secure page table: every unmap is tracked: the block epoch advances with each unbind" {
	# kernel/README.md: unmap requires block + TLB track.  No path from
	# user space unmaps without the zap (block, track, unmap under one
	# lock); what shows is the epoch each track starts.
	tdi=$(new_tdi tdx 73:00.0 4M 16K)
	e0=$(tsmctl -j vm show "$vm" | jq .spt_epoch)
	bind_run "$tdi" "$vm"
	tsmctl -j vm show "$vm" | jq -e '.spt_leaves_2m == 2 and .spt_leaves_4k == 4'
	assert_equal "$(tsmctl -j vm show "$vm" | jq .spt_epoch)" "$e0"
	tsmctl dev unbind "$tdi"
	e1=$(tsmctl -j vm show "$vm" | jq .spt_epoch)
	[ "$e1" -gt "$e0" ] || fail "epoch $e0 -> $e1 over an unbind"
	tsmctl -j vm show "$vm" | jq -e '.spt_leaves_2m == 0 and .spt_leaves_4k == 0'
	# nothing mapped (lazy, no fault): the epoch still advances
	tsmctl dev bind "$tdi" vm "$vm" lazy accept >/dev/null
	tsmctl dev unbind "$tdi"
	e2=$(tsmctl -j vm show "$vm" | jq .spt_epoch)
	[ "$e2" -gt "$e1" ] || fail "epoch $e1 -> $e2 over an unbind with nothing mapped"
}

@test "secure page table: an unmap is refused unless every leaf is blocked and tracked since (debugfs spt_check)" {
	# the rule itself, on a private table through the core's API
	run cat /sys/kernel/debug/tsmbpf/spt_check
	assert_success
	refute_output --partial "not ok"
	assert_output --partial "ok - unmap of 512 4 KiB leaves blocked, not tracked since: EBUSY"
	assert_output --partial "ok - unmap of a 2 MiB leaf not blocked: EBUSY"
	assert_output --partial "ok - unmap of leaf 1: its table page was blocked since the track: EBUSY"
	assert_output --partial "ok - unmap of the 4, 2 not blocked: EBUSY"
	assert_equal "${lines[-1]}" "$((${#lines[@]} - 1)) passed, 0 failed"
}

# -------------------------------------------------------------- tsmctl --

@test "tsmctl help and OBJECT help list every command the READMEs use" {
	run tsmctl help
	assert_success
	assert_output --partial "OBJECT := { policy | vm | dev | stats | trace | top | serve }"
	help=$output
	run tsmctl -h
	assert_success
	assert_equal "$output" "$help"
	declare -A cmds=(
		[policy]="load list swap unload show"
		[vm]="create destroy show"
		[dev]="create destroy list show bind accept unbind fault map step gate"
		[stats]="steps"
		[trace]="" [top]="" [serve]=""
	)
	for obj in "${!cmds[@]}"; do
		run tsmctl "$obj" help
		assert_success
		assert_output --partial "Usage:"
		for c in ${cmds[$obj]}; do
			echo "$output" | grep -qE "tsmctl $obj $c( |$)" ||
				fail "'tsmctl $obj help' does not list '$c'"
		done
	done
	run tsmctl dev frobnicate
	assert_failure
	assert_output --partial "unknown command 'frobnicate'; try 'tsmctl dev help'"
	run tsmctl frobnicate
	assert_failure
	assert_output --partial "unknown object 'frobnicate'; try 'tsmctl help'"
}

@test "tsmctl -p: the -j JSON, pretty-printed" {
	tdi=$(new_tdi tdx 74:00.0)
	run tsmctl -j dev show "$tdi"
	assert_success
	compact=$output
	assert_equal "$(echo "$compact" | wc -l)" 1
	run tsmctl -p dev show "$tdi"
	assert_success
	[ "$(echo "$output" | wc -l)" -gt 5 ] || fail "not pretty: $output"
	assert_equal "$(echo "$output" | jq -cS .)" "$(echo "$compact" | jq -cS .)"
	run tsmctl --pretty stats
	assert_success
	[ "$(echo "$output" | wc -l)" -gt 5 ]
	echo "$output" | jq -e '.binds >= 0'
}

@test "a firmware refusal names the platform's code and a Hint: line, as in the README" {
	tdi=$(new_tdi tdx 75:00.0)
	bind_run "$tdi" "$vm"
	run tsmctl dev step "$tdi" mmio_unmap
	assert_failure
	assert_line "Error: mmio_unmap: Operation not permitted: firmware returned TDX_DEVIF_INVALID_STATE (0x100)"
	assert_line "Hint: stop the interface (tdi_stop) before unmapping MMIO or reclaiming"
	run tsmctl -j dev step "$tdi" mmio_unmap
	assert_failure
	echo "$output" | jq -e '.fw_code == 256 and
		.hint == "stop the interface (tdi_stop) before unmapping MMIO or reclaiming"'
	# each platform's hint says what fixes it
	t2=$(new_tdi cca 75:00.1)
	bind_run "$t2" "$vm"
	run tsmctl dev step "$t2" tdi_stop
	assert_failure
	assert_line --partial "firmware returned RMI_ERROR_DEVICE_MEMORY"
	assert_line "Hint: unmap all device memory (mmio_unmap) before RMI_VDEV_UNLOCK"
}

@test "devset: dev create ... devset N is kept and shown; 0 by default; bad values refused" {
	run tsmctl dev create platform tdx bdf 0000:3a:00.0 bar 64M bar 16K devset 1
	assert_success
	tdi=$output
	assert_equal "$(tdi_field "$tdi" devset)" 1
	run tsmctl dev show "$tdi"
	assert_output --partial "devset 1"
	t2=$(new_tdi tdx 3a:00.1)
	assert_equal "$(tdi_field "$t2" devset)" 0
	run tsmctl dev create platform tdx bdf 3a:00.2 bar 4K devset x
	assert_failure
	assert_output --partial "invalid devset 'x'"
	run tsmctl -j dev list
	echo "$output" | jq -e --argjson t "$tdi" 'map(select(.id == $t or .tdi == $t))[0].devset == 1'
}

@test "tsmctl dev gate asks the gate without acting" {
	tdi=$(new_tdi tdx 76:00.0)
	bind_run "$tdi" "$vm"
	before=$(tdi_json "$tdi")
	for e in flr reset mse_clear d3hot close vm_destroy; do
		run tsmctl -j dev gate "$tdi" event "$e"
		assert_success
		echo "$output" | jq -e '.verdict == "unbind"'
	done
	assert_equal "$(tdi_json "$tdi")" "$before"
	assert_equal "$(cat "$SYSFS/tdis/$tdi/state")" RUN
}

# ------------------------------------------------------------ policies --

@test "a three-platform policy: init() once at attach; its ejection clears every slot, with a tsmbpf_eject record, a log line and one exit()" {
	T_=/sys/kernel/tracing
	echo >$T_/trace
	echo 1 >$T_/events/tsmbpf/tsmbpf_eject/enable
	g0=$(counter generation)
	run tsmctl policy load "$TPOLDIR/prom_multi.bpf.o"
	assert_success
	g1=$(counter generation)
	assert_equal "$g1" "$((g0 + 1))"	# one attach, one generation, three slots
	for p in tdx sev-tio cca; do
		assert_equal "$(slot "$p")" prom_multi
		assert_equal "$(tsmctl -j policy show "$p" | jq '.[0].generation')" "$g1"
	done
	assert_equal "$(trace_count 'tsmbpf-test prom_multi init')" 1

	tdi=$(new_tdi cca 77:00.0)
	bind_run "$tdi" "$vm"	# no bind(): native
	e0=$(counter policy_ejections)
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(counter policy_ejections)" "$((e0 + 1))"
	assert_equal "$(counter generation)" "$((g1 + 1))"
	for p in tdx sev-tio cca; do
		assert_equal "$(slot "$p")" -
		exit_record "$p" | jq -e --argjson t "$tdi" --argjson g "$g1" \
			'.policy == "prom_multi" and .kind == "error" and
			.callback == "unbind" and .tdi == $t and .generation == $g and
			(.msg | contains("prom_multi refuses unbind, reason 0"))'
	done
	# the trace record and the log line
	assert_equal "$(trace_count "tsmbpf_eject: policy=prom_multi gen=$g1 plat=cca tdi=$tdi bdf=0000:77:00.0 kind=2")" 1
	run sh -c "dmesg | grep -c \"policy 'prom_multi' (generation $g1) ejected: error in unbind() on tdi $tdi, ret 0, step 7, fw 0x0: prom_multi refuses unbind, reason 0\""
	assert_output 1
	exit_record cca | jq -e '.missing_step == "mmio_unmap"'	# step 7
	# exit() once, with kind error (2), from the deferred work
	run retry 5 trace_count_is 'tsmbpf-test prom_multi exit kind 2' 1
	assert_success
	assert_equal "$(trace_count 'tsmbpf-test prom_multi exit')" 1
	# the link stays until the operator removes it; the platforms run native
	[ -e "$PINDIR/prom_multi" ]
	n0=$(counter unbinds_native)
	t2=$(new_tdi sev-tio 77:00.1)
	bind_run "$t2" "$vm"
	tsmctl dev unbind "$t2"
	assert_equal "$(counter unbinds_native)" "$((n0 + 1))"
	run tsmctl policy unload prom_multi
	assert_success
	sleep 0.5
	assert_equal "$(trace_count 'tsmbpf-test prom_multi exit')" 1
}

@test "generations: a detach bumps the generation, and the tsmbpf_policy_detach record carries it" {
	T_=/sys/kernel/tracing
	echo >$T_/trace
	echo 1 >$T_/events/tsmbpf/tsmbpf_policy_detach/enable
	tsmctl policy load "$POLDIR/cca.bpf.o"
	g1=$(counter generation)
	run tsmctl policy unload cca
	assert_success
	assert_equal "$(counter generation)" "$((g1 + 1))"
	assert_equal "$(trace_count "tsmbpf_policy_detach: plat=cca policy=cca gen=$((g1 + 1))")" 1
	# bpftool's way (unpinning the link) too
	run bpftool struct_ops register "$POLDIR/sev_tio.bpf.o" "$PINDIR"
	assert_success
	g2=$(counter generation)
	rm "$PINDIR/sev_tio"
	run retry 5 slot_is sev-tio -
	assert_success
	assert_equal "$(counter generation)" "$((g2 + 1))"
}

@test "tsmctl policy swap under a 16-TDI cycle load: no failure, no ejection, no native unbind, one generation per swap" {
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	g0=$(counter generation)
	e0=$(counter policy_ejections)
	n0=$(counter unbinds_native)
	tsmbpf_cycle -p tdx -n 16 -i 0 -b 0x78 -q >"$T/cycle.json" 2>"$T/cycle.err" &
	CYC_PID=$!
	sleep 1
	cur=tdx_connect
	for i in $(seq 1 6); do
		if [ "$cur" = tdx_connect ]; then
			run tsmctl policy swap tdx_connect "$TPOLDIR/tdx_alt.bpf.o"
			cur=tdx_alt
		else
			run tsmctl policy swap tdx_alt "$POLDIR/tdx_connect.bpf.o"
			cur=tdx_connect
		fi
		assert_success
	done
	u0=$(counter unbinds_policy)
	sleep 0.5
	kill -TERM "$CYC_PID"
	wait "$CYC_PID"
	CYC_PID=
	cat "$T/cycle.json" "$T/cycle.err"
	jq -e '.cycles > 0 and .failures == 0 and .not_torn_down == 0' "$T/cycle.json"
	[ "$(counter unbinds_policy)" -ge "$u0" ]
	assert_equal "$(counter generation)" "$((g0 + 6))"
	assert_equal "$(counter policy_ejections)" "$e0"
	assert_equal "$(counter unbinds_native)" "$n0"
	assert_equal "$(slot tdx)" tdx_connect
}

@test "a policy whose firmware keeps failing during unbind: the unbind fails with -EIO, the TDI stays bound, the policy stays, a retry completes it" {
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	gen=$(cat "$SYSFS/generation")
	tdi=$(new_tdi tdx 79:00.0)
	bind_run "$tdi" "$vm"
	before=$(tdi_json "$tdi" | jq -c 'del(.last_fw_error)')
	r0=$(fw_refused)
	f0=$(counter unbinds_fw_fallback)
	e0=$(counter policy_ejections)
	inject "$tdi" tdi_stop 100
	run tsmctl -j dev unbind "$tdi"
	assert_failure
	echo "$output" | jq -e '.error == "Input/output error" and .fw_error == "TSMBPF_FW_INJECTED"'
	# nothing half done: the TDI is as it was, bound and running
	assert_equal "$(tdi_json "$tdi" | jq -c 'del(.last_fw_error)')" "$before"
	tsmctl -j vm show "$vm" | jq -e '.bound == 1'
	# the policy's try, then the native sequence's three
	assert_equal "$(fw_refused)" "$((r0 + 4))"
	# the policy passed the firmware's -EIO on (TSMBPF_TRY): the firmware
	# failed, not the policy, which stays attached, generation unchanged
	assert_equal "$(slot tdx)" tdx_connect
	assert_equal "$(cat "$SYSFS/generation")" "$gen"
	assert_equal "$(counter policy_ejections)" "$e0"
	assert_equal "$(counter unbinds_fw_fallback)" "$((f0 + 1))"
	echo clear >/sys/kernel/debug/tsmbpf_emu/inject
	p0=$(counter unbinds_policy)
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(counter unbinds_policy)" "$((p0 + 1))"
}

@test "a policy meeting one transient firmware refusal in unbind stays attached; the native sequence finishes" {
	tsmctl policy load "$POLDIR/tdx_connect.bpf.o"
	local s
	for s in tdi_stop mmio_unmap; do
		tdi=$(new_tdi tdx 7b:00.0)
		bind_run "$tdi" "$vm"
		r0=$(fw_refused)
		f0=$(counter unbinds_fw_fallback)
		n0=$(counter unbinds_native)
		e0=$(counter policy_ejections)
		inject "$tdi" "$s" 1
		run tsmctl dev unbind "$tdi"
		assert_success
		assert_torn_down "$tdi"
		assert_equal "$(fw_refused)" "$((r0 + 1))"
		assert_equal "$(counter unbinds_fw_fallback)" "$((f0 + 1))"
		assert_equal "$(counter unbinds_native)" "$((n0 + 1))"
		assert_equal "$(counter policy_ejections)" "$e0"
		assert_equal "$(slot tdx)" tdx_connect
		tsmctl dev destroy "$tdi"
	done
	tsmctl policy unload tdx_connect
	# a refusal for a broken rule (-EPERM) is the policy's fault: CCA's
	# order on TDX, with TSMBPF_TRY, gives up at the refused unmap: ejected
	tsmctl policy load "$TPOLDIR/adv_tdx_try_unmap_first.bpf.o"
	tdi=$(new_tdi tdx 7b:00.0)
	bind_run "$tdi" "$vm"
	f0=$(counter unbinds_fw_fallback)
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	assert_equal "$(counter unbinds_fw_fallback)" "$f0"
	assert_equal "$(slot tdx)" -
	exit_record tdx | jq -e '.policy == "adv_tdx_try_unmap_first" and .kind == "invariant" and
		.missing_step == "tdi_stop"'
	tsmctl policy unload adv_tdx_try_unmap_first
}

# ------------------------------------------------- the test interface --

@test "without step_ioctl=1 the test ioctls (dev step, dev gate) are refused with EPERM and change nothing" {
	tsmbpf_unload_all
	insmod "$MODDIR/tsmbpf.ko"
	insmod "$MODDIR/tsmbpf_emu.ko"
	assert_equal "$(cat /sys/module/tsmbpf/parameters/step_ioctl)" N
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 7a:00.0)
	bind_run "$tdi" "$vm"
	before=$(tdi_json "$tdi")
	c0=$(counter fw_calls)
	run tsmctl dev step "$tdi" tdi_stop
	assert_failure
	assert_output "Error: single steps need tsmbpf.ko loaded with step_ioctl=1"
	run tsmctl dev gate "$tdi" event flr
	assert_failure
	assert_output "Error: the gate test entry needs tsmbpf.ko loaded with step_ioctl=1"
	assert_equal "$(tdi_json "$tdi")" "$before"
	assert_equal "$(counter fw_calls)" "$c0"
	# the rest of the uAPI works
	run tsmctl dev unbind "$tdi"
	assert_success
	assert_torn_down "$tdi"
	# and with step_ioctl=1 the same step runs
	tsmbpf_load_core
	vm=$(tsmctl vm create)
	tdi=$(new_tdi tdx 7a:00.0)
	bind_run "$tdi" "$vm"
	assert_equal "$(cat /sys/module/tsmbpf/parameters/step_ioctl)" Y
	assert_step_ok "$tdi" tdi_stop
}
