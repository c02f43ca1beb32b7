// SPDX-License-Identifier: GPL-2.0
/*
 * adv_sev_reclaim_first - SEV-TIO teardown that reclaims first
 *
 * TIO_TDI_RECLAIM on a bound interface is refused
 * (SEV_TIO_INVALID_STATE); the rest of the order follows and is accepted,
 * so only the metadata is left.  Returns 0: ejected (invariant, missing
 * tdi_reclaim).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_sev_reclaim_first_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_tdi_reclaim(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_mmio_unmap(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_sev_reclaim_first = {
	.unbind		= (void *)adv_sev_reclaim_first_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_sev_reclaim_first",
};
