// SPDX-License-Identifier: GPL-2.0
/*
 * adv_flags_next - a correct TDX policy with a known flag and the next bit
 *
 * The known flag does not save it: refused at load, unknown flags 0x4.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_flags_next_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_flags_next_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_flags_next = {
	.bind		= (void *)adv_flags_next_bind,
	.unbind		= (void *)adv_flags_next_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.flags		= TSMBPF_OPS_F_EVENT_ERRORS | (TSMBPF_OPS_F_EVENT_ERRORS << 1),
	.timeout_ms	= 0,
	.name		= "adv_flags_next",
};
