// SPDX-License-Identifier: GPL-2.0
/*
 * adv_tdx_skip_stop - TDX teardown without the stop
 *
 * Every later step needs a stopped interface, so the firmware refuses
 * them all (TDX_DEVIF_INVALID_STATE) and the TDI is still RUN when
 * unbind() returns 0: ejected (invariant, missing tdi_stop).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_tdx_skip_stop_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_tdx_skip_stop = {
	.unbind		= (void *)adv_tdx_skip_stop_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_tdx_skip_stop",
};
