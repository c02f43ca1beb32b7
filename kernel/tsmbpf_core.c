// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf core: the TDISP state machine, the steps of bind and unbind, the
 * native fallback sequences and the policy's bind() and unbind() held to
 * the invariants.  The objects are in tsmbpf_objects.c.
 *
 * Every step goes through tsmbpf_step(), whether the native sequence or a
 * BPF policy (through a kfunc) asks for it.  After a policy's unbind the
 * core checks that the TDI is fully torn down and finishes the job with the
 * native sequence if it is not: no policy can leave a TDI half done.
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
	if (tdi->state != state)
		trace_tsmbpf_state(tdi, tdi->state, state);
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

/* Does @pol want event() for a step that ended with @result? */
static inline bool tsmbpf_policy_wants(const struct tsmbpf_policy *pol,
				       int result)
{
	return pol && pol->ops->event && !atomic_read(&pol->ejected) &&
	       (result || !(pol->ops->flags & TSMBPF_OPS_F_EVENT_ERRORS));
}

/*
 * Tell the policy of @tdi's platform the outcome of a step.  Inside a
 * policy callback the policy is known, its SRCU section open, and event()
 * runs as part of that call: a tsmbpf_error() from it, or its time, count
 * against the callback that ran the step.  During a native operation
 * event() is a call of its own, held to the same rules as every callback.
 */
static void tsmbpf_notify(struct tsmbpf_tdi *tdi, u32 step, int result)
{
	struct tsmbpf_policy *pol;
	struct tsmbpf_call call;
	u32 kind;
	int idx;

	if (tdi->in_policy) {
		pol = tdi->call->pol;
		if (tsmbpf_policy_wants(pol, result))
			pol->ops->event(tdi, step, result);
		return;
	}
	if (!tsmbpf_policy_watches(tdi->platform, result))
		return;
	pol = tsmbpf_policy_enter(tdi->platform, &idx);
	if (tsmbpf_policy_wants(pol, result)) {
		tsmbpf_call_begin(&call, pol, tdi, "event", ktime_get_ns());
		pol->ops->event(tdi, step, result);
		kind = tsmbpf_call_end(&call);
		if (kind)
			tsmbpf_policy_eject(&call, kind, 0, TSMBPF_STEP_NONE);
	}
	tsmbpf_policy_exit(idx);
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
	if (trace_tsmbpf_step_enabled())
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
	tsmbpf_notify(tdi, step, ret);
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
static u32 tsmbpf_missing_step(const struct tsmbpf_tdi *tdi)
{
	const u32 *order = tsmbpf_native_order[tdi->platform];
	int i;

	for (i = 0; i < ARRAY_SIZE(tsmbpf_native_order[0]); i++)
		if (!tsmbpf_step_done(tdi, order[i]))
			return order[i];
	return TSMBPF_STEP_NONE;
}

#define TSMBPF_NATIVE_TRIES	3

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
 * Attach @tdi to @vm: a GPA window and a count the VM's destroy checks,
 * both under the VM's lock, so a destroyed VM takes no TDI and a VM with a
 * TDI is not destroyed.
 */
static int tsmbpf_tdi_attach_vm(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm)
{
	unsigned long w;
	int ret = 0;

	mutex_lock(&vm->lock);
	if (vm->dead) {
		ret = -ENOENT;
		goto out_unlock;
	}
	w = find_first_zero_bit(vm->windows, TSMBPF_GPA_WINDOWS);
	if (w >= TSMBPF_GPA_WINDOWS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	__set_bit(w, vm->windows);
	WRITE_ONCE(vm->nr_bound, vm->nr_bound + 1);
out_unlock:
	mutex_unlock(&vm->lock);
	if (ret)
		return ret;
	kref_get(&vm->kref);
	tdi->vm = vm;
	WRITE_ONCE(tdi->vm_id, vm->id);
	tdi->window = w;
	return 0;
}

static void tsmbpf_tdi_detach_vm(struct tsmbpf_tdi *tdi)
{
	struct tsmbpf_vm *vm = tdi->vm;

	mutex_lock(&vm->lock);
	__clear_bit(tdi->window, vm->windows);
	WRITE_ONCE(vm->nr_bound, vm->nr_bound - 1);
	mutex_unlock(&vm->lock);
	tdi->vm = NULL;
	WRITE_ONCE(tdi->vm_id, 0);
	tdi->vbdf = 0;
	tdi->viommu = TSMBPF_VIOMMU_NONE;
	tdi->lazy = false;
	tsmbpf_vm_put(vm);
}

/*
 * After a teardown: shared MMIO back, then the VM released.  A recover the
 * firmware keeps refusing leaves the TDI torn down but attached, with the
 * error returned: the documented end state of an unbind is a shared TDI,
 * and the operator retries the unbind, which then only recovers.
 */
static int tsmbpf_tdi_finish_unbind(struct tsmbpf_tdi *tdi, u32 *fw_error)
{
	int try, ret = 0;

	for (try = 0; try < TSMBPF_NATIVE_TRIES &&
	     !(tdi->res & TSMBPF_RES_SHARED_MMIO); try++)
		ret = tsmbpf_step(tdi, TSMBPF_STEP_MMIO_RECOVER, 0, fw_error);
	if (!(tdi->res & TSMBPF_RES_SHARED_MMIO)) {
		pr_err("tdi %u: mmio_recover refused: %d (fw %#x); the TDI stays attached\n",
		       tdi->id, ret, *fw_error);
		return ret ?: -EIO;
	}
	tsmbpf_tdi_detach_vm(tdi);
	return 0;
}

/* The TDI a bind() left behind: locked, MMIO assigned, DMA set up. */
static bool tsmbpf_tdi_bound(const struct tsmbpf_tdi *tdi)
{
	return tdi->state == TSMBPF_TDISP_CONFIG_LOCKED &&
	       (tdi->res & TSMBPF_RES_METADATA) && tdi->mmio_assigned &&
	       (tdi->res & TSMBPF_RES_DMA);
}

static bool tsmbpf_bad_errno(s32 ret)
{
	return ret > 0 || ret < -MAX_ERRNO;
}

/*
 * Run the policy's bind().  A firmware error it returns fails the bind;
 * returning success on a TDI that is not fully bound, or misbehaving,
 * ejects the policy and sets @ejected: the caller then binds natively.
 * The ejection is told apart from the return value, which is the
 * policy's own and may be any errno.
 */
static int tsmbpf_policy_bind(struct tsmbpf_tdi *tdi, struct tsmbpf_policy *pol,
			      u64 t0, u32 *fw_error, bool *ejected)
{
	struct tsmbpf_call call;
	u32 kind;
	s32 ret;

	tdi->cur_gen = pol->gen;
	tdi->in_policy = true;
	tsmbpf_call_begin(&call, pol, tdi, "bind", t0);
	ret = pol->ops->bind(tdi);
	kind = tsmbpf_call_end(&call);
	tdi->in_policy = false;
	*fw_error = tdi->last_fw_error;

	if (!kind && tsmbpf_bad_errno(ret)) {
		snprintf(call.msg, sizeof(call.msg),
			 "bind() returned %d, not 0 or -errno", ret);
		kind = TSMBPF_EXIT_BAD_RETURN;
	}
	if (!kind && !ret && !tsmbpf_tdi_bound(tdi)) {
		snprintf(call.msg, sizeof(call.msg),
			 "bind() returned 0 but the TDI is not locked with MMIO and DMA");
		kind = TSMBPF_EXIT_INVARIANT;
	}
	*ejected = kind != TSMBPF_EXIT_NONE;
	if (kind)
		tsmbpf_policy_eject(&call, kind, ret, TSMBPF_STEP_NONE);
	return ret;
}

/* The built-in bind: lock, map, DMA, after clearing a SEV-TIO fence. */
static int tsmbpf_native_bind(struct tsmbpf_tdi *tdi, u32 *fw_error)
{
	static const u32 steps[] = { TSMBPF_STEP_TDI_LOCK,
				     TSMBPF_STEP_MMIO_MAP,
				     TSMBPF_STEP_DMA_SETUP };
	int i, ret = 0;

	tdi->cur_gen = tsmbpf_policy_generation();
	/* SEV-TIO: a fence left by an ERROR goes before the next bind */
	if (tdi->res & TSMBPF_RES_FENCED)
		ret = tsmbpf_step(tdi, TSMBPF_STEP_FENCE_CLEAR, 0, fw_error);
	for (i = 0; !ret && i < ARRAY_SIZE(steps); i++)
		ret = tsmbpf_step(tdi, steps[i], 0, fw_error);
	return ret;
}

int tsmbpf_tdi_bind(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm,
		    const struct tsmbpf_tdi_bind *arg, u64 *nonce, u32 *fw_error)
{
	struct tsmbpf_policy *pol;
	const char *name = "native";
	bool ejected = false;
	u32 undo_error;
	int idx, ret = 0;
	u64 t0;

	*fw_error = TSMBPF_FW_OK;
	if (arg->flags & ~TSMBPF_BIND_LAZY_MMIO)
		return -EINVAL;
	if (arg->viommu > TSMBPF_VIOMMU_SMMUV3)
		return -EINVAL;
	/* A vIOMMU that cannot translate T=1 traffic cannot carry a TDI. */
	if (arg->viommu == TSMBPF_VIOMMU_SMMUV3)
		return -EOPNOTSUPP;
	if (arg->vbdf > 0xffff)
		return -ERANGE;

	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	if (tdi->vm) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (tdi->host && !tdi->host_data) {
		ret = -ENODEV;	/* its PCI function was removed */
		goto out_unlock;
	}
	if (!tsmbpf_tdi_torn_down(tdi)) {
		ret = -EBADFD;
		goto out_unlock;
	}
	ret = tsmbpf_tdi_attach_vm(tdi, vm);
	if (ret)
		goto out_unlock;
	tdi->vbdf = arg->vbdf;
	tdi->viommu = arg->viommu;
	tdi->lazy = arg->flags & TSMBPF_BIND_LAZY_MMIO;
	/* the errors of this bind, not of an earlier operation */
	tdi->last_fw_error = TSMBPF_FW_OK;

	t0 = ktime_get_ns();
	pol = tsmbpf_policy_enter(tdi->platform, &idx);
	if (tsmbpf_policy_sequences(pol) && pol->ops->bind) {
		ret = tsmbpf_policy_bind(tdi, pol, t0, fw_error, &ejected);
		name = pol->ops->name;
		if (ejected) {
			/* ejected: undo what it did, bind natively */
			name = "native";
			ret = tsmbpf_native_unbind(tdi, &undo_error) ?:
			      tsmbpf_native_bind(tdi, fw_error);
		}
	} else {
		ret = tsmbpf_native_bind(tdi, fw_error);
	}
	trace_tsmbpf_bind(tdi, name, ret, t0);
	tsmbpf_policy_exit(idx);
	if (ret)
		goto err_undo;
	*nonce = tdi->nonce;
	tdi->binds++;
	atomic64_inc(&tsmbpf_stats.binds);
	goto out_unlock;

err_undo:
	if (tsmbpf_native_unbind(tdi, &undo_error) ||
	    tsmbpf_tdi_finish_unbind(tdi, &undo_error)) {
		/* the firmware will not let go: keep the TDI bound, visibly */
		pr_err("tdi %u: bind failed and could not be undone\n", tdi->id);
	}
out_unlock:
	mutex_unlock(&tdi->lock);
	return ret;
}

int tsmbpf_tdi_accept(struct tsmbpf_tdi *tdi, u64 nonce, u32 *fw_error)
{
	u64 t0 = 0;
	int ret;

	*fw_error = TSMBPF_FW_OK;
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	if (!tdi->vm) {
		ret = -ENOTCONN;
		goto out_unlock;
	}
	if (trace_tsmbpf_accept_enabled())
		t0 = ktime_get_ns();
	if (!(tdi->res & TSMBPF_RES_ACCEPTED)) {
		ret = tsmbpf_step(tdi, TSMBPF_STEP_ACCEPT, 0, fw_error);
		if (ret)
			goto out_trace;
	}
	ret = tsmbpf_step(tdi, TSMBPF_STEP_TDI_START, nonce, fw_error);
out_trace:
	trace_tsmbpf_accept(tdi, "native", ret, t0);
out_unlock:
	mutex_unlock(&tdi->lock);
	return ret;
}

/*
 * Run the policy's unbind() and hold it to the invariant.  Returns true if
 * the policy tore the TDI down; otherwise the policy has been ejected with
 * an exit record naming the first step it left undone, and the caller
 * finishes natively.
 */
static bool tsmbpf_policy_unbind(struct tsmbpf_tdi *tdi,
				 struct tsmbpf_policy *pol, u32 reason, u64 t0)
{
	struct tsmbpf_call call;
	u32 kind, step;
	s32 ret;

	tdi->cur_gen = pol->gen;
	tdi->in_policy = true;
	tsmbpf_call_begin(&call, pol, tdi, "unbind", t0);
	ret = pol->ops->unbind(tdi, reason);
	kind = tsmbpf_call_end(&call);
	tdi->in_policy = false;

	if (!kind && tsmbpf_bad_errno(ret)) {
		snprintf(call.msg, sizeof(call.msg),
			 "unbind() returned %d, not 0 or -errno", ret);
		kind = TSMBPF_EXIT_BAD_RETURN;
	}
	if (!kind && tsmbpf_tdi_torn_down(tdi))
		return true;
	step = tsmbpf_missing_step(tdi);
	if (!kind) {
		snprintf(call.msg, sizeof(call.msg),
			 "unbind() returned %d with the TDI %s: %s not done",
			 ret, tdi->state == TSMBPF_TDISP_CONFIG_UNLOCKED ?
			 "unlocked" : "not stopped",
			 tsmbpf_step_name(step));
		kind = TSMBPF_EXIT_INVARIANT;
	}
	tsmbpf_policy_eject(&call, kind, ret, step);
	return tsmbpf_tdi_torn_down(tdi);
}

/**
 * __tsmbpf_tdi_unbind - tear @tdi down and leave it shared
 * @tdi: the TDI, bound
 * @reason: enum tsmbpf_unbind_reason
 * @fw_error: out, the last platform error seen
 *
 * The policy attached to the TDI's platform sequences the teardown; with
 * none, or when the policy leaves the TDI half done, the native sequence
 * does.  Either way the TDI ends CONFIG_UNLOCKED and shared, unless the
 * firmware keeps refusing a step: then the TDI stays bound and the error
 * is returned, so that the unbind can be retried.
 *
 * Context: process context, @tdi->lock held.
 */
int __tsmbpf_tdi_unbind(struct tsmbpf_tdi *tdi, u32 reason, u32 *fw_error)
{
	struct tsmbpf_policy *pol;
	const char *name = "native";
	bool done = false;
	int idx, ret = 0;
	u64 t0;

	lockdep_assert_held(&tdi->lock);
	*fw_error = TSMBPF_FW_OK;
	if (!tdi->vm)
		return -ENOTCONN;
	tdi->last_fw_error = TSMBPF_FW_OK;

	t0 = ktime_get_ns();
	pol = tsmbpf_policy_enter(tdi->platform, &idx);
	/*
	 * A TDI torn down by an unbind whose recover failed only needs the
	 * recover: the native sequence skips every step done.
	 */
	if (tsmbpf_policy_sequences(pol) && pol->ops->unbind &&
	    !tsmbpf_tdi_torn_down(tdi)) {
		name = pol->ops->name;
		done = tsmbpf_policy_unbind(tdi, pol, reason, t0);
	} else {
		tdi->cur_gen = tsmbpf_policy_generation();
	}
	if (!done)
		ret = tsmbpf_native_unbind(tdi, fw_error);
	if (!ret) {
		*fw_error = tdi->last_fw_error;
		ret = tsmbpf_tdi_finish_unbind(tdi, fw_error);
	}
	trace_tsmbpf_unbind(tdi, name, ret, t0);
	tsmbpf_policy_exit(idx);
	if (ret)
		return ret;
	atomic64_inc(done ? &tsmbpf_stats.unbinds_policy :
		     &tsmbpf_stats.unbinds_native);
	tdi->unbinds++;
	atomic64_inc(&tsmbpf_stats.unbinds);
	return 0;
}

int tsmbpf_tdi_unbind(struct tsmbpf_tdi *tdi, u32 reason, u32 *fw_error)
{
	int ret;

	*fw_error = TSMBPF_FW_OK;
	if (reason >= TSMBPF_UNBIND_REASON_NR)
		return -EINVAL;
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	ret = __tsmbpf_tdi_unbind(tdi, reason, fw_error);
	mutex_unlock(&tdi->lock);
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
	mutex_unlock(&tdi->lock);
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
	mutex_unlock(&tdi->lock);
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
	mutex_unlock(&tdi->lock);
	return ret;
}
