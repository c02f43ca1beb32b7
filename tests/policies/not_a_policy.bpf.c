// SPDX-License-Identifier: GPL-2.0
/*
 * not_a_policy - a tracing program that tries a tsmbpf kfunc
 *
 * The kfuncs are registered for struct_ops programs of tsmbpf_ops only;
 * the verifier must refuse this tp_btf program's call.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/tsmbpf_step")
int BPF_PROG(peek, struct tsmbpf_tdi *tdi, u32 step, int ret, u32 fw_error)
{
	return tsmbpf_tdi_state(tdi);
}
