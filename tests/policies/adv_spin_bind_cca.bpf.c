// SPDX-License-Identifier: GPL-2.0
/*
 * adv_spin_bind_cca - a correct CCA bind that spins in a bounded bpf_for() loop
 *
 * An open-coded iterator loop of 4M rounds after the steps, timeout_ms 1:
 * ejected (kind timeout, in bind()); the core undoes the bind and binds
 * natively.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

u64 spun;

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_spin_bind_cca_bind, struct tsmbpf_tdi *tdi)
{
	int i;

	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	bpf_for(i, 0, 1 << 22)
		spun++;
	return 0;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_spin_bind_cca_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_spin_bind_cca = {
	.bind		= (void *)adv_spin_bind_cca_bind,
	.unbind		= (void *)adv_spin_bind_cca_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.timeout_ms	= 1,
	.name		= "adv_spin_bind_cca",
};
