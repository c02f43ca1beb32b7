// SPDX-License-Identifier: GPL-2.0
/*
 * adv_gate_deny_all - a three-platform gate that denies every host event
 *
 * A valid policy.  The gate answers deny for all eleven events; a VM
 * destroy, which cannot be refused, still unbinds every TDI (logged) and
 * the policy stays attached.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_gate_deny_all_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return TSMBPF_VERDICT_DENY;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_gate_deny_all = {
	.revoke_gate	= (void *)adv_gate_deny_all_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_gate_deny_all",
};
