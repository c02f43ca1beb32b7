// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_gate_vmdestroy - a TDX gate that calls tsmbpf_error() and denies a VM destroy
 *
 * Other events unbind first.  At a VM destroy (which cannot be refused
 * anyway) the error ejects the policy (kind error, in revoke_gate()); the
 * safe verdict holds: the TDI is unbound and the VM goes.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(adv_err_gate_vmdestroy_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	if (event == TSMBPF_EV_VM_DESTROY) {
		tsmbpf_error("adv gate refuses vm_destroy of tdi %u", tdi->id);
		return TSMBPF_VERDICT_DENY;
	}
	return TSMBPF_VERDICT_UNBIND;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_gate_vmdestroy = {
	.revoke_gate	= (void *)adv_err_gate_vmdestroy_gate,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_err_gate_vmdestroy",
};
