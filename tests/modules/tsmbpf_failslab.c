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
 * /sys/kernel/debug/tsmbpf_failslab/fail_xa_node takes "COMM COUNT": the
 * next COUNT non-blocking allocations of an XArray node by tasks named COMM
 * fail.  An XArray allocates a node under its lock with GFP_NOWAIT first,
 * and only when that fails drops the lock to allocate with the caller's
 * flags (__xas_nomem()): this forces the unlocked path, which is otherwise
 * taken only under memory pressure.
 *
 * Kretprobes on __kmalloc_cache_noprof() (constant sizes),
 * __kmalloc_noprof() and kmem_cache_alloc_lru_noprof(): the entry handler
 * picks the call, the return handler frees what the allocator returned and
 * returns NULL instead, so nothing leaks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

static struct dentry *failslab_dir;
static unsigned long fail_size, fail_base, fail_len;
static atomic_t fail_left = ATOMIC_INIT(0);
static atomic_t failed = ATOMIC_INIT(0);
static char node_comm[TASK_COMM_LEN];
static atomic_t node_left = ATOMIC_INIT(0);

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

/*
 * kmem_cache_alloc_lru_noprof(struct kmem_cache *s, struct list_lru *lru,
 *			       gfp_t gfp): an XArray node, without reclaim
 */
static int failslab_node_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct kmem_cache *s = (void *)regs_get_kernel_argument(regs, 0);
	gfp_t gfp = regs_get_kernel_argument(regs, 2);

	if (atomic_read(&node_left) <= 0 ||
	    strncmp(current->comm, node_comm, TASK_COMM_LEN) ||
	    (gfp & __GFP_DIRECT_RECLAIM) ||
	    kmem_cache_size(s) != sizeof(struct xa_node))
		return 1;
	return atomic_dec_if_positive(&node_left) < 0;
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
	{
		.kp.symbol_name = "kmem_cache_alloc_lru_noprof",
		.entry_handler = failslab_node_entry,
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

static ssize_t fail_xa_node_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	char buf[64], comm[TASK_COMM_LEN];
	unsigned int count;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%15s %u", comm, &count) != 2)
		return -EINVAL;
	atomic_set(&node_left, 0);
	strscpy(node_comm, comm, sizeof(node_comm));
	atomic_set(&failed, 0);
	atomic_set(&node_left, count);
	return len;
}

static ssize_t fail_xa_node_read(struct file *file, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[64];
	int n;

	n = scnprintf(buf, sizeof(buf), "%s %d %d\n", node_comm,
		      atomic_read(&node_left), atomic_read(&failed));
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations fail_xa_node_fops = {
	.owner = THIS_MODULE,
	.write = fail_xa_node_write,
	.read = fail_xa_node_read,
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
	debugfs_create_file("fail_xa_node", 0600, failslab_dir, NULL,
			    &fail_xa_node_fops);
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
