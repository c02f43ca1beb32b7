// SPDX-License-Identifier: GPL-2.0
/*
 * adv_cca_stop_first - CCA teardown in TDX's order
 *
 * RMI_VDEV_UNLOCK with device memory mapped fails
 * (RMI_ERROR_DEVICE_MEMORY); unmap and SMMU teardown then succeed, but
 * VDEV_DESTROY of a locked interface fails (RMI_ERROR_DEVICE_STATE).
 * Returns 0: ejected (invariant, missing tdi_stop).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_cca_stop_first_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_tdi_stop(tdi);
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_dma_teardown(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_cca_stop_first = {
	.unbind		= (void *)adv_cca_stop_first_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_cca_stop_first",
};
