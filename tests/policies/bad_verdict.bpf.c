// SPDX-License-Identifier: GPL-2.0
/*
 * bad_verdict - a CCA gate that answers a verdict that does not exist
 *
 * A broken policy for the tests: revoke_gate() returns 7; the core must eject the policy (bad-return) and fall back to the safe verdict, unbind first.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(bad_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return 7;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_verdict = {
	.revoke_gate	= (void *)bad_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "bad_verdict",
};
