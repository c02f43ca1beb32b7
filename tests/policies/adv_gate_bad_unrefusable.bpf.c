// SPDX-License-Identifier: GPL-2.0
/*
 * adv_gate_bad_unrefusable - a CCA gate that denies what it may and answers 5 for the rest
 *
 * Refusable events are denied; close, remove and VM destroy get verdict
 * 5.  At a VM destroy the answer ejects it (kind bad-return, in
 * revoke_gate(), ret 5) and the TDI is unbound.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_gate_bad_unrefusable_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	if (event == TSMBPF_EV_CLOSE || event == TSMBPF_EV_REMOVE ||
	    event == TSMBPF_EV_VM_DESTROY)
		return 5;
	return TSMBPF_VERDICT_DENY;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_gate_bad_unrefusable = {
	.revoke_gate	= (void *)adv_gate_bad_unrefusable_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_gate_bad_unrefusable",
};
