// SPDX-License-Identifier: GPL-2.0
/*
 * prom_multi - one policy for all three platforms, for the README-promise
 * tests (tests/guest/70_promises.bats).
 *
 * init() counts its calls (init_calls) and logs "tsmbpf-test prom_multi
 * init"; bind is native (no bind member); unbind() calls tsmbpf_error(),
 * so the first unbind on any platform ejects the policy from every slot;
 * exit() logs "tsmbpf-test prom_multi exit kind K: MSG" and counts its
 * calls (exit_calls), so that the tests see it run once, after the
 * ejection.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

u64 init_calls;
u64 exit_calls;
u32 exit_kind;

SEC("struct_ops.s/init")
s32 BPF_PROG(prom_multi_init)
{
	__sync_fetch_and_add(&init_calls, 1);
	bpf_printk("tsmbpf-test prom_multi init");
	return 0;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(prom_multi_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_error("prom_multi refuses unbind, reason %u", reason);
	return 0;
}

SEC("struct_ops/exit")
void BPF_PROG(prom_multi_exit, struct tsmbpf_exit_info *info)
{
	__sync_fetch_and_add(&exit_calls, 1);
	exit_kind = info->kind;
	bpf_printk("tsmbpf-test prom_multi exit kind %u: %s", info->kind,
		   info->msg);
}

SEC(".struct_ops.link")
struct tsmbpf_ops prom_multi = {
	.init		= (void *)prom_multi_init,
	.unbind		= (void *)prom_multi_unbind,
	.exit		= (void *)prom_multi_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "prom_multi",
};
