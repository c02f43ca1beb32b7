// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf: policy and observability for confidential device assignment.
 *
 * Module entry, the /dev/tsmbpf ioctls and the read-only state in
 * /sys/kernel/tsmbpf/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "tsmbpf.h"
#include "tsmbpf_bench.h"

/*
 * Copy the VFIO-style argument of an ioctl: @argsz must cover the struct up
 * to @minsz, unknown @flags are refused.  Only the kernel's known size is
 * copied; a larger argsz from a newer userspace is fine.
 */
static int tsmbpf_copy_arg(void *karg, size_t ksize, size_t minsz,
			   const void __user *uarg, u32 known_flags)
{
	u32 hdr[2];	/* argsz, flags */

	if (copy_from_user(hdr, uarg, sizeof(hdr)))
		return -EFAULT;
	if (hdr[0] < minsz || (hdr[1] & ~known_flags))
		return -EINVAL;
	memset(karg, 0, ksize);
	if (copy_from_user(karg, uarg, min_t(size_t, hdr[0], ksize)))
		return -EFAULT;
	return 0;
}

#define TSMBPF_GET_ARG(karg, last, uarg) \
	tsmbpf_copy_arg(&(karg), sizeof(karg), \
			offsetofend(typeof(karg), last), (uarg), 0)

/* Copy results back, no further than the caller's argsz. */
static int tsmbpf_put_arg(void __user *uarg, const void *karg, size_t ksize)
{
	u32 argsz = *(const u32 *)karg;

	return copy_to_user(uarg, karg, min_t(size_t, argsz, ksize)) ?
	       -EFAULT : 0;
}

static long tsmbpf_ioctl_vm_create(struct file *file, void __user *uarg)
{
	struct tsmbpf_vm_create arg;
	struct tsmbpf_vm *vm;
	int ret;

	ret = tsmbpf_copy_arg(&arg, sizeof(arg),
			      offsetofend(typeof(arg), vm_id), uarg,
			      TSMBPF_VM_CREATE_OWNED);
	if (ret)
		return ret;
	vm = tsmbpf_vm_create(arg.flags & TSMBPF_VM_CREATE_OWNED ? file : NULL);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	arg.vm_id = vm->id;
	ret = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
	if (ret)
		tsmbpf_vm_destroy(vm);	/* this VM, whatever its id names now */
	tsmbpf_vm_put(vm);
	return ret;
}

static long tsmbpf_ioctl_vm_destroy(void __user *uarg)
{
	struct tsmbpf_vm_destroy arg;
	int ret;

	ret = tsmbpf_copy_arg(&arg, sizeof(arg),
			      offsetofend(typeof(arg), vm_id), uarg,
			      TSMBPF_VM_DESTROY_UNBIND);
	if (ret)
		return ret;
	if (arg.flags & TSMBPF_VM_DESTROY_UNBIND)
		return tsmbpf_vm_destroy_unbind(arg.vm_id);
	return tsmbpf_vm_destroy_id(arg.vm_id);
}

static long tsmbpf_ioctl_tdi_create(struct file *file, void __user *uarg)
{
	struct tsmbpf_tdi_create arg;
	struct tsmbpf_tdi *tdi;
	int ret;

	ret = tsmbpf_copy_arg(&arg, sizeof(arg),
			      offsetofend(typeof(arg), tdi_id), uarg,
			      TSMBPF_TDI_CREATE_PCI | TSMBPF_TDI_CREATE_OWNED);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_create(&arg, arg.flags & TSMBPF_TDI_CREATE_OWNED ?
				file : NULL);
	if (IS_ERR(tdi))
		return PTR_ERR(tdi);
	arg.tdi_id = tdi->id;
	ret = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
	if (ret)
		tsmbpf_tdi_destroy(tdi);	/* this TDI, whatever its id names now */
	tsmbpf_tdi_put(tdi);
	return ret;
}

static long tsmbpf_ioctl_tdi_destroy(void __user *uarg)
{
	struct tsmbpf_tdi_destroy arg;
	int ret;

	ret = TSMBPF_GET_ARG(arg, tdi_id, uarg);
	return ret ?: tsmbpf_tdi_destroy_id(arg.tdi_id);
}

static long tsmbpf_ioctl_tdi_bind(void __user *uarg)
{
	struct tsmbpf_tdi_bind arg;
	struct tsmbpf_tdi *tdi;
	struct tsmbpf_vm *vm;
	int ret, ret2;

	ret = tsmbpf_copy_arg(&arg, sizeof(arg),
			      offsetofend(typeof(arg), fw_error), uarg,
			      TSMBPF_BIND_LAZY_MMIO);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	vm = tsmbpf_vm_get(arg.vm_id);
	if (!vm) {
		ret = -ENOENT;
		goto out_put_tdi;
	}
	ret = tsmbpf_tdi_bind(tdi, vm, &arg, &arg.nonce, &arg.fw_error);
	ret2 = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
	ret = ret ?: ret2;
	tsmbpf_vm_put(vm);
out_put_tdi:
	tsmbpf_tdi_put(tdi);
	return ret;
}

static long tsmbpf_ioctl_tdi_accept(void __user *uarg)
{
	struct tsmbpf_tdi_accept arg;
	struct tsmbpf_tdi *tdi;
	int ret, ret2;

	ret = TSMBPF_GET_ARG(arg, nonce, uarg);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_accept(tdi, arg.nonce, &arg.fw_error);
	ret2 = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
	tsmbpf_tdi_put(tdi);
	return ret ?: ret2;
}

static long tsmbpf_ioctl_tdi_unbind(void __user *uarg)
{
	struct tsmbpf_tdi_unbind arg;
	struct tsmbpf_tdi *tdi;
	int ret, ret2;

	ret = TSMBPF_GET_ARG(arg, fw_error, uarg);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_unbind(tdi, arg.reason, &arg.fw_error);
	ret2 = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
	tsmbpf_tdi_put(tdi);
	return ret ?: ret2;
}

static long tsmbpf_ioctl_tdi_info(void __user *uarg)
{
	struct tsmbpf_tdi_info arg;
	struct tsmbpf_tdi *tdi;
	int ret;
	u32 i;

	ret = TSMBPF_GET_ARG(arg, tdi_id, uarg);
	if (ret)
		return ret;
	/* every out field is written: none echoes what the caller passed */
	arg = (struct tsmbpf_tdi_info){ .argsz = arg.argsz, .flags = arg.flags,
					.tdi_id = arg.tdi_id };
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	mutex_lock(&tdi->lock);
	arg.platform = tdi->platform;
	arg.bdf = tdi->bdf;
	arg.devset = tdi->devset;
	arg.state = tdi->state;
	arg.res = tdi->res;
	arg.vm_id = tdi->vm ? tdi->vm->id : 0;
	arg.vbdf = tdi->vbdf;
	arg.viommu = tdi->viommu;
	arg.nr_bars = tdi->nr_bars;
	memcpy(arg.bar_size, tdi->bar_size, sizeof(arg.bar_size));
	arg.mmio_pages = tdi->mmio_pages;
	arg.binds = tdi->binds;
	arg.unbinds = tdi->unbinds;
	arg.last_fw_error = tdi->last_fw_error;
	for (i = 0; i < tdi->nr_bars; i++) {
		arg.bar_gpa[i] = tdi->vm ? tsmbpf_tdi_gpa(tdi, i) : 0;
		arg.bar_hpa[i] = tsmbpf_tdi_hpa(tdi, i);
	}
	if (tdi->host) {
		arg.host_flags = TSMBPF_TDI_HOST_PCI;
		if (!tdi->host_data)
			arg.host_flags |= TSMBPF_TDI_HOST_GONE;
		if (tdi->host_private)
			arg.host_flags |= TSMBPF_TDI_HOST_PRIVATE;
		memcpy(arg.pci_bar, tdi->pci_bar, sizeof(arg.pci_bar));
		strscpy(arg.driver, tdi->host->name, sizeof(arg.driver));
	}
	if (READ_ONCE(tdi->owner))
		arg.host_flags |= TSMBPF_TDI_OWNED;
	arg.host_events = tdi->host_events;
	tsmbpf_tdi_unlock(tdi);
	tsmbpf_tdi_put(tdi);
	return tsmbpf_put_arg(uarg, &arg, sizeof(arg));
}

static long tsmbpf_ioctl_vm_info(void __user *uarg)
{
	struct tsmbpf_vm_info arg;
	struct tsmbpf_vm *vm;
	int ret;

	ret = TSMBPF_GET_ARG(arg, vm_id, uarg);
	if (ret)
		return ret;
	vm = tsmbpf_vm_get(arg.vm_id);
	if (!vm)
		return -ENOENT;
	arg.nr_bound = READ_ONCE(vm->nr_bound);
	mutex_lock(&vm->spt.lock);
	arg.spt_pages = vm->spt.nr_pages;
	arg.spt_leaves_4k = vm->spt.nr_4k;
	arg.spt_leaves_2m = vm->spt.nr_2m;
	arg.spt_epoch = vm->spt.epoch;
	arg.spt_kept_pages = vm->spt.nr_kept;
	mutex_unlock(&vm->spt.lock);
	arg.nr_imports = READ_ONCE(vm->nr_imports);
	arg.owner_pid = READ_ONCE(vm->owner_pid);
	arg.import_pages = tsmbpf_mmio_import_pages(vm, &arg.import_accepted);
	tsmbpf_vm_put(vm);
	return tsmbpf_put_arg(uarg, &arg, sizeof(arg));
}

static long tsmbpf_ioctl_mmio_import(void __user *uarg)
{
	struct tsmbpf_mmio_import arg;
	struct tsmbpf_vm *vm;
	int ret;

	ret = tsmbpf_copy_arg(&arg, sizeof(arg),
			      offsetofend(typeof(arg), size), uarg,
			      TSMBPF_MAP_4K);
	if (ret)
		return ret;
	vm = tsmbpf_vm_get(arg.vm_id);
	if (!vm)
		return -ENOENT;
	ret = tsmbpf_mmio_import(vm, &arg);
	if (!ret) {
		ret = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
		if (ret)	/* nobody would know the id: undo */
			tsmbpf_mmio_release(vm, arg.import_id);
	}
	tsmbpf_vm_put(vm);
	return ret;
}

static long tsmbpf_ioctl_mmio_release(void __user *uarg)
{
	struct tsmbpf_mmio_release arg;
	struct tsmbpf_vm *vm;
	int ret;

	ret = TSMBPF_GET_ARG(arg, import_id, uarg);
	if (ret)
		return ret;
	vm = tsmbpf_vm_get(arg.vm_id);
	if (!vm)
		return -ENOENT;
	ret = tsmbpf_mmio_release(vm, arg.import_id);
	tsmbpf_vm_put(vm);
	return ret;
}

#define TSMBPF_LIST_MAX	65536

static long tsmbpf_ioctl_list(void __user *uarg)
{
	struct tsmbpf_list arg;
	u32 *ids = NULL;
	u32 room;
	int ret;

	ret = TSMBPF_GET_ARG(arg, ids, uarg);
	if (ret)
		return ret;
	room = min_t(u32, arg.count, TSMBPF_LIST_MAX);
	if (room) {
		ids = kvcalloc(room, sizeof(*ids), GFP_KERNEL);
		if (!ids)
			return -ENOMEM;
	}
	ret = tsmbpf_list(arg.what, ids, room, &arg.count);
	if (ret)
		goto out_free;
	if (room && copy_to_user(u64_to_user_ptr(arg.ids), ids,
				 min(room, arg.count) * sizeof(*ids))) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
out_free:
	kvfree(ids);
	return ret;
}

static long tsmbpf_ioctl_stats(void __user *uarg)
{
	struct tsmbpf_stats arg;
	int ret;

	ret = TSMBPF_GET_ARG(arg, flags, uarg);
	if (ret)
		return ret;
	arg.nr_vms = tsmbpf_nr_vms();
	arg.nr_tdis = tsmbpf_nr_tdis();
	arg.binds = atomic64_read(&tsmbpf_stats.binds);
	arg.unbinds = atomic64_read(&tsmbpf_stats.unbinds);
	arg.unbinds_native = atomic64_read(&tsmbpf_stats.unbinds_native);
	arg.unbinds_policy = atomic64_read(&tsmbpf_stats.unbinds_policy);
	arg.policy_ejections = atomic64_read(&tsmbpf_stats.policy_ejections);
	arg.fw_calls = atomic64_read(&tsmbpf_stats.fw_calls);
	arg.fw_refused = atomic64_read(&tsmbpf_stats.fw_refused);
	arg.spt_pages = atomic64_read(&tsmbpf_spt_global_pages);
	arg.spt_kept_pages = atomic64_read(&tsmbpf_spt_global_kept);
	arg.faults = atomic64_read(&tsmbpf_stats.faults);
	arg.unbinds_fw_fallback = atomic64_read(&tsmbpf_stats.unbinds_fw_fallback);
	return tsmbpf_put_arg(uarg, &arg, sizeof(arg));
}

static long tsmbpf_ioctl_tdi_fault(void __user *uarg)
{
	struct tsmbpf_tdi_fault arg;
	struct tsmbpf_tdi *tdi;
	int ret;

	ret = TSMBPF_GET_ARG(arg, gpa, uarg);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_fault(tdi, arg.gpa, &arg.mapped);
	tsmbpf_tdi_put(tdi);
	return ret ?: tsmbpf_put_arg(uarg, &arg, sizeof(arg));
}

static long tsmbpf_ioctl_tdi_map(void __user *uarg)
{
	struct tsmbpf_tdi_map arg;
	struct tsmbpf_tdi *tdi;
	int ret;

	ret = tsmbpf_copy_arg(&arg, sizeof(arg), offsetofend(typeof(arg), size),
			      uarg, TSMBPF_MAP_4K);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_map(tdi, arg.bar, arg.offset, arg.size, arg.flags);
	tsmbpf_tdi_put(tdi);
	return ret;
}

static bool step_ioctl;
module_param(step_ioctl, bool, 0444);
MODULE_PARM_DESC(step_ioctl, "allow TSMBPF_TDI_STEP, single steps in any order (tests)");

static long tsmbpf_ioctl_tdi_step(void __user *uarg)
{
	struct tsmbpf_tdi_step arg;
	struct tsmbpf_tdi *tdi;
	int ret, ret2;

	if (!step_ioctl)
		return -EPERM;
	ret = TSMBPF_GET_ARG(arg, arg, uarg);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_step_ioctl(tdi, arg.step, arg.arg, &arg.fw_error);
	ret2 = tsmbpf_put_arg(uarg, &arg, sizeof(arg));
	tsmbpf_tdi_put(tdi);
	return ret ?: ret2;
}

static long tsmbpf_ioctl_policy_info(void __user *uarg)
{
	struct tsmbpf_policy_info arg;
	int ret;

	ret = TSMBPF_GET_ARG(arg, platform, uarg);
	if (ret)
		return ret;
	ret = tsmbpf_policy_info(arg.platform, &arg);
	return ret ?: tsmbpf_put_arg(uarg, &arg, sizeof(arg));
}

static long tsmbpf_ioctl_revoke_gate(void __user *uarg)
{
	struct tsmbpf_revoke_gate arg;
	struct tsmbpf_tdi *tdi;
	bool by_policy;
	int ret;

	if (!step_ioctl)
		return -EPERM;
	ret = TSMBPF_GET_ARG(arg, event, uarg);
	if (ret)
		return ret;
	tdi = tsmbpf_tdi_get(arg.tdi_id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_revoke_gate(tdi, arg.event, &arg.verdict, &by_policy);
	tsmbpf_tdi_put(tdi);
	arg.by_policy = by_policy;
	return ret ?: tsmbpf_put_arg(uarg, &arg, sizeof(arg));
}

static long tsmbpf_ioctl(struct file *file, unsigned int cmd,
			 unsigned long uarg)
{
	void __user *arg = (void __user *)uarg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case TSMBPF_VM_CREATE:
		return tsmbpf_ioctl_vm_create(file, arg);
	case TSMBPF_VM_DESTROY:
		return tsmbpf_ioctl_vm_destroy(arg);
	case TSMBPF_TDI_CREATE:
		return tsmbpf_ioctl_tdi_create(file, arg);
	case TSMBPF_TDI_DESTROY:
		return tsmbpf_ioctl_tdi_destroy(arg);
	case TSMBPF_TDI_BIND:
		return tsmbpf_ioctl_tdi_bind(arg);
	case TSMBPF_TDI_ACCEPT:
		return tsmbpf_ioctl_tdi_accept(arg);
	case TSMBPF_TDI_UNBIND:
		return tsmbpf_ioctl_tdi_unbind(arg);
	case TSMBPF_TDI_INFO:
		return tsmbpf_ioctl_tdi_info(arg);
	case TSMBPF_VM_INFO:
		return tsmbpf_ioctl_vm_info(arg);
	case TSMBPF_LIST:
		return tsmbpf_ioctl_list(arg);
	case TSMBPF_STATS:
		return tsmbpf_ioctl_stats(arg);
	case TSMBPF_TDI_FAULT:
		return tsmbpf_ioctl_tdi_fault(arg);
	case TSMBPF_TDI_MAP:
		return tsmbpf_ioctl_tdi_map(arg);
	case TSMBPF_TDI_STEP:
		return tsmbpf_ioctl_tdi_step(arg);
	case TSMBPF_POLICY_INFO:
		return tsmbpf_ioctl_policy_info(arg);
	case TSMBPF_REVOKE_GATE:
		return tsmbpf_ioctl_revoke_gate(arg);
	case TSMBPF_MMIO_IMPORT:
		return tsmbpf_ioctl_mmio_import(arg);
	case TSMBPF_MMIO_RELEASE:
		return tsmbpf_ioctl_mmio_release(arg);
	}
	return -ENOTTY;
}

/* The objects this file owns go with it (TSMBPF_VM_CREATE_OWNED). */
static int tsmbpf_release(struct inode *inode, struct file *file)
{
	tsmbpf_owner_release(file);
	return 0;
}

static const struct file_operations tsmbpf_fops = {
	.owner = THIS_MODULE,
	.release = tsmbpf_release,
	.unlocked_ioctl = tsmbpf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice tsmbpf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tsmbpf",
	.fops = &tsmbpf_fops,
	.mode = 0600,
};

static int __init tsmbpf_init(void)
{
	int ret;

	ret = tsmbpf_sysfs_init();
	if (ret)
		return ret;

	tsmbpf_policy_glue_init();
	/* neither kfuncs nor struct_ops can be unregistered: no undo */
	ret = tsmbpf_kfuncs_init();
	if (ret) {
		pr_err("registering kfuncs failed: %d\n", ret);
		goto err_sysfs;
	}
	ret = tsmbpf_struct_ops_init();
	if (ret) {
		pr_err("registering struct_ops tsmbpf_ops failed: %d\n", ret);
		goto err_sysfs;
	}
	ret = misc_register(&tsmbpf_misc);
	if (ret)
		goto err_sysfs;
	tsmbpf_device = tsmbpf_misc.this_device;
	pr_info("loaded, uAPI version %d\n", TSMBPF_API_VERSION);
	/* debugfs is optional */
	ret = tsmbpf_bench_init();
	if (ret)
		pr_warn("no debugfs benchmarks: %d\n", ret);
	return 0;

err_sysfs:
	tsmbpf_sysfs_exit();
	return ret;
}

static void __exit tsmbpf_exit(void)
{
	tsmbpf_bench_exit();
	misc_deregister(&tsmbpf_misc);
	tsmbpf_objects_exit();
	tsmbpf_sysfs_exit();
}

module_init(tsmbpf_init);
module_exit(tsmbpf_exit);

MODULE_DESCRIPTION("tsmbpf: BPF policy for confidential device assignment");
MODULE_LICENSE("GPL");
