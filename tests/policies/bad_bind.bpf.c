// SPDX-License-Identifier: GPL-2.0
/*
 * bad_bind - a TDX bind that locks the interface and stops there
 *
 * A broken policy for the tests: bind() returns 0 without MMIO or DMA; the core must eject the policy (invariant), undo the lock and bind natively.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(half_bind, struct tsmbpf_tdi *tdi)
{
	tsmbpf_tdi_lock(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_bind = {
	.bind		= (void *)half_bind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bad_bind",
};
