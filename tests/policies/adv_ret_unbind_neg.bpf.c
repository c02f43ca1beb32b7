// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_unbind_neg - a correct CCA teardown that returns INT_MIN
 *
 * Not 0 or -errno: ejected (kind bad-return, in unbind(), ret
 * -2147483648, nothing missing).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_ret_unbind_neg_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	TSMBPF_TRY(tsmbpf_mmio_recover, tdi);
	return -2147483647 - 1;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_unbind_neg = {
	.unbind		= (void *)adv_ret_unbind_neg_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_ret_unbind_neg",
};
