// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf benchmarks and self-checks in debugfs.
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
 *
 * /sys/kernel/debug/tsmbpf/spt_check: reading it checks the secure page
 * table's unmap rule on a private table, through the API the core uses.
 * TDX removes a page only once it is blocked and a TLB track has run since
 * (TDH.MEM.RANGE.BLOCK, TDH.MEM.TRACK, TDH.MEM.PAGE.REMOVE); the core always
 * zaps (the three under one lock hold), so no ioctl can reach a refused
 * unmap.  One line per check, "ok - WHAT" or "not ok - WHAT: got X, want
 * Y", then "N passed, M failed".  Reading fails with ENOMEM if the table
 * could not be set up; a failed check is in the text, not the errno.
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

struct tsmbpf_spt_check {
	struct seq_file *m;
	struct tsmbpf_spt *spt;
	unsigned int passed, failed;
};

static void spt_expect(struct tsmbpf_spt_check *c, const char *what,
		       long got, long want)
{
	if (got == want) {
		c->passed++;
		seq_printf(c->m, "ok - %s\n", what);
	} else {
		c->failed++;
		seq_printf(c->m, "not ok - %s: got %ld, want %ld\n", what, got,
			   want);
	}
}

/* Mapped 4 KiB pages in [gpa, gpa + size) */
static long spt_pages(struct tsmbpf_spt_check *c, u64 gpa, u64 size)
{
	struct tsmbpf_spt_count n;

	tsmbpf_spt_count(c->spt, gpa, size, &n);
	return n.pages;
}

/* Map, unblocked unmap, block, untracked unmap, track, unmap, on one range */
static void spt_check_range(struct tsmbpf_spt_check *c, u64 gpa, u64 hpa,
			    u32 flags, const char *leaves)
{
	const long n = SZ_2M >> 12;
	char what[96];

	spt_expect(c, "map 2 MiB",
		   tsmbpf_spt_map(c->spt, gpa, hpa, SZ_2M, flags), 0);
	snprintf(what, sizeof(what), "unmap of %s not blocked: EBUSY", leaves);
	spt_expect(c, what, tsmbpf_spt_unmap(c->spt, gpa, SZ_2M), -EBUSY);
	spt_expect(c, "a refused unmap changes nothing",
		   spt_pages(c, gpa, SZ_2M), n);
	snprintf(what, sizeof(what), "block of %s", leaves);
	spt_expect(c, what, tsmbpf_spt_block(c->spt, gpa, SZ_2M), n);
	snprintf(what, sizeof(what),
		 "unmap of %s blocked, not tracked since: EBUSY", leaves);
	spt_expect(c, what, tsmbpf_spt_unmap(c->spt, gpa, SZ_2M), -EBUSY);
	spt_expect(c, "a refused unmap changes nothing",
		   spt_pages(c, gpa, SZ_2M), n);
	tsmbpf_spt_track(c->spt);
	snprintf(what, sizeof(what), "unmap of %s blocked and tracked",
		 leaves);
	spt_expect(c, what, tsmbpf_spt_unmap(c->spt, gpa, SZ_2M), n);
	spt_expect(c, "nothing left mapped", spt_pages(c, gpa, SZ_2M), 0);
}

static int tsmbpf_spt_check_show(struct seq_file *m, void *v)
{
	const u64 gpa = SZ_1G, hpa = SZ_4G;
	struct tsmbpf_spt_check c = { .m = m };
	struct tsmbpf_spt spt;
	u64 epoch;
	int ret;

	ret = tsmbpf_spt_init(&spt);
	if (ret)
		return ret;
	c.spt = &spt;

	spt_check_range(&c, gpa, hpa, TSMBPF_SPT_4K_ONLY, "512 4 KiB leaves");
	spt_check_range(&c, gpa, hpa, 0, "a 2 MiB leaf");

	/* the block epoch is kept per table page: any block asks for a track */
	spt_expect(&c, "map 2 leaves of one table page",
		   tsmbpf_spt_map(&spt, gpa, hpa, SZ_8K, TSMBPF_SPT_4K_ONLY), 0);
	spt_expect(&c, "block leaf 1", tsmbpf_spt_block(&spt, gpa, SZ_4K), 1);
	tsmbpf_spt_track(&spt);
	spt_expect(&c, "block leaf 2 after a track",
		   tsmbpf_spt_block(&spt, gpa + SZ_4K, SZ_4K), 1);
	spt_expect(&c, "unmap of leaf 1: its table page was blocked since the track: EBUSY",
		   tsmbpf_spt_unmap(&spt, gpa, SZ_4K), -EBUSY);
	tsmbpf_spt_track(&spt);
	spt_expect(&c, "unmap of leaf 1 after one more track",
		   tsmbpf_spt_unmap(&spt, gpa, SZ_4K), 1);
	spt_expect(&c, "unmap of leaf 2",
		   tsmbpf_spt_unmap(&spt, gpa + SZ_4K, SZ_4K), 1);

	/* a range blocked in part is refused whole */
	spt_expect(&c, "map 4 leaves",
		   tsmbpf_spt_map(&spt, gpa, hpa, SZ_16K, TSMBPF_SPT_4K_ONLY),
		   0);
	spt_expect(&c, "block 2 of them", tsmbpf_spt_block(&spt, gpa, SZ_8K),
		   2);
	tsmbpf_spt_track(&spt);
	spt_expect(&c, "unmap of the 4, 2 not blocked: EBUSY",
		   tsmbpf_spt_unmap(&spt, gpa, SZ_16K), -EBUSY);
	spt_expect(&c, "a refused unmap changes nothing",
		   spt_pages(&c, gpa, SZ_16K), 4);

	/* what the core does: block, track and unmap under one lock hold */
	epoch = tsmbpf_spt_track(&spt);
	spt_expect(&c, "zap of the 4", tsmbpf_spt_zap(&spt, gpa, SZ_16K), 4);
	spt_expect(&c, "a zap tracks: the epoch advances",
		   tsmbpf_spt_track(&spt) - epoch, 2);
	spt_expect(&c, "nothing left mapped", spt.nr_4k + spt.nr_2m, 0);

	tsmbpf_spt_destroy(&spt);
	seq_printf(m, "%u passed, %u failed\n", c.passed, c.failed);
	return 0;
}

static int tsmbpf_spt_check_open(struct inode *inode, struct file *file)
{
	return single_open(file, tsmbpf_spt_check_show, inode->i_private);
}

static const struct file_operations tsmbpf_spt_check_fops = {
	.owner = THIS_MODULE,
	.open = tsmbpf_spt_check_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

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
	if (!IS_ERR(file))
		file = debugfs_create_file("spt_check", 0400, dir, NULL,
					   &tsmbpf_spt_check_fops);
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
