// SPDX-License-Identifier: GPL-2.0
/*
 * adv_sev_unmap_then_dma - SEV-TIO teardown in its other valid order
 *
 * A valid policy: after the stop SEV-TIO takes the MMIO and the sDTE back
 * in either order; this one unmaps first (sev_tio.bpf.c tears DMA down
 * first).  Harmless: the policy unbinds, nothing is ejected.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_sev_unmap_then_dma_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_sev_unmap_then_dma = {
	.unbind		= (void *)adv_sev_unmap_then_dma_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_sev_unmap_then_dma",
};
