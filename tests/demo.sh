#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: runs in the guest.  Loads tsmbpf and the emulated platform
# firmware, attaches the three platform policies, binds a device interface
# of each platform to a confidential VM and tears each down through its
# policy; shows a firmware refusal, a broken policy being ejected while the
# core finishes its job, the secure page table's fault path, and the trace
# timeline.  Then the real VFIO paths on the guest's PCIe functions: a
# function on the vfio-pci variant driver attached as a TDI, D3hot denied
# under gate=strict, an FLR under the default gate (unbind first) and under
# gate=rebind (bound again, CONFIG_LOCKED), a hot reset of the two-function
# set, SIGBUS on a stale BAR mapping while bound, and the private MMIO as a
# dma-buf imported into the VM's secure page table, revoked by the unbind
# and usable again after mmio_recover; the functions end back on
# virtio-pci.
set -euo pipefail

step() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
T=/sys/kernel/tracing

step "load the core (with its single-step test interface) and the emulated firmware"
run insmod /opt/tsmbpf/modules/tsmbpf.ko step_ioctl=1
run insmod /opt/tsmbpf/modules/tsmbpf_emu.ko
run ls /sys/kernel/tsmbpf/
for e in tsmbpf_step tsmbpf_bind tsmbpf_unbind tsmbpf_eject; do
	echo 1 >$T/events/tsmbpf/$e/enable
done

step "attach the platform policies (tsmctl for two, plain bpftool for one)"
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o
run tsmctl policy load /opt/tsmbpf/policies/sev_tio.bpf.o
mkdir -p /sys/fs/bpf/tsmbpf
run bpftool struct_ops register /opt/tsmbpf/policies/cca.bpf.o /sys/fs/bpf/tsmbpf
run tsmctl policy list
run bpftool struct_ops show

step "a confidential VM and one device interface per platform"
vm=$(tsmctl vm create)
echo "vm $vm"
declare -A tdi
tdi[tdx]=$(tsmctl dev create platform tdx bdf 0000:3a:00.0 bar 64M bar 16K devset 1)
tdi[sev-tio]=$(tsmctl dev create platform sev-tio bdf 0000:3b:00.0 bar 1G devset 2)
tdi[cca]=$(tsmctl dev create platform cca bdf 0000:3c:00.0 bar 2M bar 4K devset 3)
run tsmctl dev list

step "bind: the policies lock, map private MMIO and set up trusted DMA; the guest accepts"
n=1
for p in tdx sev-tio cca; do
	run tsmctl dev bind "${tdi[$p]}" vm "$vm" vbdf 00:0$n.0 viommu tsm-no-viommu accept
	n=$((n + 1))
done
run tsmctl dev list
run tsmctl dev show "${tdi[tdx]}"
run tsmctl vm show "$vm"
run tsmctl vm destroy "$vm" || echo "(refused, as TDX requires: TDIs are still bound)"
run tsmctl dev bind "${tdi[cca]}" vm "$vm" viommu smmuv3 || true

step "the firmware enforces its order: unmapping TDX MMIO before the stop"
run tsmctl dev step "${tdi[tdx]}" mmio_unmap || echo "(refused; the TDI is unchanged)"

step "unbind: each platform's policy sequences its own teardown"
for p in tdx sev-tio cca; do
	k0=$(cat /sys/kernel/tsmbpf/kfunc_calls)
	run tsmctl dev unbind "${tdi[$p]}"
	echo "  the policy made $(($(cat /sys/kernel/tsmbpf/kfunc_calls) - k0)) firmware step calls"
done
run tsmctl dev show "${tdi[cca]}"

step "a broken policy: TDX teardown in the wrong order is ejected, the core finishes natively"
run tsmctl policy unload tdx_connect
run tsmctl policy load /opt/tsmbpf/tests/policies/bad_wrong_order.bpf.o
run tsmctl dev bind "${tdi[tdx]}" vm "$vm" accept
run tsmctl dev unbind "${tdi[tdx]}"
run tsmctl policy show tdx
run tsmctl -j dev show "${tdi[tdx]}"
run tsmctl policy unload bad_wrong_order

step "swap a running policy atomically"
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o
run tsmctl policy swap tdx_connect /opt/tsmbpf/tests/policies/tdx_alt.bpf.o
run cat /sys/kernel/tsmbpf/policies

step "the secure page table fast path: lazy bind, one fault maps one 2 MiB block"
run tsmctl dev bind "${tdi[sev-tio]}" vm "$vm" lazy accept
gpa=$(tsmctl -j dev show "${tdi[sev-tio]}" | jq -r '.bars[0].gpa')
run tsmctl dev fault "${tdi[sev-tio]}" gpa "$(printf '%#x' $((gpa + 0x1234)))"
run tsmctl dev map "${tdi[sev-tio]}" bar 0 offset 4M size 8K 4k
run tsmctl vm show "$vm"
run tsmctl dev unbind "${tdi[sev-tio]}"
run tsmctl vm show "$vm"

step "the timeline: every record carries the generation of the policy it ran under"
grep -E 'tsmbpf_(unbind|bind|eject)' $T/trace | tail -8 | sed 's/^ *//'
echo 0 >$T/tracing_on

step "counters, and firmware calls per platform and step"
run tsmctl stats
run tsmctl stats steps
for p in /sys/fs/bpf/tsmbpf/*; do
	tsmctl policy unload "$(basename "$p")" >/dev/null
done
for p in tdx sev-tio cca; do
	tsmctl dev destroy "${tdi[$p]}"
done
run tsmctl vm destroy "$vm"

# ------------------------------------------------------ real VFIO paths --
#
# The guest's own PCIe functions (README "The guest machine"), on the
# vfio-pci variant driver, attached as TDIs and driven by tsmbpf_vmm, a VMM
# stand-in on the real VFIO uAPI.  The helpers (pci_bind_driver, vmm_start,
# vmm_continue, vmm_stop) are the guest suites' own.
source /opt/tsmbpf/tests/test_helper/common-setup.bash
BAR=4 NUM_QUEUES=0x12 # the virtio modern BAR; num_queues in its common config

# vmm_show: print what the held vmm printed since the last call (the lines
# of its holds left out)
VMM_SHOWN=0
vmm_filter() {
	grep -Ev '^ready$|hold: ok' | sed 's/^/  vmm| /' || true
}
vmm_show() {
	local n
	n=$(wc -l <"$VMM_OUT")
	sed -n "$((VMM_SHOWN + 1)),${n}p" "$VMM_OUT" | vmm_filter
	VMM_SHOWN=$n
}
# vmm ARGS...: start tsmbpf_vmm ARGS in the background; it opens the
# functions (vfio-pci-core resets each at open, so this comes before the
# bind), runs the actions up to its first hold and waits there
vmm() {
	echo "# the vmm opens the function(s) (before the bind: vfio-pci-core resets each at open), maps the BARs, waits"
	printf '$ tsmbpf_vmm %s &\n' "$*"
	VMM_SHOWN=0
	vmm_start "$@"
	vmm_show
}
# vmm_next: let the held vmm run its actions up to the next hold
vmm_next() {
	echo "(the vmm goes on)"
	vmm_continue
	vmm_show
}
# vmm_end: the vmm runs its last actions and closes the device (QEMU's
# exit); it fails the demo unless every action did what was asked
vmm_end() {
	echo "(the vmm closes the device and exits)"
	local rc=0
	vmm_stop >/dev/null || rc=$?
	printf '%s\n' "$VMM_OUTPUT" | sed -n "$((VMM_SHOWN + 1)),\$p" | vmm_filter
	[ "$rc" = 0 ] || echo "tsmbpf_vmm exited with status $rc: an action did not do what was asked" >&2
	return "$rc"
}
# state TDI...: each TDI's TDISP state and VM, in one line
state() {
	local t
	for t in "$@"; do
		tsmctl -j dev show "$t" | jq -r '"  tdi \(.tdi) \(.bdf): \(.state), vm \(.vm // "none"), host access \(.host_access)"'
	done
}

step "real PCI functions on the vfio-pci variant driver tsmbpf_vfio_pci"
run insmod /opt/tsmbpf/modules/tsmbpf_vfio_pci.ko
for bdf in "${PCI_TEST_FNS[@]}"; do
	printf '$ echo tsmbpf_vfio_pci >%s/%s/driver_override; echo %s >/sys/bus/pci/drivers_probe\n' \
		"$PCI_SYSFS" "$bdf" "$bdf"
	pci_bind_driver "$bdf" tsmbpf_vfio_pci
	echo "  $bdf: driver $(pci_driver "$bdf"), IOMMU group $(pci_group "$bdf")"
done
vm=$(tsmctl vm create)
echo "vm $vm"
echo "# the lone function becomes a TDI: its BARs are the function's memory BARs"
fn=$PCI_LONE_FN
run tsmctl dev create platform tdx pci "$fn"
t=$(tsmctl -j dev list | jq -r --arg b "$fn" '.[] | select(.bdf == $b) | .tdi')
run tsmctl dev show "$t"

step "gate=strict: D3hot of a bound TDI's function is denied, the TDI stays in RUN"
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o set gate=strict
run tsmctl policy show tdx
vmm "$fn" hold '!d3hot' hold
run tsmctl dev bind "$t" vm "$vm" accept
vmm_next
echo "# the PMCSR write went through without its power state bits:"
run cat "$PCI_SYSFS/$fn/power_state"
state "$t"
vmm_end
echo "# closing the device cannot be refused: the policy unbound the TDI first"
state "$t"
run tsmctl policy unload tdx_connect

step "the default gate: an FLR of a bound TDI's function; the policy unbinds first, then the FLR"
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o
vmm "$fn" "read-bar $BAR $NUM_QUEUES 2" hold flr hold
run tsmctl dev bind "$t" vm "$vm" accept
state "$t"
vmm_next
echo "# the policy's unbind ran before the FLR: the TDI is unbound, its BARs the host's again"
state "$t"
vmm_end
run tsmctl policy unload tdx_connect

step "gate=rebind: the FLR, then the TDI is bound again, waiting in CONFIG_LOCKED for the guest's accept"
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o set gate=rebind
vmm "$fn" hold flr hold
run tsmctl dev bind "$t" vm "$vm" accept
state "$t"
vmm_next
echo "# unbound, reset, bound again: the guest has to accept the TDI anew"
state "$t"
vmm_end
echo "# the close unbinds it"
state "$t"
run tsmctl policy unload tdx_connect

step "a hot reset of the two-function set: the gate, run from the issuing function, unbinds both TDIs first"
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o
run tsmctl dev create platform tdx pci "$PCI_SET_FN0"
run tsmctl dev create platform tdx pci "$PCI_SET_FN1"
ids=$(tsmctl -j dev list)
t0=$(jq -r --arg b "$PCI_SET_FN0" '.[] | select(.bdf == $b) | .tdi' <<<"$ids")
t1=$(jq -r --arg b "$PCI_SET_FN1" '.[] | select(.bdf == $b) | .tdi' <<<"$ids")
vmm "$PCI_SET_FN0,$PCI_SET_FN1" hold hot-reset hold
run tsmctl dev bind "$t0" vm "$vm" accept
run tsmctl dev bind "$t1" vm "$vm" accept
state "$t0" "$t1"
vmm_next
echo "# one ioctl from $PCI_SET_FN0 reset both functions; both TDIs were unbound before it"
state "$t0" "$t1"
vmm_end

step "private MMIO: a stale BAR mapping gets SIGBUS while bound, the same mapping reads again after unbind"
vmm "$fn" "read-bar $BAR $NUM_QUEUES 2" hold "!read-bar $BAR $NUM_QUEUES 2" "!mmap $BAR" hold \
	"read-bar $BAR $NUM_QUEUES 2" hold
run tsmctl dev bind "$t" vm "$vm" accept
echo "# the bind zapped the vmm's BAR mappings: a read of the old one faults, a new mmap is refused"
vmm_next
run tsmctl dev unbind "$t"
echo "# unbound: the same mapping faults in again"
vmm_next
vmm_end

step "private MMIO as a dma-buf: exported through VFIO, imported into the VM's secure page table, revoked by the unbind"
run tsmctl policy unload tdx_connect
echo "# VFIO_DEVICE_FEATURE_DMA_BUF (the upstream uAPI) exports BAR $BAR; the vmm binds the TDI to its own"
echo "# VM, imports the buffer at GPA 0x100000000 (TSMBPF_MMIO_IMPORT) and the guest accepts both"
vmm "$fn" "dmabuf-export $BAR" 'tdi-bind tdx noaccept' 'dmabuf-import 0x100000000' tdi-accept \
	vm-info hold '!tdi-unbind keep' vm-info '!dmabuf-import 0x200000000' "!mmap $BAR" hold \
	tdi-unbind 'tdi-bind tdx' 'dmabuf-import 0x100000000' vm-info hold tdi-unbind
echo "# the firmware will refuse mmio_recover: the unbind stops after mmio_unmap, the buffer revoked"
run tsmctl vm list
echo "$t mmio_recover 3" >/sys/kernel/debug/tsmbpf_emu/inject
vmm_next
echo "# dma_buf_move_notify() made the importer drop its 4 entries; the buffer refuses attachments (ENODEV)"
echo "# until mmio_recover. The unbind again: recovered, and the same buffer imports into a new VM"
vmm_next
run tsmctl vm list
vmm_end

step "clean up: the TDIs and the VM go, the functions go back to virtio-pci"
for x in "$t" "$t0" "$t1"; do
	tsmctl dev destroy "$x"
done
run tsmctl vm destroy "$vm"
for bdf in "${PCI_TEST_FNS[@]}"; do
	printf '$ echo virtio-pci >%s/%s/driver_override; echo %s >/sys/bus/pci/drivers_probe\n' \
		"$PCI_SYSFS" "$bdf" "$bdf"
	pci_bind_driver "$bdf" virtio-pci
	echo "  $bdf: driver $(pci_driver "$bdf")"
done
run rmmod tsmbpf_vfio_pci
step "latency: where the time goes per platform and step (tsmctl top), and a timeline for Perfetto"
echo "# tsmctl top and tsmctl trace attach the tracing programs for as long as they run;"
echo "# bind/accept/unbind cycles on each platform meanwhile (TDX under its policy, the others native)"
# lat_attached PROG: a tracing program of that name is loaded (top's
# histograms run lat_oplog; lat_host_event is loaded by the timeline only)
lat_attached() {
	local i
	for ((i = 0; i < 300; i++)); do
		bpftool -j prog show | jq -e --arg p "$1" 'any(.[]; .name == $p)' >/dev/null && return 0
		sleep 0.1
	done
	echo "demo: $1 was not loaded in 30 s" >&2
	return 1
}
PERFETTO=/tmp/tsmbpf-demo.perfetto.json
tsmctl top --once -d 15 >/tmp/demo-top.txt &
top_pid=$!
lat_attached lat_oplog
tsmctl trace --perfetto "$PERFETTO" >/dev/null &
trace_pid=$!
lat_attached lat_host_event
run tsmctl policy load /opt/tsmbpf/policies/tdx_connect.bpf.o set gate=strict
bus=0x60
for p in tdx sev-tio cca; do
	run tsmbpf_cycle -p "$p" -n 4 -i 5 -b "$bus" -q
	bus=$(printf '0x%x' $((bus + 1)))
done
echo '$ tsmctl top --once -d 15'
wait "$top_pid"
cat /tmp/demo-top.txt
kill -INT "$trace_pid"
wait "$trace_pid"
run tsmctl policy unload tdx_connect
echo "# the Perfetto trace: one track per TDI, each step a slice"
jq -r '[.traceEvents[] | select(.ph == "X")] | "\(length) slices on \(map(.tid) | unique | length) tracks"' "$PERFETTO"
# to the host: make demo writes it to build/demo.perfetto.json
echo TSMBPF-PERFETTO-BEGIN
gzip -c "$PERFETTO" | base64
echo TSMBPF-PERFETTO-END
tsmbpf_assert_clean # no TDI, VM or policy left (says what, and fails, otherwise)
echo
echo "demo finished"
