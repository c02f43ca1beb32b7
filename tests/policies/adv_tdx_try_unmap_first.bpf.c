// SPDX-License-Identifier: GPL-2.0
/*
 * adv_tdx_try_unmap_first - TDX teardown in CCA's order that gives up at the first refusal
 *
 * Like a policy written with TSMBPF_TRY for the wrong platform:
 * mmio_unmap on a running TDX interface is refused and unbind() returns
 * that error with nothing done.  An errno is no excuse for a TDI left
 * bound: ejected (invariant, missing tdi_stop, ret < 0).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_tdx_try_unmap_first_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_tdx_try_unmap_first = {
	.unbind		= (void *)adv_tdx_try_unmap_first_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_tdx_try_unmap_first",
};
