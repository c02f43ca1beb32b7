// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf policy glue: bind, accept and unbind of a TDI, each run by the
 * policy attached to the TDI's platform or by the native sequence, and held
 * to the invariants.  After a policy's unbind the glue checks that the TDI
 * is fully torn down and finishes the job natively if it is not: no policy
 * can leave a TDI half done.  A policy that breaks a rule is ejected
 * (tsmbpf_struct_ops.c) and its platform falls back to native.  Each step's
 * outcome reaches the policy's event() through the hook the steps call.
 *
 * Below: the steps and native sequences (tsmbpf_core.c) and the objects;
 * above: the ioctls, the host event gate (tsmbpf_gate.c) and sysfs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "tsmbpf.h"
#include "tsmbpf_ops.h"
#include "tsmbpf_trace.h"

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

int tsmbpf_tdi_bind(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm,
		    const struct tsmbpf_tdi_bind *arg, u64 *nonce, u32 *fw_error)
{
	struct tsmbpf_policy *pol;
	const char *name = "native", *pol_name = NULL;
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
		pol_name = name;
		if (ejected) {
			/* ejected: undo what it did, bind natively */
			name = "native";
			pol_name = NULL;
			tdi->cur_gen = tsmbpf_policy_generation();
			ret = tsmbpf_native_unbind(tdi, &undo_error) ?:
			      tsmbpf_native_bind(tdi, fw_error);
		}
	} else {
		tdi->cur_gen = tsmbpf_policy_generation();
		ret = tsmbpf_native_bind(tdi, fw_error);
	}
	trace_tsmbpf_bind(tdi, name, ret, t0);
	if (trace_tsmbpf_oplog_enabled())
		tsmbpf_oplog_add(tdi, TSMBPF_OPLOG_BIND, ret, t0, 0,
				 pol_name);
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
	tsmbpf_tdi_unlock(tdi);
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
	if (trace_tsmbpf_accept_enabled() || trace_tsmbpf_oplog_enabled())
		t0 = ktime_get_ns();
	if (!(tdi->res & TSMBPF_RES_ACCEPTED)) {
		ret = tsmbpf_step(tdi, TSMBPF_STEP_ACCEPT, 0, fw_error);
		if (ret)
			goto out_trace;
	}
	ret = tsmbpf_step(tdi, TSMBPF_STEP_TDI_START, nonce, fw_error);
out_trace:
	trace_tsmbpf_accept(tdi, "native", ret, t0);
	if (trace_tsmbpf_oplog_enabled())
		tsmbpf_oplog_add(tdi, TSMBPF_OPLOG_ACCEPT, ret, t0, 0, NULL);
out_unlock:
	tsmbpf_tdi_unlock(tdi);
	return ret;
}

/*
 * A policy's unbind() that returns the errno of a step the firmware just
 * refused as busy or failing (-EBUSY, -EIO, -EAGAIN) passed the firmware's
 * answer on, as TSMBPF_TRY does: the firmware is at fault, not the policy.
 * A refusal for a broken platform rule (-EPERM: wrong order, wrong state)
 * is the policy's fault.
 */
static bool tsmbpf_transient_refusal(const struct tsmbpf_tdi *tdi, s32 ret)
{
	return ret && ret == tdi->policy_step_err &&
	       (ret == -EBUSY || ret == -EIO || ret == -EAGAIN);
}

/*
 * Run the policy's unbind() and hold it to the invariant.  Returns true if
 * the policy tore the TDI down.  Otherwise the caller finishes natively:
 * either the policy gave up on a transient firmware refusal and stays
 * attached, or it has been ejected with an exit record naming the first
 * step it left undone.
 */
static bool tsmbpf_policy_unbind(struct tsmbpf_tdi *tdi,
				 struct tsmbpf_policy *pol, u32 reason, u64 t0)
{
	struct tsmbpf_call call;
	u32 kind, step;
	s32 ret;

	tdi->cur_gen = pol->gen;
	tdi->in_policy = true;
	tdi->policy_step_err = 0;
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
	if (!kind && tsmbpf_transient_refusal(tdi, ret)) {
		atomic64_inc(&tsmbpf_stats.unbinds_fw_fallback);
		return false;
	}
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
	const char *name = "native", *pol_name = NULL;
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
		pol_name = name;
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
	if (trace_tsmbpf_oplog_enabled())
		tsmbpf_oplog_add(tdi, TSMBPF_OPLOG_UNBIND, ret, t0, 0,
				 pol_name);
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
	tsmbpf_tdi_unlock(tdi);
	return ret;
}

void tsmbpf_policy_glue_init(void)
{
	tsmbpf_steps_observe(tsmbpf_notify);
}
