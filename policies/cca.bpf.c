// SPDX-License-Identifier: GPL-2.0
/*
 * cca - bind and unbind sequencing for Arm CCA (RMM 2.0).
 *
 * The RMM requires every piece of device memory to be gone from the realm
 * before the interface is unlocked, the opposite of TDX for the first two
 * steps:
 *
 *   1. mmio_unmap    unmap device memory from the realm's stage 2 and
 *                    undelegate it (KVM);
 *   2. dma_teardown  remove the realm SMMU stream table entry (IOMMU);
 *   3. tdi_stop      RMI_VDEV_UNLOCK: TDISP STOP_INTERFACE;
 *   4. key_purge     optional, off by default (`set purge_keys=true` at
 *                    load): drop the IDE keys;
 *   5. tdi_reclaim   RMI_VDEV_DESTROY, allowed even from ERROR;
 *   6. mmio_recover  the MMIO is mapped shared again.
 *
 * An unlock with memory still mapped fails with RMI_ERROR_DEVICE_MEMORY,
 * with the SMMU entry still present with RMI_ERROR_DEVICE_DMA.  An
 * interface in ERROR needs no unlock: VDEV_DESTROY takes it from there.
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
const volatile bool purge_keys;

u32 exit_kind;

SEC("struct_ops.s/bind")
s32 BPF_PROG(cca_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(cca_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	if (tsmbpf_tdi_state(tdi) != TSMBPF_TDISP_ERROR) {
		TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
		if (purge_keys)
			TSMBPF_TRY(tsmbpf_key_purge, tdi);
	}
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(cca_revoke_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return tsmbpf_gate_verdict(tdi, event, gate);
}

SEC("struct_ops/exit")
void BPF_PROG(cca_exit, struct tsmbpf_exit_info *info)
{
	exit_kind = info->kind;
}

SEC(".struct_ops.link")
struct tsmbpf_ops cca = {
	.bind		= (void *)cca_bind,
	.unbind		= (void *)cca_unbind,
	.revoke_gate	= (void *)cca_revoke_gate,
	.exit		= (void *)cca_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.timeout_ms	= 5000,
	.name		= "cca",
};
