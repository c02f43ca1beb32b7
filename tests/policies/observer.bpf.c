// SPDX-License-Identifier: GPL-2.0
/*
 * observer - a valid policy that only watches (TSMBPF_OPS_F_OBSERVE): it
 * takes the three platform slots, sequences nothing and answers no gate, so
 * the core binds and unbinds natively and calls event() after every step.
 * It counts the steps it saw, and the failed ones, in its .bss.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

u64 steps_seen;
u64 failures_seen;

SEC("struct_ops/event")
void BPF_PROG(observer_event, struct tsmbpf_tdi *tdi, u32 step, s32 result)
{
	__sync_fetch_and_add(&steps_seen, 1);
	if (result)
		__sync_fetch_and_add(&failures_seen, 1);
}

SEC(".struct_ops.link")
struct tsmbpf_ops observer = {
	.event		= (void *)observer_event,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.flags		= TSMBPF_OPS_F_OBSERVE,
	.name		= "observer",
};
