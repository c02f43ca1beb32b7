// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_bind_pos - a correct TDX bind that returns 1
 *
 * bind() returns 0 or -errno: 1 ejects it (kind bad-return, in bind(),
 * ret 1); the bind is redone natively.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_ret_bind_pos_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	return 1;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_bind_pos = {
	.bind		= (void *)adv_ret_bind_pos_bind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_ret_bind_pos",
};
