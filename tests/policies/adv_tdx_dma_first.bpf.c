// SPDX-License-Identifier: GPL-2.0
/*
 * adv_tdx_dma_first - TDX teardown that removes the trusted DMA entry first
 *
 * The TDX module refuses TDH.DMAR.REMOVE on a running interface
 * (TDX_DEVIF_INVALID_STATE); the policy ignores it, stops and unmaps, and
 * the reclaim is then refused with TDX_DEVIF_HAS_MAPPED_DMA.  It returns
 * 0: ejected (invariant, missing dma_teardown).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_tdx_dma_first_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_dma_teardown(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_tdx_dma_first = {
	.unbind		= (void *)adv_tdx_dma_first_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_tdx_dma_first",
};
