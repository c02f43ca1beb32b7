// SPDX-License-Identifier: GPL-2.0
/*
 * adv_sev_unmap_first - SEV-TIO teardown that unmaps MMIO before TIO_TDI_UNBIND
 *
 * The RMP entries of bound MMIO are immutable (SEV_TIO_RMP_IMMUTABLE), so
 * the unmap is refused and the reclaim after it too
 * (SEV_TIO_MMIO_IN_USE).  Returns 0: ejected (invariant, missing
 * mmio_unmap).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_sev_unmap_first_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_sev_unmap_first = {
	.unbind		= (void *)adv_sev_unmap_first_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_sev_unmap_first",
};
