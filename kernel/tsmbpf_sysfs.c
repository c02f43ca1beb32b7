// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only state in /sys/kernel/tsmbpf/: the core's counters, the policy
 * slots and one directory per TDI under tdis/<id>/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "tsmbpf.h"

/* /sys/kernel/tsmbpf/: counters and the policy slots, read-only. */
struct kobject *tsmbpf_kobj;
static struct kobject *tsmbpf_tdis_kobj;

#define TSMBPF_COUNTER_ATTR(_name)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
			  atomic64_read(&tsmbpf_stats._name));		\
}									\
static struct kobj_attribute tsmbpf_attr_##_name =			\
	__ATTR(_name, 0444, _name##_show, NULL)

TSMBPF_COUNTER_ATTR(binds);
TSMBPF_COUNTER_ATTR(unbinds);
TSMBPF_COUNTER_ATTR(unbinds_native);
TSMBPF_COUNTER_ATTR(unbinds_policy);
TSMBPF_COUNTER_ATTR(unbinds_fw_fallback);
TSMBPF_COUNTER_ATTR(policy_ejections);
TSMBPF_COUNTER_ATTR(fw_calls);
TSMBPF_COUNTER_ATTR(fw_refused);
TSMBPF_COUNTER_ATTR(faults);

static ssize_t kfunc_calls_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", tsmbpf_kfunc_calls());
}

static struct kobj_attribute tsmbpf_attr_kfunc_calls = __ATTR_RO(kfunc_calls);

static ssize_t spt_pages_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&tsmbpf_spt_global_pages));
}

static struct kobj_attribute tsmbpf_attr_spt_pages = __ATTR_RO(spt_pages);

static ssize_t spt_kept_pages_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&tsmbpf_spt_global_kept));
}

static struct kobj_attribute tsmbpf_attr_spt_kept_pages =
	__ATTR_RO(spt_kept_pages);

static ssize_t policies_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return tsmbpf_policy_show(buf);
}

static struct kobj_attribute tsmbpf_attr_policies = __ATTR_RO(policies);

static ssize_t generation_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", tsmbpf_policy_generation());
}

static struct kobj_attribute tsmbpf_attr_generation = __ATTR_RO(generation);

static ssize_t nr_tdis_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n", tsmbpf_nr_tdis());
}

static struct kobj_attribute tsmbpf_attr_nr_tdis = __ATTR_RO(nr_tdis);

static ssize_t nr_vms_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", tsmbpf_nr_vms());
}

static struct kobj_attribute tsmbpf_attr_nr_vms = __ATTR_RO(nr_vms);

/*
 * Firmware calls per platform and step, one line each for the steps a
 * platform has made: "PLATFORM STEP CALLS REFUSED".
 */
static ssize_t steps_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	ssize_t len = 0;
	u64 calls;
	int p, s;

	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		for (s = TSMBPF_STEP_NONE + 1; s < TSMBPF_STEP_NR; s++) {
			calls = atomic64_read(&tsmbpf_step_calls[p][s]);
			if (!calls)
				continue;
			len += sysfs_emit_at(buf, len, "%s %s %llu %lld\n",
					     tsmbpf_platform_name(p),
					     tsmbpf_step_name(s), calls,
					     atomic64_read(&tsmbpf_step_refused[p][s]));
		}
	}
	return len;
}

static struct kobj_attribute tsmbpf_attr_steps = __ATTR_RO(steps);

static struct attribute *tsmbpf_attrs[] = {
	&tsmbpf_attr_binds.attr,
	&tsmbpf_attr_unbinds.attr,
	&tsmbpf_attr_unbinds_native.attr,
	&tsmbpf_attr_unbinds_policy.attr,
	&tsmbpf_attr_unbinds_fw_fallback.attr,
	&tsmbpf_attr_policy_ejections.attr,
	&tsmbpf_attr_kfunc_calls.attr,
	&tsmbpf_attr_fw_calls.attr,
	&tsmbpf_attr_fw_refused.attr,
	&tsmbpf_attr_faults.attr,
	&tsmbpf_attr_spt_pages.attr,
	&tsmbpf_attr_spt_kept_pages.attr,
	&tsmbpf_attr_policies.attr,
	&tsmbpf_attr_generation.attr,
	&tsmbpf_attr_nr_tdis.attr,
	&tsmbpf_attr_nr_vms.attr,
	&tsmbpf_attr_steps.attr,
	NULL,
};

static const struct attribute_group tsmbpf_attr_group = {
	.attrs = tsmbpf_attrs,
};

/* tdis/<id>/: the kobject is embedded in the TDI and holds a reference. */
#define to_tdi(k) container_of(k, struct tsmbpf_tdi, kobj)

static const char * const tsmbpf_state_names[] = {
	[TSMBPF_TDISP_CONFIG_UNLOCKED] = "CONFIG_UNLOCKED",
	[TSMBPF_TDISP_CONFIG_LOCKED] = "CONFIG_LOCKED",
	[TSMBPF_TDISP_RUN] = "RUN",
	[TSMBPF_TDISP_ERROR] = "ERROR",
};

static ssize_t platform_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  tsmbpf_platform_name(to_tdi(kobj)->platform));
}

static ssize_t bdf_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	u32 bdf = to_tdi(kobj)->bdf;

	return sysfs_emit(buf, "%04x:%02x:%02x.%x\n", bdf >> 16,
			  (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	u32 state = READ_ONCE(to_tdi(kobj)->state);

	return sysfs_emit(buf, "%s\n", state < ARRAY_SIZE(tsmbpf_state_names) ?
			  tsmbpf_state_names[state] : "?");
}

static ssize_t vm_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	/*
	 * No tdi->lock: a destroy holds it no longer than its checks, but a
	 * reader that waited on it here while the destroy waited in
	 * kobject_del() for this reader would hang both.
	 */
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_tdi(kobj)->vm_id));
}

static ssize_t mmio_pages_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_tdi(kobj)->mmio_pages));
}

static ssize_t resources_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	u32 res = READ_ONCE(to_tdi(kobj)->res);

	return sysfs_emit(buf, "metadata=%d dma=%d shared_mmio=%d accepted=%d fenced=%d\n",
			  !!(res & TSMBPF_RES_METADATA),
			  !!(res & TSMBPF_RES_DMA),
			  !!(res & TSMBPF_RES_SHARED_MMIO),
			  !!(res & TSMBPF_RES_ACCEPTED),
			  !!(res & TSMBPF_RES_FENCED));
}

static ssize_t last_fw_error_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#x\n", READ_ONCE(to_tdi(kobj)->last_fw_error));
}

static struct kobj_attribute tsmbpf_tdi_attr_platform = __ATTR_RO(platform);
static struct kobj_attribute tsmbpf_tdi_attr_bdf = __ATTR_RO(bdf);
static struct kobj_attribute tsmbpf_tdi_attr_state = __ATTR_RO(state);
static struct kobj_attribute tsmbpf_tdi_attr_vm = __ATTR_RO(vm);
static struct kobj_attribute tsmbpf_tdi_attr_mmio_pages = __ATTR_RO(mmio_pages);
static struct kobj_attribute tsmbpf_tdi_attr_resources = __ATTR_RO(resources);
static struct kobj_attribute tsmbpf_tdi_attr_last_fw_error =
	__ATTR_RO(last_fw_error);

static struct attribute *tsmbpf_tdi_attrs[] = {
	&tsmbpf_tdi_attr_platform.attr,
	&tsmbpf_tdi_attr_bdf.attr,
	&tsmbpf_tdi_attr_state.attr,
	&tsmbpf_tdi_attr_vm.attr,
	&tsmbpf_tdi_attr_mmio_pages.attr,
	&tsmbpf_tdi_attr_resources.attr,
	&tsmbpf_tdi_attr_last_fw_error.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tsmbpf_tdi);

static void tsmbpf_tdi_kobj_release(struct kobject *kobj)
{
	tsmbpf_tdi_put(to_tdi(kobj));
}

static const struct kobj_type tsmbpf_tdi_ktype = {
	.release = tsmbpf_tdi_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = tsmbpf_tdi_groups,
};

int tsmbpf_sysfs_tdi_add(struct tsmbpf_tdi *tdi)
{
	int ret;

	kref_get(&tdi->kref);
	ret = kobject_init_and_add(&tdi->kobj, &tsmbpf_tdi_ktype,
				   tsmbpf_tdis_kobj, "%u", tdi->id);
	if (ret)
		kobject_put(&tdi->kobj);	/* drops the reference */
	return ret;
}

void tsmbpf_sysfs_tdi_del(struct tsmbpf_tdi *tdi)
{
	kobject_del(&tdi->kobj);
	kobject_put(&tdi->kobj);
}

int tsmbpf_sysfs_init(void)
{
	int ret;

	tsmbpf_kobj = kobject_create_and_add("tsmbpf", kernel_kobj);
	if (!tsmbpf_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(tsmbpf_kobj, &tsmbpf_attr_group);
	if (ret)
		goto err_put;
	tsmbpf_tdis_kobj = kobject_create_and_add("tdis", tsmbpf_kobj);
	if (!tsmbpf_tdis_kobj) {
		ret = -ENOMEM;
		goto err_put;
	}
	return 0;

err_put:
	kobject_put(tsmbpf_kobj);
	return ret;
}

void tsmbpf_sysfs_exit(void)
{
	kobject_put(tsmbpf_tdis_kobj);
	kobject_put(tsmbpf_kobj);
}
