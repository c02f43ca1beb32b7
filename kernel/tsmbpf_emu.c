// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_emu: emulated platform firmware for TDX Connect, SEV-TIO and Arm
 * CCA, so that the whole bind/unbind flow runs without TEE hardware.
 *
 * Each platform's firmware enforces its own order (DESIGN.md section 1) and
 * answers a violation with the platform's named error:
 *
 *   TDX Connect  stop -> mmio_unmap -> dma_teardown -> reclaim -> recover
 *   SEV-TIO      stop -> {mmio_unmap, dma_teardown} -> reclaim; ERROR fences
 *                the ASID's DMA until TIO_ASID_FENCE_CLEAR
 *   Arm CCA      mmio_unmap -> dma_teardown -> stop (VDEV_UNLOCK)
 *                -> [key purge] -> reclaim (VDEV_DESTROY, even from ERROR)
 *
 * In TDISP ERROR only GET_STATE and STOP reach the device; one TDISP
 * request may be outstanding per TDI.  The rules read the TDI's state,
 * which the core changes only after the firmware allowed a step.
 *
 * Knobs, in /sys/kernel/debug/tsmbpf_emu/:
 *   latency_us   per-call firmware latency (also a module parameter)
 *   latency_spin 0: the latency sleeps (usleep_range), as a host waits for
 *                the SEV PSP's mailbox; 1: it busy-waits on the calling
 *                CPU, as a SEAMCALL into the TDX module or an SMC into the
 *                RMM runs there.  Spinning takes exactly the time asked,
 *                where a sleep's wake-up adds its own (large and noisy
 *                under QEMU TCG): make bench uses it to measure small
 *                overheads next to the firmware's time
 *   inject       "TDI STEP [COUNT]": the next COUNT calls of STEP (a name
 *                such as mmio_unmap, or its number in enum tsmbpf_step) on
 *                TDI fail with TSMBPF_FW_INJECTED; "clear" drops all
 *   outstanding  "TDI 1|0": hold or release a TDISP request on TDI
 *   stats        firmware calls, refusals and the time spent in the
 *                emulated latency (the sleeps as achieved, wake-up delay
 *                included, or the spins) per platform
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "tsmbpf.h"

static unsigned int latency_us;
module_param(latency_us, uint, 0644);
MODULE_PARM_DESC(latency_us, "firmware latency per call, microseconds");

static bool latency_spin;
module_param(latency_spin, bool, 0644);
MODULE_PARM_DESC(latency_spin, "busy-wait the latency instead of sleeping");

/* tdi->fw_flags bits */
#define TSMBPF_EMU_OUTSTANDING	BIT(0)

#define TSMBPF_EMU_MAX_INJECT	64

struct tsmbpf_emu_inject {
	u32 tdi;
	u32 step;
	u32 count;
};

static DEFINE_SPINLOCK(tsmbpf_emu_lock);
static struct tsmbpf_emu_inject tsmbpf_emu_injects[TSMBPF_EMU_MAX_INJECT];
static atomic64_t tsmbpf_emu_calls[TSMBPF_PLAT_NR];
static atomic64_t tsmbpf_emu_refused[TSMBPF_PLAT_NR];
static atomic64_t tsmbpf_emu_slept_ns[TSMBPF_PLAT_NR];
static struct dentry *tsmbpf_emu_dir;

/* Consume one injected failure of @step on @tdi, if any. */
static bool tsmbpf_emu_injected(const struct tsmbpf_tdi *tdi, u32 step)
{
	bool hit = false;
	int i;

	spin_lock(&tsmbpf_emu_lock);
	for (i = 0; i < TSMBPF_EMU_MAX_INJECT; i++) {
		struct tsmbpf_emu_inject *in = &tsmbpf_emu_injects[i];

		if (in->count && in->tdi == tdi->id && in->step == step) {
			in->count--;
			hit = true;
			break;
		}
	}
	spin_unlock(&tsmbpf_emu_lock);
	return hit;
}

/* What the firmware sees of a TDI. */
struct tsmbpf_emu_view {
	u32 state;
	bool meta, dma, mapped, assigned, accepted, fenced, busy;
};

static void tsmbpf_emu_view(const struct tsmbpf_tdi *tdi,
			    struct tsmbpf_emu_view *v)
{
	v->state = tdi->state;
	v->meta = tdi->res & TSMBPF_RES_METADATA;
	v->dma = tdi->res & TSMBPF_RES_DMA;
	v->assigned = tdi->mmio_assigned;
	v->mapped = tdi->mmio_pages || tdi->mmio_assigned;
	v->accepted = tdi->res & TSMBPF_RES_ACCEPTED;
	v->fenced = tdi->res & TSMBPF_RES_FENCED;
	v->busy = tdi->fw_flags & TSMBPF_EMU_OUTSTANDING;
}

#define UNLOCKED	TSMBPF_TDISP_CONFIG_UNLOCKED
#define LOCKED		TSMBPF_TDISP_CONFIG_LOCKED
#define ERROR		TSMBPF_TDISP_ERROR

/* Bind side, shared by TDX and SEV-TIO with their own codes. */
static u32 tsmbpf_emu_bind_rules(const struct tsmbpf_emu_view *v, u32 step,
				 u64 arg, u64 nonce, u32 err_state,
				 u32 invalid, u32 bad_nonce)
{
	if (v->state == ERROR)
		return err_state;
	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
		return v->state != UNLOCKED || v->meta ? invalid : 0;
	case TSMBPF_STEP_MMIO_MAP:
		return v->state != LOCKED || !v->meta || v->assigned ?
		       invalid : 0;
	case TSMBPF_STEP_DMA_SETUP:
		return v->state != LOCKED || v->dma ? invalid : 0;
	case TSMBPF_STEP_ACCEPT:
		return v->state != LOCKED || !v->assigned || !v->dma ?
		       invalid : 0;
	case TSMBPF_STEP_TDI_START:
		if (v->state != LOCKED || !v->accepted)
			return invalid;
		return arg != nonce ? bad_nonce : 0;
	}
	return invalid;
}

static u32 tsmbpf_emu_tdx(const struct tsmbpf_emu_view *v, u32 step, u64 arg,
			  u64 nonce)
{
	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
	case TSMBPF_STEP_TDI_START:
		if (v->busy)
			return TSMBPF_FW_TDX_DEVIF_TDISP_OUT_REQ;
		fallthrough;
	case TSMBPF_STEP_MMIO_MAP:
	case TSMBPF_STEP_DMA_SETUP:
	case TSMBPF_STEP_ACCEPT:
		return tsmbpf_emu_bind_rules(v, step, arg, nonce,
					     TSMBPF_FW_TDX_DEVIF_TDISP_ERROR_STATE,
					     TSMBPF_FW_TDX_DEVIF_INVALID_STATE,
					     TSMBPF_FW_TDX_DEVIF_BAD_NONCE);
	case TSMBPF_STEP_TDI_STOP:
		if (v->busy)
			return TSMBPF_FW_TDX_DEVIF_TDISP_OUT_REQ;
		return v->state == UNLOCKED || !v->meta ?
		       TSMBPF_FW_TDX_DEVIF_INVALID_STATE : 0;
	case TSMBPF_STEP_MMIO_UNMAP:
		return v->state != UNLOCKED ?
		       TSMBPF_FW_TDX_DEVIF_INVALID_STATE : 0;
	case TSMBPF_STEP_DMA_TEARDOWN:
		if (v->state != UNLOCKED || !v->dma)
			return TSMBPF_FW_TDX_DEVIF_INVALID_STATE;
		return v->mapped ? TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO : 0;
	case TSMBPF_STEP_TDI_RECLAIM:
		if (v->state != UNLOCKED || !v->meta)
			return TSMBPF_FW_TDX_DEVIF_INVALID_STATE;
		if (v->mapped)
			return TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO;
		return v->dma ? TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_DMA : 0;
	case TSMBPF_STEP_MMIO_RECOVER:
		if (v->meta)
			return TSMBPF_FW_TDX_DEVIF_INVALID_STATE;
		return v->mapped ? TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO : 0;
	}
	return TSMBPF_FW_TDX_DEVIF_INVALID_STATE;	/* no such call on TDX */
}

static u32 tsmbpf_emu_sev(const struct tsmbpf_emu_view *v, u32 step, u64 arg,
			  u64 nonce)
{
	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
		if (v->fenced)
			return TSMBPF_FW_SEV_TIO_ASID_FENCED;
		fallthrough;
	case TSMBPF_STEP_TDI_START:
		if (v->busy)
			return TSMBPF_FW_SEV_TIO_REQUEST_PENDING;
		fallthrough;
	case TSMBPF_STEP_MMIO_MAP:
	case TSMBPF_STEP_DMA_SETUP:
	case TSMBPF_STEP_ACCEPT:
		return tsmbpf_emu_bind_rules(v, step, arg, nonce,
					     TSMBPF_FW_SEV_TIO_TDISP_ERROR,
					     TSMBPF_FW_SEV_TIO_INVALID_STATE,
					     TSMBPF_FW_SEV_TIO_BAD_NONCE);
	case TSMBPF_STEP_TDI_STOP:
		if (v->busy)
			return TSMBPF_FW_SEV_TIO_REQUEST_PENDING;
		return v->state == UNLOCKED || !v->meta ?
		       TSMBPF_FW_SEV_TIO_INVALID_STATE : 0;
	case TSMBPF_STEP_MMIO_UNMAP:
		/* RMP entries of bound MMIO are immutable */
		return v->state != UNLOCKED ? TSMBPF_FW_SEV_TIO_RMP_IMMUTABLE : 0;
	case TSMBPF_STEP_DMA_TEARDOWN:
		if (v->state != UNLOCKED)
			return TSMBPF_FW_SEV_TIO_RMP_IMMUTABLE;
		return !v->dma ? TSMBPF_FW_SEV_TIO_INVALID_STATE : 0;
	case TSMBPF_STEP_TDI_RECLAIM:
		if (v->state != UNLOCKED || !v->meta)
			return TSMBPF_FW_SEV_TIO_INVALID_STATE;
		if (v->mapped)
			return TSMBPF_FW_SEV_TIO_MMIO_IN_USE;
		return v->dma ? TSMBPF_FW_SEV_TIO_DMA_IN_USE : 0;
	case TSMBPF_STEP_MMIO_RECOVER:
		return v->meta || v->mapped ? TSMBPF_FW_SEV_TIO_INVALID_STATE : 0;
	case TSMBPF_STEP_FENCE_CLEAR:
		return !v->fenced || v->state != UNLOCKED ?
		       TSMBPF_FW_SEV_TIO_INVALID_STATE : 0;
	}
	return TSMBPF_FW_SEV_TIO_INVALID_STATE;
}

static u32 tsmbpf_emu_cca(const struct tsmbpf_emu_view *v, u32 step, u64 arg,
			  u64 nonce)
{
	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
	case TSMBPF_STEP_TDI_START:
		if (v->busy)
			return TSMBPF_FW_RMI_ERROR_DEVICE_BUSY;
		fallthrough;
	case TSMBPF_STEP_MMIO_MAP:
	case TSMBPF_STEP_DMA_SETUP:
	case TSMBPF_STEP_ACCEPT:
		return tsmbpf_emu_bind_rules(v, step, arg, nonce,
					     TSMBPF_FW_RMI_ERROR_DEVICE_STATE,
					     TSMBPF_FW_RMI_ERROR_DEVICE_STATE,
					     TSMBPF_FW_RMI_ERROR_DEVICE_NONCE);
	case TSMBPF_STEP_MMIO_UNMAP:
		return 0;	/* device memory may go at any time */
	case TSMBPF_STEP_DMA_TEARDOWN:
		if (!v->dma)
			return TSMBPF_FW_RMI_ERROR_DEVICE_STATE;
		return v->mapped ? TSMBPF_FW_RMI_ERROR_DEVICE_MEMORY : 0;
	case TSMBPF_STEP_TDI_STOP:	/* RMI_VDEV_UNLOCK */
		if (v->busy)
			return TSMBPF_FW_RMI_ERROR_DEVICE_BUSY;
		if (v->state == UNLOCKED || !v->meta)
			return TSMBPF_FW_RMI_ERROR_DEVICE_STATE;
		if (v->mapped)
			return TSMBPF_FW_RMI_ERROR_DEVICE_MEMORY;
		return v->dma ? TSMBPF_FW_RMI_ERROR_DEVICE_DMA : 0;
	case TSMBPF_STEP_KEY_PURGE:
		return v->state != UNLOCKED || !v->meta ?
		       TSMBPF_FW_RMI_ERROR_DEVICE_STATE : 0;
	case TSMBPF_STEP_TDI_RECLAIM:	/* RMI_VDEV_DESTROY, even from ERROR */
		if ((v->state != UNLOCKED && v->state != ERROR) || !v->meta)
			return TSMBPF_FW_RMI_ERROR_DEVICE_STATE;
		if (v->mapped)
			return TSMBPF_FW_RMI_ERROR_DEVICE_MEMORY;
		return v->dma ? TSMBPF_FW_RMI_ERROR_DEVICE_DMA : 0;
	case TSMBPF_STEP_MMIO_RECOVER:
		return v->meta || v->mapped ? TSMBPF_FW_RMI_ERROR_DEVICE_STATE : 0;
	}
	return TSMBPF_FW_RMI_ERROR_DEVICE_STATE;
}

static int tsmbpf_emu_errno(u32 code)
{
	switch (code) {
	case TSMBPF_FW_TDX_DEVIF_TDISP_OUT_REQ:
	case TSMBPF_FW_SEV_TIO_REQUEST_PENDING:
	case TSMBPF_FW_RMI_ERROR_DEVICE_BUSY:
		return -EBUSY;
	case TSMBPF_FW_TDX_DEVIF_BAD_NONCE:
	case TSMBPF_FW_SEV_TIO_BAD_NONCE:
	case TSMBPF_FW_RMI_ERROR_DEVICE_NONCE:
		return -EACCES;
	case TSMBPF_FW_INJECTED:
		return -EIO;
	}
	return -EPERM;
}

/*
 * Busy-wait @us on the calling CPU, against the clock rather than a
 * calibrated delay loop: under TCG udelay() may come up short of what it
 * was asked.  Reschedule once a millisecond.
 */
static void tsmbpf_emu_spin(unsigned int us)
{
	u64 now = ktime_get_ns();
	u64 end = now + (u64)us * NSEC_PER_USEC;
	u64 next = now + NSEC_PER_MSEC;

	while ((now = ktime_get_ns()) < end) {
		if (now >= next) {
			cond_resched();
			next = now + NSEC_PER_MSEC;
		}
		cpu_relax();
	}
}

static int tsmbpf_emu_call(struct tsmbpf_tdi *tdi, u32 step, u64 arg,
			   u32 *fw_error)
{
	struct tsmbpf_emu_view v;
	unsigned int lat = READ_ONCE(latency_us);
	u32 code;

	lockdep_assert_held(&tdi->lock);
	atomic64_inc(&tsmbpf_emu_calls[tdi->platform]);
	if (lat) {
		u64 t0 = ktime_get_ns();

		if (READ_ONCE(latency_spin))
			tsmbpf_emu_spin(lat);
		else
			usleep_range(lat, lat + lat / 8 + 1);
		atomic64_add(ktime_get_ns() - t0,
			     &tsmbpf_emu_slept_ns[tdi->platform]);
	}

	tsmbpf_emu_view(tdi, &v);
	switch (tdi->platform) {
	case TSMBPF_PLAT_TDX:
		code = tsmbpf_emu_tdx(&v, step, arg, tdi->nonce);
		break;
	case TSMBPF_PLAT_SEV_TIO:
		code = tsmbpf_emu_sev(&v, step, arg, tdi->nonce);
		break;
	default:
		code = tsmbpf_emu_cca(&v, step, arg, tdi->nonce);
		break;
	}
	if (!code && tsmbpf_emu_injected(tdi, step))
		code = TSMBPF_FW_INJECTED;
	*fw_error = code;
	if (!code)
		return 0;
	atomic64_inc(&tsmbpf_emu_refused[tdi->platform]);
	return tsmbpf_emu_errno(code);
}

/* SEV-TIO: an interface in ERROR fences its ASID's DMA. */
static void tsmbpf_emu_sev_error(struct tsmbpf_tdi *tdi)
{
	tdi->res |= TSMBPF_RES_FENCED;
}

static const struct tsmbpf_backend_ops tsmbpf_emu_backends[] = {
	{
		.owner = THIS_MODULE,
		.platform = TSMBPF_PLAT_TDX,
		.name = "emulated TDX module (TDX Connect)",
		.call = tsmbpf_emu_call,
	},
	{
		.owner = THIS_MODULE,
		.platform = TSMBPF_PLAT_SEV_TIO,
		.name = "emulated AMD SEV firmware (SEV-TIO)",
		.call = tsmbpf_emu_call,
		.error = tsmbpf_emu_sev_error,
	},
	{
		.owner = THIS_MODULE,
		.platform = TSMBPF_PLAT_CCA,
		.name = "emulated Arm RMM 2.0 (CCA)",
		.call = tsmbpf_emu_call,
	},
};

/* A firmware step by name (tsmbpf_step_name()) or number; 0 if neither. */
static u32 tsmbpf_emu_parse_step(const char *s)
{
	u32 step;

	if (!kstrtou32(s, 0, &step))
		return step < TSMBPF_STEP_DEVICE_ERROR ? step : TSMBPF_STEP_NONE;
	for (step = TSMBPF_STEP_NONE + 1; step < TSMBPF_STEP_DEVICE_ERROR; step++)
		if (!strcmp(s, tsmbpf_step_name(step)))
			return step;
	return TSMBPF_STEP_NONE;
}

static ssize_t tsmbpf_emu_inject_write(struct file *file,
				       const char __user *ubuf, size_t len,
				       loff_t *ppos)
{
	u32 tdi, step, count = 1;
	char buf[64], name[24];
	int i, n;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sysfs_streq(buf, "clear")) {
		spin_lock(&tsmbpf_emu_lock);
		memset(tsmbpf_emu_injects, 0, sizeof(tsmbpf_emu_injects));
		spin_unlock(&tsmbpf_emu_lock);
		return len;
	}
	n = sscanf(buf, "%u %23s %u", &tdi, name, &count);
	if (n < 2 || !tdi || !count)
		return -EINVAL;
	step = tsmbpf_emu_parse_step(name);
	if (step == TSMBPF_STEP_NONE)
		return -EINVAL;

	spin_lock(&tsmbpf_emu_lock);
	for (i = 0; i < TSMBPF_EMU_MAX_INJECT; i++) {
		struct tsmbpf_emu_inject *in = &tsmbpf_emu_injects[i];

		if (!in->count || (in->tdi == tdi && in->step == step)) {
			in->tdi = tdi;
			in->step = step;
			in->count = count;
			break;
		}
	}
	spin_unlock(&tsmbpf_emu_lock);
	return i < TSMBPF_EMU_MAX_INJECT ? len : -ENOSPC;
}

static int tsmbpf_emu_inject_show(struct seq_file *m, void *v)
{
	int i;

	spin_lock(&tsmbpf_emu_lock);
	for (i = 0; i < TSMBPF_EMU_MAX_INJECT; i++) {
		const struct tsmbpf_emu_inject *in = &tsmbpf_emu_injects[i];

		if (in->count)
			seq_printf(m, "%u %u %u\n", in->tdi, in->step, in->count);
	}
	spin_unlock(&tsmbpf_emu_lock);
	return 0;
}

static int tsmbpf_emu_inject_open(struct inode *inode, struct file *file)
{
	return single_open(file, tsmbpf_emu_inject_show, NULL);
}

static const struct file_operations tsmbpf_emu_inject_fops = {
	.owner = THIS_MODULE,
	.open = tsmbpf_emu_inject_open,
	.read = seq_read,
	.write = tsmbpf_emu_inject_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t tsmbpf_emu_outstanding_write(struct file *file,
					    const char __user *ubuf,
					    size_t len, loff_t *ppos)
{
	struct tsmbpf_tdi *tdi;
	u32 id, on;
	char buf[32];

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%u %u", &id, &on) != 2 || on > 1)
		return -EINVAL;
	tdi = tsmbpf_tdi_get(id);
	if (!tdi)
		return -ENOENT;
	mutex_lock(&tdi->lock);
	if (on)
		tdi->fw_flags |= TSMBPF_EMU_OUTSTANDING;
	else
		tdi->fw_flags &= ~TSMBPF_EMU_OUTSTANDING;
	tsmbpf_tdi_unlock(tdi);
	tsmbpf_tdi_put(tdi);
	return len;
}

static const struct file_operations tsmbpf_emu_outstanding_fops = {
	.owner = THIS_MODULE,
	.write = tsmbpf_emu_outstanding_write,
};

static int tsmbpf_emu_stats_show(struct seq_file *m, void *v)
{
	int i;

	seq_puts(m, "platform calls refused slept_ns\n");
	for (i = 0; i < TSMBPF_PLAT_NR; i++)
		seq_printf(m, "%s %lld %lld %lld\n", tsmbpf_platform_name(i),
			   atomic64_read(&tsmbpf_emu_calls[i]),
			   atomic64_read(&tsmbpf_emu_refused[i]),
			   atomic64_read(&tsmbpf_emu_slept_ns[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tsmbpf_emu_stats);

static int __init tsmbpf_emu_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(tsmbpf_emu_backends); i++) {
		ret = tsmbpf_backend_register(&tsmbpf_emu_backends[i]);
		if (ret)
			goto err_unregister;
	}
	tsmbpf_emu_dir = debugfs_create_dir("tsmbpf_emu", NULL);
	debugfs_create_u32("latency_us", 0644, tsmbpf_emu_dir, &latency_us);
	debugfs_create_bool("latency_spin", 0644, tsmbpf_emu_dir, &latency_spin);
	debugfs_create_file("inject", 0600, tsmbpf_emu_dir, NULL,
			    &tsmbpf_emu_inject_fops);
	debugfs_create_file("outstanding", 0200, tsmbpf_emu_dir, NULL,
			    &tsmbpf_emu_outstanding_fops);
	debugfs_create_file("stats", 0444, tsmbpf_emu_dir, NULL,
			    &tsmbpf_emu_stats_fops);
	return 0;

err_unregister:
	while (--i >= 0)
		tsmbpf_backend_unregister(&tsmbpf_emu_backends[i]);
	return ret;
}

static void __exit tsmbpf_emu_exit(void)
{
	int i;

	debugfs_remove_recursive(tsmbpf_emu_dir);
	for (i = 0; i < ARRAY_SIZE(tsmbpf_emu_backends); i++)
		tsmbpf_backend_unregister(&tsmbpf_emu_backends[i]);
}

module_init(tsmbpf_emu_init);
module_exit(tsmbpf_emu_exit);

MODULE_DESCRIPTION("tsmbpf: emulated TDX Connect, SEV-TIO and CCA firmware");
MODULE_LICENSE("GPL");
