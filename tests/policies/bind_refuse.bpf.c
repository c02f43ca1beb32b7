// SPDX-License-Identifier: GPL-2.0
/*
 * bind_refuse - a valid policy whose bind() refuses with -EACCES after a
 * successful lock: the bind fails without any firmware refusal, so it must
 * report no firmware error, whatever an earlier operation left in the
 * TDI's last_fw_error.  The TDX teardown is the platform's order.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EACCES	13

SEC("struct_ops.s/bind")
s32 BPF_PROG(bind_refuse_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	return -EACCES;
}

SEC("struct_ops.s/unbind")
s32 BPF_PROG(bind_refuse_unbind, struct tsmbpf_tdi *tdi, u32 reason)
{
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return 0;
}

SEC(".struct_ops.link")
struct tsmbpf_ops bind_refuse = {
	.bind		= (void *)bind_refuse_bind,
	.unbind		= (void *)bind_refuse_unbind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "bind_refuse",
};
