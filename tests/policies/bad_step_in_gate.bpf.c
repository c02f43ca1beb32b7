// SPDX-License-Identifier: GPL-2.0
/*
 * bad_step_in_gate - a firmware step called from the non-sleepable gate
 *
 * A broken policy for the tests: step kfuncs sleep; the verifier must refuse the call from revoke_gate.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(stopping_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	tsmbpf_tdi_stop(tdi);
	return TSMBPF_VERDICT_UNBIND;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_step_in_gate = {
	.revoke_gate	= (void *)stopping_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bad_step_in_gate",
};
