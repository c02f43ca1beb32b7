// SPDX-License-Identifier: GPL-2.0
/*
 * bad_order_exit - TDX teardown with MMIO unmapped before the stop, and an
 * exit() that logs each call to the trace buffer
 *
 * A broken policy for the tests: its unbind() ends in an ejection, which
 * the tests race against the policy's unload; exit() must run once
 * ("tsmbpf-test bad_order_exit exit kind K").
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bad_order_exit_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC("struct_ops/exit")
void BPF_PROG(bad_order_exit_exit, struct tsmbpf_exit_info *info)
{
	bpf_printk("tsmbpf-test bad_order_exit exit kind %u", info->kind);
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_order_exit = {
	.unbind		= (void *)bad_order_exit_unbind,
	.exit		= (void *)bad_order_exit_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.timeout_ms	= 10000,
	.name		= "bad_order_exit",
};
