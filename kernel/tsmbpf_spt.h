/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmbpf secure page table: a model of TDX's S-EPT, SEV's RMP and CCA's RMM
 * tables for private MMIO, one per VM.  Native C, no BPF: this is the fast
 * path.  Callers take no lock; every function takes spt->lock itself.
 */
#ifndef _TSMBPF_SPT_H
#define _TSMBPF_SPT_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* State of a leaf entry */
enum tsmbpf_spt_state {
	TSMBPF_SPT_PENDING = 1,		/* mapped, not accepted by the guest */
	TSMBPF_SPT_ACCEPTED = 2,	/* accepted, usable by the guest */
	TSMBPF_SPT_BLOCKED = 3,		/* blocked, on its way to unmap */
};

/* Secure page table of one VM */
struct tsmbpf_spt {
	u64 *root;		/* level-4 table */
	struct mutex lock;	/* serialises map/unmap/state changes */
	u64 epoch;		/* TLB tracking epoch, bumped by track */
	u64 nr_pages;		/* table pages incl. root */
	u64 nr_4k;		/* 4 KiB leaves */
	u64 nr_2m;		/* 2 MiB leaves */
	struct list_head kept;	/* emptied table pages kept for reuse */
	u64 nr_kept;
};

/* Table pages of every secure page table: back to its start when none leak */
extern atomic64_t tsmbpf_spt_global_pages;
/* Emptied table pages the tables keep for reuse, all VMs */
extern atomic64_t tsmbpf_spt_global_kept;

/* tsmbpf_spt_map(), tsmbpf_spt_fault() flag: never map 2 MiB leaves */
#define TSMBPF_SPT_4K_ONLY 1U

/**
 * struct tsmbpf_spt_count - what tsmbpf_spt_count() found in a range
 * @pages: mapped 4 KiB pages in the range
 * @leaves_4k: 4 KiB leaves in the range
 * @leaves_2m: 2 MiB leaves overlapping the range
 * @pending: leaves (of either size) in state PENDING
 * @accepted: leaves in state ACCEPTED
 * @blocked: leaves in state BLOCKED
 */
struct tsmbpf_spt_count {
	u64 pages, leaves_4k, leaves_2m, pending, accepted, blocked;
};

/**
 * struct tsmbpf_spt_bench - results of tsmbpf_spt_bench_run()
 * @size: in: bytes of GPA space to map per run (2 MiB multiple)
 * @map_4k_ns: best map of @size in 4 KiB leaves, into a table that kept
 *	its pages from the last unmap (an unbind and bind again)
 * @unmap_4k_ns: best zap (block + track + unmap) of those
 * @entries_4k: 4 KiB leaves per run
 * @map_2m_ns: best map of @size in 2 MiB leaves
 * @unmap_2m_ns: best zap of those
 * @entries_2m: 2 MiB leaves per run
 * @raw_ns: best loop storing @raw_entries u64s into a vmalloc()ed array
 * @raw_entries: entries stored by that loop (= @entries_4k)
 * @fault_ns: best fault-in of @size, 4 KiB only, one fault per page
 * @faults: faults per run
 * @map_4k_cold_ns: best 4 KiB map of @size into a new table, every table
 *	page from the page allocator (the other figures reuse kept pages)
 * @tables_4k: table pages the 4 KiB map of @size makes (root excluded)
 * @alloc_ns: best allocation then free of @tables_4k pages, the page
 *	allocator's share of the 4 KiB map+unmap (with init_on_alloc, the
 *	zeroing of every page)
 */
struct tsmbpf_spt_bench {
	u64 size;
	u64 map_4k_ns, unmap_4k_ns, entries_4k;
	u64 map_2m_ns, unmap_2m_ns, entries_2m;
	u64 raw_ns, raw_entries;
	u64 fault_ns, faults;
	u64 map_4k_cold_ns, tables_4k, alloc_ns;
};

/**
 * tsmbpf_spt_init() - set up an empty secure page table
 * @spt: table to set up
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int tsmbpf_spt_init(struct tsmbpf_spt *spt);

/**
 * tsmbpf_spt_destroy() - free every table page, whatever is mapped, and
 *	the kept ones
 * @spt: table no one uses any more; its init may have failed
 *
 * Context: process context.
 */
void tsmbpf_spt_destroy(struct tsmbpf_spt *spt);

/**
 * tsmbpf_spt_map() - map a GPA range PENDING
 * @spt: secure page table
 * @gpa: first GPA, 4 KiB aligned
 * @hpa: HPA @gpa maps to, 4 KiB aligned
 * @size: bytes, 4 KiB aligned, non-zero
 * @flags: %TSMBPF_SPT_4K_ONLY or 0
 *
 * 2 MiB leaves wherever GPA and HPA are both 2 MiB aligned and 2 MiB remain,
 * unless %TSMBPF_SPT_4K_ONLY; 4 KiB leaves elsewhere.
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: 0; -EINVAL on misalignment, a zero size or a range beyond 48 bits
 * of GPA (52 of HPA); -EEXIST if any of the range is mapped; -ENOMEM.  On
 * error this call leaves nothing mapped.
 */
int tsmbpf_spt_map(struct tsmbpf_spt *spt, u64 gpa, u64 hpa, u64 size,
		   u32 flags);

/**
 * tsmbpf_spt_fault() - map one PENDING leaf for a fault on private MMIO
 * @spt: secure page table
 * @gpa: faulting GPA, inside the region
 * @region_gpa: first GPA of the region, 4 KiB aligned
 * @region_hpa: HPA backing @region_gpa, 4 KiB aligned
 * @region_size: bytes in the region, 4 KiB aligned, non-zero
 * @flags: %TSMBPF_SPT_4K_ONLY or 0
 * @mapped: out: %SZ_2M, %SZ_4K, or 0 if @gpa was mapped already
 *
 * A 2 MiB leaf if the 2 MiB block holding @gpa lies inside the region, its
 * HPA is 2 MiB aligned, nothing in it is mapped and @flags allows; else the
 * 4 KiB page holding @gpa.
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: 0 (also if @gpa was mapped already), -EINVAL on a bad region or a
 * @gpa outside it, -ENOMEM.
 */
int tsmbpf_spt_fault(struct tsmbpf_spt *spt, u64 gpa, u64 region_gpa,
		     u64 region_hpa, u64 region_size, u32 flags, u64 *mapped);

/**
 * tsmbpf_spt_accept() - guest accept: the PENDING leaves of a range ACCEPTED
 * @spt: secure page table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, 4 KiB aligned, non-zero
 *
 * A 2 MiB leaf the range covers in part is split into 4 KiB leaves first.
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: 4 KiB pages that went PENDING -> ACCEPTED (a 2 MiB leaf counts
 * 512), -EINVAL, or -ENOMEM if a split failed (nothing changed state).
 */
long tsmbpf_spt_accept(struct tsmbpf_spt *spt, u64 gpa, u64 size);

/**
 * tsmbpf_spt_block() - block every leaf of a range
 * @spt: secure page table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, 4 KiB aligned, non-zero
 *
 * Any state goes BLOCKED; their table pages remember the epoch, which a
 * tsmbpf_spt_track() must advance before tsmbpf_spt_unmap().  A 2 MiB leaf
 * the range covers in part is split first.
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: 4 KiB pages mapped in the range, now all BLOCKED (a 2 MiB leaf
 * counts 512), -EINVAL, or -ENOMEM if a split failed (nothing changed).
 */
long tsmbpf_spt_block(struct tsmbpf_spt *spt, u64 gpa, u64 size);

/**
 * tsmbpf_spt_track() - TLB tracking (TDH.MEM.TRACK): start a new epoch
 * @spt: secure page table
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: the new epoch.
 */
u64 tsmbpf_spt_track(struct tsmbpf_spt *spt);

/**
 * tsmbpf_spt_unmap() - unmap every leaf of a range
 * @spt: secure page table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, 4 KiB aligned, non-zero
 *
 * Every leaf in the range must be BLOCKED and its table page tracked since
 * its last block: the block epoch is kept per table page, so a later block
 * of another leaf of the page asks for one more track.  Table pages left
 * empty are freed.  A 2 MiB leaf the range covers in part is split and the
 * covered part unmapped.
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: 4 KiB pages unmapped (a 2 MiB leaf counts 512), -EINVAL, -EBUSY
 * if a leaf is not blocked or not tracked, -ENOMEM if a split failed.  On
 * error nothing changed.
 */
long tsmbpf_spt_unmap(struct tsmbpf_spt *spt, u64 gpa, u64 size);

/**
 * tsmbpf_spt_zap() - block, track and unmap a range under one lock hold
 * @spt: secure page table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, 4 KiB aligned, non-zero
 *
 * Context: process context, may sleep; takes @spt->lock.
 * Return: 4 KiB pages unmapped, -EINVAL, or -ENOMEM if a split failed
 * (nothing changed then).  The epoch advances even if nothing was mapped.
 */
long tsmbpf_spt_zap(struct tsmbpf_spt *spt, u64 gpa, u64 size);

/**
 * tsmbpf_spt_count() - count the leaves of a range by size and state
 * @spt: secure page table
 * @gpa: first GPA, 4 KiB aligned
 * @size: bytes, 4 KiB aligned, non-zero
 * @c: out; all zero for an invalid range
 *
 * A 2 MiB leaf the range covers in part counts as one leaf, and for the
 * pages the range covers.
 *
 * Context: process context, may sleep; takes @spt->lock.
 */
void tsmbpf_spt_count(struct tsmbpf_spt *spt, u64 gpa, u64 size,
		      struct tsmbpf_spt_count *c);

/**
 * tsmbpf_spt_bench_run() - micro benchmark of the secure page table
 * @b: in: @b->size, bytes per run, a non-zero 2 MiB multiple up to 128 TiB;
 *     out: the rest, each the best of @iterations runs
 * @iterations: runs of each phase (0 counts as 1)
 *
 * On a new private table per run: map + zap of @b->size in 4 KiB leaves
 * (cold), again (the table's kept pages reused), then in 2 MiB
 * leaves; a raw loop storing as many u64 entries as the 4 KiB map into a
 * vmalloc()ed array; fault-in of @b->size one 4 KiB fault per page; the
 * page allocator alone, allocating and freeing as many pages as the 4 KiB
 * map made tables.
 *
 * Context: process context, may sleep for long.
 * Return: 0, -EINVAL on a bad size, -ENOMEM, or -EIO if the table lost count.
 * Everything is freed either way.
 */
int tsmbpf_spt_bench_run(struct tsmbpf_spt_bench *b, u32 iterations);

#endif /* _TSMBPF_SPT_H */
