// SPDX-License-Identifier: GPL-2.0
/*
 * exit_log - a valid observer of TDX that logs each exit() call to the
 * trace buffer ("tsmbpf-test exit_log exit kind K: MSG"), so that the tests
 * count how often, and why, the core called exit().
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/event")
void BPF_PROG(exit_log_event, struct tsmbpf_tdi *tdi, u32 step, s32 result)
{
}

SEC("struct_ops/exit")
void BPF_PROG(exit_log_exit, struct tsmbpf_exit_info *info)
{
	bpf_printk("tsmbpf-test exit_log exit kind %u: %s", info->kind,
		   info->msg);
}

SEC(".struct_ops.link")
struct tsmbpf_ops exit_log = {
	.event		= (void *)exit_log_event,
	.exit		= (void *)exit_log_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.flags		= TSMBPF_OPS_F_OBSERVE,
	.name		= "exit_log",
};
