// SPDX-License-Identifier: GPL-2.0
/*
 * Private MMIO imported from dma-bufs: the importer side of seed 004 ("KVM
 * maps private MMIO from a VFIO dma-buf").
 *
 * A VMM exports BAR ranges of a function on tsmbpf_vfio_pci with the
 * upstream VFIO_DEVICE_FEATURE_DMA_BUF, then hands the fd to
 * TSMBPF_MMIO_IMPORT.  The import checks that the buffer comes from the
 * variant driver and that the exporting function's TDI is bound to the VM
 * with its MMIO private, attaches dynamically and maps the buffer's ranges
 * PENDING into the VM's secure page table; the TDI's accept accepts them.
 *
 * The TDI's mmio_unmap revokes every buffer of its function
 * (dma_buf_move_notify()): our move_notify drops the import's entries with
 * the native zap (block, track, unmap) and unmaps the attachment.  The
 * import then maps nothing; it stays, as an attachment, until released or
 * until its VM is destroyed.
 *
 * Locking: the reservation lock of the buffer guards an import's mapping
 * (@sgt, @pages); the VM's lock its list.  Order: tdi->lock, then the
 * reservation lock, then the secure page table's lock.  The VM's lock is
 * never held while taking tdi->lock or a reservation lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "tsmbpf.h"

MODULE_IMPORT_NS(DMA_BUF);

/* The misc device: the importing device of every attachment. */
struct device *tsmbpf_device;

/**
 * struct tsmbpf_import - a dma-buf's private MMIO in a VM's secure page table
 * @id: id within the VM, never 0
 * @vm: the VM; no reference, the VM releases its imports when destroyed
 * @tdi: the TDI of the exporting function, referenced
 * @dmabuf: the buffer, referenced
 * @attach: our dynamic attachment
 * @sgt: the attachment's mapping while the entries are in the table, NULL
 *	once revoked; under the reservation lock
 * @gpa: first GPA
 * @size: bytes, the buffer's size
 * @flags: TSMBPF_MAP_4K or 0
 * @pages: 4 KiB pages the import maps; written under the reservation lock
 * @node: on @vm->imports
 */
struct tsmbpf_import {
	u32 id;
	struct tsmbpf_vm *vm;
	struct tsmbpf_tdi *tdi;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	u64 gpa;
	u64 size;
	u32 flags;
	u64 pages;
	struct list_head node;
};

/* Drop the import's entries through the native fast path. */
static void tsmbpf_import_unmap(struct tsmbpf_import *imp)
{
	long ret;

	dma_resv_assert_held(imp->dmabuf->resv);
	if (!imp->sgt)
		return;
	/* whole leaves only: no split, so no allocation that could fail */
	ret = tsmbpf_spt_zap(&imp->vm->spt, imp->gpa, imp->size);
	if (ret < 0)
		pr_err("import %u of VM %u: zap failed: %ld\n", imp->id,
		       imp->vm->id, ret);
	dma_buf_unmap_attachment(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
	imp->sgt = NULL;
	WRITE_ONCE(imp->pages, 0);
}

/* The exporter revoked the buffer: a revoke, never a move. */
static void tsmbpf_import_move_notify(struct dma_buf_attachment *attach)
{
	tsmbpf_import_unmap(attach->importer_priv);
}

static const struct dma_buf_attach_ops tsmbpf_import_ops = {
	.allow_peer2peer = true,
	.move_notify = tsmbpf_import_move_notify,
};

/* Map the buffer's ranges at @imp->gpa; all or nothing. */
static int tsmbpf_import_map(struct tsmbpf_import *imp)
{
	u32 flags = imp->flags & TSMBPF_MAP_4K ? TSMBPF_SPT_4K_ONLY : 0;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 off = 0;
	int i, ret = 0;

	dma_resv_assert_held(imp->dmabuf->resv);
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u64 len = sg_dma_len(sg);

		if (!PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len) ||
		    len > imp->size - off) {
			ret = -EINVAL;	/* not what tsmbpf_vfio_pci makes */
			break;
		}
		ret = tsmbpf_spt_map(&imp->vm->spt, imp->gpa + off, addr, len,
				     flags);
		if (ret)
			break;
		off += len;
	}
	if (!ret && off != imp->size)
		ret = -EINVAL;
	if (ret) {
		if (off)
			tsmbpf_spt_zap(&imp->vm->spt, imp->gpa, off);
		dma_buf_unmap_attachment(imp->attach, sgt, DMA_BIDIRECTIONAL);
		return ret;
	}
	imp->sgt = sgt;
	WRITE_ONCE(imp->pages, imp->size >> PAGE_SHIFT);
	return 0;
}

/* Unmap, detach and free an import no list holds any more. */
static void tsmbpf_import_free(struct tsmbpf_import *imp)
{
	if (imp->attach) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		tsmbpf_import_unmap(imp);
		dma_resv_unlock(imp->dmabuf->resv);
		dma_buf_detach(imp->dmabuf, imp->attach);
	}
	dma_buf_put(imp->dmabuf);
	if (imp->tdi)
		tsmbpf_tdi_put(imp->tdi);
	kfree(imp);
}

/* The TDI must be bound to @vm with its MMIO private (mmio_map done). */
static int tsmbpf_import_check(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm)
{
	if (tdi->vm != vm)
		return -EPERM;
	if (!tdi->mmio_assigned || tdi->state == TSMBPF_TDISP_ERROR)
		return -EBUSY;
	return 0;
}

/**
 * tsmbpf_mmio_import - map a private MMIO dma-buf into @vm's secure page table
 * @vm: the VM, referenced by the caller
 * @arg: the ioctl's argument; @import_id, @tdi_id and @size are filled
 *
 * Return: 0; -EBADF or -EINVAL for an fd that is no dma-buf of the variant
 * driver; -ENODEV if the buffer is revoked or its function closed; -ENOENT
 * if the function has no TDI, or @vm was destroyed; -EPERM if the TDI is
 * not bound to @vm; -EBUSY if its MMIO is not private; -ERANGE if the
 * range leaves the import area; -EEXIST if it overlaps a mapping; -ENOMEM.
 * On error nothing is mapped and nothing kept.
 * Context: process context.
 */
int tsmbpf_mmio_import(struct tsmbpf_vm *vm, struct tsmbpf_mmio_import *arg)
{
	struct tsmbpf_import *imp;
	struct dma_buf *dmabuf;
	struct tsmbpf_tdi *tdi;
	int ret;

	if (!PAGE_ALIGNED(arg->gpa))
		return -EINVAL;
	dmabuf = dma_buf_get(arg->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp) {
		dma_buf_put(dmabuf);
		return -ENOMEM;
	}
	imp->dmabuf = dmabuf;
	imp->vm = vm;
	imp->gpa = arg->gpa;
	imp->size = dmabuf->size;
	imp->flags = arg->flags;
	if (!imp->size || !PAGE_ALIGNED(imp->size) ||
	    imp->size > TSMBPF_IMPORT_GPA_END ||
	    arg->gpa > TSMBPF_IMPORT_GPA_END - imp->size) {
		ret = -ERANGE;
		goto err;
	}
	tdi = tsmbpf_host_dmabuf_tdi(dmabuf);
	if (IS_ERR(tdi)) {
		ret = PTR_ERR(tdi);
		goto err;
	}
	imp->tdi = tdi;
	imp->attach = dma_buf_dynamic_attach(dmabuf, tsmbpf_device,
					     &tsmbpf_import_ops, imp);
	if (IS_ERR(imp->attach)) {
		ret = PTR_ERR(imp->attach);
		imp->attach = NULL;
		goto err;
	}
	/* held across the map: an unbind revokes after it, not during */
	ret = tsmbpf_tdi_lock_live(tdi);
	if (ret)
		goto err;
	ret = tsmbpf_import_check(tdi, vm);
	if (!ret) {
		dma_resv_lock(dmabuf->resv, NULL);
		ret = tsmbpf_import_map(imp);
		dma_resv_unlock(dmabuf->resv);
	}
	tsmbpf_tdi_unlock(tdi);
	if (ret)
		goto err;

	mutex_lock(&vm->lock);
	if (vm->dead) {
		ret = -ENOENT;
	} else {
		imp->id = ++vm->next_import ?: ++vm->next_import;
		list_add_tail(&imp->node, &vm->imports);
		vm->nr_imports++;
	}
	mutex_unlock(&vm->lock);
	if (ret)
		goto err;
	arg->import_id = imp->id;
	arg->tdi_id = tdi->id;
	arg->size = imp->size;
	return 0;

err:
	tsmbpf_import_free(imp);
	return ret;
}

/**
 * tsmbpf_mmio_release - unmap and release the import @id of @vm
 * @vm: the VM, referenced by the caller
 * @id: the import's id
 *
 * Return: 0, or -ENOENT if @vm has no such import.
 * Context: process context.
 */
int tsmbpf_mmio_release(struct tsmbpf_vm *vm, u32 id)
{
	struct tsmbpf_import *imp, *found = NULL;

	mutex_lock(&vm->lock);
	list_for_each_entry(imp, &vm->imports, node) {
		if (imp->id == id) {
			found = imp;
			list_del(&imp->node);
			vm->nr_imports--;
			break;
		}
	}
	mutex_unlock(&vm->lock);
	if (!found)
		return -ENOENT;
	tsmbpf_import_free(found);
	return 0;
}

/* @vm is dead: no import can be added; release the ones it has. */
void tsmbpf_mmio_release_all(struct tsmbpf_vm *vm)
{
	struct tsmbpf_import *imp, *tmp;
	LIST_HEAD(list);

	mutex_lock(&vm->lock);
	list_splice_init(&vm->imports, &list);
	vm->nr_imports = 0;
	mutex_unlock(&vm->lock);
	list_for_each_entry_safe(imp, tmp, &list, node)
		tsmbpf_import_free(imp);
}

/* 4 KiB pages @vm's imports map, and their leaves accepted: VM info. */
u64 tsmbpf_mmio_import_pages(struct tsmbpf_vm *vm, u64 *accepted)
{
	struct tsmbpf_spt_count c;
	struct tsmbpf_import *imp;
	u64 pages = 0;

	*accepted = 0;
	mutex_lock(&vm->lock);
	list_for_each_entry(imp, &vm->imports, node) {
		if (!READ_ONCE(imp->pages))
			continue;
		pages += READ_ONCE(imp->pages);
		tsmbpf_spt_count(&vm->spt, imp->gpa, imp->size, &c);
		*accepted += c.accepted;
	}
	mutex_unlock(&vm->lock);
	return pages;
}

/**
 * tsmbpf_mmio_import_accept - the guest accepts @tdi's imported MMIO too
 * @tdi: the TDI, locked, bound
 *
 * Return: 0 or the first error of tsmbpf_spt_accept().
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_mmio_import_accept(struct tsmbpf_tdi *tdi)
{
	struct tsmbpf_vm *vm = tdi->vm;
	struct tsmbpf_import *imp;
	long ret = 0;

	lockdep_assert_held(&tdi->lock);
	mutex_lock(&vm->lock);
	list_for_each_entry(imp, &vm->imports, node) {
		if (imp->tdi != tdi || !READ_ONCE(imp->pages))
			continue;
		ret = tsmbpf_spt_accept(&vm->spt, imp->gpa, imp->size);
		if (ret < 0)
			break;
	}
	mutex_unlock(&vm->lock);
	return ret < 0 ? ret : 0;
}
