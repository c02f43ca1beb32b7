// SPDX-License-Identifier: GPL-2.0
/*
 * bad_wrong_order - TDX teardown with MMIO unmapped before the stop
 *
 * A broken policy for the tests: the TDX module refuses the early unmap (TDX_DEVIF_INVALID_STATE) and then the reclaim (TDX_DEVIF_HAS_MAPPED_MMIO); the policy ignores the errors and returns 0, so the core must eject it (invariant, missing step mmio_unmap) and finish natively.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(wrong_order_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_wrong_order = {
	.unbind		= (void *)wrong_order_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bad_wrong_order",
};
