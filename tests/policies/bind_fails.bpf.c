// SPDX-License-Identifier: GPL-2.0
/*
 * bind_fails - a valid policy whose bind() locks the TDI, then refuses with
 * -bind_errno (a setting, default EPROTO)
 *
 * An errno is the policy's own answer, -EPROTO included: the bind must fail
 * with it, the TDI be rolled back, and the policy stay attached (it did
 * nothing wrong).  No firmware step was refused, so the bind must report no
 * firmware error, whatever an earlier operation left in last_fw_error.
 * The TDX teardown is the platform's order.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile u32 bind_errno = 71;	/* EPROTO */

SEC("struct_ops.s/bind")
s32 BPF_PROG(bind_fails_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	return -(s32)bind_errno;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bind_fails_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bind_fails = {
	.bind		= (void *)bind_fails_bind,
	.unbind		= (void *)bind_fails_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bind_fails",
};
