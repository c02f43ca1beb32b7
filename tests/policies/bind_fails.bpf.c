// SPDX-License-Identifier: GPL-2.0
/*
 * bind_eproto - a valid policy whose bind() refuses with -EPROTO
 *
 * -EPROTO is an errno like any other: the bind must fail with it, the TDI
 * be rolled back, and the policy stay attached (it did nothing wrong).
 * The TDX teardown is the platform's order.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EPROTO	71

SEC("struct_ops.s/bind")
s32 BPF_PROG(bind_eproto_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	return -EPROTO;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bind_eproto_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bind_eproto = {
	.bind		= (void *)bind_eproto_bind,
	.unbind		= (void *)bind_eproto_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bind_eproto",
};
