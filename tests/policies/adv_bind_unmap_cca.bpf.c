// SPDX-License-Identifier: GPL-2.0
/*
 * adv_bind_unmap_cca - a CCA bind that unmaps its own MMIO before returning
 *
 * The RMM lets device memory go at any time, so the unmap after lock, map
 * and DMA succeeds and bind() returns 0 without MMIO: ejected (invariant
 * in bind()); rolled back natively (DMA, unlock, destroy) and bound
 * natively.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_bind_unmap_cca_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	return tsmbpf_mmio_unmap(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_bind_unmap_cca = {
	.bind		= (void *)adv_bind_unmap_cca_bind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_bind_unmap_cca",
};
