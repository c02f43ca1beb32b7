// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_gate_max - a TDX gate that answers 0xffffffff
 *
 * A verdict that is -1 as a signed value: ejected (kind bad-return, in
 * revoke_gate()) and the safe verdict, unbind first, holds.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_ret_gate_max_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return 0xffffffff;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_gate_max = {
	.revoke_gate	= (void *)adv_ret_gate_max_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_ret_gate_max",
};
