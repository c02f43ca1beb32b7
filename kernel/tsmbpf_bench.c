// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf benchmarks in debugfs.
 *
 * /sys/kernel/debug/tsmbpf/spt_bench runs tsmbpf_spt_bench_run(), the
 * secure page table micro benchmark, on a private table:
 *
 *   echo "1024 5" > spt_bench	# SIZE_MB ITERATIONS; returns when done
 *   cat spt_bench		# the last result, one line of JSON
 *
 * SIZE_MB is even (2 MiB granules), at most TSMBPF_BENCH_MAX_MB.  Every
 * *_ns figure is the best of ITERATIONS runs of one phase; the *_ps figures
 * derived from them are picoseconds per entry (per leaf, per raw store, per
 * fault).  A failed run keeps the previous result and fails the write.
 * Runs are serialised; a read waits for a running one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include "tsmbpf_bench.h"
#include "tsmbpf_spt.h"

/* 16 GiB: 32 MiB of 4 KiB table pages, and as much for the raw array */
#define TSMBPF_BENCH_MAX_MB	SZ_16K
#define TSMBPF_BENCH_MAX_ITERS	1000

static struct dentry *tsmbpf_debugfs_dir;

/* Serialises runs; protects the last result. */
static DEFINE_MUTEX(tsmbpf_bench_lock);
static struct tsmbpf_spt_bench tsmbpf_bench_last;
static u32 tsmbpf_bench_last_iters;	/* 0: no result yet */

/* Picoseconds per entry */
static u64 tsmbpf_bench_ps(u64 ns, u64 entries)
{
	return entries ? div64_u64(ns * 1000, entries) : 0;
}

static int tsmbpf_spt_bench_show(struct seq_file *m, void *v)
{
	struct tsmbpf_spt_bench b;
	u32 iters;
	int ret;

	ret = mutex_lock_interruptible(&tsmbpf_bench_lock);
	if (ret)
		return ret;
	b = tsmbpf_bench_last;
	iters = tsmbpf_bench_last_iters;
	mutex_unlock(&tsmbpf_bench_lock);
	if (!iters)
		return -ENODATA;

	seq_printf(m, "{\"size\":%llu,\"iterations\":%u,", b.size, iters);
	seq_printf(m, "\"map_4k_ns\":%llu,\"unmap_4k_ns\":%llu,\"entries_4k\":%llu,",
		   b.map_4k_ns, b.unmap_4k_ns, b.entries_4k);
	seq_printf(m, "\"map_2m_ns\":%llu,\"unmap_2m_ns\":%llu,\"entries_2m\":%llu,",
		   b.map_2m_ns, b.unmap_2m_ns, b.entries_2m);
	seq_printf(m, "\"raw_ns\":%llu,\"raw_entries\":%llu,", b.raw_ns,
		   b.raw_entries);
	seq_printf(m, "\"fault_ns\":%llu,\"faults\":%llu,", b.fault_ns, b.faults);
	seq_printf(m, "\"tables_4k\":%llu,\"alloc_ns\":%llu,\"alloc_4k_ps\":%llu,",
		   b.tables_4k, b.alloc_ns,
		   tsmbpf_bench_ps(b.alloc_ns, b.entries_4k));
	seq_printf(m, "\"map_4k_cold_ns\":%llu,\"map_unmap_4k_cold_ps\":%llu,",
		   b.map_4k_cold_ns,
		   tsmbpf_bench_ps(b.map_4k_cold_ns + b.unmap_4k_ns,
				   b.entries_4k));
	seq_printf(m, "\"map_4k_ps\":%llu,\"unmap_4k_ps\":%llu,\"map_unmap_4k_ps\":%llu,",
		   tsmbpf_bench_ps(b.map_4k_ns, b.entries_4k),
		   tsmbpf_bench_ps(b.unmap_4k_ns, b.entries_4k),
		   tsmbpf_bench_ps(b.map_4k_ns + b.unmap_4k_ns, b.entries_4k));
	seq_printf(m, "\"map_2m_ps\":%llu,\"unmap_2m_ps\":%llu,\"map_unmap_2m_ps\":%llu,",
		   tsmbpf_bench_ps(b.map_2m_ns, b.entries_2m),
		   tsmbpf_bench_ps(b.unmap_2m_ns, b.entries_2m),
		   tsmbpf_bench_ps(b.map_2m_ns + b.unmap_2m_ns, b.entries_2m));
	seq_printf(m, "\"raw_ps\":%llu,\"fault_ps\":%llu}\n",
		   tsmbpf_bench_ps(b.raw_ns, b.raw_entries),
		   tsmbpf_bench_ps(b.fault_ns, b.faults));
	return 0;
}

static int tsmbpf_spt_bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, tsmbpf_spt_bench_show, inode->i_private);
}

static ssize_t tsmbpf_spt_bench_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct tsmbpf_spt_bench b = {};
	u32 size_mb, iters;
	char buf[32];
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %u", &size_mb, &iters) != 2)
		return -EINVAL;
	if (!size_mb || size_mb % 2 || size_mb > TSMBPF_BENCH_MAX_MB ||
	    !iters || iters > TSMBPF_BENCH_MAX_ITERS)
		return -EINVAL;
	b.size = (u64)size_mb * SZ_1M;

	ret = mutex_lock_interruptible(&tsmbpf_bench_lock);
	if (ret)
		return ret;
	ret = tsmbpf_spt_bench_run(&b, iters);
	if (!ret) {
		tsmbpf_bench_last = b;
		tsmbpf_bench_last_iters = iters;
	}
	mutex_unlock(&tsmbpf_bench_lock);
	if (ret) {
		pr_warn("spt_bench %u MiB x %u failed: %d\n", size_mb, iters,
			ret);
		return ret;
	}
	return count;
}

static const struct file_operations tsmbpf_spt_bench_fops = {
	.owner = THIS_MODULE,
	.open = tsmbpf_spt_bench_open,
	.read = seq_read,
	.write = tsmbpf_spt_bench_write,
	.llseek = seq_lseek,
	.release = single_release,
};

int __init tsmbpf_bench_init(void)
{
	struct dentry *dir, *file;

	dir = debugfs_create_dir("tsmbpf", NULL);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	file = debugfs_create_file("spt_bench", 0600, dir, NULL,
				   &tsmbpf_spt_bench_fops);
	if (IS_ERR(file)) {
		debugfs_remove_recursive(dir);
		return PTR_ERR(file);
	}
	tsmbpf_debugfs_dir = dir;
	return 0;
}

void tsmbpf_bench_exit(void)
{
	/* waits for readers and writers of the files to leave */
	debugfs_remove_recursive(tsmbpf_debugfs_dir);
	tsmbpf_debugfs_dir = NULL;
}
