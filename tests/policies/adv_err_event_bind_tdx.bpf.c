// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_event_bind_tdx - a correct TDX policy whose event() errs on the DMA setup
 *
 * event() runs inside the policy's own bind(): ejected (kind error, in
 * bind()); the bind is redone natively and succeeds.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_err_event_bind_tdx_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_event_bind_tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/event")
void BPF_PROG(adv_err_event_bind_tdx_event, struct tsmbpf_tdi *tdi, u32 step,
	      s32 result)
{
	if (step == TSMBPF_STEP_DMA_SETUP)
		tsmbpf_error("adv event error at step %u of tdi %u", step, tdi->id);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_event_bind_tdx = {
	.bind		= (void *)adv_err_event_bind_tdx_bind,
	.unbind		= (void *)adv_err_event_bind_tdx_unbind,
	.event		= (void *)adv_err_event_bind_tdx_event,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_err_event_bind_tdx",
};
