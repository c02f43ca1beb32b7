// SPDX-License-Identifier: GPL-2.0
/*
 * adv_gate_event_id - a TDX gate that answers the event's number as its verdict
 *
 * mse_clear (0), bme_clear (1) and d3hot (2) get unbind, deny and rebind,
 * all valid; flr (3) gets 3: ejected (kind bad-return, in revoke_gate(),
 * ret 3), and from then on every event is answered natively, unbind first.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_gate_event_id_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return event;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_gate_event_id = {
	.revoke_gate	= (void *)adv_gate_event_id_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_gate_event_id",
};
