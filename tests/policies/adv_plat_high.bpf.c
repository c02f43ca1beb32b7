// SPDX-License-Identifier: GPL-2.0
/*
 * adv_plat_high - a TDX policy with an unknown platform bit
 *
 * init_member must refuse it at load: platforms 0x80000001 invalid; the
 * known bit does not save it.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_plat_high_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_plat_high = {
	.unbind		= (void *)adv_plat_high_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) | 0x80000000,
	.name		= "adv_plat_high",
};
