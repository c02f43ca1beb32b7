// SPDX-License-Identifier: GPL-2.0
/*
 * adv_extra_remap_cca - correct CCA teardown, then the MMIO mapped private again
 *
 * After the full order and mmio_recover: lock and mmio_map, which the RMM
 * accepts.  Private MMIO is mapped again when unbind() returns 0: ejected
 * (invariant, missing mmio_unmap, CCA's first step); the native sequence
 * unmaps, unlocks, destroys and recovers.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_extra_remap_cca_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	TSMBPF_TRY(tsmbpf_mmio_recover, tdi);
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	return tsmbpf_mmio_map(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_extra_remap_cca = {
	.unbind		= (void *)adv_extra_remap_cca_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_extra_remap_cca",
};
