// SPDX-License-Identifier: GPL-2.0
/*
 * adv_spin_event_native - an event() that spins during a native SEV-TIO bind
 *
 * It sequences nothing, so event() is a call of its own during the native
 * bind; its overrun ejects it (kind timeout, in event()) and the native
 * bind completes.
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

SEC("struct_ops/event")
void BPF_PROG(adv_spin_event_native_event, struct tsmbpf_tdi *tdi, u32 step,
	      s32 result)
{
	bpf_loop(1 << 23, spin, NULL, 0);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_spin_event_native = {
	.event		= (void *)adv_spin_event_native_event,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.timeout_ms	= 1,
	.name		= "adv_spin_event_native",
};
