// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf host event gating: the entry points a host driver (the vfio-pci
 * variant driver, tsmbpf_vfio_pci.ko) calls before a host event revokes
 * the MMIO of a PCI function whose TDI may be bound.
 *
 * A host event on a bound TDI goes through the platform policy's
 * revoke_gate() (or the safe verdict, unbind first, without one):
 *  - TSMBPF_VERDICT_UNBIND: the TDI is unbound, then the event proceeds;
 *  - TSMBPF_VERDICT_DENY: the event is refused (-EBUSY) and the TDI stays
 *    as it was; events that cannot be refused (close, removal, VM destroy)
 *    are logged and unbound anyway;
 *  - TSMBPF_VERDICT_REBIND: unbind, the event, then a bind to the same VM:
 *    the TDI waits in CONFIG_LOCKED for the guest's accept.
 * If the firmware refuses the unbind, the event is refused: the host never revokes
 * the MMIO of a TDI that is not CONFIG_UNLOCKED.  A reset that bypasses
 * the gate (the function reset at open, the reset at close) moves a LOCKED
 * or RUN TDI to ERROR, as TDISP does.
 *
 * The host driver's registry and the TDIs of its functions are objects
 * (tsmbpf_objects.c); this file is the entry point of their events.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "tsmbpf.h"
#include "tsmbpf_ops.h"
#include "tsmbpf_trace.h"

/**
 * tsmbpf_gate_verdict - ask the policy how a host event on @tdi proceeds
 * @tdi: the TDI the event hits, bound
 * @event: enum tsmbpf_host_event
 * @verdict: out, enum tsmbpf_verdict
 * @by_policy: out, true if a policy decided
 *
 * Without a policy, or with one that answers outside enum tsmbpf_verdict
 * or calls tsmbpf_error() (either ejects it), the verdict is
 * TSMBPF_VERDICT_UNBIND: the safe order.
 *
 * Return: 0, or -EINVAL for an unknown event.
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_gate_verdict(struct tsmbpf_tdi *tdi, u32 event, u32 *verdict,
			bool *by_policy)
{
	struct tsmbpf_policy *pol;
	struct tsmbpf_call call;
	u32 kind, v;
	int idx;

	lockdep_assert_held(&tdi->lock);
	if (event >= TSMBPF_EV_NR)
		return -EINVAL;
	*verdict = TSMBPF_VERDICT_UNBIND;
	*by_policy = false;
	pol = tsmbpf_policy_enter(tdi->platform, &idx);
	if (tsmbpf_policy_sequences(pol) && pol->ops->revoke_gate) {
		tdi->cur_gen = pol->gen;
		tsmbpf_call_begin(&call, pol, tdi, "revoke_gate",
				  ktime_get_ns());
		v = pol->ops->revoke_gate(tdi, event);
		kind = tsmbpf_call_end(&call);
		if (!kind && v >= TSMBPF_VERDICT_NR) {
			snprintf(call.msg, sizeof(call.msg),
				 "revoke_gate() returned verdict %u, not one of 0..%u",
				 v, TSMBPF_VERDICT_NR - 1);
			kind = TSMBPF_EXIT_BAD_RETURN;
		}
		if (kind) {
			tsmbpf_policy_eject(&call, kind, v, TSMBPF_STEP_NONE);
		} else {
			*verdict = v;
			*by_policy = true;
		}
	}
	tsmbpf_policy_exit(idx);
	return 0;
}

/* TSMBPF_REVOKE_GATE, the test interface: the verdict, nothing done. */
int tsmbpf_tdi_revoke_gate(struct tsmbpf_tdi *tdi, u32 event, u32 *verdict,
			   bool *by_policy)
{
	int ret;

	if (event >= TSMBPF_EV_NR)
		return -EINVAL;
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		return ret;
	if (tdi->vm)
		ret = tsmbpf_gate_verdict(tdi, event, verdict, by_policy);
	else
		ret = -ENOTCONN;
	tsmbpf_tdi_unlock(tdi);
	return ret;
}

static const char *tsmbpf_event_name(u32 event)
{
	static const char * const names[TSMBPF_EV_NR] = {
		[TSMBPF_EV_MSE_CLEAR] = "mse_clear",
		[TSMBPF_EV_BME_CLEAR] = "bme_clear",
		[TSMBPF_EV_D3HOT] = "d3hot",
		[TSMBPF_EV_FLR] = "flr",
		[TSMBPF_EV_AF_FLR] = "af_flr",
		[TSMBPF_EV_RESET] = "reset",
		[TSMBPF_EV_HOT_RESET] = "hot_reset",
		[TSMBPF_EV_RUNTIME_PM] = "runtime_pm",
		[TSMBPF_EV_CLOSE] = "close",
		[TSMBPF_EV_REMOVE] = "remove",
		[TSMBPF_EV_VM_DESTROY] = "vm_destroy",
	};

	return event < TSMBPF_EV_NR ? names[event] : "?";
}

/* Close, removal and VM destroy happen whatever anyone answers. */
static bool tsmbpf_event_refusable(u32 event)
{
	return event != TSMBPF_EV_CLOSE && event != TSMBPF_EV_REMOVE &&
	       event != TSMBPF_EV_VM_DESTROY;
}

/**
 * tsmbpf_host_event_begin - a host event is about to hit @tdi's function
 * @tdi: the TDI of the function
 * @event: enum tsmbpf_host_event
 * @ev: out, the event in progress, for tsmbpf_host_event_end()
 *
 * Return: 0 when the event may proceed (the TDI is CONFIG_UNLOCKED: not
 * bound, or unbound now), -EBUSY when the policy denies it (the TDI is
 * untouched), or the errno of an unbind the firmware refused (the TDI
 * stays bound and the event must not proceed).  A host driver that cannot
 * refuse the event lets it proceed all the same.
 * Context: process context, may sleep; no lock the host's gated paths
 * take while the core holds @tdi->lock (see tsmbpf_host_ops).
 */
int tsmbpf_host_event_begin(struct tsmbpf_tdi *tdi, u32 event,
			    struct tsmbpf_host_ev *ev)
{
	bool by_policy;
	u32 fw_error;
	int ret = 0;

	memset(ev, 0, sizeof(*ev));
	ev->event = event;
	ev->verdict = TSMBPF_VERDICT_UNBIND;
	if (trace_tsmbpf_host_event_done_enabled())
		ev->start_ns = ktime_get_ns();
	trace_tsmbpf_host_event(tdi, event);
	if (tsmbpf_tdi_lock_live(tdi))
		return 0;	/* destroyed: nothing of it to protect */
	tdi->host_events++;
	if (!tdi->vm)
		goto out_unlock;
	ret = tsmbpf_gate_verdict(tdi, event, &ev->verdict, &by_policy);
	if (ret)
		goto out_unlock;
	trace_tsmbpf_host_verdict(tdi, event, ev->verdict, by_policy);
	if (ev->verdict == TSMBPF_VERDICT_DENY) {
		if (tsmbpf_event_refusable(event)) {
			pr_info_ratelimited("tdi %u: %s denied by policy\n",
					    tdi->id, tsmbpf_event_name(event));
			ret = -EBUSY;
			goto out_unlock;
		}
		pr_warn_ratelimited("tdi %u: %s cannot be refused: unbinding despite the policy's deny\n",
				    tdi->id, tsmbpf_event_name(event));
		ev->verdict = TSMBPF_VERDICT_UNBIND;
	}
	if (ev->verdict == TSMBPF_VERDICT_REBIND) {
		ev->rebind_vm = tdi->vm;
		kref_get(&tdi->vm->kref);
		ev->vbdf = tdi->vbdf;
		ev->viommu = tdi->viommu;
		ev->lazy = tdi->lazy;
	}
	ret = __tsmbpf_tdi_unbind(tdi, TSMBPF_UNBIND_HOST_EVENT, &fw_error);
	if (ret) {
		pr_warn_ratelimited("tdi %u: unbind before %s failed: %d (fw %#x); %s\n",
				    tdi->id, tsmbpf_event_name(event), ret,
				    fw_error, tsmbpf_event_refusable(event) ?
				    "event refused" : "the event goes ahead");
		if (ev->rebind_vm) {
			tsmbpf_vm_put(ev->rebind_vm);
			ev->rebind_vm = NULL;
		}
	}
out_unlock:
	tsmbpf_tdi_unlock(tdi);
	/* a refused event is over; the host ends the others */
	if (ret && tsmbpf_event_refusable(event))
		trace_tsmbpf_host_event_done(tdi, event, ev->verdict, ret,
					     ev->start_ns);
	return ret;
}
EXPORT_SYMBOL_GPL(tsmbpf_host_event_begin);

/**
 * tsmbpf_host_event_end - the event that tsmbpf_host_event_begin() let
 *	through is over
 * @tdi: the TDI
 * @ev: the event
 * @result: the event's own result
 *
 * For TSMBPF_VERDICT_REBIND, binds the TDI to its VM again after an event
 * that succeeded: it waits in CONFIG_LOCKED for the guest's accept.
 * Context: process context, may sleep.
 */
void tsmbpf_host_event_end(struct tsmbpf_tdi *tdi,
			   struct tsmbpf_host_ev *ev, int result)
{
	struct tsmbpf_tdi_bind arg = {};
	u32 fw_error;
	u64 nonce;
	int ret;

	trace_tsmbpf_host_event_done(tdi, ev->event, ev->verdict, result,
				     ev->start_ns);
	if (!ev->rebind_vm)
		return;
	if (!result) {
		arg.vbdf = ev->vbdf;
		arg.viommu = ev->viommu;
		arg.flags = ev->lazy ? TSMBPF_BIND_LAZY_MMIO : 0;
		ret = tsmbpf_tdi_bind(tdi, ev->rebind_vm, &arg, &nonce,
				      &fw_error);
		if (ret)
			pr_warn("tdi %u: rebind after %s failed: %d (fw %#x)\n",
				tdi->id, tsmbpf_event_name(ev->event), ret,
				fw_error);
	}
	tsmbpf_vm_put(ev->rebind_vm);
	ev->rebind_vm = NULL;
}
EXPORT_SYMBOL_GPL(tsmbpf_host_event_end);

/**
 * tsmbpf_host_reset_done - @tdi's function was reset
 * @tdi: the TDI
 *
 * A gated reset found the TDI CONFIG_UNLOCKED; a reset that bypassed the
 * gate (at open, at close) breaks a LOCKED or RUN interface: TDISP ERROR.
 * Context: process context, may sleep.
 */
void tsmbpf_host_reset_done(struct tsmbpf_tdi *tdi)
{
	if (tsmbpf_tdi_lock_live(tdi))
		return;
	if (!tsmbpf_tdi_device_error(tdi))
		pr_warn("tdi %u: a reset bypassed the gate: TDISP ERROR\n",
			tdi->id);
	tsmbpf_tdi_unlock(tdi);
}
EXPORT_SYMBOL_GPL(tsmbpf_host_reset_done);

/**
 * tsmbpf_vm_unbind_destroy - destroy a VM with its TDIs, as a VMM's exit
 * @vm: the VM, referenced by the caller
 *
 * Each TDI still bound to the VM goes through the gate as
 * TSMBPF_EV_VM_DESTROY, which cannot be refused, and is unbound; then the
 * VM is destroyed.  A TDI the firmware will not let go keeps the VM
 * (-EBUSY).
 * Context: process context.
 */
int tsmbpf_vm_unbind_destroy(struct tsmbpf_vm *vm)
{
	struct tsmbpf_tdi *tdis[16];
	struct tsmbpf_host_ev ev;
	int i, n;

	do {
		n = tsmbpf_vm_bound_tdis(vm, tdis, ARRAY_SIZE(tdis));
		for (i = 0; i < n; i++) {
			tsmbpf_host_event_begin(tdis[i], TSMBPF_EV_VM_DESTROY,
						&ev);
			tsmbpf_host_event_end(tdis[i], &ev, -ENODEV);
			tsmbpf_tdi_put(tdis[i]);
		}
	} while (n == ARRAY_SIZE(tdis));
	return tsmbpf_vm_destroy(vm);
}

int tsmbpf_vm_destroy_unbind(u32 id)
{
	struct tsmbpf_vm *vm;
	int ret;

	vm = tsmbpf_vm_get(id);
	if (!vm)
		return -ENOENT;
	ret = tsmbpf_vm_unbind_destroy(vm);
	tsmbpf_vm_put(vm);
	return ret;
}

/*
 * An owned TDI whose file went: the VMM is gone, as at a close of its
 * device, which cannot be refused: unbound first, then destroyed.
 */
static void tsmbpf_owned_tdi_release(struct tsmbpf_tdi *tdi)
{
	struct tsmbpf_host_ev ev;
	int ret;

	if (READ_ONCE(tdi->vm)) {
		tsmbpf_host_event_begin(tdi, TSMBPF_EV_CLOSE, &ev);
		tsmbpf_host_event_end(tdi, &ev, -ENODEV);
	}
	ret = tsmbpf_tdi_destroy(tdi);
	if (ret && ret != -ENOENT)
		pr_warn("tdi %u: its owner went, but it stays: %d\n", tdi->id,
			ret);
}

/**
 * tsmbpf_owner_release - the open file @owner went: its objects go too
 * @owner: the file
 *
 * Its TDIs are unbound and destroyed, then its VMs destroyed with every
 * TDI still bound to them unbound first, as KVM tears down a VM whose fd
 * was closed.  Whatever the firmware will not let go stays as a global
 * object, with a warning, for the operator.
 * Context: process context.
 */
void tsmbpf_owner_release(const void *owner)
{
	struct tsmbpf_tdi *tdis[16];
	struct tsmbpf_vm *vms[16];
	int i, n, nr_vms, ret;

	do {
		n = tsmbpf_owned_take(owner, tdis, vms, ARRAY_SIZE(tdis),
				      &nr_vms);
		for (i = 0; i < n; i++) {
			tsmbpf_owned_tdi_release(tdis[i]);
			tsmbpf_tdi_put(tdis[i]);
		}
		for (i = 0; i < nr_vms; i++) {
			ret = tsmbpf_vm_unbind_destroy(vms[i]);
			if (ret && ret != -ENOENT)
				pr_warn("vm %u: its owner went, but it stays: %d\n",
					vms[i]->id, ret);
			tsmbpf_vm_put(vms[i]);
		}
	} while (n || nr_vms);
}
