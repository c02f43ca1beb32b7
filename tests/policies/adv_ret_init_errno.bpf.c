// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_init_errno - an init() that returns -ENOSPC
 *
 * The attach is refused with the policy's own errno (No space left on
 * device), kind init.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/init")
s32 BPF_PROG(adv_ret_init_errno_init)
{
	return -28;	/* ENOSPC */
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_ret_init_errno_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_init_errno = {
	.init		= (void *)adv_ret_init_errno_init,
	.unbind		= (void *)adv_ret_init_errno_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_ret_init_errno",
};
