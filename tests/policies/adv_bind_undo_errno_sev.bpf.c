// SPDX-License-Identifier: GPL-2.0
/*
 * adv_bind_undo_errno_sev - a SEV-TIO bind that undoes itself and fails
 *
 * lock, map, DMA, then its own teardown (stop, DMA, unmap, reclaim) and
 * -EIO.  An errno is the policy's answer: the bind fails with it, the TDI
 * is left unbound and shared, and the policy stays attached (it left
 * nothing half done).
 *
 * A row of adversarial.tsv; run by tests/guest/60_adversarial.bats.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops.s/bind")
s32 BPF_PROG(adv_bind_undo_errno_sev_bind, struct tsmbpf_tdi *tdi)
{
	TSMBPF_TRY(tsmbpf_tdi_lock, tdi);
	TSMBPF_TRY(tsmbpf_mmio_map, tdi);
	TSMBPF_TRY(tsmbpf_dma_setup, tdi);
	TSMBPF_TRY(tsmbpf_tdi_stop, tdi);
	TSMBPF_TRY(tsmbpf_dma_teardown, tdi);
	TSMBPF_TRY(tsmbpf_mmio_unmap, tdi);
	TSMBPF_TRY(tsmbpf_tdi_reclaim, tdi);
	return -5;	/* EIO */
}

SEC(".struct_ops.link")
struct tsmbpf_ops adv_bind_undo_errno_sev = {
	.bind		= (void *)adv_bind_undo_errno_sev_bind,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_SEV_TIO),
	.name		= "adv_bind_undo_errno_sev",
};
