// SPDX-License-Identifier: GPL-2.0
/*
 * bad_name - a policy whose name has capitals and punctuation
 *
 * A broken policy for the tests: init_member must refuse it at load.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bad_name_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_name = {
	.unbind		= (void *)bad_name_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "Bad Name!",
};
