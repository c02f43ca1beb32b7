// SPDX-License-Identifier: GPL-2.0
/*
 * adv_bind_undo_tdx - a TDX bind that tears down what it just bound
 *
 * lock, map, DMA, then stop, unmap, DMA teardown, reclaim, recover, and
 * return 0: the TDI is not bound.  Ejected (invariant in bind()); the
 * core rolls back (nothing left) and binds natively: the bind succeeds.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_bind_undo_tdx_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	TSMBPF_TRY(tsmbpf_mmio_recover, tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_bind_undo_tdx = {
	.bind		= (void *)adv_bind_undo_tdx_bind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_bind_undo_tdx",
};
