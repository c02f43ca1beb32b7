// SPDX-License-Identifier: GPL-2.0
/*
 * adv_spin_unbind_sev - a SEV-TIO teardown that stops, then spins in bpf_loop() past its deadline
 *
 * timeout_ms is 1.  The overrun is seen when unbind() returns: ejected
 * (kind timeout, missing mmio_unmap, the first step after the stop), and
 * the native sequence finishes.
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

SEC("struct_ops.s/unbind")
s32 BPF_PROG(adv_spin_unbind_sev_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	bpf_loop(1 << 23, spin, NULL, 0);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_spin_unbind_sev = {
	.unbind		= (void *)adv_spin_unbind_sev_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.timeout_ms	= 1,
	.name		= "adv_spin_unbind_sev",
};
