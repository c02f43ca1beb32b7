// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_failslab - fail chosen kmalloc() calls of one module, on a kernel
 * without fault injection (Debian's has no CONFIG_FAILSLAB).
 *
 * Test-only module.  /sys/kernel/debug/tsmbpf_failslab/fail takes
 * "SIZE COUNT BASE LEN": the next COUNT calls of kmalloc() (and kzalloc(),
 * constant or variable size) asking for exactly SIZE bytes, made from code
 * in [BASE, BASE + LEN) (a module's text: see /proc/modules), return NULL.
 * "0 0 0 0" disarms.  Reading it shows "SIZE LEFT FAILED": the calls still
 * to fail and the calls failed so far.
 *
 * Two kretprobes, on __kmalloc_cache_noprof() (constant sizes) and
 * __kmalloc_noprof(): the entry handler picks the call by its size and its
 * caller's return address, the return handler frees what the allocator
 * returned and returns NULL instead, so nothing leaks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

static struct dentry *failslab_dir;
static unsigned long fail_size, fail_base, fail_len;
static atomic_t fail_left = ATOMIC_INIT(0);
static atomic_t failed = ATOMIC_INIT(0);

/* Pick the call: @size asked for, from the armed range, while any are left. */
static int failslab_pick(struct pt_regs *regs, size_t size)
{
	unsigned long ret_addr = *(unsigned long *)kernel_stack_pointer(regs);

	if (size != READ_ONCE(fail_size) ||
	    ret_addr - READ_ONCE(fail_base) >= READ_ONCE(fail_len))
		return 1;	/* not this one: no return handler */
	return atomic_dec_if_positive(&fail_left) < 0;
}

/* __kmalloc_cache_noprof(struct kmem_cache *s, gfp_t flags, size_t size) */
static int failslab_cache_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	return failslab_pick(regs, regs_get_kernel_argument(regs, 2));
}

/* __kmalloc_noprof(size_t size, gfp_t flags) */
static int failslab_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return failslab_pick(regs, regs_get_kernel_argument(regs, 0));
}

static int failslab_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	kfree((void *)regs_return_value(regs));
	regs_set_return_value(regs, 0);
	atomic_inc(&failed);
	return 0;
}

static struct kretprobe failslab_probes[] = {
	{
		.kp.symbol_name = "__kmalloc_cache_noprof",
		.entry_handler = failslab_cache_entry,
		.handler = failslab_ret,
		.maxactive = 64,
	},
	{
		.kp.symbol_name = "__kmalloc_noprof",
		.entry_handler = failslab_entry,
		.handler = failslab_ret,
		.maxactive = 64,
	},
};

static ssize_t fail_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned long size, base, range;
	unsigned int count;
	char buf[96];

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%lu %u %lx %lu", &size, &count, &base, &range) != 4)
		return -EINVAL;
	atomic_set(&fail_left, 0);
	WRITE_ONCE(fail_size, size);
	WRITE_ONCE(fail_base, base);
	WRITE_ONCE(fail_len, range);
	atomic_set(&failed, 0);
	atomic_set(&fail_left, count);
	return len;
}

static ssize_t fail_read(struct file *file, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char buf[64];
	int n;

	n = scnprintf(buf, sizeof(buf), "%lu %d %d\n", READ_ONCE(fail_size),
		      atomic_read(&fail_left), atomic_read(&failed));
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations fail_fops = {
	.owner = THIS_MODULE,
	.write = fail_write,
	.read = fail_read,
	.llseek = default_llseek,
};

static int __init failslab_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(failslab_probes); i++) {
		ret = register_kretprobe(&failslab_probes[i]);
		if (ret) {
			pr_err("kretprobe on %s: %d\n",
			       failslab_probes[i].kp.symbol_name, ret);
			while (i--)
				unregister_kretprobe(&failslab_probes[i]);
			return ret;
		}
	}
	failslab_dir = debugfs_create_dir("tsmbpf_failslab", NULL);
	debugfs_create_file("fail", 0600, failslab_dir, NULL, &fail_fops);
	return 0;
}

static void __exit failslab_exit(void)
{
	int i;

	debugfs_remove_recursive(failslab_dir);
	for (i = 0; i < ARRAY_SIZE(failslab_probes); i++)
		unregister_kretprobe(&failslab_probes[i]);
}

module_init(failslab_init);
module_exit(failslab_exit);

MODULE_DESCRIPTION("tsmbpf tests: fail chosen kmalloc() calls of a module");
MODULE_LICENSE("GPL");
