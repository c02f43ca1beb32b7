// SPDX-License-Identifier: GPL-2.0
/*
 * adv_gate_per_event - a SEV-TIO gate with its own answer per event
 *
 * A valid policy: deny low-power entry (D3hot, runtime PM), re-bind after
 * every reset (FLR, AF FLR, VFIO reset, hot reset), unbind first
 * otherwise, whatever the TDI's state.  Each of the eleven answers is
 * checked; nothing is ejected.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_gate_per_event_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	if (tsmbpf_event_is_low_power(event))
		return TSMBPF_VERDICT_DENY;
	if (tsmbpf_event_is_reset(event))
		return TSMBPF_VERDICT_REBIND;
	return TSMBPF_VERDICT_UNBIND;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_gate_per_event = {
	.revoke_gate	= (void *)adv_gate_per_event_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_gate_per_event",
};
