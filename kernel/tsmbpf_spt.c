// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf secure page table: a model of TDX's S-EPT (SEV's RMP, CCA's RMM
 * tables) for private MMIO, one per VM.
 *
 * A radix table like x86 EPT: four levels of 512-entry table pages over a
 * 48-bit GPA space, leaves at level 1 (4 KiB) and level 2 (2 MiB).  Entry:
 * bit 0 present, bits 2:1 leaf state (enum tsmbpf_spt_state), bit 7 large
 * (2 MiB leaf), bits 51:12 the HPA or the physical address of the next table.
 * A non-present entry is 0.  Every table page but the root maps something:
 * one that becomes empty is freed at once.
 *
 * TDX's block + track + unmap rule: a leaf may go once it is BLOCKED and the
 * epoch has advanced since.  The epoch of the last block is kept per table
 * page, in its page_private() (a 2 MiB leaf uses its level-2 table's), so a
 * block anywhere in a table page asks for a track before any of it can go.
 *
 * Each level-1 table page also keeps the number of leaves it holds, in its
 * page->index, so a zap drops a leaf table the range covers whole without
 * reading it: the block is made at the level-2 entry, as TDH.MEM.RANGE.BLOCK
 * blocks a 2 MiB range whatever maps it, and no leaf of the table can be
 * seen blocked before it goes, under the same lock hold.
 *
 * A table page left empty leaves the tree at once, but the table keeps up
 * to spt_keep_pages of them (tsmbpf.spt_keep_pages, default 1024: 4 MiB,
 * the tables of 2 GiB of 4 KiB leaves) for the next map, until the VM goes:
 * TDX keeps a TD's S-EPT pages until the TD is torn down, and a device that
 * is unbound for an FLR or a reset is bound again with the same BARs.  A
 * kept page is cleared again only when it is not filled whole at once.
 *
 * A range operation is one walk down from the root that visits each table
 * page once; per 4 KiB leaf it costs a load or a store, except a zap, which
 * costs nothing per leaf of a fully covered table.
 *
 * The API is documented in tsmbpf_spt.h.
 */
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>

#include "tsmbpf_spt.h"

#define SPT_PRESENT		BIT_ULL(0)
#define SPT_STATE_SHIFT		1
#define SPT_STATE_MASK		GENMASK_ULL(2, 1)
#define SPT_LARGE		BIT_ULL(7)
#define SPT_ADDR_MASK		GENMASK_ULL(51, 12)
#define SPT_ENTRIES		512
#define SPT_GPA_LIMIT		BIT_ULL(48)
#define SPT_HPA_LIMIT		BIT_ULL(52)
#define SPT_LEAF(hpa, st)	\
	((hpa) | ((u64)(st) << SPT_STATE_SHIFT) | SPT_PRESENT)
#define SPT_SHIFT(level)	(12 + 9 * ((level) - 1))
#define SPT_INDEX(gpa, level)	(((gpa) >> SPT_SHIFT(level)) & 511)
#define SPT_STATE(e)		(((e) & SPT_STATE_MASK) >> SPT_STATE_SHIFT)
#define SPT_CHILD(e)		((u64 *)__va((e) & SPT_ADDR_MASK))
#define SPT_TABLE(table)	(__pa(table) | SPT_PRESENT)
#define SPT_BLK_EPOCH(table)	page_private(virt_to_page(table))
#define SPT_SET_BLK_EPOCH(table, epoch) \
	set_page_private(virt_to_page(table), epoch)
#define SPT_NR_LEAVES(table)	(virt_to_page(table)->index)

atomic64_t tsmbpf_spt_global_pages = ATOMIC64_INIT(0);
atomic64_t tsmbpf_spt_global_kept = ATOMIC64_INIT(0);

static unsigned int spt_keep_pages = 1024;
module_param(spt_keep_pages, uint, 0644);
MODULE_PARM_DESC(spt_keep_pages,
		 "emptied table pages each secure page table keeps for reuse (default 1024)");

enum spt_op {
	SPT_CHECK,	/* -EEXIST if any leaf is in the range */
	SPT_MAP,	/* map the range PENDING; it is known to be empty */
	SPT_CLEAR,	/* drop every leaf, free empty tables; no counting */
	SPT_ACCEPT,	/* PENDING -> ACCEPTED */
	SPT_BLOCK,	/* any -> BLOCKED; with zap, free what is covered whole */
	SPT_VERIFY,	/* -EBUSY unless every leaf may be unmapped now */
	SPT_COUNT,	/* fill a struct tsmbpf_spt_count */
};

struct spt_walk {
	struct tsmbpf_spt *spt;
	enum spt_op op;
	u32 flags;		/* SPT_MAP: TSMBPF_SPT_* */
	bool zap;		/* SPT_BLOCK: unmap follows under this hold */
	u64 delta;		/* SPT_MAP: HPA - GPA */
	u64 pages;		/* 4 KiB pages the walk acted on */
	u64 n4k;		/* SPT_MAP: 4 KiB leaves made */
	u64 n2m;		/* 2 MiB leaves made, or wholly in range */
	struct tsmbpf_spt_count *c;	/* SPT_COUNT */
};

/* @gfp 0: the caller fills the whole page at once (a 2 MiB in 4 KiB leaves) */
static u64 *spt_alloc_table(struct tsmbpf_spt *spt, gfp_t gfp)
{
	struct page *page;
	u64 *table;

	page = list_first_entry_or_null(&spt->kept, struct page, lru);
	if (page) {
		list_del(&page->lru);
		spt->nr_kept--;
		atomic64_dec(&tsmbpf_spt_global_kept);
		table = page_address(page);
		if (gfp & __GFP_ZERO)
			clear_page(table);
	} else {
		table = (u64 *)__get_free_page(GFP_KERNEL_ACCOUNT | gfp);
		if (!table)
			return NULL;
	}
	SPT_SET_BLK_EPOCH(table, 0);
	SPT_NR_LEAVES(table) = 0;
	spt->nr_pages++;
	atomic64_inc(&tsmbpf_spt_global_pages);
	return table;
}

static void spt_free_table(struct tsmbpf_spt *spt, u64 *table)
{
	struct page *page = virt_to_page(table);

	SPT_SET_BLK_EPOCH(table, 0);
	SPT_NR_LEAVES(table) = 0;
	spt->nr_pages--;
	atomic64_dec(&tsmbpf_spt_global_pages);
	if (spt->nr_kept < READ_ONCE(spt_keep_pages)) {
		list_add(&page->lru, &spt->kept);
		spt->nr_kept++;
		atomic64_inc(&tsmbpf_spt_global_kept);
		return;
	}
	free_page((unsigned long)table);
}

/* Give the kept table pages back to the page allocator. */
static void spt_drop_kept(struct tsmbpf_spt *spt)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &spt->kept, lru) {
		list_del(&page->lru);
		__free_page(page);
		atomic64_dec(&tsmbpf_spt_global_kept);
	}
	spt->nr_kept = 0;
}

/* Free level-@level @table and every table below it. */
static void spt_free_tree(struct tsmbpf_spt *spt, u64 *table, int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < SPT_ENTRIES; i++)
		if (table[i] && !(table[i] & SPT_LARGE))
			spt_free_tree(spt, SPT_CHILD(table[i]), level - 1);
	spt_free_table(spt, table);
}

static bool spt_range_ok(u64 gpa, u64 size)
{
	return size && IS_ALIGNED(gpa | size, SZ_4K) &&
	       gpa < SPT_GPA_LIMIT && size <= SPT_GPA_LIMIT - gpa;
}

static bool spt_hpa_ok(u64 hpa, u64 size)
{
	return IS_ALIGNED(hpa, SZ_4K) && hpa < SPT_HPA_LIMIT &&
	       size <= SPT_HPA_LIMIT - hpa;
}

static void spt_count_state(struct tsmbpf_spt_count *c, u64 e)
{
	u64 *by_state[] = { &c->pending, &c->accepted, &c->blocked };

	(*by_state[SPT_STATE(e) - 1])++;
}

/* Entries [i, end) of level-1 table @t; entry i maps @gpa. */
static int spt_walk_leaves(struct spt_walk *w, u64 *t, unsigned int i,
			   unsigned int end, u64 gpa)
{
	const u64 pend = SPT_LEAF(0, TSMBPF_SPT_PENDING);
	const u64 acc = SPT_LEAF(0, TSMBPF_SPT_ACCEPTED);
	u64 e, m, n = 0, bad = 0;

	/* the loops are branch-free: BLOCKED is both state bits */
	switch (w->op) {
	case SPT_CHECK:
		return memchr_inv(&t[i], 0, (end - i) * 8) ? -EEXIST : 0;
	case SPT_MAP:
		n = end - i;
		w->n4k += n;
		SPT_NR_LEAVES(t) += n;
		e = SPT_LEAF(gpa + w->delta, TSMBPF_SPT_PENDING);
		for (; i < end; i++, e += SZ_4K)
			t[i] = e;
		break;
	case SPT_CLEAR:
		for (; i < end; i++) {
			n += t[i] & SPT_PRESENT;
			t[i] = 0;
		}
		SPT_NR_LEAVES(t) -= n;
		return 0;
	case SPT_ACCEPT:
		for (; i < end; i++) {
			e = t[i];
			m = (e & (SPT_PRESENT | SPT_STATE_MASK)) == pend;
			t[i] = e ^ ((pend ^ acc) & -m);
			n += m;
		}
		break;
	case SPT_BLOCK:
		for (; i < end; i++) {
			e = t[i];
			t[i] = e | (SPT_STATE_MASK & -(e & SPT_PRESENT));
			n += e & SPT_PRESENT;
		}
		if (n)
			SPT_SET_BLK_EPOCH(t, w->spt->epoch);
		break;
	case SPT_VERIFY:
		for (; i < end; i++) {
			e = t[i];
			bad |= e & ~((e >> 1) & (e >> 2)); /* not BLOCKED */
			n += e & SPT_PRESENT;
		}
		if (n && ((bad & SPT_PRESENT) ||
			  SPT_BLK_EPOCH(t) >= w->spt->epoch))
			return -EBUSY;
		break;
	case SPT_COUNT:
		m = end - i;
		for (; i < end; i++)
			if (t[i] && ++n)
				spt_count_state(w->c, t[i]);
		w->c->leaves_4k += n;
		/* the count a zap trusts must be right */
		WARN_ON_ONCE(m == SPT_ENTRIES && n != SPT_NR_LEAVES(t));
		break;
	}
	w->pages += n;
	return 0;
}

/* The 2 MiB leaf in entry @i of level-2 table @t, [gpa, next) of it in range */
static int spt_walk_large(struct spt_walk *w, u64 *t, unsigned int i,
			  u64 gpa, u64 next)
{
	u64 e = t[i], n = (next - gpa) >> 12;

	switch (w->op) {
	case SPT_CHECK:
	case SPT_MAP:
		return -EEXIST;
	case SPT_CLEAR:
		/* callers split the 2 MiB leaves the range covers in part */
		if (WARN_ON_ONCE(n != SPT_ENTRIES))
			return -EINVAL;
		t[i] = 0;
		return 0;
	case SPT_ACCEPT:
		if (SPT_STATE(e) != TSMBPF_SPT_PENDING)
			return 0;
		t[i] = (e & ~SPT_STATE_MASK) | SPT_LEAF(0, TSMBPF_SPT_ACCEPTED);
		break;
	case SPT_BLOCK:
		t[i] = e | SPT_STATE_MASK;
		SPT_SET_BLK_EPOCH(t, w->spt->epoch);
		break;
	case SPT_VERIFY:
		if (SPT_STATE(e) != TSMBPF_SPT_BLOCKED ||
		    SPT_BLK_EPOCH(t) >= w->spt->epoch)
			return -EBUSY;
		break;
	case SPT_COUNT:
		w->c->leaves_2m++;
		spt_count_state(w->c, e);
		break;
	}
	w->pages += n;
	if (n == SPT_ENTRIES)
		w->n2m++;
	return 0;
}

/* Apply w->op to [gpa, end), which lies inside level-@level table @t. */
static int spt_walk(struct spt_walk *w, u64 *t, int level, u64 gpa, u64 end)
{
	u64 sz = BIT_ULL(SPT_SHIFT(level)), next, e, *c;
	unsigned int i = SPT_INDEX(gpa, level);
	bool full;
	int ret;

	for (; gpa < end; gpa = next, i++) {
		if (level == 3)
			cond_resched();
		next = min((gpa | (sz - 1)) + 1, end);
		full = next - gpa == sz;
		e = t[i];
		if (!e) {
			if (w->op != SPT_MAP)
				continue;
			if (level == 2 && full &&
			    !(w->flags & TSMBPF_SPT_4K_ONLY) &&
			    IS_ALIGNED(gpa + w->delta, SZ_2M)) {
				t[i] = SPT_LEAF(gpa + w->delta,
						TSMBPF_SPT_PENDING) | SPT_LARGE;
				w->pages += SPT_ENTRIES;
				w->n2m++;
				continue;
			}
			c = spt_alloc_table(w->spt, level == 2 && full ?
					    0 : __GFP_ZERO);
			if (!c)
				return -ENOMEM;
			e = SPT_TABLE(c);
			t[i] = e;
		} else if (e & SPT_LARGE) {
			ret = spt_walk_large(w, t, i, gpa, next);
			if (ret)
				return ret;
			continue;
		}
		c = SPT_CHILD(e);
		if (w->op == SPT_CLEAR && full) {
			spt_free_tree(w->spt, c, level - 1);
			t[i] = 0;
			continue;
		}
		if (w->op == SPT_BLOCK && w->zap && full && level == 2) {
			/* blocked, tracked and unmapped as one 2 MiB range */
			w->pages += SPT_NR_LEAVES(c);
			spt_free_table(w->spt, c);
			t[i] = 0;
			continue;
		}
		if (level == 2)
			ret = spt_walk_leaves(w, c, SPT_INDEX(gpa, 1),
					      SPT_INDEX(next - 1, 1) + 1, gpa);
		else
			ret = spt_walk(w, c, level - 1, gpa, next);
		if (ret)
			return ret;
		if (w->op == SPT_CLEAR &&
		    (level == 2 ? !SPT_NR_LEAVES(c) :
				  !memchr_inv(c, 0, PAGE_SIZE))) {
			spt_free_table(w->spt, c);
			t[i] = 0;
		}
	}
	return 0;
}

static int spt_walk_root(struct spt_walk *w, u64 gpa, u64 end)
{
	return spt_walk(w, w->spt->root, 4, gpa, end);
}

/* Split the 2 MiB leaf holding @gpa, if any, into 512 4 KiB leaves. */
static int spt_split(struct tsmbpf_spt *spt, u64 gpa)
{
	u64 *t = spt->root, *c, e;
	unsigned int i;
	int level;

	for (level = 4; level > 2; level--) {
		e = t[SPT_INDEX(gpa, level)];
		if (!e)
			return 0;
		t = SPT_CHILD(e);
	}
	e = t[SPT_INDEX(gpa, 2)];
	if (!(e & SPT_LARGE))
		return 0;
	c = spt_alloc_table(spt, 0);
	if (!c)
		return -ENOMEM;
	for (i = 0, e &= ~SPT_LARGE; i < SPT_ENTRIES; i++, e += SZ_4K)
		c[i] = e;
	SPT_NR_LEAVES(c) = SPT_ENTRIES;
	SPT_SET_BLK_EPOCH(c, SPT_BLK_EPOCH(t));
	t[SPT_INDEX(gpa, 2)] = SPT_TABLE(c);
	spt->nr_2m--;
	spt->nr_4k += SPT_ENTRIES;
	return 0;
}

/* Split the 2 MiB leaves [gpa, end) covers in part: at most two. */
static int spt_split_edges(struct tsmbpf_spt *spt, u64 gpa, u64 end)
{
	int ret = 0;

	if (!IS_ALIGNED(gpa, SZ_2M))
		ret = spt_split(spt, gpa);
	if (!ret && !IS_ALIGNED(end, SZ_2M))
		ret = spt_split(spt, end);
	return ret;
}

int tsmbpf_spt_init(struct tsmbpf_spt *spt)
{
	memset(spt, 0, sizeof(*spt));
	mutex_init(&spt->lock);
	INIT_LIST_HEAD(&spt->kept);
	spt->root = spt_alloc_table(spt, __GFP_ZERO);
	return spt->root ? 0 : -ENOMEM;
}

void tsmbpf_spt_destroy(struct tsmbpf_spt *spt)
{
	if (spt->root)
		spt_free_tree(spt, spt->root, 4);
	spt_drop_kept(spt);
	spt->root = NULL;
	spt->nr_4k = 0;
	spt->nr_2m = 0;
	mutex_destroy(&spt->lock);
}

int tsmbpf_spt_map(struct tsmbpf_spt *spt, u64 gpa, u64 hpa, u64 size,
		   u32 flags)
{
	struct spt_walk w = { .spt = spt, .op = SPT_CHECK, .flags = flags,
			      .delta = hpa - gpa };
	int ret;

	if (!spt_range_ok(gpa, size) || !spt_hpa_ok(hpa, size))
		return -EINVAL;
	mutex_lock(&spt->lock);
	ret = spt_walk_root(&w, gpa, gpa + size);
	if (!ret) {
		w.op = SPT_MAP;
		ret = spt_walk_root(&w, gpa, gpa + size);
	}
	if (!ret) {
		spt->nr_4k += w.n4k;
		spt->nr_2m += w.n2m;
	} else if (w.op == SPT_MAP) {
		w.op = SPT_CLEAR;
		spt_walk_root(&w, gpa, gpa + size);
	}
	mutex_unlock(&spt->lock);
	return ret;
}

int tsmbpf_spt_fault(struct tsmbpf_spt *spt, u64 gpa, u64 region_gpa,
		     u64 region_hpa, u64 region_size, u32 flags, u64 *mapped)
{
	u64 blk = ALIGN_DOWN(gpa, SZ_2M), blk_hpa, e, *t, *c;
	struct spt_walk w = { .spt = spt, .op = SPT_CLEAR };
	unsigned int i;
	bool large;
	int level;

	*mapped = 0;
	if (!spt_range_ok(region_gpa, region_size) ||
	    !spt_hpa_ok(region_hpa, region_size) ||
	    gpa < region_gpa || gpa - region_gpa >= region_size)
		return -EINVAL;
	gpa = ALIGN_DOWN(gpa, SZ_4K);
	blk_hpa = region_hpa + (blk - region_gpa);
	large = !(flags & TSMBPF_SPT_4K_ONLY) && blk >= region_gpa &&
		blk + SZ_2M <= region_gpa + region_size &&
		IS_ALIGNED(blk_hpa, SZ_2M);

	/* one walk down, making the missing tables on the way */
	mutex_lock(&spt->lock);
	for (t = spt->root, level = 4; level > 1; level--, t = SPT_CHILD(e)) {
		i = SPT_INDEX(gpa, level);
		e = t[i];
		if (e & SPT_LARGE)
			goto out;	/* mapped already */
		if (!e && level == 2 && large) {
			t[i] = SPT_LEAF(blk_hpa, TSMBPF_SPT_PENDING) |
			       SPT_LARGE;
			spt->nr_2m++;
			*mapped = SZ_2M;
			goto out;
		}
		if (!e) {
			c = spt_alloc_table(spt, __GFP_ZERO);
			if (!c) {
				/* free the empty tables made on the way */
				spt_walk_root(&w, gpa, gpa + SZ_4K);
				mutex_unlock(&spt->lock);
				return -ENOMEM;
			}
			e = SPT_TABLE(c);
			t[i] = e;
		}
	}
	i = SPT_INDEX(gpa, 1);
	if (!t[i]) {
		t[i] = SPT_LEAF(region_hpa + (gpa - region_gpa),
				TSMBPF_SPT_PENDING);
		SPT_NR_LEAVES(t)++;
		spt->nr_4k++;
		*mapped = SZ_4K;
	}
out:
	mutex_unlock(&spt->lock);
	return 0;
}

/*
 * Accept, block (@unmap false), unmap (SPT_VERIFY) or zap (SPT_BLOCK, @unmap
 * true) [gpa, gpa + size).  A zap's walk leaves every leaf blocked; its track
 * then makes all of them ready to go, so it needs no SPT_VERIFY walk.
 */
static long spt_range(struct tsmbpf_spt *spt, u64 gpa, u64 size,
		      enum spt_op op, bool unmap)
{
	struct spt_walk w = { .spt = spt, .op = op, .zap = unmap };
	struct spt_walk clr = { .spt = spt, .op = SPT_CLEAR };
	u64 end = gpa + size;
	long ret = 0;

	if (!spt_range_ok(gpa, size))
		return -EINVAL;
	mutex_lock(&spt->lock);
	/* an unmap checks first: it must change nothing if refused */
	if (op != SPT_VERIFY)
		ret = spt_split_edges(spt, gpa, end);
	if (!ret)
		ret = spt_walk_root(&w, gpa, end);
	if (!ret && unmap) {
		if (op == SPT_BLOCK)
			spt->epoch++;
		ret = spt_split_edges(spt, gpa, end);
	}
	if (!ret && unmap) {
		spt_walk_root(&clr, gpa, end);
		spt->nr_2m -= w.n2m;
		spt->nr_4k -= w.pages - w.n2m * SPT_ENTRIES;
	}
	mutex_unlock(&spt->lock);
	return ret ?: (long)w.pages;
}

long tsmbpf_spt_accept(struct tsmbpf_spt *spt, u64 gpa, u64 size)
{
	return spt_range(spt, gpa, size, SPT_ACCEPT, false);
}

long tsmbpf_spt_block(struct tsmbpf_spt *spt, u64 gpa, u64 size)
{
	return spt_range(spt, gpa, size, SPT_BLOCK, false);
}

u64 tsmbpf_spt_track(struct tsmbpf_spt *spt)
{
	u64 epoch;

	mutex_lock(&spt->lock);
	epoch = ++spt->epoch;
	mutex_unlock(&spt->lock);
	return epoch;
}

long tsmbpf_spt_unmap(struct tsmbpf_spt *spt, u64 gpa, u64 size)
{
	return spt_range(spt, gpa, size, SPT_VERIFY, true);
}

long tsmbpf_spt_zap(struct tsmbpf_spt *spt, u64 gpa, u64 size)
{
	return spt_range(spt, gpa, size, SPT_BLOCK, true);
}

void tsmbpf_spt_count(struct tsmbpf_spt *spt, u64 gpa, u64 size,
		      struct tsmbpf_spt_count *c)
{
	struct spt_walk w = { .spt = spt, .op = SPT_COUNT, .c = c };

	memset(c, 0, sizeof(*c));
	if (!spt_range_ok(gpa, size))
		return;
	mutex_lock(&spt->lock);
	spt_walk_root(&w, gpa, gpa + size);
	mutex_unlock(&spt->lock);
	c->pages = w.pages;
}

static void spt_best(u64 *best, u64 t0)
{
	u64 ns = ktime_get_ns() - t0;

	*best = *best ? min(*best, ns) : ns;
}

static int spt_bench_map(struct tsmbpf_spt *spt, u64 gpa, u64 hpa, u64 size,
			 u32 flags, u64 *map_ns, u64 *unmap_ns, u64 *tables)
{
	u64 t0 = ktime_get_ns();
	long ret;

	ret = tsmbpf_spt_map(spt, gpa, hpa, size, flags);
	if (ret)
		return ret;
	spt_best(map_ns, t0);
	*tables = spt->nr_pages - 1;
	t0 = ktime_get_ns();
	ret = tsmbpf_spt_zap(spt, gpa, size);
	if (unmap_ns)
		spt_best(unmap_ns, t0);
	if (ret < 0)
		return ret;
	return ret == size >> 12 ? 0 : -EIO;
}

/* The page allocator alone: allocate @n table pages, then free them. */
static int spt_bench_alloc(u64 *pages, u64 n, u64 *alloc_ns)
{
	u64 t0 = ktime_get_ns(), i, done;
	int ret = 0;

	for (done = 0; done < n; done++) {
		pages[done] = __get_free_page(GFP_KERNEL_ACCOUNT);
		if (!pages[done]) {
			ret = -ENOMEM;
			break;
		}
	}
	for (i = 0; i < done; i++)
		free_page(pages[i]);
	if (!ret)
		spt_best(alloc_ns, t0);
	return ret;
}

int tsmbpf_spt_bench_run(struct tsmbpf_spt_bench *b, u32 iterations)
{
	const u64 gpa = SZ_1G, hpa = SZ_4G, size = b->size, n = size >> 12;
	struct tsmbpf_spt spt;
	u64 t0, i, e, mapped, tables, unused;
	u64 *raw;
	u32 it;
	int ret;

	if (!size || !IS_ALIGNED(size, SZ_2M) || size > BIT_ULL(47))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->entries_4k = n;
	b->entries_2m = size / SZ_2M;
	b->raw_entries = n;
	b->faults = n;
	raw = vmalloc(array_size(n, sizeof(*raw)));
	if (!raw)
		return -ENOMEM;
	for (it = 0, ret = 0; !ret && it < max(iterations, 1U); it++) {
		/* a new table: the first map takes every page from the allocator */
		ret = tsmbpf_spt_init(&spt);
		if (ret)
			break;
		ret = spt_bench_map(&spt, gpa, hpa, size, TSMBPF_SPT_4K_ONLY,
				    &b->map_4k_cold_ns, NULL, &tables);
		cond_resched();
		/* the next ones reuse the pages the table kept */
		if (!ret)
			ret = spt_bench_map(&spt, gpa, hpa, size,
					    TSMBPF_SPT_4K_ONLY, &b->map_4k_ns,
					    &b->unmap_4k_ns, &tables);
		cond_resched();
		if (!ret)
			ret = spt_bench_map(&spt, gpa, hpa, size, 0,
					    &b->map_2m_ns, &b->unmap_2m_ns,
					    &unused);
		cond_resched();
		/* the raw array has room for the page list: n >= tables */
		if (!ret)
			ret = spt_bench_alloc(raw, tables, &b->alloc_ns);
		cond_resched();
		if (ret) {
			tsmbpf_spt_destroy(&spt);
			break;
		}
		b->tables_4k = tables;

		t0 = ktime_get_ns();
		e = SPT_LEAF(hpa, TSMBPF_SPT_PENDING);
		for (i = 0; i < n; i++, e += SZ_4K)
			raw[i] = e;
		barrier();
		spt_best(&b->raw_ns, t0);
		cond_resched();

		t0 = ktime_get_ns();
		for (i = 0; !ret && i < n; i++) {
			ret = tsmbpf_spt_fault(&spt, gpa + (i << 12), gpa, hpa,
					       size, TSMBPF_SPT_4K_ONLY,
					       &mapped);
			if (!ret && mapped != SZ_4K)
				ret = -EIO;
		}
		spt_best(&b->fault_ns, t0);
		if (!ret && tsmbpf_spt_zap(&spt, gpa, size) != n)
			ret = -EIO;
		if (!ret && (spt.nr_pages != 1 || spt.nr_4k || spt.nr_2m))
			ret = -EIO;
		tsmbpf_spt_destroy(&spt);
		cond_resched();
	}
	vfree(raw);
	return ret;
}
