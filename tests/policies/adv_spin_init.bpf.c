// SPDX-License-Identifier: GPL-2.0
/*
 * adv_spin_init - an init() that spins past its deadline and returns 0
 *
 * The overrun refuses the attach (kind timeout, in init()), with the exit
 * record in the TDX slot.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* about 8M iterations: far past the 1 ms deadline, even natively */
static long spin(u64 i, void *ctx)
{
	return 0;
}

SEC("struct_ops.s/init")
s32 BPF_PROG(adv_spin_init_init)
{
	bpf_loop(1 << 23, spin, NULL, 0);
	return 0;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_spin_init_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_spin_init = {
	.init		= (void *)adv_spin_init_init,
	.unbind		= (void *)adv_spin_init_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.timeout_ms	= 1,
	.name		= "adv_spin_init",
};
