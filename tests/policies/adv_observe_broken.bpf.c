// SPDX-License-Identifier: GPL-2.0
/*
 * adv_observe_broken - an observe-only policy with broken bind, unbind and gate
 *
 * With TSMBPF_OPS_F_OBSERVE the core sequences natively and asks no gate,
 * so its wrong-order unbind(), its bind() that returns 7 and its gate
 * that answers 9 never run: harmless, nothing is ejected, event() sees
 * the native steps.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

u64 events_seen;

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_observe_broken_bind, struct tsmbpf_tdi *tdi)
{
	return 7;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_observe_broken_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_mmio_unmap(tdi);
	return 0;
}

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_observe_broken_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return 9;
}

SEC("struct_ops/event")
void BPF_PROG(adv_observe_broken_event, struct tsmbpf_tdi *tdi, u32 step,
	      s32 result)
{
	__sync_fetch_and_add(&events_seen, 1);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_observe_broken = {
	.bind		= (void *)adv_observe_broken_bind,
	.unbind		= (void *)adv_observe_broken_unbind,
	.revoke_gate	= (void *)adv_observe_broken_gate,
	.event		= (void *)adv_observe_broken_event,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.flags		= TSMBPF_OPS_F_OBSERVE,
	.name		= "adv_observe_broken",
};
