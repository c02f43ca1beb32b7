// SPDX-License-Identifier: GPL-2.0
/*
 * adv_err_unbind_mid_tdx - a TDX teardown that stops, then gives up with tsmbpf_error()
 *
 * Ejected (kind error, in unbind(), missing mmio_unmap): the native
 * sequence finishes from the stopped interface.
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_err_unbind_mid_tdx_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	tsmbpf_error("adv gave up after the stop of tdi %u", tdi->id);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_err_unbind_mid_tdx = {
	.unbind		= (void *)adv_err_unbind_mid_tdx_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "adv_err_unbind_mid_tdx",
};
