// SPDX-License-Identifier: GPL-2.0
/*
 * adv_cca_skip_reclaim - CCA teardown that never destroys the VDEV
 *
 * unmap, SMMU teardown, unlock, and return 0 with the firmware metadata
 * still held: ejected (invariant, missing tdi_reclaim), no firmware error.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_cca_skip_reclaim_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	return tsmbpf_tdi_stop(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_cca_skip_reclaim = {
	.unbind		= (void *)adv_cca_skip_reclaim_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_cca_skip_reclaim",
};
