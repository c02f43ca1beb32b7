// SPDX-License-Identifier: GPL-2.0
/*
 * gate_deny - a valid policy that denies every host event, on every
 * platform, and sequences nothing (bind and unbind run natively).
 *
 * For the tests of the gate: a refusable event must fail with EBUSY (a
 * config write loses only its offending bits) and leave the TDI as it was;
 * close and removal cannot be refused and unbind all the same.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(gate_deny_revoke_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return TSMBPF_VERDICT_DENY;
}

SEC(".struct_ops.link")
struct tsmbpf_ops gate_deny = {
	.revoke_gate	= (void *)gate_deny_revoke_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "gate_deny",
};
