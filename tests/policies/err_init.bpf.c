// SPDX-License-Identifier: GPL-2.0
/*
 * err_init - init() calls tsmbpf_error() and still returns 0
 *
 * A broken policy for the tests: the error refuses the attach whatever
 * init() returns, and leaves an exit record (kind error, callback init).
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/init")
s32 BPF_PROG(err_init_init)
{
	tsmbpf_error("init refuses: code %d", 42);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops err_init = {
	.init		= (void *)err_init_init,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "err_init",
};
