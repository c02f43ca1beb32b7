// SPDX-License-Identifier: GPL-2.0
/*
 * sev_tio - bind and unbind sequencing for AMD SEV-TIO.
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
 * (TIO_ASID_FENCE_STATUS); bind clears the fence (TIO_ASID_FENCE_CLEAR)
 * before it locks the interface again.
 *
 * Host events that revoke MMIO are gated by the `gate` setting, chosen at
 * load (`tsmctl policy load OBJ set gate=strict`): unbind first by default,
 * refuse D3hot and runtime-PM low-power entry of a RUN interface with
 * gate=strict, bind again after FLR and resets with gate=rebind.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings: tsmctl policy load OBJ set SETTING=VALUE */
const volatile enum tsmbpf_gate gate = TSMBPF_GATE_DEFAULT;

u64 fences_cleared_total;
u32 exit_kind;

SEC("struct_ops.s/bind")
s32 BPF_PROG(sev_bind, struct tsmbpf_tdi *tdi)
{
	if (tsmbpf_tdi_resources(tdi) & TSMBPF_RES_FENCED) {
		TSMBPF_TRY(tsmbpf_fence_clear, tdi);
		__sync_fetch_and_add(&fences_cleared_total, 1);
	}
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(sev_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(sev_revoke_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return tsmbpf_gate_verdict(tdi, event, gate);
}

SEC("struct_ops/exit")
void BPF_PROG(sev_exit, struct tsmbpf_exit_info *info)
{
	exit_kind = info->kind;
}

SEC(".struct_ops.link")
struct tsmbpf_ops sev_tio = {
	.bind		= (void *)sev_bind,
	.unbind		= (void *)sev_unbind,
	.revoke_gate	= (void *)sev_revoke_gate,
	.exit		= (void *)sev_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.timeout_ms	= 5000,
	.name		= "sev_tio",
};
