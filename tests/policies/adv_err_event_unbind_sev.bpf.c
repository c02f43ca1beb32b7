// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_event_unbind_sev - a correct SEV-TIO policy whose event() errs on the reclaim
 *
 * event() runs inside the policy's own unbind(), so its tsmbpf_error()
 * counts against that call: ejected (kind error, in unbind(), nothing
 * missing: the TDI was torn down).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_event_unbind_sev_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/event")
void BPF_PROG(adv_err_event_unbind_sev_event, struct tsmbpf_tdi *tdi, u32 step,
	      s32 result)
{
	if (step == TSMBPF_STEP_TDI_RECLAIM)
		tsmbpf_error("adv event error at step %u of tdi %u", step, tdi->id);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_event_unbind_sev = {
	.unbind		= (void *)adv_err_event_unbind_sev_unbind,
	.event		= (void *)adv_err_event_unbind_sev_event,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_err_event_unbind_sev",
};
