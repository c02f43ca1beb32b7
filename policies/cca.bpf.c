// SPDX-License-Identifier: GPL-2.0
/*
 * cca - unbind sequencing for Arm CCA (RMM 2.0).
 *
 * The RMM requires every piece of device memory to be gone from the realm
 * before the interface is unlocked, the opposite of TDX for the first two
 * steps:
 *
 *   1. mmio_unmap    unmap device memory from the realm's stage 2 and
 *                    undelegate it (KVM);
 *   2. dma_teardown  remove the realm SMMU stream table entry (IOMMU);
 *   3. tdi_stop      RMI_VDEV_UNLOCK: TDISP STOP_INTERFACE;
 *   4. tdi_reclaim   RMI_VDEV_DESTROY, allowed even from ERROR;
 *   5. mmio_recover  the MMIO is mapped shared again.
 *
 * An unlock with memory still mapped fails with RMI_ERROR_DEVICE_MEMORY.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
int BPF_PROG(cca_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops cca = {
	.unbind		= (void *)cca_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "cca",
};
