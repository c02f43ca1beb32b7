// SPDX-License-Identifier: GPL-2.0
/*
 * adv_multi_tdx_order - a three-platform policy with TDX's order everywhere
 *
 * Written with TSMBPF_TRY.  TDX's order is valid on TDX and on SEV-TIO
 * (unmap and DMA in either order after the stop), so those unbinds are
 * the policy's.  On CCA the unlock with memory mapped is refused
 * (RMI_ERROR_DEVICE_MEMORY) and unbind() returns that error with nothing
 * done: ejected (invariant, missing mmio_unmap), every slot cleared.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_multi_tdx_order_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_multi_tdx_order_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_multi_tdx_order = {
	.bind		= (void *)adv_multi_tdx_order_bind,
	.unbind		= (void *)adv_multi_tdx_order_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_multi_tdx_order",
};
