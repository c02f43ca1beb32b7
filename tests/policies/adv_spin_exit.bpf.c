// SPDX-License-Identifier: GPL-2.0
/*
 * adv_spin_exit - a CCA policy whose only callback, exit(), spins past its deadline
 *
 * CCA runs natively while it is attached.  exit() is held to the deadline
 * too: at detach the overrun is logged (exit() misbehaved (timeout)) and
 * the detach completes.
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

SEC("struct_ops/exit")
void BPF_PROG(adv_spin_exit_exit, struct tsmbpf_exit_info *info)
{
	bpf_loop(1 << 23, spin, NULL, 0);
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_spin_exit = {
	.exit		= (void *)adv_spin_exit_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_CCA),
	.timeout_ms	= 1,
	.name		= "adv_spin_exit",
};
