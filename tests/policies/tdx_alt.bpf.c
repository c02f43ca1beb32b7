// SPDX-License-Identifier: GPL-2.0
/*
 * tdx_alt - a second, valid TDX Connect policy: the same order as
 * policies/tdx_connect.bpf.c under another name, so that the two can
 * replace each other through a struct_ops link update (tsmbpf_swap, make
 * bench).  Unlike the other objects in tests/policies/ the core must
 * accept this one.
 *
 *   bind:   tdi_lock -> mmio_map -> dma_setup
 *   unbind: tdi_stop -> mmio_unmap -> dma_teardown -> tdi_reclaim
 *           -> mmio_recover
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Steps seen on TDX interfaces, by enum tsmbpf_step, and their failures. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSMBPF_STEP_NR);
	__type(key, u32);
	__type(value, u64);
} alt_steps_total SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSMBPF_STEP_NR);
	__type(key, u32);
	__type(value, u64);
} alt_step_failures_total SEC(".maps");

u32 exit_kind;

static void count(void *map, u32 step)
{
	u64 *v = bpf_map_lookup_elem(map, &step);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("struct_ops.s/bind")
s32 BPF_PROG(alt_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(alt_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC("struct_ops/revoke_gate")
u32 BPF_PROG(alt_revoke_gate, struct tsmbpf_tdi *tdi, u32 event)
{
	return TSMBPF_VERDICT_UNBIND;
}

SEC("struct_ops/event")
void BPF_PROG(alt_event, struct tsmbpf_tdi *tdi, u32 step, s32 result)
{
	if (step >= TSMBPF_STEP_NR)
		return;
	count(&alt_steps_total, step);
	if (result)
		count(&alt_step_failures_total, step);
}

SEC("struct_ops/exit")
void BPF_PROG(alt_exit, struct tsmbpf_exit_info *info)
{
	exit_kind = info->kind;
}

SEC(".struct_ops.link")
struct tsmbpf_ops tdx_alt = {
	.bind		= (void *)alt_bind,
	.unbind		= (void *)alt_unbind,
	.revoke_gate	= (void *)alt_revoke_gate,
	.event		= (void *)alt_event,
	.exit		= (void *)alt_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.timeout_ms	= 5000,
	.name		= "tdx_alt",
};
