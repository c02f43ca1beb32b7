// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_event_native_cca - event() calls tsmbpf_error() during a native CCA unbind
 *
 * It sequences nothing: CCA binds and unbinds natively and event() is a
 * call of its own.  At the unlock (tdi_stop) it errs: ejected (kind
 * error, in event()), and the native unbind goes on to the end.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/event")
void BPF_PROG(adv_err_event_native_cca_event, struct tsmbpf_tdi *tdi, u32 step,
	      s32 result)
{
	if (step == TSMBPF_STEP_TDI_STOP)
		tsmbpf_error("adv native event error at step %u of tdi %u", step,
			     tdi->id);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_event_native_cca = {
	.event		= (void *)adv_err_event_native_cca_event,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_err_event_native_cca",
};
