/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct tsmbpf_ops: the BPF struct_ops through which a policy sequences
 * the bind and teardown of a TDI and gates host events that revoke MMIO.
 * The BPF side sees this type through the module's BTF (vmlinux.h), so
 * this header is kernel-only.
 */
#ifndef _TSMBPF_OPS_H
#define _TSMBPF_OPS_H

#include <linux/types.h>
#include <uapi/linux/tsmbpf.h>

struct tsmbpf_tdi;

/* Bits of tsmbpf_ops.platforms. */
#define TSMBPF_OPS_PLAT(p)	(1U << (p))
#define TSMBPF_OPS_PLAT_ALL	((1U << TSMBPF_PLAT_NR) - 1)

/* Bits of tsmbpf_ops.flags. */
enum tsmbpf_ops_flags {
	/*
	 * Observe only: the core calls event() but sequences bind and
	 * unbind natively, and revoke_gate() is not asked.
	 */
	TSMBPF_OPS_F_OBSERVE	= 1U << 0,
	/*
	 * event() only for the steps that failed: a policy that watches
	 * for errors does not pay a BPF call per step.  The core counts
	 * every step per platform itself (/sys/kernel/tsmbpf/steps).
	 */
	TSMBPF_OPS_F_EVENT_ERRORS = 1U << 1,
	TSMBPF_OPS_F_ALL	= TSMBPF_OPS_F_OBSERVE |
				  TSMBPF_OPS_F_EVENT_ERRORS,
};

/* Per-callback deadline: default and cap, milliseconds. */
#define TSMBPF_OPS_TIMEOUT_DEFAULT_MS	1000
#define TSMBPF_OPS_TIMEOUT_MAX_MS	10000

/**
 * struct tsmbpf_ops - a TSM sequencing policy
 *
 * A policy serves one or more platforms (@platforms) and holds their
 * policy slots while attached; each slot holds at most one policy.  The
 * core never trusts a policy: after each callback it checks the TDI and,
 * if the policy left it inconsistent, overran @timeout_ms, returned a value
 * outside the callback's range or called tsmbpf_error(), it ejects the
 * policy (the slot falls back to the native sequence), records an exit
 * record and calls @exit.  All callbacks are optional.
 */
struct tsmbpf_ops {
	/**
	 * @bind: lock @tdi and give it private MMIO and trusted DMA
	 * @tdi: the TDI, attached to its VM, CONFIG_UNLOCKED; trusted pointer
	 *
	 * Call tsmbpf_tdi_lock(), tsmbpf_mmio_map() and tsmbpf_dma_setup()
	 * (and platform extras such as tsmbpf_fence_clear()) in the order
	 * the firmware accepts.  Return 0 or a negative errno.  On 0 the core
	 * checks the TDI is CONFIG_LOCKED with metadata, assigned MMIO and a
	 * DMA entry; on an error or a failed check it rolls the TDI back
	 * natively and fails the bind.  A failed check ejects the policy.
	 *
	 * Context: process context, may sleep (struct_ops.s), the TDI's lock
	 * held.  If absent the native bind runs.
	 */
	s32 (*bind)(struct tsmbpf_tdi *tdi);

	/**
	 * @unbind: tear @tdi down in the order its platform requires
	 * @tdi: the TDI, bound to a VM; trusted pointer
	 * @reason: enum tsmbpf_unbind_reason
	 *
	 * Call the step kfuncs (tsmbpf_tdi_stop(), tsmbpf_mmio_unmap(),
	 * tsmbpf_dma_teardown(), tsmbpf_tdi_reclaim(), optionally
	 * tsmbpf_key_purge() and tsmbpf_mmio_recover()) in the order the
	 * platform's firmware accepts; a policy may add steps and reorder
	 * within what the firmware allows.  Return 0 or a negative errno.
	 * After it returns the core checks the TDI is CONFIG_UNLOCKED with no
	 * private MMIO, no trusted DMA entry and no firmware metadata; if not
	 * it ejects the policy and finishes the teardown natively.  Returning
	 * the errno of the step the firmware last refused as busy or failing
	 * (-EBUSY, -EIO, -EAGAIN), as TSMBPF_TRY does, is not the policy's
	 * fault: the native sequence retries from there and the policy stays.
	 *
	 * Context: process context, may sleep (struct_ops.s), the TDI's lock
	 * held.  If absent the native sequence runs.
	 */
	s32 (*unbind)(struct tsmbpf_tdi *tdi, u32 reason);

	/**
	 * @revoke_gate: decide how a host event that revokes MMIO proceeds
	 * @tdi: the TDI the event hits, bound; trusted pointer
	 * @event: enum tsmbpf_host_event
	 *
	 * Return an enum tsmbpf_verdict: TSMBPF_VERDICT_UNBIND (unbind first,
	 * then revoke), TSMBPF_VERDICT_DENY (refuse the event) or
	 * TSMBPF_VERDICT_REBIND (unbind, revoke, bind again).  Anything else
	 * ejects the policy and the core uses TSMBPF_VERDICT_UNBIND.
	 *
	 * Context: process context, must not sleep, the TDI's lock held.
	 * If absent the verdict is TSMBPF_VERDICT_UNBIND.
	 */
	u32 (*revoke_gate)(struct tsmbpf_tdi *tdi, u32 event);

	/**
	 * @event: observe the outcome of an operation on @tdi
	 * @tdi: the TDI; trusted pointer
	 * @event: the enum tsmbpf_step that just ran
	 * @result: 0 or the step's negative errno
	 *
	 * Called after each step the core or a policy ran on a TDI of the
	 * policy's platforms, for accounting and tracing; with
	 * TSMBPF_OPS_F_EVENT_ERRORS only after the steps that failed.
	 *
	 * Context: process context, must not sleep, the TDI's lock held.
	 */
	void (*event)(struct tsmbpf_tdi *tdi, u32 event, s32 result);

	/**
	 * @init: called once when the policy is attached, before it serves
	 *
	 * Return 0 or a negative errno, which refuses the attach.  A call of
	 * tsmbpf_error() or an overrun of @timeout_ms refuses it too, even
	 * if init() returns 0.  A refused init() leaves an exit record in
	 * each free slot of @platforms, and exit() is called.
	 *
	 * Context: process context, may sleep (struct_ops.s).
	 */
	s32 (*init)(void);

	/**
	 * @exit: the policy stops serving
	 * @info: why: an ejection (with the TDI, step, firmware error and
	 *	message), TSMBPF_EXIT_UNREG when the operator detached it,
	 *	TSMBPF_EXIT_SWAP when a link update replaced it (the message
	 *	names the successor), or the record of a refused init()
	 *
	 * Called exactly once for every init() that ran (or once per attach
	 * without init()), and after every other callback of the policy
	 * has returned: none runs after it.  After an ejection it runs from a
	 * work item, once an SRCU grace period has passed.
	 *
	 * Context: process context, must not sleep.
	 */
	void (*exit)(struct tsmbpf_exit_info *info);

	/** @platforms: TSMBPF_OPS_PLAT() bits of the slots this policy takes */
	u32 platforms;
	/** @flags: TSMBPF_OPS_F_* */
	u32 flags;
	/**
	 * @timeout_ms: deadline of one callback; 0 means
	 * TSMBPF_OPS_TIMEOUT_DEFAULT_MS, at most TSMBPF_OPS_TIMEOUT_MAX_MS
	 */
	u32 timeout_ms;
	/** @name: [a-z0-9_-], 1 to TSMBPF_NAME_LEN - 1 characters */
	char name[TSMBPF_NAME_LEN];
};

#endif /* _TSMBPF_OPS_H */
