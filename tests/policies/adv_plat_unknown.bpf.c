// SPDX-License-Identifier: GPL-2.0
/*
 * adv_plat_unknown - a policy for the platform after the last one
 *
 * init_member must refuse it at load: platforms 0x8 invalid.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_plat_unknown_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_plat_unknown = {
	.unbind		= (void *)adv_plat_unknown_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_NR),
	.name		= "adv_plat_unknown",
};
