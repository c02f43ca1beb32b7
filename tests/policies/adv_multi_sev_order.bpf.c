// SPDX-License-Identifier: GPL-2.0
/*
 * adv_multi_sev_order - a TDX and SEV-TIO policy with sev_tio.bpf.c's order on both
 *
 * stop, DMA teardown, unmap: valid on SEV-TIO.  TDX refuses the DMA
 * teardown while MMIO is mapped (TDX_DEVIF_HAS_MAPPED_MMIO); unbind()
 * returns the error: ejected (invariant, missing mmio_unmap), both slots
 * cleared.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_multi_sev_order_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_multi_sev_order_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_multi_sev_order = {
	.bind		= (void *)adv_multi_sev_order_bind,
	.unbind		= (void *)adv_multi_sev_order_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_multi_sev_order",
};
