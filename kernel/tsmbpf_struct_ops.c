// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf struct_ops glue: registration of struct tsmbpf_ops, validation of
 * a policy's data members, the per-platform policy slots and their atomic
 * replacement through a struct_ops link update.
 *
 * Slots are RCU pointers published under tsmbpf_slots_lock; callers run a
 * policy inside an SRCU read section (policies may sleep), so reg/unreg/
 * update wait with synchronize_srcu() and an unbind that already started
 * finishes on the policy it started with.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/ctype.h>
#include <linux/srcu.h>

#include "tsmbpf.h"
#include "tsmbpf_ops.h"

DEFINE_STATIC_SRCU(tsmbpf_srcu);
static DEFINE_MUTEX(tsmbpf_slots_lock);
static struct tsmbpf_ops __rcu *tsmbpf_slots[TSMBPF_PLAT_NR];
static u64 tsmbpf_generation;
static const struct btf *tsmbpf_btf;

static const char * const tsmbpf_plat_names[TSMBPF_PLAT_NR] = {
	[TSMBPF_PLAT_TDX] = "tdx",
	[TSMBPF_PLAT_SEV_TIO] = "sev-tio",
	[TSMBPF_PLAT_CCA] = "cca",
};

/**
 * tsmbpf_policy_unbind - run the unbind of the policy in @tdi's slot
 * @tdi: the TDI
 * @reason: enum tsmbpf_unbind_reason
 * @ran: out, true if a policy's unbind ran
 *
 * Return: the policy's return value, 0 if none ran.
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_policy_unbind(struct tsmbpf_tdi *tdi, u32 reason, bool *ran)
{
	struct tsmbpf_ops *ops;
	int idx, ret = 0;

	*ran = false;
	idx = srcu_read_lock(&tsmbpf_srcu);
	ops = srcu_dereference(tsmbpf_slots[tdi->platform], &tsmbpf_srcu);
	if (ops && ops->unbind && !(ops->flags & TSMBPF_OPS_F_OBSERVE)) {
		ret = ops->unbind(tdi, reason);
		*ran = true;
	}
	srcu_read_unlock(&tsmbpf_srcu, idx);
	return ret;
}

/* One line per platform: "tdx name generation", "-" for an empty slot. */
ssize_t tsmbpf_policy_show(char *buf)
{
	struct tsmbpf_ops *ops;
	ssize_t len = 0;
	int i;

	mutex_lock(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		ops = rcu_dereference_protected(tsmbpf_slots[i],
						lockdep_is_held(&tsmbpf_slots_lock));
		len += sysfs_emit_at(buf, len, "%s %s %llu\n",
				     tsmbpf_plat_names[i],
				     ops ? ops->name : "-", tsmbpf_generation);
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
	case offsetof(struct tsmbpf_ops, unbind):
		/* firmware calls sleep: sleepable allowed */
		break;
	default:
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

/* Caller holds tsmbpf_slots_lock.  @old may be NULL. */
static int tsmbpf_slots_claim(struct tsmbpf_ops *ops, struct tsmbpf_ops *old)
{
	struct tsmbpf_ops *cur;
	int i;

	for (i = 0; i < TSMBPF_PLAT_NR; i++) {
		if (!(ops->platforms & TSMBPF_OPS_PLAT(i)))
			continue;
		cur = rcu_dereference_protected(tsmbpf_slots[i],
						lockdep_is_held(&tsmbpf_slots_lock));
		if (cur && cur != old) {
			pr_warn("policy '%s': %s slot is held by policy '%s'\n",
				ops->name, tsmbpf_plat_names[i], cur->name);
			return -EBUSY;
		}
	}
	if (old && (old->platforms & ~ops->platforms)) {
		pr_warn("policy '%s' must serve every platform of '%s' to replace it\n",
			ops->name, old->name);
		return -EINVAL;
	}
	for (i = 0; i < TSMBPF_PLAT_NR; i++)
		if (ops->platforms & TSMBPF_OPS_PLAT(i))
			rcu_assign_pointer(tsmbpf_slots[i], ops);
	tsmbpf_generation++;
	return 0;
}

static int tsmbpf_ops_reg(void *kdata, struct bpf_link *link)
{
	int ret;

	mutex_lock(&tsmbpf_slots_lock);
	ret = tsmbpf_slots_claim(kdata, NULL);
	mutex_unlock(&tsmbpf_slots_lock);
	return ret;
}

static void tsmbpf_ops_unreg(void *kdata, struct bpf_link *link)
{
	struct tsmbpf_ops *ops = kdata;
	int i;

	mutex_lock(&tsmbpf_slots_lock);
	for (i = 0; i < TSMBPF_PLAT_NR; i++)
		if (rcu_access_pointer(tsmbpf_slots[i]) == ops)
			RCU_INIT_POINTER(tsmbpf_slots[i], NULL);
	tsmbpf_generation++;
	mutex_unlock(&tsmbpf_slots_lock);
	/* an unbind running on @ops finishes before its programs go */
	synchronize_srcu(&tsmbpf_srcu);
}

static int tsmbpf_ops_update(void *kdata, void *old_kdata,
			     struct bpf_link *link)
{
	int ret;

	mutex_lock(&tsmbpf_slots_lock);
	ret = tsmbpf_slots_claim(kdata, old_kdata);
	mutex_unlock(&tsmbpf_slots_lock);
	if (!ret)
		synchronize_srcu(&tsmbpf_srcu);
	return ret;
}

/* CFI stubs: one per callback, the signatures the trampolines follow. */
static int tsmbpf_ops__unbind(struct tsmbpf_tdi *tdi, u32 reason)
{
	return 0;
}

static struct tsmbpf_ops __tsmbpf_ops_cfi_stubs = {
	.unbind = tsmbpf_ops__unbind,
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

u64 tsmbpf_policy_generation(void)
{
	return READ_ONCE(tsmbpf_generation);
}

int tsmbpf_struct_ops_init(void)
{
	return register_bpf_struct_ops(&tsmbpf_bpf_ops, tsmbpf_ops);
}
