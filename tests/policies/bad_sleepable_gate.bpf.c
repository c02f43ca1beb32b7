// SPDX-License-Identifier: GPL-2.0
/*
 * bad_sleepable_gate - revoke_gate loaded as sleepable
 *
 * A broken policy for the tests: revoke_gate runs where it must not sleep; check_member must refuse it and the verifier says so at load.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/revoke_gate")
u32 BPF_PROG(sleepy_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return TSMBPF_VERDICT_UNBIND;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_sleepable_gate = {
	.revoke_gate	= (void *)sleepy_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bad_sleepable_gate",
};
