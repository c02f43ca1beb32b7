// SPDX-License-Identifier: GPL-2.0
/*
 * bad_flags - a policy with a flag the core does not know
 *
 * A broken policy for the tests: init_member must refuse it at load.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bad_flags_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_flags = {
	.unbind		= (void *)bad_flags_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.flags		= 0x100,
	.name		= "bad_flags",
};
