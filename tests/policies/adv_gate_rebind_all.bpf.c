// SPDX-License-Identifier: GPL-2.0
/*
 * adv_gate_rebind_all - a three-platform gate that asks to re-bind after every event
 *
 * A valid policy, even for events after which there is nothing to bind
 * to: a VM destroy unbinds every TDI and does not bind them again (their
 * VM is gone); nothing is ejected.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_gate_rebind_all_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return TSMBPF_VERDICT_REBIND;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_gate_rebind_all = {
	.revoke_gate	= (void *)adv_gate_rebind_all_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_gate_rebind_all",
};
