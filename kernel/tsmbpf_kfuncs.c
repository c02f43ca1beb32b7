// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf kfuncs: the steps of unbind a policy calls, one per step of
 * DESIGN.md section 1.  Each goes through tsmbpf_step(), which enforces
 * the TDISP rules and the platform firmware's order, and returns 0 or a
 * negative errno; the platform's code is kept in the TDI's last_fw_error.
 *
 * Visible only to programs of struct tsmbpf_ops (see the set's filter).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

#include "tsmbpf.h"

static int tsmbpf_kfunc_step(struct tsmbpf_tdi *tdi, u32 step)
{
	u32 fw_error;
	int ret;

	atomic64_inc(&tsmbpf_stats.kfunc_calls);
	ret = tsmbpf_step(tdi, step, &fw_error);
	if (ret)
		tdi->last_fw_error = fw_error;
	return ret;
}

__bpf_kfunc_start_defs();

/**
 * tsmbpf_tdi_stop - TDISP STOP_INTERFACE (TDX DEVIF.REQUEST(STOP),
 *	SEV TIO_TDI_UNBIND, CCA RMI_VDEV_UNLOCK)
 * @tdi: the TDI passed to the callback
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_tdi_stop(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_TDI_STOP);
}

/**
 * tsmbpf_mmio_unmap - take the TDI's private MMIO out of the secure page
 *	table (TDX MMIO.BLOCK + track + MMIO.UNMAP)
 * @tdi: the TDI passed to the callback
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_mmio_unmap(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_MMIO_UNMAP);
}

/**
 * tsmbpf_dma_teardown - remove the trusted DMA entry (TDX DMAR.BLOCK/REMOVE,
 *	SEV sDTE, CCA realm SMMU STE)
 * @tdi: the TDI passed to the callback
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_dma_teardown(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_DMA_TEARDOWN);
}

/**
 * tsmbpf_tdi_reclaim - reclaim ownership and free the firmware metadata
 *	(TDX MMIOMT/DEVIF/DEVIFMT.REMOVE, SEV TIO_TDI_RECLAIM,
 *	CCA RMI_VDEV_DESTROY)
 * @tdi: the TDI passed to the callback
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_tdi_reclaim(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_TDI_RECLAIM);
}

/**
 * tsmbpf_mmio_recover - make the MMIO usable again as shared (T=0)
 * @tdi: the TDI passed to the callback
 *
 * Optional: the core recovers shared MMIO after unbind if the policy does
 * not.
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_mmio_recover(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_MMIO_RECOVER);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(tsmbpf_kfunc_ids)
BTF_ID_FLAGS(func, tsmbpf_tdi_stop, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_mmio_unmap, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_dma_teardown, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_tdi_reclaim, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_mmio_recover, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_KFUNCS_END(tsmbpf_kfunc_ids)

static int tsmbpf_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&tsmbpf_kfunc_ids, kfunc_id))
		return 0;
	return tsmbpf_prog_is_policy(prog) ? 0 : -EACCES;
}

static const struct btf_kfunc_id_set tsmbpf_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &tsmbpf_kfunc_ids,
	.filter = tsmbpf_kfunc_filter,
};

int tsmbpf_kfuncs_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					 &tsmbpf_kfunc_set);
}
