// SPDX-License-Identifier: GPL-2.0
/*
 * adv_extra_relock_tdx - correct TDX teardown, then the interface locked again
 *
 * After the full order and mmio_recover the policy calls
 * tsmbpf_tdi_lock(): the firmware accepts it (the TDI is unlocked,
 * reclaimed and still attached), and the TDI is CONFIG_LOCKED with
 * metadata when unbind() returns 0: ejected (invariant, missing
 * tdi_stop); the native sequence stops and reclaims it again.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_extra_relock_tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	TSMBPF_TRY(tsmbpf_mmio_recover, tdi);
	tsmbpf_tdi_lock(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_extra_relock_tdx = {
	.unbind		= (void *)adv_extra_relock_tdx_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_extra_relock_tdx",
};
