// SPDX-License-Identifier: GPL-2.0
/*
 * tdx_connect - bind and unbind sequencing for Intel TDX Connect.
 *
 * The TDX module owns a device interface (TDI) while it is bound to a TD
 * and refuses to let the host take resources away from a running
 * interface.  The teardown order it enforces is:
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
 * TDX_DEVIF_HAS_MAPPED_MMIO / TDX_DEVIF_HAS_MAPPED_DMA.  Bind is the mirror:
 * DEVIFMT.ADD + DEVIF.CREATE (lock), MMIO map (pending until the TD
 * accepts), trusted DMA setup.
 *
 * Host events that revoke MMIO (FLR, MSE clear, D3hot, reset...) are
 * gated by the settings an operator chooses at load (`tsmctl policy load
 * OBJ set gate=strict`):
 *
 *   gate=default             unbind first, for every event;
 *   gate=strict              refuse D3hot and runtime-PM low-power entry
 *                            while the interface is RUN;
 *   gate=rebind              bind the interface again after FLR, AF FLR,
 *                            VFIO reset and hot reset (seed 002's question);
 *   rebind_after_reset=true  the same re-bind after a reset whatever the
 *                            gate, so that gate=strict can have it too.
 *
 * The core counts every step per platform (/sys/kernel/tsmbpf/steps); this
 * policy asks for event() only on failures (TSMBPF_OPS_F_EVENT_ERRORS) and
 * keeps, per step, how often the TDX module refused it and the last TDX
 * error code it gave, which the core's counters do not break down.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings: tsmctl policy load OBJ set SETTING=VALUE */
const volatile enum tsmbpf_gate gate = TSMBPF_GATE_DEFAULT;
const volatile bool rebind_after_reset;

/* Failed steps on TDX interfaces by enum tsmbpf_step, and the last code. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSMBPF_STEP_NR);
	__type(key, u32);
	__type(value, u64);
} tdx_failures SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSMBPF_STEP_NR);
	__type(key, u32);
	__type(value, u32);
} tdx_last_error SEC(".maps");

u32 exit_kind;

SEC("struct_ops.s/bind")
s32 BPF_PROG(tdx_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	/* an interface in ERROR accepts STOP: the same order applies */
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(tdx_revoke_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	if (rebind_after_reset && tsmbpf_event_is_reset(event))
		return TSMBPF_VERDICT_REBIND;
	return tsmbpf_gate_verdict(tdi, event, gate);
}

/* Only failed steps come here (TSMBPF_OPS_F_EVENT_ERRORS). */
SEC("struct_ops/event")
void BPF_PROG(tdx_event, struct tsmbpf_tdi *tdi, u32 step, s32 result)
{
	u64 *failures;
	u32 *code;

	failures = bpf_map_lookup_elem(&tdx_failures, &step);
	if (failures)
		__sync_fetch_and_add(failures, 1);
	code = bpf_map_lookup_elem(&tdx_last_error, &step);
	if (code)
		*code = tsmbpf_tdi_last_fw_error(tdi);
}

SEC("struct_ops/exit")
void BPF_PROG(tdx_exit, struct tsmbpf_exit_info *info)
{
	exit_kind = info->kind;
}

SEC(".struct_ops.link")
struct tsmbpf_ops tdx_connect = {
	.bind		= (void *)tdx_bind,
	.unbind		= (void *)tdx_unbind,
	.revoke_gate	= (void *)tdx_revoke_gate,
	.event		= (void *)tdx_event,
	.exit		= (void *)tdx_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.flags		= TSMBPF_OPS_F_EVENT_ERRORS,
	.timeout_ms	= 5000,
	.name		= "tdx_connect",
};
