// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_bind_tdx - a correct TDX bind that calls tsmbpf_error() before returning 0
 *
 * The TDI is bound, but the error ejects the policy (kind error, in
 * bind()); the core undoes the bind and binds natively: the bind succeeds.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_err_bind_tdx_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	tsmbpf_error("adv bind error on tdi %u", tdi->id);
	return 0;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_bind_tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_bind_tdx = {
	.bind		= (void *)adv_err_bind_tdx_bind,
	.unbind		= (void *)adv_err_bind_tdx_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_err_bind_tdx",
};
