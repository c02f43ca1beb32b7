// SPDX-License-Identifier: GPL-2.0
/*
 * tdx_connect - unbind sequencing for Intel TDX Connect.
 *
 * The TDX module owns the device interface (TDI) while it is bound to a TD
 * and refuses to let the host take resources away from a running
 * interface.  The order it enforces is:
 *
 *   1. tdi_stop      TDH.DEVIF.REQUEST(STOP): TDISP STOP_INTERFACE, the
 *                    device scrubs and returns to CONFIG_UNLOCKED;
 *   2. mmio_unmap    TDH.MMIO.BLOCK, TLB track, TDH.MMIO.UNMAP: the private
 *                    MMIO leaves the secure EPT (KVM's job);
 *   3. dma_teardown  TDH.DMAR.BLOCK/REMOVE: the trusted device context
 *                    table entry goes (the IOMMU driver's job);
 *   4. tdi_reclaim   TDH.MMIOMT/DEVIF/DEVIFMT.REMOVE: ownership returns to
 *                    the host and the metadata pages are freed;
 *   5. mmio_recover  VFIO re-validates the dma-buf, KVM maps it shared.
 *
 * Unmapping MMIO before the stop fails with TDX_DEVIF_INVALID_STATE;
 * reclaiming with MMIO or DMA still mapped fails with
 * TDX_DEVIF_HAS_MAPPED_MMIO / TDX_DEVIF_HAS_MAPPED_DMA.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
int BPF_PROG(tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops tdx_connect = {
	.unbind		= (void *)tdx_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "tdx_connect",
};
