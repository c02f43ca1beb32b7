// SPDX-License-Identifier: GPL-2.0
/*
 * err_gate - a SEV-TIO gate that calls tsmbpf_error() and answers deny
 *
 * A broken policy for the tests: the error ejects the policy whatever the
 * answer, and the event proceeds with the safe verdict, unbind first.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(err_gate_revoke_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	tsmbpf_error("no gate for event %u", event);
	return TSMBPF_VERDICT_DENY;
}

SEC(".struct_ops.link")
struct tsmbpf_ops err_gate = {
	.revoke_gate	= (void *)err_gate_revoke_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "err_gate",
};
