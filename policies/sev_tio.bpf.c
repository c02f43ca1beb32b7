// SPDX-License-Identifier: GPL-2.0
/*
 * sev_tio - unbind sequencing for AMD SEV-TIO.
 *
 * While a TDI is bound, the RMP entries of its MMIO are immutable, so the
 * interface must be unbound (TIO_TDI_UNBIND, which issues TDISP
 * STOP_INTERFACE) before anything else.  The MMIO RMP entries and the
 * secure device table entry (sDTE) can then be reclaimed in either order;
 * this policy tears DMA down first so that the device stops reaching guest
 * memory as early as possible.  TIO_TDI_RECLAIM frees the firmware's
 * metadata last.  AMD's firmware-internal order is not public; this is the
 * model tsmbpf's emulated SEV firmware enforces.
 *
 * After a TDI went to ERROR the firmware fences the ASID's DMA
 * (TIO_ASID_FENCE_STATUS); the fence must be cleared before the next bind.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
int BPF_PROG(sev_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops sev_tio = {
	.unbind		= (void *)sev_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "sev_tio",
};
