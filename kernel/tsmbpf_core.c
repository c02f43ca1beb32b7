// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf core: the TDISP state machine, the steps of bind and unbind, the
 * native sequences and the private-MMIO fast path (fault, map).
 *
 * Every step goes through tsmbpf_step(), whether a native sequence or a
 * BPF policy (through a kfunc) asks for it.  The layers depend one way:
 * the objects (tsmbpf_objects.c), then these steps and sequences, then the
 * policy glue (tsmbpf_policy.c: bind, accept and unbind by the policy or
 * natively, held to the invariants), then the entry points (ioctls, the
 * host event gate, sysfs).  The glue hears of each step's outcome through
 * a hook, not a call from here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sizes.h>

#include "tsmbpf.h"
#include "tsmbpf_ops.h"

#define CREATE_TRACE_POINTS
#include "tsmbpf_trace.h"

struct tsmbpf_counters tsmbpf_stats;
atomic64_t tsmbpf_step_calls[TSMBPF_PLAT_NR][TSMBPF_STEP_NR];
atomic64_t tsmbpf_step_refused[TSMBPF_PLAT_NR][TSMBPF_STEP_NR];

/* Private MMIO of every BAR out of the secure page table. */
static int tsmbpf_tdi_zap(struct tsmbpf_tdi *tdi)
{
	long ret;
	u32 i;

	for (i = 0; i < tdi->nr_bars; i++) {
		ret = tsmbpf_spt_zap(&tdi->vm->spt, tsmbpf_tdi_gpa(tdi, i),
				     tdi->bar_size[i]);
		if (ret < 0)
			return ret;
		tdi->mmio_pages -= min_t(u64, ret, tdi->mmio_pages);
	}
	return 0;
}

static int tsmbpf_tdi_map_all(struct tsmbpf_tdi *tdi)
{
	int ret = 0;
	u32 i;

	for (i = 0; i < tdi->nr_bars; i++) {
		ret = tsmbpf_spt_map(&tdi->vm->spt, tsmbpf_tdi_gpa(tdi, i),
				     tsmbpf_tdi_hpa(tdi, i), tdi->bar_size[i], 0);
		if (ret)
			break;
		tdi->mmio_pages += tdi->bar_size[i] >> PAGE_SHIFT;
	}
	if (ret)
		tsmbpf_tdi_zap(tdi);
	return ret;
}

static int tsmbpf_tdi_accept_all(struct tsmbpf_tdi *tdi)
{
	long ret;
	u32 i;

	for (i = 0; i < tdi->nr_bars; i++) {
		ret = tsmbpf_spt_accept(&tdi->vm->spt, tsmbpf_tdi_gpa(tdi, i),
					tdi->bar_size[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Every TDISP state change goes through here, for its trace record. */
static void tsmbpf_set_state(struct tsmbpf_tdi *tdi, u32 state)
{
	if (tdi->state != state) {
		trace_tsmbpf_state(tdi, tdi->state, state);
		if (trace_tsmbpf_oplog_enabled())
			tsmbpf_oplog_add(tdi, TSMBPF_OPLOG_STATE, state, 0,
					 tdi->state, NULL);
	}
	tdi->state = state;
}

/* The host side of a step the firmware allowed. */
static int tsmbpf_apply(struct tsmbpf_tdi *tdi, u32 step)
{
	int ret;

	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
		tsmbpf_set_state(tdi, TSMBPF_TDISP_CONFIG_LOCKED);
		tdi->res |= TSMBPF_RES_METADATA;
		tdi->nonce = get_random_u64() | 1;
		break;
	case TSMBPF_STEP_MMIO_MAP:
		/* the shared mapping goes first: the MMIO turns private */
		tdi->res &= ~TSMBPF_RES_SHARED_MMIO;
		if (!tdi->lazy) {
			ret = tsmbpf_tdi_map_all(tdi);
			if (ret)
				return ret;
		}
		tdi->mmio_assigned = true;
		tsmbpf_host_mmio(tdi, true);
		break;
	case TSMBPF_STEP_DMA_SETUP:
		tdi->res |= TSMBPF_RES_DMA;
		break;
	case TSMBPF_STEP_ACCEPT:
		ret = tsmbpf_tdi_accept_all(tdi);
		if (!ret && tdi->vm)
			ret = tsmbpf_mmio_import_accept(tdi);
		if (ret)
			return ret;
		tdi->res |= TSMBPF_RES_ACCEPTED;
		break;
	case TSMBPF_STEP_TDI_START:
		tsmbpf_set_state(tdi, TSMBPF_TDISP_RUN);
		break;
	case TSMBPF_STEP_TDI_STOP:
		tsmbpf_set_state(tdi, TSMBPF_TDISP_CONFIG_UNLOCKED);
		tdi->res &= ~TSMBPF_RES_ACCEPTED;
		break;
	case TSMBPF_STEP_MMIO_UNMAP:
		/* importers of its dma-bufs drop their entries first */
		tsmbpf_host_revoke(tdi, true);
		if (tdi->vm) {
			ret = tsmbpf_tdi_zap(tdi);
			if (ret)
				return ret;
		}
		tdi->mmio_assigned = false;
		break;
	case TSMBPF_STEP_DMA_TEARDOWN:
		tdi->res &= ~TSMBPF_RES_DMA;
		break;
	case TSMBPF_STEP_TDI_RECLAIM:
		tdi->res &= ~(TSMBPF_RES_METADATA | TSMBPF_RES_ACCEPTED);
		tsmbpf_set_state(tdi, TSMBPF_TDISP_CONFIG_UNLOCKED);
		break;
	case TSMBPF_STEP_MMIO_RECOVER:
		tdi->res |= TSMBPF_RES_SHARED_MMIO;
		tsmbpf_host_revoke(tdi, false);
		tsmbpf_host_mmio(tdi, false);
		break;
	case TSMBPF_STEP_KEY_PURGE:
		break;
	case TSMBPF_STEP_FENCE_CLEAR:
		tdi->res &= ~TSMBPF_RES_FENCED;
		break;
	}
	return 0;
}

static tsmbpf_step_observer_t tsmbpf_step_observer;

/*
 * The policy glue asks to hear each step's outcome, once, at module init
 * before any step can run.
 */
void tsmbpf_steps_observe(tsmbpf_step_observer_t fn)
{
	tsmbpf_step_observer = fn;
}

/*
 * The latency log (struct tsmbpf_oplog): filled while a program is
 * attached to the tsmbpf_oplog tracepoint, handed to it when the TDI's
 * lock is released or the log is full.
 */
void __tsmbpf_oplog_flush(struct tsmbpf_tdi *tdi)
{
	lockdep_assert_held(&tdi->lock);
	trace_tsmbpf_oplog(tdi);
	tdi->oplog.n = 0;
	tdi->oplog.policy_id = NULL;
	tdi->oplog.policy[0] = '\0';
}
EXPORT_SYMBOL_GPL(__tsmbpf_oplog_flush);

/**
 * tsmbpf_oplog_add - log a step, an operation or a state change
 * @tdi: the TDI, its lock held
 * @what: enum tsmbpf_step or enum tsmbpf_oplog_what
 * @ret: its result; a state change's new state
 * @start_ns: ktime_get_ns() at the start, 0 if the log was off then; for
 *	a state change, 0 (it takes no time, and its end is the next entry's)
 * @fw_error: a step's firmware code; a state change's old state
 * @policy: the name of the policy that ran it, NULL for the native
 *	sequence; valid for the call only, so it is copied
 */
void tsmbpf_oplog_add(struct tsmbpf_tdi *tdi, u32 what, int ret,
		      u64 start_ns, u32 fw_error, const char *policy)
{
	struct tsmbpf_oplog *log = &tdi->oplog;
	struct tsmbpf_oplog_entry *e;

	lockdep_assert_held(&tdi->lock);
	/* one policy name per log: another policy's entry starts a new one */
	if (log->n == TSMBPF_OPLOG_MAX ||
	    (policy && log->policy_id && log->policy_id != policy))
		__tsmbpf_oplog_flush(tdi);
	if (policy && log->policy_id != policy) {
		log->policy_id = policy;
		strscpy(log->policy, policy, sizeof(log->policy));
	}
	e = &log->e[log->n++];
	e->what = what;
	e->timed = start_ns != 0;
	e->in_policy = !!policy;
	e->fw_error = fw_error;
	if (what == TSMBPF_OPLOG_STATE) {
		e->ret = 0;
		e->arg = ret;
		e->end_ns = 0;
		e->ns = 0;
		return;
	}
	e->ret = ret;
	e->arg = 0;
	e->end_ns = ktime_get_ns();
	e->ns = start_ns ? e->end_ns - start_ns : 0;
}

/**
 * tsmbpf_step - perform one step of bind or unbind on @tdi
 * @tdi: the TDI
 * @step: enum tsmbpf_step, a firmware call
 * @arg: the nonce for TSMBPF_STEP_TDI_START
 * @fw_error: out, the platform's code when the firmware refuses; may be
 *	NULL (the code is in @tdi->last_fw_error too)
 *
 * The platform backend checks its firmware's rules; if it allows the step
 * the core applies it (state, resources, secure page table).
 *
 * Return: 0 or a negative errno.
 * Context: process context, may sleep, @tdi->lock held.
 */
int tsmbpf_step(struct tsmbpf_tdi *tdi, u32 step, u64 arg, u32 *fw_error)
{
	u32 code = TSMBPF_FW_OK;
	u64 t0 = 0;
	int ret;

	lockdep_assert_held(&tdi->lock);
	if (fw_error)
		*fw_error = TSMBPF_FW_OK;
	if (step == TSMBPF_STEP_NONE || step >= TSMBPF_STEP_DEVICE_ERROR)
		return -EINVAL;
	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
	case TSMBPF_STEP_MMIO_MAP:
	case TSMBPF_STEP_DMA_SETUP:
	case TSMBPF_STEP_ACCEPT:
	case TSMBPF_STEP_TDI_START:
		if (!tdi->vm)
			return -ENOTCONN;
		break;
	}

	atomic64_inc(&tsmbpf_stats.fw_calls);
	atomic64_inc(&tsmbpf_step_calls[tdi->platform][step]);
	/* the clock is read only while someone traces steps */
	if (trace_tsmbpf_step_enabled() || trace_tsmbpf_oplog_enabled())
		t0 = ktime_get_ns();
	ret = tdi->be->call(tdi, step, arg, &code);
	if (ret) {
		atomic64_inc(&tsmbpf_stats.fw_refused);
		atomic64_inc(&tsmbpf_step_refused[tdi->platform][step]);
		tdi->last_fw_error = code;
		if (fw_error)
			*fw_error = code;
	} else {
		ret = tsmbpf_apply(tdi, step);
	}
	trace_tsmbpf_step(tdi, step, ret, code, t0);
	if (trace_tsmbpf_oplog_enabled())
		tsmbpf_oplog_add(tdi, step, ret, t0, code,
				 tdi->in_policy ? tdi->call->pol->ops->name : NULL);
	if (tsmbpf_step_observer)
		tsmbpf_step_observer(tdi, step, ret);
	return ret;
}

/**
 * tsmbpf_tdi_device_error - the device left LOCKED or RUN for ERROR
 * @tdi: the TDI
 *
 * Return: 0, or -EINVAL if the TDI is not LOCKED or RUN.
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_tdi_device_error(struct tsmbpf_tdi *tdi)
{
	lockdep_assert_held(&tdi->lock);
	if (tdi->state != TSMBPF_TDISP_CONFIG_LOCKED &&
	    tdi->state != TSMBPF_TDISP_RUN)
		return -EINVAL;
	tsmbpf_set_state(tdi, TSMBPF_TDISP_ERROR);
	if (tdi->be->error)
		tdi->be->error(tdi);
	return 0;
}

/*
 * tsmbpf_tdi_torn_down - the invariant every unbind must leave behind:
 * CONFIG_UNLOCKED, no private MMIO mapped, no trusted DMA entry and the
 * firmware metadata reclaimed.
 */
bool tsmbpf_tdi_torn_down(const struct tsmbpf_tdi *tdi)
{
	return tdi->state == TSMBPF_TDISP_CONFIG_UNLOCKED &&
	       !tdi->mmio_pages && !tdi->mmio_assigned &&
	       !(tdi->res & (TSMBPF_RES_DMA | TSMBPF_RES_METADATA));
}

/* Native unbind orders, DESIGN.md section 1. */
static const u32 tsmbpf_native_order[TSMBPF_PLAT_NR][4] = {
	[TSMBPF_PLAT_TDX] = { TSMBPF_STEP_TDI_STOP, TSMBPF_STEP_MMIO_UNMAP,
			      TSMBPF_STEP_DMA_TEARDOWN, TSMBPF_STEP_TDI_RECLAIM },
	[TSMBPF_PLAT_SEV_TIO] = { TSMBPF_STEP_TDI_STOP, TSMBPF_STEP_MMIO_UNMAP,
				  TSMBPF_STEP_DMA_TEARDOWN,
				  TSMBPF_STEP_TDI_RECLAIM },
	[TSMBPF_PLAT_CCA] = { TSMBPF_STEP_MMIO_UNMAP, TSMBPF_STEP_DMA_TEARDOWN,
			      TSMBPF_STEP_TDI_STOP, TSMBPF_STEP_TDI_RECLAIM },
};

static bool tsmbpf_step_done(const struct tsmbpf_tdi *tdi, u32 step)
{
	switch (step) {
	case TSMBPF_STEP_TDI_STOP:
		/* reclaim also ends in CONFIG_UNLOCKED; stop what's locked */
		return tdi->state == TSMBPF_TDISP_CONFIG_UNLOCKED;
	case TSMBPF_STEP_MMIO_UNMAP:
		return !tdi->mmio_pages && !tdi->mmio_assigned;
	case TSMBPF_STEP_DMA_TEARDOWN:
		return !(tdi->res & TSMBPF_RES_DMA);
	case TSMBPF_STEP_TDI_RECLAIM:
		return !(tdi->res & TSMBPF_RES_METADATA);
	}
	return true;
}

/* The first step of the native order @tdi still needs, 0 if none. */
u32 tsmbpf_missing_step(const struct tsmbpf_tdi *tdi)
{
	const u32 *order = tsmbpf_native_order[tdi->platform];
	int i;

	for (i = 0; i < ARRAY_SIZE(tsmbpf_native_order[0]); i++)
		if (!tsmbpf_step_done(tdi, order[i]))
			return order[i];
	return TSMBPF_STEP_NONE;
}

/**
 * tsmbpf_native_unbind - the built-in teardown of @tdi's platform
 * @tdi: the TDI
 * @fw_error: out, the last platform code seen
 *
 * Runs the platform's order from wherever the TDI stands, skipping steps
 * already done, so it also completes what a policy or a failed bind left
 * half done.  A refused step is retried (firmware busy, a transient
 * error); one that keeps failing stops the sequence.
 *
 * Return: 0 when the TDI is torn down, else the step's errno.
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_native_unbind(struct tsmbpf_tdi *tdi, u32 *fw_error)
{
	const u32 *order = tsmbpf_native_order[tdi->platform];
	int i, try, ret = 0;

	lockdep_assert_held(&tdi->lock);
	for (i = 0; i < ARRAY_SIZE(tsmbpf_native_order[0]); i++) {
		if (tsmbpf_step_done(tdi, order[i]))
			continue;
		for (try = 0; try < TSMBPF_NATIVE_TRIES; try++) {
			ret = tsmbpf_step(tdi, order[i], 0, fw_error);
			if (!ret)
				break;
		}
		if (ret) {
			pr_err("tdi %u: native %s teardown stuck at step %u: %d (fw %#x)\n",
			       tdi->id, tsmbpf_platform_name(tdi->platform),
			       order[i], ret, *fw_error);
			return ret;
		}
	}
	return 0;
}

/*
 * The built-in bind: lock, map, DMA, after clearing a SEV-TIO fence.
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_native_bind(struct tsmbpf_tdi *tdi, u32 *fw_error)
{
	static const u32 steps[] = { TSMBPF_STEP_TDI_LOCK,
				     TSMBPF_STEP_MMIO_MAP,
				     TSMBPF_STEP_DMA_SETUP };
	int i, ret = 0;

	/* SEV-TIO: a fence left by an ERROR goes before the next bind */
	if (tdi->res & TSMBPF_RES_FENCED)
		ret = tsmbpf_step(tdi, TSMBPF_STEP_FENCE_CLEAR, 0, fw_error);
	for (i = 0; !ret && i < ARRAY_SIZE(steps); i++)
		ret = tsmbpf_step(tdi, steps[i], 0, fw_error);
	return ret;
}

static int tsmbpf_tdi_bar_of(const struct tsmbpf_tdi *tdi, u64 gpa)
{
	u32 i;

	for (i = 0; i < tdi->nr_bars; i++) {
		u64 base = tsmbpf_tdi_gpa(tdi, i);

		if (gpa >= base && gpa - base < tdi->bar_size[i])
			return i;
	}
	return -EFAULT;
}

/* Private MMIO may be mapped while assigned and the TDI not stopped. */
static int tsmbpf_tdi_can_map(const struct tsmbpf_tdi *tdi)
{
	if (!tdi->vm)
		return -ENOTCONN;
	if (!tdi->mmio_assigned ||
	    (tdi->state != TSMBPF_TDISP_CONFIG_LOCKED &&
	     tdi->state != TSMBPF_TDISP_RUN))
		return -EBADFD;
	return 0;
}

/**
 * tsmbpf_tdi_fault - serve one private-MMIO fault
 * @tdi: the TDI
 * @gpa: faulting guest physical address
 * @mapped: out, bytes mapped (4 KiB or 2 MiB), 0 if already mapped
 *
 * The fast path: native, no policy.
 * Context: process context.
 */
int tsmbpf_tdi_fault(struct tsmbpf_tdi *tdi, u64 gpa, u64 *mapped)
{
	int bar, ret;

	*mapped = 0;
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	ret = tsmbpf_tdi_can_map(tdi);
	if (ret)
		goto out_unlock;
	bar = tsmbpf_tdi_bar_of(tdi, gpa);
	if (bar < 0) {
		ret = bar;
		goto out_unlock;
	}
	ret = tsmbpf_spt_fault(&tdi->vm->spt, gpa & PAGE_MASK,
			       tsmbpf_tdi_gpa(tdi, bar), tsmbpf_tdi_hpa(tdi, bar),
			       tdi->bar_size[bar], 0, mapped);
	if (!ret) {
		tdi->mmio_pages += *mapped >> PAGE_SHIFT;
		atomic64_inc(&tsmbpf_stats.faults);
	}
out_unlock:
	tsmbpf_tdi_unlock(tdi);
	return ret;
}

int tsmbpf_tdi_map(struct tsmbpf_tdi *tdi, u32 bar, u64 offset, u64 size,
		   u32 flags)
{
	int ret;

	if (flags & ~TSMBPF_MAP_4K)
		return -EINVAL;
	if (!size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size))
		return -EINVAL;
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	ret = tsmbpf_tdi_can_map(tdi);
	if (ret)
		goto out_unlock;
	if (bar >= tdi->nr_bars || offset >= tdi->bar_size[bar] ||
	    size > tdi->bar_size[bar] - offset) {
		ret = -ERANGE;
		goto out_unlock;
	}
	ret = tsmbpf_spt_map(&tdi->vm->spt, tsmbpf_tdi_gpa(tdi, bar) + offset,
			     tsmbpf_tdi_hpa(tdi, bar) + offset, size,
			     flags & TSMBPF_MAP_4K ? TSMBPF_SPT_4K_ONLY : 0);
	if (!ret)
		tdi->mmio_pages += size >> PAGE_SHIFT;
out_unlock:
	tsmbpf_tdi_unlock(tdi);
	return ret;
}

/* TSMBPF_TDI_STEP: any step, in any order, for tests of firmware rules. */
int tsmbpf_tdi_step_ioctl(struct tsmbpf_tdi *tdi, u32 step, u64 arg,
			  u32 *fw_error)
{
	int ret;

	*fw_error = TSMBPF_FW_OK;
	if (step == TSMBPF_STEP_NONE || step >= TSMBPF_STEP_NR)
		return -EINVAL;
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	if (step == TSMBPF_STEP_DEVICE_ERROR)
		ret = tsmbpf_tdi_device_error(tdi);
	else
		ret = tsmbpf_step(tdi, step, arg, fw_error);
	tsmbpf_tdi_unlock(tdi);
	return ret;
}
