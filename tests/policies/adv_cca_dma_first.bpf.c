// SPDX-License-Identifier: GPL-2.0
/*
 * adv_cca_dma_first - CCA teardown that removes the SMMU entry before the memory
 *
 * The STE goes only once device memory is gone (RMI_ERROR_DEVICE_MEMORY);
 * unmap succeeds, then the unlock finds the STE (RMI_ERROR_DEVICE_DMA)
 * and the destroy a locked interface.  Returns 0: ejected (invariant,
 * missing dma_teardown).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_cca_dma_first_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_dma_teardown(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_cca_dma_first = {
	.unbind		= (void *)adv_cca_dma_first_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_cca_dma_first",
};
