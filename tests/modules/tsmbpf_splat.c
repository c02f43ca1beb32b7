// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_splat - trigger a kernel warning on demand.
 *
 * Test-only module.  Writing anything to /sys/kernel/debug/tsmbpf_splat/warn
 * runs WARN(1, ...), which prints a "WARNING: ..." splat with a stack trace on
 * the console.  It exists to prove that scripts/scan-console.sh catches kernel
 * splats in a guest run; it has no other use.
 */

#include <linux/bug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

static struct dentry *splat_dir;

static ssize_t warn_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	WARN(1, "tsmbpf_splat: test-triggered warning\n");
	return count;
}

static const struct file_operations warn_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = warn_write,
	.llseek = noop_llseek,
};

static int __init tsmbpf_splat_init(void)
{
	splat_dir = debugfs_create_dir("tsmbpf_splat", NULL);
	debugfs_create_file("warn", 0200, splat_dir, NULL, &warn_fops);
	return 0;
}

static void __exit tsmbpf_splat_exit(void)
{
	debugfs_remove_recursive(splat_dir);
}

module_init(tsmbpf_splat_init);
module_exit(tsmbpf_splat_exit);

MODULE_DESCRIPTION("tsmbpf test module: WARN() on demand via debugfs");
MODULE_AUTHOR("tsmbpf developers");
MODULE_LICENSE("GPL");
