// SPDX-License-Identifier: GPL-2.0
/*
 * adv_extra_foreign_tdx - correct TDX teardown, then other platforms' steps
 *
 * key_purge (CCA) and fence_clear (SEV-TIO) after the teardown: TDX has
 * no such calls and refuses them (TDX_DEVIF_INVALID_STATE).  Harmless.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_extra_foreign_tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	tsmbpf_key_purge(tdi);
	tsmbpf_fence_clear(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_extra_foreign_tdx = {
	.unbind		= (void *)adv_extra_foreign_tdx_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_extra_foreign_tdx",
};
