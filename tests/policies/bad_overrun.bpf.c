// SPDX-License-Identifier: GPL-2.0
/*
 * bad_overrun - a correct TDX teardown that overruns its 1 ms deadline
 *
 * A broken policy for the tests: it spins before the steps; the core must eject it with kind timeout after the callback returns, although the TDI is torn down.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

static long spin(u64 i, void *ctx)
{
	return 0;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(overrun_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	bpf_loop(1 << 23, spin, NULL, 0);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	return tsmbpf_tdi_reclaim(tdi);
}

SEC(".struct_ops.link")
struct tsmbpf_ops bad_overrun = {
	.unbind		= (void *)overrun_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.timeout_ms	= 1,
	.name		= "bad_overrun",
};
