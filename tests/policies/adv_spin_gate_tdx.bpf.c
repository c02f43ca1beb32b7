// SPDX-License-Identifier: GPL-2.0
/*
 * adv_spin_gate_tdx - a TDX gate that spins in bpf_repeat() before it answers deny
 *
 * revoke_gate() must not sleep, but it can burn CPU: past timeout_ms (1)
 * it is ejected (kind timeout, in revoke_gate()) and the safe verdict,
 * unbind first, holds instead of its deny.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

u64 spun;

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_spin_gate_tdx_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	bpf_repeat(1 << 22)
		spun++;
	return TSMBPF_VERDICT_DENY;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_spin_gate_tdx = {
	.revoke_gate	= (void *)adv_spin_gate_tdx_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.timeout_ms	= 1,
	.name		= "adv_spin_gate_tdx",
};
