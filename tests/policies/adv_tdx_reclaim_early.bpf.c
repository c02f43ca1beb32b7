// SPDX-License-Identifier: GPL-2.0
/*
 * adv_tdx_reclaim_early - TDX teardown that reclaims before unmapping
 *
 * stop, reclaim (refused: TDX_DEVIF_HAS_MAPPED_MMIO), unmap, DMA
 * teardown, return 0: the metadata is never reclaimed; ejected
 * (invariant, missing tdi_reclaim).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_tdx_reclaim_early_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_tdi_stop(tdi);
	tsmbpf_tdi_reclaim(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_dma_teardown(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_tdx_reclaim_early = {
	.unbind		= (void *)adv_tdx_reclaim_early_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_tdx_reclaim_early",
};
