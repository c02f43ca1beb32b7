// SPDX-License-Identifier: GPL-2.0
/*
 * bad_skip_step - CCA teardown that forgets the SMMU entry
 *
 * A broken policy for the tests: without dma_teardown RMI_VDEV_UNLOCK fails with RMI_ERROR_DEVICE_DMA; the policy returns 0 anyway, so the core must eject it (invariant, missing step dma_teardown).
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(skip_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	tsmbpf_mmio_unmap(tdi);
	tsmbpf_tdi_stop(tdi);
	tsmbpf_tdi_reclaim(tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_skip_step = {
	.unbind		= (void *)skip_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "bad_skip_step",
};
