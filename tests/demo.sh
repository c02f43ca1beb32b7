#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: runs in the guest.  Loads tsmbpf, attaches the three platform
# policies, binds a device interface of each platform to a confidential VM,
# and tears each down through its policy, printing what happens.
set -euo pipefail

step() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "load the core"
run insmod /opt/tsmbpf/modules/tsmbpf.ko
run insmod /opt/tsmbpf/modules/tsmbpf_emu.ko
run ls /sys/kernel/tsmbpf/

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

step "bind: lock, map private MMIO, set up trusted DMA; the guest accepts and starts"
for p in tdx sev-tio cca; do
	run tsmctl dev bind "${tdi[$p]}" vm "$vm" vbdf 00:0$((${tdi[$p]} + 1)).0 viommu tsm-no-viommu accept
done
run tsmctl dev list
run tsmctl vm destroy "$vm" || echo "(refused, as it must be: TDIs are bound)"

step "unbind: each platform's policy sequences its own teardown"
for p in tdx sev-tio cca; do
	k0=$(cat /sys/kernel/tsmbpf/kfunc_calls)
	run tsmctl dev unbind "${tdi[$p]}"
	echo "  policy made $(( $(cat /sys/kernel/tsmbpf/kfunc_calls) - k0 )) step calls"
done
run tsmctl dev show "${tdi[tdx]}"
run tsmctl stats

step "detach the policies; the native fallback takes over"
run tsmctl policy unload tdx_connect
run tsmctl policy unload sev_tio
run rm /sys/fs/bpf/tsmbpf/cca
run tsmctl dev bind "${tdi[tdx]}" vm "$vm" accept
run tsmctl dev unbind "${tdi[tdx]}"
run tsmctl -j stats
run tsmctl vm destroy "$vm"
echo
echo "demo finished"
