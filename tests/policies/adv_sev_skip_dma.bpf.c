// SPDX-License-Identifier: GPL-2.0
/*
 * adv_sev_skip_dma - SEV-TIO teardown that forgets the sDTE
 *
 * stop, unmap, reclaim: the reclaim is refused with SEV_TIO_DMA_IN_USE.
 * Returns 0: ejected (invariant, missing dma_teardown).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_sev_skip_dma_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_tdi_stop(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_sev_skip_dma = {
	.unbind		= (void *)adv_sev_skip_dma_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_sev_skip_dma",
};
