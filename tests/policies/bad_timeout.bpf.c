// SPDX-License-Identifier: GPL-2.0
/*
 * bad_timeout - a policy asking for a one-minute deadline
 *
 * A broken policy for the tests: init_member must refuse a timeout_ms over the cap at load.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bad_timeout_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_timeout = {
	.unbind		= (void *)bad_timeout_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.timeout_ms	= 60000,
	.name		= "bad_timeout",
};
