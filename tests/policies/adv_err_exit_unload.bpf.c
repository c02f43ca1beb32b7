// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_exit_unload - a correct TDX policy whose exit() calls tsmbpf_error()
 *
 * It serves its cycles; when the operator detaches it, exit() errs:
 * nothing is left to eject, the core logs that exit() misbehaved (error)
 * and the detach completes.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_err_exit_unload_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_exit_unload_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/exit")
void BPF_PROG(adv_err_exit_unload_exit, struct tsmbpf_exit_info *info)
{
	tsmbpf_error("adv exit error, kind %u", info->kind);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_exit_unload = {
	.bind		= (void *)adv_err_exit_unload_bind,
	.unbind		= (void *)adv_err_exit_unload_unbind,
	.exit		= (void *)adv_err_exit_unload_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_err_exit_unload",
};
