// SPDX-License-Identifier: GPL-2.0
/*
 * adv_extra_errno_tdx - correct TDX teardown that returns an extra step's error
 *
 * After the full order it stops the interface again and returns the
 * refusal (-EPERM).  The TDI is torn down, and a policy may return any
 * errno: harmless, the unbind succeeds and the policy stays.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_extra_errno_tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_tdi_stop(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_extra_errno_tdx = {
	.unbind		= (void *)adv_extra_errno_tdx_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_extra_errno_tdx",
};
