// SPDX-License-Identifier: GPL-2.0
/*
 * adv_timeout_max - a correct TDX policy asking 0xffffffff ms
 *
 * Refused at load: timeout_ms 4294967295 over the 10000 ms cap.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_timeout_max_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	return tsmbpf_dma_setup(tdi);
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_timeout_max_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_timeout_max = {
	.bind		= (void *)adv_timeout_max_bind,
	.unbind		= (void *)adv_timeout_max_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.flags		= 0,
	.timeout_ms	= 0xffffffff,
	.name		= "adv_timeout_max",
};
