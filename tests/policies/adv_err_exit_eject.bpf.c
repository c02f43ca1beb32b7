// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_exit_eject - a SEV-TIO policy ejected for skipping a step, whose exit() errs
 *
 * unbind() skips the DMA teardown (invariant, missing dma_teardown); the
 * exit() that follows the ejection calls tsmbpf_error(): logged as exit()
 * misbehaving, and the slot's exit record stays the ejection's.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_exit_eject_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_tdi_stop(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC("struct_ops/exit")
void BPF_PROG(adv_err_exit_eject_exit, struct tsmbpf_exit_info *info)
{
	tsmbpf_error("adv exit error, kind %u", info->kind);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_exit_eject = {
	.unbind		= (void *)adv_err_exit_eject_unbind,
	.exit		= (void *)adv_err_exit_eject_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_err_exit_eject",
};
