// SPDX-License-Identifier: GPL-2.0
/*
 * adv_ret_gate_nr - a SEV-TIO gate that answers TSMBPF_VERDICT_NR
 *
 * One past the last verdict: ejected (kind bad-return, in revoke_gate(),
 * ret 3) and the safe verdict, unbind first, holds.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_ret_gate_nr_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return TSMBPF_VERDICT_NR;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_ret_gate_nr = {
	.revoke_gate	= (void *)adv_ret_gate_nr_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_ret_gate_nr",
};
