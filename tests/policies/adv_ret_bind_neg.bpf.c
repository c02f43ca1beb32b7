// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_bind_neg - a correct SEV-TIO bind that returns -4096
 *
 * One below -MAX_ERRNO is no errno: ejected (kind bad-return, in bind(),
 * ret -4096); the bind is redone natively.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_ret_bind_neg_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	return -4096;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_bind_neg = {
	.bind		= (void *)adv_ret_bind_neg_bind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_ret_bind_neg",
};
