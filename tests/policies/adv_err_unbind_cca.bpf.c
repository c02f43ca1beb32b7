// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_unbind_cca - a correct CCA teardown that calls tsmbpf_error() at the end
 *
 * The TDI is torn down, the error ejects the policy all the same (kind
 * error, in unbind(), no step missing).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_unbind_cca_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	TSMBPF_TRY(tsmbpf_mmio_recover, tdi);
	tsmbpf_error("adv unbind error on tdi %u after teardown", tdi->id);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_unbind_cca = {
	.unbind		= (void *)adv_err_unbind_cca_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_err_unbind_cca",
};
