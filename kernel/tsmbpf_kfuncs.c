// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf kfuncs for struct tsmbpf_ops programs (see the set's filter):
 *
 *  - one per step of DESIGN.md section 1, bind side and unbind side.  Each
 *    goes through tsmbpf_step(), that is through the platform backend,
 *    and returns 0 or a negative errno; the platform's code is kept in the
 *    TDI's last_fw_error.  They sleep (firmware calls), so only sleepable
 *    callbacks (bind, unbind: struct_ops.s) may call them;
 *  - state readers;
 *  - tsmbpf_error(), which ejects the calling policy with its message.
 *
 * A step kfunc acts on the TDI the callback was given, whose lock the core
 * holds for the duration of the callback.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

#include "tsmbpf.h"

/* Per CPU: policies on many CPUs do not bounce one cache line. */
static DEFINE_PER_CPU(u64, tsmbpf_kfunc_count);

u64 tsmbpf_kfunc_calls(void)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(tsmbpf_kfunc_count, cpu);
	return n;
}

/*
 * The platform's code stays in tdi->last_fw_error, the errno in
 * tdi->policy_step_err: the core tells a policy passing on a refusal from
 * one that gives up on its own.
 */
static int tsmbpf_kfunc_step(struct tsmbpf_tdi *tdi, u32 step)
{
	int ret;

	/* only from inside a callback on this TDI: the core holds its lock */
	if (!tdi->in_policy)
		return -EPERM;
	this_cpu_inc(tsmbpf_kfunc_count);
	ret = tsmbpf_step(tdi, step, 0, NULL);
	if (ret)
		tdi->policy_step_err = ret;
	return ret;
}

__bpf_kfunc_start_defs();

/**
 * tsmbpf_tdi_lock - TDISP LOCK_INTERFACE (TDX DEVIFMT.ADD + DEVIF.CREATE,
 *	SEV TIO_TDI_CREATE + BIND, CCA VDEV_CREATE + LOCK)
 * @tdi: the TDI passed to bind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_tdi_lock(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_TDI_LOCK);
}

/**
 * tsmbpf_mmio_map - assign the TDI's private MMIO and map it PENDING in the
 *	secure page table (or leave it to faults for a lazy bind)
 * @tdi: the TDI passed to bind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_mmio_map(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_MMIO_MAP);
}

/**
 * tsmbpf_dma_setup - install the trusted DMA entry (TDX trusted DCT, SEV
 *	sDTE, CCA realm SMMU STE)
 * @tdi: the TDI passed to bind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_dma_setup(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_DMA_SETUP);
}

/**
 * tsmbpf_fence_clear - SEV-TIO TIO_ASID_FENCE_CLEAR after an ERROR
 * @tdi: the TDI passed to bind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_fence_clear(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_FENCE_CLEAR);
}

/**
 * tsmbpf_tdi_stop - TDISP STOP_INTERFACE (TDX DEVIF.REQUEST(STOP),
 *	SEV TIO_TDI_UNBIND, CCA RMI_VDEV_UNLOCK)
 * @tdi: the TDI passed to unbind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_tdi_stop(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_TDI_STOP);
}

/**
 * tsmbpf_mmio_unmap - take the TDI's private MMIO out of the secure page
 *	table (TDX MMIO.BLOCK + TLB track + MMIO.UNMAP)
 * @tdi: the TDI passed to unbind()
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
 * @tdi: the TDI passed to unbind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_dma_teardown(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_DMA_TEARDOWN);
}

/**
 * tsmbpf_key_purge - CCA: purge the interface's keys after unlock (optional)
 * @tdi: the TDI passed to unbind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_key_purge(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_KEY_PURGE);
}

/**
 * tsmbpf_tdi_reclaim - reclaim ownership and free the firmware metadata
 *	(TDX MMIOMT/DEVIF/DEVIFMT.REMOVE, SEV TIO_TDI_RECLAIM,
 *	CCA RMI_VDEV_DESTROY)
 * @tdi: the TDI passed to unbind()
 *
 * Return: 0, or a negative errno with the platform code in last_fw_error.
 */
__bpf_kfunc int tsmbpf_tdi_reclaim(struct tsmbpf_tdi *tdi)
{
	return tsmbpf_kfunc_step(tdi, TSMBPF_STEP_TDI_RECLAIM);
}

/**
 * tsmbpf_mmio_recover - make the MMIO usable again as shared (T=0)
 * @tdi: the TDI passed to unbind()
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

/**
 * tsmbpf_tdi_state - the TDI's TDISP state
 * @tdi: a TDI passed to a callback
 *
 * Return: enum tsmbpf_tdisp_state.
 */
__bpf_kfunc u32 tsmbpf_tdi_state(struct tsmbpf_tdi *tdi)
{
	return READ_ONCE(tdi->state);
}

/**
 * tsmbpf_tdi_resources - what the platform holds for the TDI
 * @tdi: a TDI passed to a callback
 *
 * Return: TSMBPF_RES_* bits.
 */
__bpf_kfunc u32 tsmbpf_tdi_resources(struct tsmbpf_tdi *tdi)
{
	return READ_ONCE(tdi->res);
}

/**
 * tsmbpf_tdi_mmio_pages - private MMIO pages mapped in the secure page table
 * @tdi: a TDI passed to a callback
 *
 * Return: the number of 4 KiB pages.
 */
__bpf_kfunc u64 tsmbpf_tdi_mmio_pages(struct tsmbpf_tdi *tdi)
{
	return READ_ONCE(tdi->mmio_pages);
}

/**
 * tsmbpf_tdi_last_fw_error - the last platform error code on the TDI
 * @tdi: a TDI passed to a callback
 *
 * Return: enum tsmbpf_fw_error.
 */
__bpf_kfunc u32 tsmbpf_tdi_last_fw_error(struct tsmbpf_tdi *tdi)
{
	return READ_ONCE(tdi->last_fw_error);
}

/*
 * Format the message of tsmbpf_error(): integers only (%d %i %u %x %ld %lu
 * %lx %lld %llu %llx, %%), no %s or %p: nothing is dereferenced.
 */
static void tsmbpf_format(char *buf, size_t size, const char *fmt,
			  const u64 *data, u32 nr)
{
	size_t len = 0;
	u32 arg = 0;

	while (*fmt && len + 1 < size) {
		char conv;

		if (*fmt != '%') {
			buf[len++] = *fmt++;
			continue;
		}
		fmt++;
		if (*fmt == '%') {
			buf[len++] = *fmt++;
			continue;
		}
		while (*fmt == 'l')
			fmt++;
		conv = *fmt ? *fmt++ : '\0';
		if (arg >= nr || !strchr("diux", conv)) {
			len += scnprintf(buf + len, size - len, "<?>");
			continue;
		}
		if (conv == 'x')
			len += scnprintf(buf + len, size - len, "%llx",
					 data[arg++]);
		else if (conv == 'u')
			len += scnprintf(buf + len, size - len, "%llu",
					 data[arg++]);
		else
			len += scnprintf(buf + len, size - len, "%lld",
					 (s64)data[arg++]);
	}
	buf[len] = '\0';
}

/**
 * tsmbpf_error_bstr - eject the calling policy with a message
 * @fmt__str: format, a constant string; integer conversions only
 * @data: the arguments, 64 bits each
 * @data__sz: size of @data in bytes
 *
 * The callback continues to its end; then the core ejects the policy,
 * records the message in the exit record and finishes the operation
 * natively.  Use the tsmbpf_error() macro of tsmbpf.bpf.h.
 */
__bpf_kfunc void tsmbpf_error_bstr(const char *fmt__str, u64 *data,
				   u32 data__sz)
{
	char msg[TSMBPF_EXIT_MSG_LEN];

	tsmbpf_format(msg, sizeof(msg), fmt__str, data, data__sz / 8);
	tsmbpf_call_error(msg);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(tsmbpf_kfunc_ids)
BTF_ID_FLAGS(func, tsmbpf_tdi_lock, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_mmio_map, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_dma_setup, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_fence_clear, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_tdi_stop, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_mmio_unmap, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_dma_teardown, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_key_purge, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_tdi_reclaim, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_mmio_recover, KF_TRUSTED_ARGS | KF_SLEEPABLE)
BTF_ID_FLAGS(func, tsmbpf_tdi_state, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, tsmbpf_tdi_resources, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, tsmbpf_tdi_mmio_pages, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, tsmbpf_tdi_last_fw_error, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, tsmbpf_error_bstr)
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
