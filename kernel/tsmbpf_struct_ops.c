// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf struct_ops glue: registration of struct tsmbpf_ops, validation of
 * a policy's data members, the per-platform policy slots, their atomic
 * replacement through a struct_ops link update, and the single error path
 * that ejects a misbehaving policy with an exit record.
 *
 * Each attached policy is wrapped in a struct tsmbpf_policy holding its
 * generation.  Slots are RCU pointers to wrappers, published under
 * tsmbpf_slots_lock; the core runs a policy inside an SRCU read section
 * (policies may sleep), so unreg/update wait with an expedited SRCU grace
 * period (a swap is an operator's command: no batching delay) and an
 * unbind that already started finishes on the policy it started with
 * while the next one sees the new policy: a swap replaces the slot pointer
 * in one store, nothing runs on no policy in between.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/ctype.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/srcu.h>

#include "tsmbpf.h"
#include "tsmbpf_ops.h"
#include "tsmbpf_trace.h"

DEFINE_STATIC_SRCU(tsmbpf_srcu);
static DEFINE_MUTEX(tsmbpf_slots_lock);
static struct tsmbpf_policy __rcu *tsmbpf_slots[TSMBPF_PLAT_NR];
static struct tsmbpf_exit_info tsmbpf_exits[TSMBPF_PLAT_NR];
DEFINE_PER_CPU(u64 [TSMBPF_PLAT_NR], tsmbpf_slot_calls);
static LIST_HEAD(tsmbpf_policies);

/* What the policy in each slot wants to hear of: enum tsmbpf_watch. */
enum tsmbpf_watch {
	TSMBPF_WATCH_NONE,
	TSMBPF_WATCH_ERRORS,
	TSMBPF_WATCH_ALL,
};

static u8 tsmbpf_slot_watch[TSMBPF_PLAT_NR];
static u64 tsmbpf_generation;
static const struct btf *tsmbpf_btf;

/*
 * Policy calls in progress that have no TDI (init()), so that
 * tsmbpf_error() finds the call it was made from; a call on a TDI is
 * found through the TDI, without a global lock on the hot path.
 */
static DEFINE_SPINLOCK(tsmbpf_calls_lock);
static LIST_HEAD(tsmbpf_calls);

u64 tsmbpf_policy_generation(void)
{
	return READ_ONCE(tsmbpf_generation);
}

static const char *tsmbpf_exit_kind_name(u32 kind)
{
	static const char * const names[TSMBPF_EXIT_KIND_NR] = {
		[TSMBPF_EXIT_NONE] = "none",
		[TSMBPF_EXIT_UNREG] = "unregistered",
		[TSMBPF_EXIT_ERROR] = "error",
		[TSMBPF_EXIT_INVARIANT] = "invariant",
		[TSMBPF_EXIT_TIMEOUT] = "timeout",
		[TSMBPF_EXIT_BAD_RETURN] = "bad-return",
		[TSMBPF_EXIT_INIT] = "init",
		[TSMBPF_EXIT_SWAP] = "swapped",
	};

	return kind < TSMBPF_EXIT_KIND_NR ? names[kind] : "?";
}

/**
 * tsmbpf_policy_enter - find the policy serving @platform
 * @platform: enum tsmbpf_platform
 * @idx: out, the SRCU read index to pass to tsmbpf_policy_exit()
 *
 * Return: the policy or NULL; in both cases an SRCU read section is open.
 * Context: process context.
 */
struct tsmbpf_policy *tsmbpf_policy_enter(u32 platform, int *idx)
{
	struct tsmbpf_policy *pol;

	*idx = srcu_read_lock(&tsmbpf_srcu);
	pol = srcu_dereference(tsmbpf_slots[platform], &tsmbpf_srcu);
	if (pol && atomic_read(&pol->ejected))
		return NULL;	/* its slots are being cleared */
	if (pol && (pol->ops->flags & TSMBPF_OPS_F_OBSERVE))
		return pol->ops->event ? pol : NULL;
	return pol;
}

void tsmbpf_policy_exit(int idx)
{
	srcu_read_unlock(&tsmbpf_srcu, idx);
}

/*
 * Might the policy of @platform want to hear of a step that ended with
 * @result?  A hint read without the SRCU section, so that a step nobody
 * listens to does not pay for one.
 */
bool tsmbpf_policy_watches(u32 platform, int result)
{
	u8 watch = READ_ONCE(tsmbpf_slot_watch[platform]);

	return watch == TSMBPF_WATCH_ALL || (watch && result);
}

/* After any change of the slots: what their policies listen to. */
static void tsmbpf_slots_changed(void)
{
	struct tsmbpf_policy *pol;
	u8 watch;
	int i;

	lockdep_assert_held(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		pol = rcu_dereference_protected(tsmbpf_slots[i],
						lockdep_is_held(&tsmbpf_slots_lock));
		watch = TSMBPF_WATCH_NONE;
		if (pol && pol->ops->event)
			watch = pol->ops->flags & TSMBPF_OPS_F_EVENT_ERRORS ?
				TSMBPF_WATCH_ERRORS : TSMBPF_WATCH_ALL;
		WRITE_ONCE(tsmbpf_slot_watch[i], watch);
	}
}

/* May @pol sequence (not only observe)? */
bool tsmbpf_policy_sequences(const struct tsmbpf_policy *pol)
{
	return pol && !atomic_read(&pol->ejected) &&
	       !(pol->ops->flags & TSMBPF_OPS_F_OBSERVE);
}

/* A call without a TDI (init()): on the list tsmbpf_error() searches. */
void tsmbpf_call_register(struct tsmbpf_call *call)
{
	spin_lock(&tsmbpf_calls_lock);
	list_add(&call->node, &tsmbpf_calls);
	spin_unlock(&tsmbpf_calls_lock);
	this_cpu_inc(tsmbpf_slot_calls[__ffs(call->pol->ops->platforms)]);
}

void tsmbpf_call_unregister(struct tsmbpf_call *call)
{
	spin_lock(&tsmbpf_calls_lock);
	list_del(&call->node);
	spin_unlock(&tsmbpf_calls_lock);
}

/*
 * The slow end of tsmbpf_call_end(), for a call that failed or may be over
 * its deadline: read the clock, keep the duration for the exit record.
 */
u32 tsmbpf_call_verdict(struct tsmbpf_call *call)
{
	call->duration_ns = ktime_get_ns() - call->start_ns;
	if (call->error)
		return TSMBPF_EXIT_ERROR;
	if (call->duration_ns >
	    (u64)call->pol->timeout_ms * NSEC_PER_MSEC) {
		snprintf(call->msg, sizeof(call->msg),
			 "%s() ran %llu ms, over its %u ms deadline",
			 call->callback, call->duration_ns / NSEC_PER_MSEC,
			 call->pol->timeout_ms);
		return TSMBPF_EXIT_TIMEOUT;
	}
	return TSMBPF_EXIT_NONE;
}

/* tsmbpf_error(): record the message on the call made from this task. */
void tsmbpf_call_error(const char *msg)
{
	struct tsmbpf_call *call, *found = NULL;

	spin_lock(&tsmbpf_calls_lock);
	list_for_each_entry(call, &tsmbpf_calls, node) {
		if (call->task == current) {
			found = call;
			break;
		}
	}
	spin_unlock(&tsmbpf_calls_lock);
	/* only this task touches its own call: no lock from here */
	if (!found)
		found = tsmbpf_tdi_current_call();
	if (found && !found->error) {
		found->error = true;
		strscpy(found->msg, msg, sizeof(found->msg));
	}
}

/*
 * Call @pol's exit(), once whatever the reasons to call it (an ejection
 * racing an unregister, a swap of an ejected policy).  exit() is a
 * callback like the others: its tsmbpf_error() and its deadline are
 * reported, though there is nothing left to eject.
 */
static void tsmbpf_policy_call_exit(struct tsmbpf_policy *pol,
				    struct tsmbpf_exit_info *info)
{
	struct tsmbpf_call call;
	u32 kind;

	if (!pol->ops->exit || atomic_xchg(&pol->exited, 1))
		return;
	tsmbpf_call_begin(&call, pol, NULL, "exit", ktime_get_ns());
	pol->ops->exit(info);
	kind = tsmbpf_call_end(&call);
	if (kind)
		pr_warn("policy '%s': exit() misbehaved (%s): %s\n",
			pol->ops->name, tsmbpf_exit_kind_name(kind),
			call.msg[0] ? call.msg : "-");
}

/*
 * An ejection's exit(), after an SRCU grace period: a callback that found
 * the policy in its slot before the ejection cleared it has returned, and
 * none can start, so exit() is the policy's last callback.  The ejection
 * itself runs inside a callback's SRCU section and cannot wait there, as
 * sched_ext's error exit defers its disable to a work item.
 */
static void tsmbpf_policy_exit_workfn(struct work_struct *work)
{
	struct tsmbpf_policy *pol = container_of(work, struct tsmbpf_policy,
						 exit_work);

	synchronize_srcu(&tsmbpf_srcu);
	tsmbpf_policy_call_exit(pol, &pol->exit_info);
}

/* Fill @pol's exit record from @call; no allocation. */
static void tsmbpf_exit_info_fill(struct tsmbpf_policy *pol,
				  struct tsmbpf_call *call, u32 kind, s32 ret,
				  u32 step)
{
	struct tsmbpf_exit_info *info = &pol->exit_info;

	memset(info, 0, sizeof(*info));
	info->kind = kind;
	info->ret = ret;
	info->platform = call->tdi ? call->tdi->platform :
				     __ffs(pol->ops->platforms);
	info->tdi = call->tdi ? call->tdi->id : 0;
	info->step = step;
	info->fw_error = call->tdi ? call->tdi->last_fw_error : 0;
	info->generation = pol->gen;
	/* the callback's time, if tsmbpf_call_end() did not need it */
	info->duration_ns = call->duration_ns ?:
			    ktime_get_ns() - call->start_ns;
	strscpy(info->policy, pol->ops->name, sizeof(info->policy));
	strscpy(info->callback, call->callback, sizeof(info->callback));
	strscpy(info->msg, call->msg, sizeof(info->msg));
}

/**
 * tsmbpf_policy_eject - stop a misbehaving policy serving its platforms
 * @call: the call that misbehaved
 * @kind: enum tsmbpf_exit_kind
 * @ret: the callback's return value
 * @step: the first step the core must finish for the policy, or 0
 *
 * Clears the policy's slots (the platforms run native until another policy
 * attaches), records the exit record for each slot, logs the reason and
 * has the policy's exit() called once no callback of it runs any more.
 * The policy's link stays until the operator removes it.  Only the first
 * ejection of a policy counts.  Allocates nothing: an ejection cannot
 * fail.
 *
 * Context: process context, inside the SRCU section of @call.
 */
void tsmbpf_policy_eject(struct tsmbpf_call *call, u32 kind, s32 ret,
			 u32 step)
{
	struct tsmbpf_policy *pol = call->pol;
	struct tsmbpf_exit_info *info = &pol->exit_info;
	int i;

	if (atomic_xchg(&pol->ejected, 1))
		return;
	atomic64_inc(&tsmbpf_stats.policy_ejections);
	tsmbpf_exit_info_fill(pol, call, kind, ret, step);

	mutex_lock(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		if (rcu_access_pointer(tsmbpf_slots[i]) != pol)
			continue;
		RCU_INIT_POINTER(tsmbpf_slots[i], NULL);
		tsmbpf_exits[i] = *info;
		tsmbpf_exits[i].platform = i;
	}
	tsmbpf_generation++;
	tsmbpf_slots_changed();
	mutex_unlock(&tsmbpf_slots_lock);

	/* the timeline shows what the TDI did before the ejection first */
	if (call->tdi)
		tsmbpf_oplog_flush(call->tdi);
	trace_tsmbpf_eject(info, call->tdi ? call->tdi->bdf : 0);
	pr_warn("policy '%s' (generation %llu) ejected: %s in %s() on tdi %u, ret %d, step %u, fw %#x: %s\n",
		info->policy, info->generation, tsmbpf_exit_kind_name(kind),
		info->callback, info->tdi, ret, step, info->fw_error,
		info->msg[0] ? info->msg : "-");
	queue_work(system_unbound_wq, &pol->exit_work);
}

int tsmbpf_policy_info(u32 platform, struct tsmbpf_policy_info *pi)
{
	struct tsmbpf_policy *pol;
	int cpu;

	if (platform >= TSMBPF_PLAT_NR)
		return -EINVAL;
	mutex_lock(&tsmbpf_slots_lock);
	pol = rcu_dereference_protected(tsmbpf_slots[platform],
					lockdep_is_held(&tsmbpf_slots_lock));
	pi->attached = !!pol;
	pi->generation = pol ? pol->gen : 0;
	if (pol)
		strscpy(pi->name, pol->ops->name, sizeof(pi->name));
	pi->calls = 0;
	for_each_possible_cpu(cpu)
		pi->calls += per_cpu(tsmbpf_slot_calls, cpu)[platform];
	pi->exit = tsmbpf_exits[platform];
	mutex_unlock(&tsmbpf_slots_lock);
	return 0;
}

/* One line per platform: "tdx name generation", "-" for an empty slot. */
ssize_t tsmbpf_policy_show(char *buf)
{
	struct tsmbpf_policy *pol;
	ssize_t len = 0;
	int i;

	mutex_lock(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		pol = rcu_dereference_protected(tsmbpf_slots[i],
						lockdep_is_held(&tsmbpf_slots_lock));
		len += sysfs_emit_at(buf, len, "%s %s %llu\n",
				     tsmbpf_platform_name(i),
				     pol ? pol->ops->name : "-",
				     pol ? pol->gen : 0);
	}
	mutex_unlock(&tsmbpf_slots_lock);
	return len;
}

/* Struct_ops callbacks are PTR_TRUSTED: read-only access to their fields. */
static bool tsmbpf_ops_is_valid_access(int off, int size,
				       enum bpf_access_type type,
				       const struct bpf_prog *prog,
				       struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *
tsmbpf_ops_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static const struct bpf_verifier_ops tsmbpf_verifier_ops = {
	.get_func_proto = tsmbpf_ops_get_func_proto,
	.is_valid_access = tsmbpf_ops_is_valid_access,
};

static int tsmbpf_ops_init(struct btf *btf)
{
	tsmbpf_btf = btf;
	return 0;
}

/* Kfunc filter: only programs of this module's struct_ops. */
bool tsmbpf_prog_is_policy(const struct bpf_prog *prog)
{
	return prog->type == BPF_PROG_TYPE_STRUCT_OPS && tsmbpf_btf &&
	       prog->aux->attach_btf == tsmbpf_btf;
}

static int tsmbpf_ops_check_member(const struct btf_type *t,
				   const struct btf_member *member,
				   const struct bpf_prog *prog)
{
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct tsmbpf_ops, bind):
	case offsetof(struct tsmbpf_ops, unbind):
	case offsetof(struct tsmbpf_ops, init):
		/* firmware calls sleep: sleepable allowed */
		break;
	default:
		/* revoke_gate, event and exit run in no-sleep sections */
		if (prog->sleepable)
			return -EINVAL;
		break;
	}
	return 0;
}

static int tsmbpf_ops_check_name(const char *name)
{
	size_t len = strnlen(name, TSMBPF_NAME_LEN);
	size_t i;

	if (!len || len == TSMBPF_NAME_LEN)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!islower(name[i]) && !isdigit(name[i]) &&
		    name[i] != '_' && name[i] != '-')
			return -EINVAL;
	return 0;
}

static int tsmbpf_ops_init_member(const struct btf_type *t,
				  const struct btf_member *member,
				  void *kdata, const void *udata)
{
	const struct tsmbpf_ops *uops = udata;
	struct tsmbpf_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct tsmbpf_ops, name):
		if (tsmbpf_ops_check_name(uops->name)) {
			pr_warn("policy name '%.*s' invalid: use 1-%d of [a-z0-9_-]\n",
				TSMBPF_NAME_LEN, uops->name,
				TSMBPF_NAME_LEN - 1);
			return -EINVAL;
		}
		strscpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	case offsetof(struct tsmbpf_ops, platforms):
		if (!uops->platforms ||
		    (uops->platforms & ~TSMBPF_OPS_PLAT_ALL)) {
			pr_warn("policy '%.*s': platforms %#x invalid (known %#x)\n",
				TSMBPF_NAME_LEN, uops->name, uops->platforms,
				TSMBPF_OPS_PLAT_ALL);
			return -EINVAL;
		}
		ops->platforms = uops->platforms;
		return 1;
	case offsetof(struct tsmbpf_ops, flags):
		if (uops->flags & ~TSMBPF_OPS_F_ALL) {
			pr_warn("policy '%.*s': unknown flags %#x\n",
				TSMBPF_NAME_LEN, uops->name,
				uops->flags & ~TSMBPF_OPS_F_ALL);
			return -EINVAL;
		}
		ops->flags = uops->flags;
		return 1;
	case offsetof(struct tsmbpf_ops, timeout_ms):
		if (uops->timeout_ms > TSMBPF_OPS_TIMEOUT_MAX_MS) {
			pr_warn("policy '%.*s': timeout_ms %u over the %u ms cap\n",
				TSMBPF_NAME_LEN, uops->name, uops->timeout_ms,
				TSMBPF_OPS_TIMEOUT_MAX_MS);
			return -EINVAL;
		}
		ops->timeout_ms = uops->timeout_ms;
		return 1;
	}
	return 0;
}

static int tsmbpf_ops_validate(void *kdata)
{
	struct tsmbpf_ops *ops = kdata;

	/* init_member validated what was set; catch what was left unset */
	if (tsmbpf_ops_check_name(ops->name)) {
		pr_warn("policy has no valid name\n");
		return -EINVAL;
	}
	if (!ops->platforms) {
		pr_warn("policy '%s' serves no platform\n", ops->name);
		return -EINVAL;
	}
	return 0;
}

static struct tsmbpf_policy *tsmbpf_policy_find(void *kdata)
{
	struct tsmbpf_policy *pol;

	lockdep_assert_held(&tsmbpf_slots_lock);
	list_for_each_entry(pol, &tsmbpf_policies, node)
		if (pol->ops == kdata)
			return pol;
	return NULL;
}

/*
 * init() refused the attach: keep an exit record in each slot it would
 * have served that no other policy holds, and call its exit().
 */
static void tsmbpf_policy_init_failed(struct tsmbpf_policy *pol,
				      struct tsmbpf_call *call, u32 kind,
				      s32 ret)
{
	struct tsmbpf_exit_info *info = &pol->exit_info;
	int i;

	if (!call->msg[0])
		snprintf(call->msg, sizeof(call->msg), "init() returned %d",
			 ret);
	tsmbpf_exit_info_fill(pol, call, kind, ret, TSMBPF_STEP_NONE);
	mutex_lock(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		if (!(pol->ops->platforms & TSMBPF_OPS_PLAT(i)) ||
		    rcu_access_pointer(tsmbpf_slots[i]))
			continue;
		tsmbpf_exits[i] = *info;
		tsmbpf_exits[i].platform = i;
	}
	mutex_unlock(&tsmbpf_slots_lock);
	pr_warn("policy '%s': init() failed (%s): %s\n", pol->ops->name,
		tsmbpf_exit_kind_name(kind), info->msg);
	tsmbpf_policy_call_exit(pol, info);
}

/*
 * Wrap @ops and run its init(); the caller publishes it.  init() refuses
 * the attach by returning an error, calling tsmbpf_error() or overrunning
 * its deadline, whatever it returns.
 */
static struct tsmbpf_policy *tsmbpf_policy_new(struct tsmbpf_ops *ops)
{
	struct tsmbpf_policy *pol;
	struct tsmbpf_call call;
	u32 kind;
	s32 ret;

	pol = kzalloc(sizeof(*pol), GFP_KERNEL);
	if (!pol)
		return ERR_PTR(-ENOMEM);
	pol->ops = ops;
	pol->timeout_ms = ops->timeout_ms ?: TSMBPF_OPS_TIMEOUT_DEFAULT_MS;
	pol->deadline_ticks = (u64)pol->timeout_ms * HZ / MSEC_PER_SEC;
	atomic_set(&pol->ejected, 0);
	atomic_set(&pol->exited, 0);
	INIT_WORK(&pol->exit_work, tsmbpf_policy_exit_workfn);
	if (!ops->init)
		return pol;

	tsmbpf_call_begin(&call, pol, NULL, "init", ktime_get_ns());
	ret = ops->init();
	kind = tsmbpf_call_end(&call);
	if (!kind && !ret)
		return pol;
	tsmbpf_policy_init_failed(pol, &call, kind ?: TSMBPF_EXIT_INIT, ret);
	kfree(pol);
	return ERR_PTR(ret < 0 && ret >= -MAX_ERRNO ? ret : -EINVAL);
}

/*
 * Publish @pol in its slots, replacing @old (may be NULL).  Every slot
 * must be free or held by @old.  Caller holds tsmbpf_slots_lock.
 */
static int tsmbpf_slots_claim(struct tsmbpf_policy *pol,
			      struct tsmbpf_policy *old)
{
	struct tsmbpf_policy *cur;
	u32 want = pol->ops->platforms;
	int i;

	lockdep_assert_held(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		if (!(want & TSMBPF_OPS_PLAT(i)))
			continue;
		cur = rcu_dereference_protected(tsmbpf_slots[i],
						lockdep_is_held(&tsmbpf_slots_lock));
		if (cur && cur != old) {
			pr_warn("policy '%s': %s slot is held by policy '%s'\n",
				pol->ops->name, tsmbpf_platform_name(i),
				cur->ops->name);
			return -EBUSY;
		}
	}
	if (old && !atomic_read(&old->ejected) &&
	    (old->ops->platforms & ~want)) {
		pr_warn("policy '%s' must serve every platform of '%s' to replace it\n",
			pol->ops->name, old->ops->name);
		return -EINVAL;
	}
	pol->gen = ++tsmbpf_generation;
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		cur = rcu_dereference_protected(tsmbpf_slots[i],
						lockdep_is_held(&tsmbpf_slots_lock));
		if (want & TSMBPF_OPS_PLAT(i))
			rcu_assign_pointer(tsmbpf_slots[i], pol);
		else if (old && cur == old)
			RCU_INIT_POINTER(tsmbpf_slots[i], NULL);
	}
	list_add(&pol->node, &tsmbpf_policies);
	tsmbpf_slots_changed();
	return 0;
}

/*
 * A policy whose init() succeeded but whose slots were refused: it never
 * served, but exit() is called once for every init() that ran.
 */
static void tsmbpf_policy_refused(struct tsmbpf_policy *pol, int err)
{
	struct tsmbpf_exit_info info = {
		.kind = TSMBPF_EXIT_UNREG,
		.ret = err,
		.platform = __ffs(pol->ops->platforms),
	};

	strscpy(info.policy, pol->ops->name, sizeof(info.policy));
	snprintf(info.msg, sizeof(info.msg), "not attached: %d", err);
	tsmbpf_policy_call_exit(pol, &info);
	kfree(pol);
}

/* One trace record per platform slot @pol took. */
static void tsmbpf_policy_trace(const struct tsmbpf_policy *pol, bool swap)
{
	int i;

	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		if (!(pol->ops->platforms & TSMBPF_OPS_PLAT(i)))
			continue;
		if (swap)
			trace_tsmbpf_policy_swap(i, pol->ops->name, pol->gen);
		else
			trace_tsmbpf_policy_attach(i, pol->ops->name, pol->gen);
	}
}

static int tsmbpf_ops_reg(void *kdata, struct bpf_link *link)
{
	struct tsmbpf_policy *pol;
	int ret;

	pol = tsmbpf_policy_new(kdata);
	if (IS_ERR(pol))
		return PTR_ERR(pol);
	mutex_lock(&tsmbpf_slots_lock);
	ret = tsmbpf_slots_claim(pol, NULL);
	mutex_unlock(&tsmbpf_slots_lock);
	if (ret) {
		tsmbpf_policy_refused(pol, ret);
		return ret;
	}
	tsmbpf_policy_trace(pol, false);
	pr_info("policy '%s' attached, generation %llu\n", pol->ops->name,
		pol->gen);
	return 0;
}

/*
 * The operator detached @kdata.  exit() is called once, after the last
 * callback returned: by the ejection's work item if the policy was
 * ejected (flushed here), else here with an UNREG record.
 */
static void tsmbpf_ops_unreg(void *kdata, struct bpf_link *link)
{
	struct tsmbpf_exit_info info = { .kind = TSMBPF_EXIT_UNREG };
	struct tsmbpf_policy *pol;
	bool served = false;
	int i;

	mutex_lock(&tsmbpf_slots_lock);
	pol = tsmbpf_policy_find(kdata);
	if (!pol) {
		mutex_unlock(&tsmbpf_slots_lock);
		return;
	}
	list_del(&pol->node);
	info.generation = pol->gen;
	strscpy(info.policy, pol->ops->name, sizeof(info.policy));
	strscpy(info.msg, "detached", sizeof(info.msg));
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		if (rcu_access_pointer(tsmbpf_slots[i]) != pol)
			continue;
		RCU_INIT_POINTER(tsmbpf_slots[i], NULL);
		if (!served)
			info.platform = i;
		served = true;
		tsmbpf_exits[i] = info;
		tsmbpf_exits[i].platform = i;
		trace_tsmbpf_policy_detach(i, pol->ops->name,
					   tsmbpf_generation + 1);
	}
	if (served)
		tsmbpf_generation++;
	tsmbpf_slots_changed();
	mutex_unlock(&tsmbpf_slots_lock);
	/* an unbind running on @pol finishes before its programs go */
	synchronize_srcu_expedited(&tsmbpf_srcu);
	flush_work(&pol->exit_work);
	if (served)
		tsmbpf_policy_call_exit(pol, &info);
	kfree(pol);
}

/*
 * A link update replaces @old_kdata by @kdata in one store.  The replaced
 * policy stops serving, so its exit() is called once, with a
 * TSMBPF_EXIT_SWAP record naming its successor, after its last callback
 * returned; the slots' exit records are left alone: they keep the last
 * time a platform fell back to native, which a swap never does.
 */
static int tsmbpf_ops_update(void *kdata, void *old_kdata,
			     struct bpf_link *link)
{
	struct tsmbpf_exit_info info = { .kind = TSMBPF_EXIT_SWAP };
	struct tsmbpf_policy *pol, *old;
	int ret;

	pol = tsmbpf_policy_new(kdata);
	if (IS_ERR(pol))
		return PTR_ERR(pol);
	mutex_lock(&tsmbpf_slots_lock);
	old = tsmbpf_policy_find(old_kdata);
	ret = tsmbpf_slots_claim(pol, old);
	if (!ret && old) {
		list_del(&old->node);
		info.platform = __ffs(old->ops->platforms);
		info.generation = old->gen;
		strscpy(info.policy, old->ops->name, sizeof(info.policy));
		snprintf(info.msg, sizeof(info.msg),
			 "replaced by '%s' (generation %llu)", pol->ops->name,
			 pol->gen);
	}
	mutex_unlock(&tsmbpf_slots_lock);
	if (ret) {
		tsmbpf_policy_refused(pol, ret);
		return ret;
	}
	tsmbpf_policy_trace(pol, true);
	/* callbacks still running on @old finish before it is freed */
	synchronize_srcu_expedited(&tsmbpf_srcu);
	if (!old)
		return 0;
	flush_work(&old->exit_work);
	tsmbpf_policy_call_exit(old, &info);
	kfree(old);
	return 0;
}

/* CFI stubs: one per callback, the signatures the trampolines follow. */
static s32 tsmbpf_ops__bind(struct tsmbpf_tdi *tdi)
{
	return 0;
}

static s32 tsmbpf_ops__unbind(struct tsmbpf_tdi *tdi, u32 reason)
{
	return 0;
}

static u32 tsmbpf_ops__revoke_gate(struct tsmbpf_tdi *tdi, u32 event)
{
	return 0;
}

static void tsmbpf_ops__event(struct tsmbpf_tdi *tdi, u32 event, s32 result)
{
}

static s32 tsmbpf_ops__init(void)
{
	return 0;
}

static void tsmbpf_ops__exit(struct tsmbpf_exit_info *info)
{
}

static struct tsmbpf_ops __tsmbpf_ops_cfi_stubs = {
	.bind = tsmbpf_ops__bind,
	.unbind = tsmbpf_ops__unbind,
	.revoke_gate = tsmbpf_ops__revoke_gate,
	.event = tsmbpf_ops__event,
	.init = tsmbpf_ops__init,
	.exit = tsmbpf_ops__exit,
};

static struct bpf_struct_ops tsmbpf_bpf_ops = {
	.verifier_ops = &tsmbpf_verifier_ops,
	.init = tsmbpf_ops_init,
	.check_member = tsmbpf_ops_check_member,
	.init_member = tsmbpf_ops_init_member,
	.validate = tsmbpf_ops_validate,
	.reg = tsmbpf_ops_reg,
	.unreg = tsmbpf_ops_unreg,
	.update = tsmbpf_ops_update,
	.cfi_stubs = &__tsmbpf_ops_cfi_stubs,
	.name = "tsmbpf_ops",
	.owner = THIS_MODULE,
};

int tsmbpf_struct_ops_init(void)
{
	return register_bpf_struct_ops(&tsmbpf_bpf_ops, tsmbpf_ops);
}
