// SPDX-License-Identifier: GPL-2.0
/*
 * adv_extra_repeat_sev - correct SEV-TIO teardown, then every step once more
 *
 * The repeated stop, DMA teardown and reclaim are refused
 * (SEV_TIO_INVALID_STATE), the repeated unmap and recover find nothing to
 * do.  The TDI stays torn down: harmless, the policy is not ejected.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_extra_repeat_sev_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	TSMBPF_TRY(tsmbpf_mmio_recover, tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_reclaim(tdi);
	tsmbpf_mmio_recover(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_extra_repeat_sev = {
	.unbind		= (void *)adv_extra_repeat_sev_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_extra_repeat_sev",
};
