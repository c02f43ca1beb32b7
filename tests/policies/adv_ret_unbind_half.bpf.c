// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_unbind_half - a TDX teardown that stops and returns 2
 *
 * A bad return on a half torn-down TDI: the kind is bad-return (ret 2)
 * and the record still names the first missing step, mmio_unmap.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_ret_unbind_half_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	return 2;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_unbind_half = {
	.unbind		= (void *)adv_ret_unbind_half_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_ret_unbind_half",
};
