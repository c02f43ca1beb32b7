// SPDX-License-Identifier: GPL-2.0
/*
 * bad_return - a correct TDX teardown that returns a positive value
 *
 * A broken policy for the tests: unbind() must return 0 or -errno; 5 must eject the policy (bad-return).
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bad_return_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return 5;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_return = {
	.unbind		= (void *)bad_return_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bad_return",
};
