// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_vfio_pci: a vfio-pci variant driver whose functions can be TEE
 * device interfaces.
 *
 * Bound like any variant driver (driver_override, then drivers_probe), a
 * function works as under vfio-pci until a TDI is created for it
 * (TSMBPF_TDI_CREATE_PCI: tsmctl dev create platform tdx pci BDF).  From
 * then on, every host event that would revoke its MMIO passes the gate of
 * tsmbpf_gate.c before vfio-pci-core acts on it:
 *
 *   config writes          PCI_COMMAND MSE and BME clear, PMCSR to D3hot,
 *                          PCIe DEVCTL FLR: a denied write is forwarded
 *                          without its offending bits
 *   VFIO_DEVICE_RESET      the function's reset
 *   VFIO_DEVICE_PCI_HOT_RESET  every bound TDI of the device set, from the
 *                          function that issued it (its siblings see the
 *                          reset only in reset_done, after the zap)
 *   VFIO_DEVICE_FEATURE    low-power entry
 *   close, .request        close of the device, removal: never refused
 *
 * While the TDI's MMIO is private (mmio_map to mmio_recover) the host has
 * no access to the BARs: their user mappings are zapped, a refault gets
 * SIGBUS, a new mmap and a read or write of the BAR's region are refused
 * (EBUSY).  A reset that bypasses the gate (the function reset at open,
 * the reset at close) moves a LOCKED or RUN TDI to ERROR (reset_done).
 *
 * The private MMIO reaches the VM as a dma-buf, in the upstream uAPI
 * (VFIO_DEVICE_FEATURE_DMA_BUF, 6.19): BAR ranges exported here, imported
 * into the VM's secure page table by TSMBPF_MMIO_IMPORT (tsmbpf_dmabuf.c).
 * The buffers have no mmap and no vmap: the host never reaches them.  The
 * TDI's mmio_unmap revokes them (dma_buf_move_notify()); until its
 * mmio_recover they refuse attachments and maps with -ENODEV.  Close of the
 * device revokes them for good.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "tsmbpf.h"

MODULE_IMPORT_NS(DMA_BUF);

/* The upstream uAPI of 6.19; Debian's 6.12 headers predate it. */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

/**
 * struct tvp_device - a function on the variant driver
 * @core: vfio-pci-core's device; first, for vfio_alloc_device()
 * @tdi_lock: protects @tdi
 * @tdi: the TDI attached to the function, with a reference, or NULL
 * @private: host access to the BARs is revoked; read locklessly by the
 *	fault and mmap paths
 * @dmabufs: the dma-bufs exported from its BARs (struct tvp_dmabuf)
 * @dmabuf_revoked: they are revoked (mmio_unmap until mmio_recover); new
 *	ones start so.  Both under tvp_dmabuf_lock
 */
struct tvp_device {
	struct vfio_pci_core_device core;
	spinlock_t tdi_lock;	/* protects tdi */
	struct tsmbpf_tdi *tdi;
	bool private;
	struct list_head dmabufs;
	bool dmabuf_revoked;
};

/* One range of a dma-buf: host physical address and length. */
struct tvp_range {
	phys_addr_t phys;
	u64 len;
};

/**
 * struct tvp_dmabuf - a dma-buf of BAR ranges
 * @dmabuf: the buffer
 * @tv: the function, NULL once it was closed (revoked for good)
 * @node: on @tv->dmabufs
 * @revoked: attachments and maps are refused
 * @nr_ranges: entries in @ranges
 * @nr_sg: scatterlist entries of a mapping (ranges split at 1 GiB)
 * @ranges: the ranges, in order
 *
 * @tv, @node and @revoked change under tvp_dmabuf_lock and the buffer's
 * reservation lock, so either lock is enough to read them.
 */
struct tvp_dmabuf {
	struct dma_buf *dmabuf;
	struct tvp_device *tv;
	struct list_head node;
	bool revoked;
	u32 nr_ranges;
	u32 nr_sg;
	struct tvp_range ranges[] __counted_by(nr_ranges);
};

#define TVP_DMABUF_MAX_RANGES	64
#define TVP_SG_MAX		SZ_1G

/* Lock order: tdi->lock, tvp_dmabuf_lock, then a reservation lock. */
static DEFINE_MUTEX(tvp_dmabuf_lock);

/*
 * Serialises linking functions and TDIs against removal.  Lock order: the
 * device lock, tvp_link_lock, tdi->lock.
 */
static DEFINE_MUTEX(tvp_link_lock);
static struct pci_driver tvp_driver;
static const struct vfio_device_ops tvp_ops;

static struct tvp_device *to_tvp(struct vfio_device *vdev)
{
	return container_of(vdev, struct tvp_device, core.vdev);
}

/* The function's TDI, referenced, or NULL. */
static struct tsmbpf_tdi *tvp_tdi_get(struct tvp_device *tv)
{
	struct tsmbpf_tdi *tdi;

	spin_lock(&tv->tdi_lock);
	tdi = tv->tdi;
	if (tdi)
		tsmbpf_tdi_hold(tdi);
	spin_unlock(&tv->tdi_lock);
	return tdi;
}

/* ------------------------------------------------------- host_ops -- */

static int tvp_attach(u32 bdf, struct tsmbpf_tdi *tdi)
{
	struct pci_dev *pdev;
	struct tvp_device *tv;
	u32 i, n = 0;
	u64 len;
	int ret = 0;

	pdev = pci_get_domain_bus_and_slot(bdf >> 16, (bdf >> 8) & 0xff,
					   bdf & 0xff);
	if (!pdev)
		return -ENOENT;
	/* the driver core holds the device lock around remove: first */
	device_lock(&pdev->dev);
	mutex_lock(&tvp_link_lock);
	if (pdev->dev.driver != &tvp_driver.driver) {
		ret = -ENOENT;
		goto out_unlock;
	}
	tv = container_of(dev_get_drvdata(&pdev->dev), struct tvp_device,
			  core);
	if (tv->tdi) {
		ret = -EBUSY;
		goto out_unlock;
	}
	for (i = 0; i < PCI_STD_NUM_BARS && n < TSMBPF_MAX_BARS; i++) {
		if (!(pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			continue;
		len = pci_resource_len(pdev, i);
		if (!len)
			continue;
		/* private MMIO is mapped in 4 KiB pages at least */
		len = max_t(u64, roundup_pow_of_two(len), TSMBPF_BAR_MIN);
		if (len > TSMBPF_BAR_MAX) {
			ret = -ERANGE;
			goto out_unlock;
		}
		tdi->bar_size[n] = len;
		tdi->pci_bar[n] = i;
		n++;
	}
	if (!n) {
		ret = -EINVAL;	/* no memory BAR: nothing to make private */
		goto out_unlock;
	}
	tdi->nr_bars = n;
	/* functions of one slot are reset together */
	tdi->devset = (bdf & ~0xffu) | (PCI_SLOT(pdev->devfn) << 3);
	tsmbpf_tdi_hold(tdi);
	spin_lock(&tv->tdi_lock);
	tv->tdi = tdi;
	spin_unlock(&tv->tdi_lock);
	WRITE_ONCE(tdi->host_data, tv);
out_unlock:
	mutex_unlock(&tvp_link_lock);
	device_unlock(&pdev->dev);
	pci_dev_put(pdev);
	return ret;
}

/* Unlink the function's TDI; return it (its link reference) or NULL. */
static struct tsmbpf_tdi *tvp_unlink(struct tvp_device *tv)
{
	struct tsmbpf_tdi *tdi;

	lockdep_assert_held(&tvp_link_lock);
	spin_lock(&tv->tdi_lock);
	tdi = tv->tdi;
	tv->tdi = NULL;
	spin_unlock(&tv->tdi_lock);
	WRITE_ONCE(tv->private, false);
	return tdi;
}

static void tvp_detach(struct tsmbpf_tdi *tdi)
{
	struct tvp_device *tv;

	mutex_lock(&tvp_link_lock);
	tv = READ_ONCE(tdi->host_data);
	if (tv && tv->tdi == tdi) {
		tvp_unlink(tv);
		tsmbpf_host_gone(tdi);
		tsmbpf_tdi_put(tdi);
	}
	mutex_unlock(&tvp_link_lock);
}

/* Zap the user mappings of every BAR: a refault then meets tvp_fault(). */
static void tvp_zap_bars(struct tvp_device *tv)
{
	struct inode *inode = tv->core.vdev.inode;
	loff_t start = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	loff_t end = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);

	unmap_mapping_range(inode->i_mapping, start, end - start, true);
}

static void tvp_mmio_private(struct tsmbpf_tdi *tdi, bool private)
{
	struct tvp_device *tv = tdi->host_data;

	WRITE_ONCE(tv->private, private);
	if (private)
		tvp_zap_bars(tv);
}

/* --------------------------------------------------------- dma-buf -- */

static int tvp_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct tvp_dmabuf *priv = dmabuf->priv;
	int ret = 0;

	/* MMIO: only importers that take peer-to-peer addresses */
	if (!attach->peer2peer)
		return -EOPNOTSUPP;
	mutex_lock(&tvp_dmabuf_lock);
	if (!priv->tv || priv->revoked)
		ret = -ENODEV;
	mutex_unlock(&tvp_dmabuf_lock);
	return ret;
}

/*
 * Debian's 6.12 has no CONFIG_DMABUF_MOVE_NOTIFY, so dma-buf core pins a
 * dynamic exporter's buffer on every map.  MMIO never moves and a revoke
 * is not a move: the pin is granted, and dma_buf_move_notify() reaches
 * every dynamic importer all the same.
 */
static int tvp_dmabuf_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void tvp_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

static struct sg_table *tvp_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct tvp_dmabuf *priv = attach->dmabuf->priv;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 off, len;
	u32 i;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!priv->tv || priv->revoked)
		return ERR_PTR(-ENODEV);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, priv->nr_sg, GFP_KERNEL);
	if (ret) {
		kfree(sgt);
		return ERR_PTR(ret);
	}
	/* bus addresses only, no pages: the importer maps them, never the CPU */
	sg = sgt->sgl;
	for (i = 0; i < priv->nr_ranges; i++) {
		for (off = 0; off < priv->ranges[i].len; off += len) {
			len = min_t(u64, priv->ranges[i].len - off, TVP_SG_MAX);
			sg_dma_address(sg) = priv->ranges[i].phys + off;
			sg_dma_len(sg) = len;
			sg = sg_next(sg);
		}
	}
	return sgt;
}

static void tvp_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	sg_free_table(sgt);
	kfree(sgt);
}

static void tvp_dmabuf_release(struct dma_buf *dmabuf)
{
	struct tvp_dmabuf *priv = dmabuf->priv;

	mutex_lock(&tvp_dmabuf_lock);
	if (priv->tv)
		list_del(&priv->node);
	mutex_unlock(&tvp_dmabuf_lock);
	kfree(priv);
}

static const struct dma_buf_ops tvp_dmabuf_ops = {
	.attach = tvp_dmabuf_attach,
	.pin = tvp_dmabuf_pin,
	.unpin = tvp_dmabuf_unpin,
	.map_dma_buf = tvp_dmabuf_map,
	.unmap_dma_buf = tvp_dmabuf_unmap,
	.release = tvp_dmabuf_release,
};

/*
 * Revoke (or restore) every buffer of @tv.  With @gone, the function was
 * closed: unlink them, revoked for good.
 */
static void tvp_dmabuf_move(struct tvp_device *tv, bool revoke, bool gone)
{
	struct tvp_dmabuf *priv, *tmp;

	mutex_lock(&tvp_dmabuf_lock);
	tv->dmabuf_revoked = gone ? false : revoke;
	list_for_each_entry_safe(priv, tmp, &tv->dmabufs, node) {
		struct dma_buf *dmabuf = priv->dmabuf;

		/* one being released waits for the lock: skip it */
		if (!get_file_active(&dmabuf->file))
			continue;
		dma_resv_lock(dmabuf->resv, NULL);
		priv->revoked = revoke || gone;
		if (priv->revoked)
			dma_buf_move_notify(dmabuf);
		if (gone) {
			list_del_init(&priv->node);
			priv->tv = NULL;
		}
		dma_resv_unlock(dmabuf->resv);
		fput(dmabuf->file);
	}
	mutex_unlock(&tvp_dmabuf_lock);
}

static void tvp_mmio_revoke(struct tsmbpf_tdi *tdi, bool revoke)
{
	tvp_dmabuf_move(tdi->host_data, revoke, false);
}

static struct tsmbpf_tdi *tvp_dmabuf_tdi(struct dma_buf *dmabuf)
{
	struct tvp_dmabuf *priv = dmabuf->priv;
	struct tsmbpf_tdi *tdi;

	if (dmabuf->ops != &tvp_dmabuf_ops)
		return ERR_PTR(-EINVAL);
	mutex_lock(&tvp_dmabuf_lock);
	if (!priv->tv)
		tdi = ERR_PTR(-ENODEV);
	else
		tdi = tvp_tdi_get(priv->tv) ?: ERR_PTR(-ENOENT);
	mutex_unlock(&tvp_dmabuf_lock);
	return tdi;
}

/* Check the ranges against BAR @bar and turn them into physical ones. */
static int tvp_dmabuf_ranges(struct pci_dev *pdev, u32 bar,
			     const struct vfio_region_dma_range *r,
			     struct tvp_dmabuf *priv, u64 *size)
{
	u64 bar_len = pci_resource_len(pdev, bar), end, total = 0;
	u32 i;

	for (i = 0; i < priv->nr_ranges; i++) {
		if (!r[i].length || !PAGE_ALIGNED(r[i].offset) ||
		    !PAGE_ALIGNED(r[i].length))
			return -EINVAL;
		if (check_add_overflow(r[i].offset, r[i].length, &end) ||
		    end > bar_len)
			return -EINVAL;
		if (check_add_overflow(total, r[i].length, &total))
			return -EINVAL;
		priv->ranges[i].phys = pci_resource_start(pdev, bar) +
				       r[i].offset;
		priv->ranges[i].len = r[i].length;
		priv->nr_sg += DIV_ROUND_UP(r[i].length, TVP_SG_MAX);
	}
	*size = total;
	return 0;
}

/* VFIO_DEVICE_FEATURE_DMA_BUF: a dma-buf of BAR ranges; returns its fd. */
static int tvp_feature_dma_buf(struct tvp_device *tv, u32 flags,
			       struct vfio_device_feature_dma_buf __user *arg,
			       size_t argsz)
{
	struct pci_dev *pdev = tv->core.pdev;
	struct vfio_device_feature_dma_buf get;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vfio_region_dma_range *r;
	struct tvp_dmabuf *priv;
	struct dma_buf *dmabuf;
	u64 size;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(get));
	if (ret != 1)
		return ret;
	if (copy_from_user(&get, arg, sizeof(get)))
		return -EFAULT;
	if (!get.nr_ranges || get.flags ||
	    (get.open_flags & ~(O_CLOEXEC | O_ACCMODE)))
		return -EINVAL;
	if (get.nr_ranges > TVP_DMABUF_MAX_RANGES)
		return -E2BIG;
	if (argsz < struct_size(&get, dma_ranges, get.nr_ranges))
		return -EINVAL;
	if (get.region_index >= VFIO_PCI_ROM_REGION_INDEX ||
	    !(pci_resource_flags(pdev, get.region_index) & IORESOURCE_MEM) ||
	    !tv->core.bar_mmap_supported[get.region_index])
		return -ENODEV;
	r = memdup_array_user(arg->dma_ranges, get.nr_ranges, sizeof(*r));
	if (IS_ERR(r))
		return PTR_ERR(r);
	priv = kzalloc(struct_size(priv, ranges, get.nr_ranges), GFP_KERNEL);
	if (!priv) {
		kfree(r);
		return -ENOMEM;
	}
	priv->nr_ranges = get.nr_ranges;
	ret = tvp_dmabuf_ranges(pdev, get.region_index, r, priv, &size);
	kfree(r);
	if (ret) {
		kfree(priv);
		return ret;
	}
	INIT_LIST_HEAD(&priv->node);
	exp_info.ops = &tvp_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = get.open_flags;
	exp_info.priv = priv;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		kfree(priv);
		return PTR_ERR(dmabuf);
	}
	priv->dmabuf = dmabuf;
	mutex_lock(&tvp_dmabuf_lock);
	dma_resv_lock(dmabuf->resv, NULL);
	priv->tv = tv;
	priv->revoked = tv->dmabuf_revoked;
	list_add_tail(&priv->node, &tv->dmabufs);
	dma_resv_unlock(dmabuf->resv);
	mutex_unlock(&tvp_dmabuf_lock);
	ret = dma_buf_fd(dmabuf, get.open_flags);
	if (ret < 0)
		dma_buf_put(dmabuf);	/* release unlinks it */
	return ret;
}

static const struct tsmbpf_host_ops tvp_host_ops = {
	.owner = THIS_MODULE,
	.name = "tsmbpf_vfio_pci",
	.attach = tvp_attach,
	.detach = tvp_detach,
	.mmio_private = tvp_mmio_private,
	.mmio_revoke = tvp_mmio_revoke,
	.dmabuf_tdi = tvp_dmabuf_tdi,
};

/* ---------------------------------------------------------- gating -- */

/*
 * Gate @event on the function's TDI; 0 lets the event proceed.  @ev and
 * *@tdip are for tvp_gate_end().
 */
static int tvp_gate_begin(struct tvp_device *tv, u32 event,
			  struct tsmbpf_host_ev *ev, struct tsmbpf_tdi **tdip)
{
	struct tsmbpf_tdi *tdi = tvp_tdi_get(tv);
	int ret;

	*tdip = tdi;
	if (!tdi)
		return 0;
	ret = tsmbpf_host_event_begin(tdi, event, ev);
	if (ret) {
		tsmbpf_tdi_put(tdi);
		*tdip = NULL;
	}
	return ret;
}

static void tvp_gate_end(struct tsmbpf_tdi *tdi, struct tsmbpf_host_ev *ev,
			 int result)
{
	if (!tdi)
		return;
	tsmbpf_host_event_end(tdi, ev, result);
	tsmbpf_tdi_put(tdi);
}

/* An event that cannot be refused: unbind first whatever the answer. */
static void tvp_gate_always(struct tvp_device *tv, u32 event)
{
	struct tsmbpf_host_ev ev;
	struct tsmbpf_tdi *tdi = tvp_tdi_get(tv);

	if (!tdi)
		return;
	tsmbpf_host_event_begin(tdi, event, &ev);
	/* no rebind of a function that is going away */
	tsmbpf_host_event_end(tdi, &ev, -ENODEV);
	tsmbpf_tdi_put(tdi);
}

/* ---------------------------------------------------- config space -- */

#define TVP_MAX_EVENTS	4

/* One register a config write may hit, and its gated bits. */
struct tvp_cfg_event {
	u32 event;
	u16 reg;	/* offset of the 16-bit register */
	u16 cur;	/* its value in the device */
	u16 keep_mask;	/* bits to restore from @cur if denied */
	u16 clear_mask;	/* bits to clear if denied */
};

/* Byte @i of the write, or of @cur when the write does not cover it. */
static u16 tvp_cfg_value(const u8 *kbuf, loff_t pos, size_t count, u16 reg,
			 u16 cur)
{
	u16 val = cur;
	int i;

	for (i = 0; i < 2; i++) {
		if (reg + i < pos || reg + i >= pos + count)
			continue;
		val &= ~(0xff << (8 * i));
		val |= kbuf[reg + i - pos] << (8 * i);
	}
	return val;
}

static bool tvp_cfg_covers(loff_t pos, size_t count, u16 reg)
{
	return reg + 2 > pos && reg < pos + count;
}

/* The gated events a config write of @kbuf at @pos would cause. */
static int tvp_cfg_events(struct pci_dev *pdev, const u8 *kbuf, loff_t pos,
			  size_t count, struct tvp_cfg_event *evs)
{
	u16 reg, cur, val;
	int n = 0;

	reg = PCI_COMMAND;
	if (tvp_cfg_covers(pos, count, reg)) {
		pci_read_config_word(pdev, reg, &cur);
		val = tvp_cfg_value(kbuf, pos, count, reg, cur);
		if ((cur & PCI_COMMAND_MEMORY) && !(val & PCI_COMMAND_MEMORY))
			evs[n++] = (struct tvp_cfg_event){
				TSMBPF_EV_MSE_CLEAR, reg, cur,
				PCI_COMMAND_MEMORY, 0 };
		if ((cur & PCI_COMMAND_MASTER) && !(val & PCI_COMMAND_MASTER))
			evs[n++] = (struct tvp_cfg_event){
				TSMBPF_EV_BME_CLEAR, reg, cur,
				PCI_COMMAND_MASTER, 0 };
	}
	if (pdev->pm_cap) {
		reg = pdev->pm_cap + PCI_PM_CTRL;
		if (tvp_cfg_covers(pos, count, reg)) {
			pci_read_config_word(pdev, reg, &cur);
			val = tvp_cfg_value(kbuf, pos, count, reg, cur);
			if ((val & PCI_PM_CTRL_STATE_MASK) == PCI_D3hot &&
			    (cur & PCI_PM_CTRL_STATE_MASK) != PCI_D3hot)
				evs[n++] = (struct tvp_cfg_event){
					TSMBPF_EV_D3HOT, reg, cur,
					PCI_PM_CTRL_STATE_MASK, 0 };
		}
	}
	if (pci_pcie_cap(pdev)) {
		reg = pci_pcie_cap(pdev) + PCI_EXP_DEVCTL;
		if (tvp_cfg_covers(pos, count, reg)) {
			pci_read_config_word(pdev, reg, &cur);
			val = tvp_cfg_value(kbuf, pos, count, reg, cur);
			if (val & PCI_EXP_DEVCTL_BCR_FLR)
				evs[n++] = (struct tvp_cfg_event){
					TSMBPF_EV_FLR, reg, cur, 0,
					PCI_EXP_DEVCTL_BCR_FLR };
		}
	}
	return n;
}

/* Take a denied event's bits out of the write. */
static void tvp_cfg_strip(u8 *kbuf, loff_t pos, size_t count,
			  const struct tvp_cfg_event *e)
{
	u16 val = tvp_cfg_value(kbuf, pos, count, e->reg, e->cur);
	int i;

	val = (val & ~e->keep_mask) | (e->cur & e->keep_mask);
	val &= ~e->clear_mask;
	for (i = 0; i < 2; i++)
		if (e->reg + i >= pos && e->reg + i < pos + count)
			kbuf[e->reg + i - pos] = val >> (8 * i);
}

/*
 * vfio-pci-core reads its arguments from user memory: an argument changed
 * or checked here goes through a scratch mapping of the caller's, so that
 * what vfio-pci-core reads is what was checked.
 */
static unsigned long tvp_scratch(const void *kbuf, size_t count)
{
	unsigned long addr;

	addr = vm_mmap(NULL, 0, PAGE_ALIGN(count), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	if (copy_to_user((void __user *)addr, kbuf, count)) {
		vm_munmap(addr, PAGE_ALIGN(count));
		return -EFAULT;
	}
	return addr;
}

static ssize_t tvp_write_kbuf(struct vfio_device *vdev, const u8 *kbuf,
			      size_t count, loff_t *ppos)
{
	unsigned long addr = tvp_scratch(kbuf, count);
	ssize_t ret;

	if (IS_ERR_VALUE(addr))
		return (long)addr;
	ret = vfio_pci_core_write(vdev, (const char __user *)addr, count, ppos);
	vm_munmap(addr, PAGE_ALIGN(count));
	return ret;
}

static ssize_t tvp_config_write(struct tvp_device *tv, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct vfio_device *vdev = &tv->core.vdev;
	struct tvp_cfg_event evs[TVP_MAX_EVENTS];
	struct tsmbpf_host_ev hev[TVP_MAX_EVENTS];
	struct tsmbpf_tdi *tdis[TVP_MAX_EVENTS];
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct tsmbpf_tdi *tdi;
	bool stripped = false;
	int i, n;
	ssize_t ret;
	u8 *kbuf;

	tdi = tvp_tdi_get(tv);
	if (!tdi || !count || count > PAGE_SIZE)
		goto forward;
	kbuf = memdup_user(buf, count);
	if (IS_ERR(kbuf)) {
		tsmbpf_tdi_put(tdi);
		return PTR_ERR(kbuf);
	}
	n = tvp_cfg_events(tv->core.pdev, kbuf, pos, count, evs);
	for (i = 0; i < n; i++) {
		if (tvp_gate_begin(tv, evs[i].event, &hev[i], &tdis[i])) {
			/* denied or not unbound: the rest of the write goes */
			tvp_cfg_strip(kbuf, pos, count, &evs[i]);
			stripped = true;
		}
	}
	if (stripped)
		ret = tvp_write_kbuf(vdev, kbuf, count, ppos);
	else
		ret = vfio_pci_core_write(vdev, buf, count, ppos);
	for (i = 0; i < n; i++)
		tvp_gate_end(tdis[i], &hev[i], ret < 0 ? ret : 0);
	kfree(kbuf);
	tsmbpf_tdi_put(tdi);
	return ret;

forward:
	if (tdi)
		tsmbpf_tdi_put(tdi);
	return vfio_pci_core_write(vdev, buf, count, ppos);
}

/* ------------------------------------------------ vfio_device_ops -- */

static int tvp_open_device(struct vfio_device *vdev)
{
	struct vfio_pci_core_device *core = &to_tvp(vdev)->core;
	int ret;

	ret = vfio_pci_core_enable(core);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(core);
	return 0;
}

static void tvp_close_device(struct vfio_device *vdev)
{
	struct tvp_device *tv = to_tvp(vdev);

	tvp_gate_always(tv, TSMBPF_EV_CLOSE);
	/* its dma-bufs outlive the fd, not the access */
	tvp_dmabuf_move(tv, true, true);
	vfio_pci_core_close_device(vdev);
}

/* A BAR's region of a function whose MMIO is private: no host access. */
static bool tvp_bar_private(struct vfio_device *vdev, loff_t pos)
{
	return (u64)pos >> VFIO_PCI_OFFSET_SHIFT < VFIO_PCI_ROM_REGION_INDEX &&
	       READ_ONCE(to_tvp(vdev)->private);
}

static ssize_t tvp_read(struct vfio_device *vdev, char __user *buf,
			size_t count, loff_t *ppos)
{
	if (tvp_bar_private(vdev, *ppos))
		return -EBUSY;
	return vfio_pci_core_read(vdev, buf, count, ppos);
}

static ssize_t tvp_write(struct vfio_device *vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	if (tvp_bar_private(vdev, *ppos))
		return -EBUSY;
	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) == VFIO_PCI_CONFIG_REGION_INDEX)
		return tvp_config_write(to_tvp(vdev), buf, count, ppos);
	return vfio_pci_core_write(vdev, buf, count, ppos);
}

/*
 * VFIO_DEVICE_IOEVENTFD: vfio-pci-core (6.12) takes the BAR index from
 * the offset as a signed value, so an offset with bit 63 set passes its
 * range check and reads out of bounds.  Checked here, and handed on
 * through a scratch copy so that the offset cannot change after the check.
 */
static long tvp_ioeventfd(struct vfio_device *vdev, unsigned int cmd,
			  unsigned long arg)
{
	struct vfio_device_ioeventfd ioe;
	unsigned long addr;
	long ret;

	if (copy_from_user(&ioe, (void __user *)arg, sizeof(ioe)))
		return -EFAULT;
	if (ioe.argsz < sizeof(ioe))
		return -EINVAL;
	if (ioe.offset >> VFIO_PCI_OFFSET_SHIFT > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	ioe.argsz = sizeof(ioe);
	addr = tvp_scratch(&ioe, sizeof(ioe));
	if (IS_ERR_VALUE(addr))
		return (long)addr;
	ret = vfio_pci_core_ioctl(vdev, cmd, addr);
	vm_munmap(addr, PAGE_ALIGN(sizeof(ioe)));
	return ret;
}

#define TVP_SET_MAX	8

/*
 * A hot reset resets every function of the set: unbind every bound TDI of
 * it first.  Its siblings see the reset only after vfio-pci-core zapped
 * them, so the gate runs here, in the issuer.  A TDI that cannot be
 * unbound refuses the reset; the ones unbound before it stay unbound (or
 * are bound again, for a rebind verdict): none is left half done.
 */
static long tvp_hot_reset(struct tvp_device *tv, unsigned int cmd,
			  unsigned long arg)
{
	struct vfio_device_set *set = tv->core.vdev.dev_set;
	struct tsmbpf_host_ev evs[TVP_SET_MAX];
	struct tsmbpf_tdi *tdis[TVP_SET_MAX];
	struct vfio_device *cur;
	struct tsmbpf_tdi *tdi;
	int i = 0, j, n = 0, ret = 0;
	long lret;

	mutex_lock(&set->lock);
	list_for_each_entry(cur, &set->device_list, dev_set_list) {
		if (cur->ops != &tvp_ops)
			continue;
		tdi = tvp_tdi_get(to_tvp(cur));
		if (!tdi)
			continue;
		if (n == TVP_SET_MAX) {
			tsmbpf_tdi_put(tdi);
			ret = -E2BIG;
			break;
		}
		tdis[n++] = tdi;
	}
	mutex_unlock(&set->lock);

	for (i = 0; !ret && i < n; i++) {
		ret = tsmbpf_host_event_begin(tdis[i], TSMBPF_EV_HOT_RESET,
					      &evs[i]);
		if (ret)
			break;
	}
	if (ret) {
		if (i < n)
			pr_warn("hot reset of %s refused: tdi %u: %d\n",
				pci_name(tv->core.pdev), tdis[i]->id, ret);
		/* not gated, or refused: just references */
		for (j = i; j < n; j++)
			tsmbpf_tdi_put(tdis[j]);
		/* the reset does not happen: rebinds may go ahead */
		while (i--)
			tvp_gate_end(tdis[i], &evs[i], 0);
		return ret;
	}
	lret = vfio_pci_core_ioctl(&tv->core.vdev, cmd, arg);
	for (i = 0; i < n; i++)
		tvp_gate_end(tdis[i], &evs[i], lret < 0 ? lret : 0);
	return lret;
}

static long tvp_ioctl(struct vfio_device *vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct tvp_device *tv = to_tvp(vdev);
	struct tsmbpf_host_ev ev;
	struct tsmbpf_tdi *tdi;
	long ret;

	switch (cmd) {
	case VFIO_DEVICE_RESET:
		ret = tvp_gate_begin(tv, TSMBPF_EV_RESET, &ev, &tdi);
		if (ret)
			return ret;
		ret = vfio_pci_core_ioctl(vdev, cmd, arg);
		tvp_gate_end(tdi, &ev, ret);
		return ret;
	case VFIO_DEVICE_PCI_HOT_RESET:
		return tvp_hot_reset(tv, cmd, arg);
	case VFIO_DEVICE_IOEVENTFD:
		return tvp_ioeventfd(vdev, cmd, arg);
	}
	return vfio_pci_core_ioctl(vdev, cmd, arg);
}

static int tvp_device_feature(struct vfio_device *vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	u32 feature = flags & VFIO_DEVICE_FEATURE_MASK;
	struct tsmbpf_host_ev ev;
	struct tsmbpf_tdi *tdi;
	int ret;

	if (feature == VFIO_DEVICE_FEATURE_DMA_BUF)
		return tvp_feature_dma_buf(to_tvp(vdev), flags, arg, argsz);
	if (!(flags & VFIO_DEVICE_FEATURE_SET) ||
	    (feature != VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY &&
	     feature != VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP))
		return vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
	ret = tvp_gate_begin(to_tvp(vdev), TSMBPF_EV_RUNTIME_PM, &ev, &tdi);
	if (ret)
		return ret;
	ret = vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
	tvp_gate_end(tdi, &ev, ret);
	return ret;
}

/*
 * vfio-pci-core's BAR mappings have fault handlers only (6.12): ours
 * refuse a refault while the MMIO is private and call them otherwise.
 */
static DEFINE_MUTEX(tvp_vm_ops_lock);
static const struct vm_operations_struct *tvp_core_vm_ops;

static struct tvp_device *tvp_of_vma(struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *core = vma->vm_private_data;

	return container_of(core, struct tvp_device, core);
}

static vm_fault_t tvp_fault(struct vm_fault *vmf)
{
	if (READ_ONCE(tvp_of_vma(vmf->vma)->private))
		return VM_FAULT_SIGBUS;
	return tvp_core_vm_ops->fault(vmf);
}

static vm_fault_t tvp_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	if (READ_ONCE(tvp_of_vma(vmf->vma)->private))
		return VM_FAULT_SIGBUS;
	if (!tvp_core_vm_ops->huge_fault)
		return VM_FAULT_FALLBACK;
	return tvp_core_vm_ops->huge_fault(vmf, order);
}

static const struct vm_operations_struct tvp_vm_ops = {
	.fault = tvp_fault,
	.huge_fault = tvp_huge_fault,
};

/* Put our fault handlers in front of vfio-pci-core's on @vma. */
static int tvp_wrap_vma(struct vm_area_struct *vma)
{
	int ret = 0;

	mutex_lock(&tvp_vm_ops_lock);
	if (!tvp_core_vm_ops && vma->vm_ops && vma->vm_ops->fault &&
	    !vma->vm_ops->open && !vma->vm_ops->close)
		tvp_core_vm_ops = vma->vm_ops;
	if (tvp_core_vm_ops && vma->vm_ops == tvp_core_vm_ops)
		vma->vm_ops = &tvp_vm_ops;
	else if (vma->vm_ops != &tvp_vm_ops)
		ret = -EINVAL;	/* not a BAR mapping of vfio-pci-core */
	mutex_unlock(&tvp_vm_ops_lock);
	return ret;
}

static int tvp_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct tvp_device *tv = to_tvp(vdev);
	unsigned int index;
	int ret;

	index = vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	if (index < VFIO_PCI_ROM_REGION_INDEX && READ_ONCE(tv->private))
		return -EBUSY;	/* private MMIO: no host access */
	ret = vfio_pci_core_mmap(vdev, vma);
	if (ret || index >= VFIO_PCI_ROM_REGION_INDEX)
		return ret;
	return tvp_wrap_vma(vma);
}

static void tvp_request(struct vfio_device *vdev, unsigned int count)
{
	if (!count)
		tvp_gate_always(to_tvp(vdev), TSMBPF_EV_REMOVE);
	vfio_pci_core_request(vdev, count);
}

static int tvp_init_dev(struct vfio_device *vdev)
{
	struct tvp_device *tv = to_tvp(vdev);

	spin_lock_init(&tv->tdi_lock);
	INIT_LIST_HEAD(&tv->dmabufs);
	return vfio_pci_core_init_dev(vdev);
}

static const struct vfio_device_ops tvp_ops = {
	.name		= "tsmbpf-vfio-pci",
	.init		= tvp_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= tvp_open_device,
	.close_device	= tvp_close_device,
	.ioctl		= tvp_ioctl,
	.device_feature	= tvp_device_feature,
	.read		= tvp_read,
	.write		= tvp_write,
	.mmap		= tvp_mmap,
	.request	= tvp_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

/* -------------------------------------------------------- pci_driver -- */

/* Every reset ends here, gated or not. */
static void tvp_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct tsmbpf_tdi *tdi;

	if (!core)
		return;
	tdi = tvp_tdi_get(container_of(core, struct tvp_device, core));
	if (!tdi)
		return;
	tsmbpf_host_reset_done(tdi);
	tsmbpf_tdi_put(tdi);
}

/* vfio-pci-core's handlers, plus reset_done: filled at init. */
static struct pci_error_handlers tvp_err_handlers;

static int tvp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct tvp_device *tv;
	int ret;

	tv = vfio_alloc_device(tvp_device, core.vdev, &pdev->dev, &tvp_ops);
	if (IS_ERR(tv))
		return PTR_ERR(tv);
	dev_set_drvdata(&pdev->dev, &tv->core);
	ret = vfio_pci_core_register_device(&tv->core);
	if (ret) {
		vfio_put_device(&tv->core.vdev);
		return ret;
	}
	return 0;
}

static void tvp_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct tvp_device *tv = container_of(core, struct tvp_device, core);
	struct tsmbpf_tdi *tdi;

	/* unbound before vfio-pci-core asks the user to let go */
	tvp_gate_always(tv, TSMBPF_EV_REMOVE);
	vfio_pci_core_unregister_device(core);
	mutex_lock(&tvp_link_lock);
	tdi = tvp_unlink(tv);
	mutex_unlock(&tvp_link_lock);
	if (tdi) {
		tsmbpf_host_gone(tdi);
		tsmbpf_tdi_put(tdi);
	}
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id tvp_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, tvp_table);

/* not const: vfio-pci-core writes its PM ops into the driver */
static struct pci_driver tvp_driver = {
	.name			= "tsmbpf_vfio_pci",
	.id_table		= tvp_table,
	.probe			= tvp_probe,
	.remove			= tvp_remove,
	.err_handler		= &tvp_err_handlers,
	.driver_managed_dma	= true,
};

static int __init tvp_init(void)
{
	int ret;

	tvp_err_handlers = vfio_pci_core_err_handlers;
	tvp_err_handlers.reset_done = tvp_reset_done;
	ret = tsmbpf_host_register(&tvp_host_ops);
	if (ret)
		return ret;
	ret = pci_register_driver(&tvp_driver);
	if (ret)
		tsmbpf_host_unregister(&tvp_host_ops);
	return ret;
}

static void __exit tvp_exit(void)
{
	pci_unregister_driver(&tvp_driver);
	tsmbpf_host_unregister(&tvp_host_ops);
}

module_init(tvp_init);
module_exit(tvp_exit);

MODULE_DESCRIPTION("vfio-pci variant driver for TEE device interfaces (tsmbpf)");
MODULE_LICENSE("GPL");
