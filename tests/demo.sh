#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: runs in the guest.  Loads tsmbpf and the emulated platform
# firmware, attaches the three platform policies, binds a device interface
# of each platform to a confidential VM and tears each down through its
# policy; shows a firmware refusal, a broken policy being ejected while the
# core finishes its job, the secure page table's fault path, and the trace
# timeline.
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
echo
echo "demo finished"
