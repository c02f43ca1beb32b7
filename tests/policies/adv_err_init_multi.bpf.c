// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_init_multi - a three-platform policy whose init() calls tsmbpf_error()
 *
 * The attach is refused whatever init() returns, and each of the three
 * free slots keeps the exit record (kind error, in init()).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/init")
s32 BPF_PROG(adv_err_init_multi_init)
{
	tsmbpf_error("adv init refuses %d platforms", 3);
	return 0;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_init_multi_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return tsmbpf_mmio_recover(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_init_multi = {
	.init		= (void *)adv_err_init_multi_init,
	.unbind		= (void *)adv_err_init_multi_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX) |
			  TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO) |
			  TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.name		= "adv_err_init_multi",
};
