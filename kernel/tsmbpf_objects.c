// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf objects: the platform backends and the host driver registries,
 * VMs and TDIs, their lifetime, lookup and listing.  The bottom layer:
 * steps and sequences (tsmbpf_core.c), the policy glue and the entry points
 * (ioctls, the gate, sysfs) build on it, never the other way round.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "tsmbpf.h"
#include "tsmbpf_trace.h"

static DEFINE_XARRAY_ALLOC1(tsmbpf_vms);
static DEFINE_XARRAY_ALLOC1(tsmbpf_tdis);

static DEFINE_MUTEX(tsmbpf_backends_lock);
static const struct tsmbpf_backend_ops *tsmbpf_backends[TSMBPF_PLAT_NR];

/**
 * tsmbpf_backend_register - make a platform's firmware available
 * @ops: the backend; @ops->platform must be free
 *
 * Return: 0, -EINVAL for an unknown platform, -EBUSY if taken.
 * Context: process context.
 */
int tsmbpf_backend_register(const struct tsmbpf_backend_ops *ops)
{
	int ret = 0;

	if (ops->platform >= TSMBPF_PLAT_NR || !ops->call)
		return -EINVAL;
	mutex_lock(&tsmbpf_backends_lock);
	if (tsmbpf_backends[ops->platform])
		ret = -EBUSY;
	else
		tsmbpf_backends[ops->platform] = ops;
	mutex_unlock(&tsmbpf_backends_lock);
	if (!ret)
		pr_info("%s backend: %s\n", tsmbpf_platform_name(ops->platform),
			ops->name);
	return ret;
}
EXPORT_SYMBOL_GPL(tsmbpf_backend_register);

/**
 * tsmbpf_backend_unregister - withdraw a platform's firmware
 * @ops: the backend
 *
 * TDIs pin their backend's module, so none of the platform exists here.
 * Context: process context.
 */
void tsmbpf_backend_unregister(const struct tsmbpf_backend_ops *ops)
{
	mutex_lock(&tsmbpf_backends_lock);
	if (tsmbpf_backends[ops->platform] == ops)
		tsmbpf_backends[ops->platform] = NULL;
	mutex_unlock(&tsmbpf_backends_lock);
}
EXPORT_SYMBOL_GPL(tsmbpf_backend_unregister);

static const char * const tsmbpf_plat_names[TSMBPF_PLAT_NR] = {
	[TSMBPF_PLAT_TDX] = "tdx",
	[TSMBPF_PLAT_SEV_TIO] = "sev-tio",
	[TSMBPF_PLAT_CCA] = "cca",
};

const char *tsmbpf_step_name(u32 step)
{
	static const char * const names[TSMBPF_STEP_NR] = {
		[TSMBPF_STEP_NONE] = "none",
		[TSMBPF_STEP_TDI_LOCK] = "tdi_lock",
		[TSMBPF_STEP_MMIO_MAP] = "mmio_map",
		[TSMBPF_STEP_DMA_SETUP] = "dma_setup",
		[TSMBPF_STEP_ACCEPT] = "accept",
		[TSMBPF_STEP_TDI_START] = "tdi_start",
		[TSMBPF_STEP_TDI_STOP] = "tdi_stop",
		[TSMBPF_STEP_MMIO_UNMAP] = "mmio_unmap",
		[TSMBPF_STEP_DMA_TEARDOWN] = "dma_teardown",
		[TSMBPF_STEP_TDI_RECLAIM] = "tdi_reclaim",
		[TSMBPF_STEP_MMIO_RECOVER] = "mmio_recover",
		[TSMBPF_STEP_KEY_PURGE] = "key_purge",
		[TSMBPF_STEP_FENCE_CLEAR] = "fence_clear",
		[TSMBPF_STEP_DEVICE_ERROR] = "device_error",
	};

	return step < TSMBPF_STEP_NR ? names[step] : "?";
}
EXPORT_SYMBOL_GPL(tsmbpf_step_name);

const char *tsmbpf_platform_name(u32 platform)
{
	return platform < TSMBPF_PLAT_NR ? tsmbpf_plat_names[platform] : "?";
}
EXPORT_SYMBOL_GPL(tsmbpf_platform_name);

static void tsmbpf_vm_release(struct kref *kref)
{
	struct tsmbpf_vm *vm = container_of(kref, struct tsmbpf_vm, kref);

	tsmbpf_spt_destroy(&vm->spt);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

void tsmbpf_vm_put(struct tsmbpf_vm *vm)
{
	kref_put(&vm->kref, tsmbpf_vm_release);
}

/*
 * Object lifetime.  The xarrays hold one reference on each object they
 * list; a lookup takes its own under the xarray lock.  A destroy marks the
 * object dead under the object's lock first, so that exactly one destroy
 * wins and every later operation on a reference taken before it fails
 * with -ENOENT; only then does it remove the object, and it erases the
 * very object it holds, never whatever the id names by then.  A TDI's id
 * is freed last, after its sysfs directory is gone, so that a create
 * reusing the id never meets the old directory.
 */
struct tsmbpf_vm *tsmbpf_vm_get(u32 id)
{
	struct tsmbpf_vm *vm;

	xa_lock(&tsmbpf_vms);
	vm = xa_load(&tsmbpf_vms, id);
	if (vm)
		kref_get(&vm->kref);
	xa_unlock(&tsmbpf_vms);
	return vm;
}

/**
 * tsmbpf_vm_create - create a VM
 * @owner: the open file that owns it, or NULL for a global VM
 *
 * Return: the VM with a reference for the caller, or an ERR_PTR.
 * Context: process context.
 */
struct tsmbpf_vm *tsmbpf_vm_create(const void *owner)
{
	struct tsmbpf_vm *vm;
	int ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	ret = tsmbpf_spt_init(&vm->spt);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}
	kref_init(&vm->kref);	/* the caller's */
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->imports);
	vm->owner = owner;
	if (owner)
		vm->owner_pid = task_tgid_nr(current);
	kref_get(&vm->kref);	/* the xarray's */
	ret = xa_alloc(&tsmbpf_vms, &vm->id, vm, xa_limit_31b, GFP_KERNEL);
	if (ret) {
		tsmbpf_vm_release(&vm->kref);	/* never published */
		return ERR_PTR(ret);
	}
	return vm;
}

/**
 * tsmbpf_vm_destroy - destroy @vm
 * @vm: the VM, referenced by the caller
 *
 * Return: 0, -EBUSY while TDIs are bound to it (TDX refuses to destroy a
 * TD with TDIs), -ENOENT if it was destroyed already.
 * Context: process context.
 */
int tsmbpf_vm_destroy(struct tsmbpf_vm *vm)
{
	int ret = 0;

	mutex_lock(&vm->lock);
	if (vm->dead)
		ret = -ENOENT;
	else if (vm->nr_bound)
		ret = -EBUSY;
	else
		vm->dead = true;
	mutex_unlock(&vm->lock);
	if (ret)
		return ret;
	tsmbpf_mmio_release_all(vm);
	xa_cmpxchg(&tsmbpf_vms, vm->id, vm, NULL, 0);
	tsmbpf_vm_put(vm);	/* the xarray's reference */
	return 0;
}

int tsmbpf_vm_destroy_id(u32 id)
{
	struct tsmbpf_vm *vm;
	int ret;

	vm = tsmbpf_vm_get(id);
	if (!vm)
		return -ENOENT;
	ret = tsmbpf_vm_destroy(vm);
	tsmbpf_vm_put(vm);
	return ret;
}

/**
 * tsmbpf_owned_take - take the objects @owner owns, a batch at a time
 * @owner: an open file
 * @tdis: out, up to @room of its TDIs, referenced, owner cleared
 * @vms: out, only once it owns no TDI: up to @room of its VMs, the same
 * @room: room in each
 * @nr_vms: out, entries in @vms
 *
 * Return: entries in @tdis.  Ownership is cleared as objects are taken,
 * so that a batch is never taken twice, and what fails to go stays, as a
 * global object.
 * Context: process context.
 */
int tsmbpf_owned_take(const void *owner, struct tsmbpf_tdi **tdis,
		      struct tsmbpf_vm **vms, int room, int *nr_vms)
{
	struct tsmbpf_tdi *t;
	struct tsmbpf_vm *v;
	unsigned long idx;
	int n = 0;

	*nr_vms = 0;
	xa_lock(&tsmbpf_tdis);
	xa_for_each(&tsmbpf_tdis, idx, t) {
		if (n == room)
			break;
		if (READ_ONCE(t->owner) != owner)
			continue;
		WRITE_ONCE(t->owner, NULL);
		kref_get(&t->kref);
		tdis[n++] = t;
	}
	xa_unlock(&tsmbpf_tdis);
	if (n)
		return n;
	xa_lock(&tsmbpf_vms);
	xa_for_each(&tsmbpf_vms, idx, v) {
		if (*nr_vms == room)
			break;
		if (READ_ONCE(v->owner) != owner)
			continue;
		WRITE_ONCE(v->owner, NULL);
		WRITE_ONCE(v->owner_pid, 0);
		kref_get(&v->kref);
		vms[(*nr_vms)++] = v;
	}
	xa_unlock(&tsmbpf_vms);
	return 0;
}

/**
 * tsmbpf_vm_bound_tdis - the TDIs bound to @vm, with a reference each
 * @vm: the VM
 * @tdis: out, up to @room TDIs, to put with tsmbpf_tdi_put()
 * @room: room in @tdis
 *
 * Return: how many were found, at most @room; a snapshot.
 * Context: process context.
 */
int tsmbpf_vm_bound_tdis(struct tsmbpf_vm *vm, struct tsmbpf_tdi **tdis,
			 int room)
{
	struct tsmbpf_tdi *t;
	unsigned long idx;
	int n = 0;

	xa_lock(&tsmbpf_tdis);
	xa_for_each(&tsmbpf_tdis, idx, t) {
		/* vm_id may name a later VM of the same id: check */
		if (READ_ONCE(t->vm) != vm)
			continue;
		if (n == room)
			break;
		kref_get(&t->kref);
		tdis[n++] = t;
	}
	xa_unlock(&tsmbpf_tdis);
	return n;
}

static void tsmbpf_tdi_release(struct kref *kref)
{
	struct tsmbpf_tdi *tdi = container_of(kref, struct tsmbpf_tdi, kref);

	if (tdi->be)
		module_put(tdi->be->owner);
	if (tdi->host)
		module_put(tdi->host->owner);
	mutex_destroy(&tdi->lock);
	kfree(tdi);
}

void tsmbpf_tdi_put(struct tsmbpf_tdi *tdi)
{
	kref_put(&tdi->kref, tsmbpf_tdi_release);
}
EXPORT_SYMBOL_GPL(tsmbpf_tdi_put);

struct tsmbpf_tdi *tsmbpf_tdi_get(u32 id)
{
	struct tsmbpf_tdi *tdi;

	xa_lock(&tsmbpf_tdis);
	tdi = xa_load(&tsmbpf_tdis, id);
	if (tdi)
		kref_get(&tdi->kref);
	xa_unlock(&tsmbpf_tdis);
	return tdi;
}
EXPORT_SYMBOL_GPL(tsmbpf_tdi_get);

/*
 * Take @tdi's lock for an operation; a destroyed TDI refuses every
 * operation.
 */
int tsmbpf_tdi_lock_live(struct tsmbpf_tdi *tdi)
{
	mutex_lock(&tdi->lock);
	if (unlikely(tdi->dead)) {
		tsmbpf_tdi_unlock(tdi);
		return -ENOENT;
	}
	return 0;
}

/*
 * The policy callback the current task is running on a TDI, for
 * tsmbpf_error().  A scan of every TDI: only the error path pays for it,
 * the callbacks themselves only set two fields of their TDI.
 */
struct tsmbpf_call *tsmbpf_tdi_current_call(void)
{
	struct tsmbpf_call *call = NULL;
	struct tsmbpf_tdi *t;
	unsigned long idx;

	xa_lock(&tsmbpf_tdis);
	xa_for_each(&tsmbpf_tdis, idx, t) {
		if (READ_ONCE(t->call_task) == current) {
			call = t->call;
			break;
		}
	}
	xa_unlock(&tsmbpf_tdis);
	return call;
}

/* Serialises creates: the BDF check and the id allocation are one step. */
static DEFINE_MUTEX(tsmbpf_create_lock);

static bool tsmbpf_bdf_in_use(u32 bdf)
{
	struct tsmbpf_tdi *t;
	unsigned long idx;
	bool used = false;

	lockdep_assert_held(&tsmbpf_create_lock);
	xa_lock(&tsmbpf_tdis);
	xa_for_each(&tsmbpf_tdis, idx, t) {
		if (t->bdf == bdf && !READ_ONCE(t->dead)) {
			used = true;
			break;
		}
	}
	xa_unlock(&tsmbpf_tdis);
	return used;
}

/* Place BARs largest first so that each is naturally aligned. */
static void tsmbpf_tdi_layout(struct tsmbpf_tdi *tdi)
{
	bool placed[TSMBPF_MAX_BARS] = {};
	u64 off = 0;
	u32 n, i, big;

	for (n = 0; n < tdi->nr_bars; n++) {
		big = TSMBPF_MAX_BARS;
		for (i = 0; i < tdi->nr_bars; i++)
			if (!placed[i] && (big == TSMBPF_MAX_BARS ||
					   tdi->bar_size[i] > tdi->bar_size[big]))
				big = i;
		placed[big] = true;
		tdi->bar_off[big] = off;
		off += tdi->bar_size[big];
	}
}

static const struct tsmbpf_backend_ops *tsmbpf_backend_get(u32 platform)
{
	const struct tsmbpf_backend_ops *be;

	mutex_lock(&tsmbpf_backends_lock);
	be = tsmbpf_backends[platform];
	if (be && !try_module_get(be->owner))
		be = NULL;
	mutex_unlock(&tsmbpf_backends_lock);
	return be;
}

/*
 * Give @tdi an id and publish it.  The id is reserved first (a lookup
 * finds nothing there), the sysfs directory is added, and only then is the
 * TDI stored: no operation can reach a TDI whose directory is not there.
 * All of it runs under tsmbpf_create_lock, so two creates cannot both pass
 * the BDF check (xa_alloc may drop the xarray lock to allocate).
 */
static int tsmbpf_tdi_publish(struct tsmbpf_tdi *tdi)
{
	int ret;

	mutex_lock(&tsmbpf_create_lock);
	if (tsmbpf_bdf_in_use(tdi->bdf)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = xa_alloc(&tsmbpf_tdis, &tdi->id, NULL,
		       XA_LIMIT(1, TSMBPF_MAX_TDIS), GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto out_unlock;
	}
	ret = tsmbpf_sysfs_tdi_add(tdi);
	if (ret) {
		xa_release(&tsmbpf_tdis, tdi->id);
		goto out_unlock;
	}
	kref_get(&tdi->kref);	/* the xarray's */
	/* before the store: no operation on it can be traced before this */
	trace_tsmbpf_tdi_created(tdi);
	xa_store(&tsmbpf_tdis, tdi->id, tdi, GFP_KERNEL);
out_unlock:
	mutex_unlock(&tsmbpf_create_lock);
	return ret;
}

/**
 * tsmbpf_tdi_create - create a TDI
 * @arg: the uAPI request
 * @owner: the open file that owns it, or NULL for a global TDI
 *
 * Return: the TDI with a reference for the caller, or an ERR_PTR.
 * Context: process context.
 */
struct tsmbpf_tdi *tsmbpf_tdi_create(const struct tsmbpf_tdi_create *arg,
				     const void *owner)
{
	struct tsmbpf_tdi *tdi;
	u32 i;
	int ret;

	if (arg->platform >= TSMBPF_PLAT_NR)
		return ERR_PTR(-EINVAL);
	if (arg->flags & TSMBPF_TDI_CREATE_PCI) {
		/* the function's BARs, not the caller's */
		if (arg->nr_bars || memchr_inv(arg->bar_size, 0,
					       sizeof(arg->bar_size)))
			return ERR_PTR(-EINVAL);
	} else if (!arg->nr_bars || arg->nr_bars > TSMBPF_MAX_BARS) {
		return ERR_PTR(-EINVAL);
	}
	for (i = 0; i < arg->nr_bars && i < TSMBPF_MAX_BARS; i++) {
		u64 sz = arg->bar_size[i];

		if (sz < TSMBPF_BAR_MIN || sz > TSMBPF_BAR_MAX ||
		    !is_power_of_2(sz))
			return ERR_PTR(-ERANGE);
	}
	for (; i < TSMBPF_MAX_BARS; i++)
		if (arg->bar_size[i])
			return ERR_PTR(-EINVAL);

	tdi = kzalloc(sizeof(*tdi), GFP_KERNEL);
	if (!tdi)
		return ERR_PTR(-ENOMEM);
	tdi->platform = arg->platform;
	tdi->bdf = arg->bdf;
	tdi->devset = arg->devset;
	tdi->nr_bars = arg->nr_bars;
	memcpy(tdi->bar_size, arg->bar_size, sizeof(tdi->bar_size));
	tdi->state = TSMBPF_TDISP_CONFIG_UNLOCKED;
	tdi->res = TSMBPF_RES_SHARED_MMIO;
	tdi->owner = owner;
	mutex_init(&tdi->lock);
	kref_init(&tdi->kref);	/* the caller's */

	tdi->be = tsmbpf_backend_get(arg->platform);
	if (!tdi->be) {
		pr_warn_ratelimited("no %s firmware backend: load tsmbpf_emu.ko\n",
				    tsmbpf_platform_name(arg->platform));
		tsmbpf_tdi_put(tdi);
		return ERR_PTR(-ENODEV);
	}
	if (arg->flags & TSMBPF_TDI_CREATE_PCI) {
		ret = tsmbpf_host_attach(tdi, arg->bdf);
		if (ret) {
			tsmbpf_tdi_put(tdi);
			return ERR_PTR(ret);
		}
	}
	tsmbpf_tdi_layout(tdi);
	ret = tsmbpf_tdi_publish(tdi);
	if (ret) {
		tsmbpf_host_detach(tdi);
		tsmbpf_tdi_put(tdi);
		return ERR_PTR(ret);
	}
	return tdi;
}

/**
 * tsmbpf_tdi_destroy - destroy @tdi
 * @tdi: the TDI, referenced by the caller
 *
 * Return: 0, -EBUSY while it is bound, -ENOENT if it was destroyed
 * already.
 * Context: process context.
 */
int tsmbpf_tdi_destroy(struct tsmbpf_tdi *tdi)
{
	int ret = 0;

	mutex_lock(&tdi->lock);
	if (tdi->dead)
		ret = -ENOENT;
	else if (tdi->vm)
		ret = -EBUSY;
	else
		tdi->dead = true;
	tsmbpf_tdi_unlock(tdi);
	if (ret)
		return ret;
	tsmbpf_host_detach(tdi);
	/* waits for sysfs readers: not under tdi->lock */
	tsmbpf_sysfs_tdi_del(tdi);
	/* before the erase: its id cannot be a new TDI's yet */
	trace_tsmbpf_tdi_destroyed(tdi);
	xa_cmpxchg(&tsmbpf_tdis, tdi->id, tdi, NULL, 0);
	tsmbpf_tdi_put(tdi);	/* the xarray's reference */
	return 0;
}

int tsmbpf_tdi_destroy_id(u32 id)
{
	struct tsmbpf_tdi *tdi;
	int ret;

	tdi = tsmbpf_tdi_get(id);
	if (!tdi)
		return -ENOENT;
	ret = tsmbpf_tdi_destroy(tdi);
	tsmbpf_tdi_put(tdi);
	return ret;
}

/*
 * Live objects of @xa.  Under the xarray lock, so that an entry is not
 * freed while it is looked at (a destroy erases, then puts).
 */
static u64 tsmbpf_nr_live(struct xarray *xa, u32 *ids, u32 room)
{
	unsigned long idx;
	void *entry;
	u64 n = 0;
	bool dead;

	xa_lock(xa);
	xa_for_each(xa, idx, entry) {
		if (xa == &tsmbpf_vms)
			dead = READ_ONCE(((struct tsmbpf_vm *)entry)->dead);
		else
			dead = READ_ONCE(((struct tsmbpf_tdi *)entry)->dead);
		if (dead)
			continue;
		if (n < room)
			ids[n] = idx;
		n++;
	}
	xa_unlock(xa);
	return n;
}

u64 tsmbpf_nr_vms(void)
{
	return tsmbpf_nr_live(&tsmbpf_vms, NULL, 0);
}

u64 tsmbpf_nr_tdis(void)
{
	return tsmbpf_nr_live(&tsmbpf_tdis, NULL, 0);
}

int tsmbpf_list(u32 what, u32 *ids, u32 room, u32 *count)
{
	if (what == TSMBPF_LIST_VMS)
		*count = tsmbpf_nr_live(&tsmbpf_vms, ids, room);
	else if (what == TSMBPF_LIST_TDIS)
		*count = tsmbpf_nr_live(&tsmbpf_tdis, ids, room);
	else
		return -EINVAL;
	return 0;
}

static DEFINE_MUTEX(tsmbpf_host_lock);
static const struct tsmbpf_host_ops *tsmbpf_host;

/**
 * tsmbpf_host_register - make a host driver's PCI functions available
 * @ops: the driver
 *
 * Return: 0, or -EBUSY if another host driver is registered.
 * Context: process context.
 */
int tsmbpf_host_register(const struct tsmbpf_host_ops *ops)
{
	int ret = 0;

	mutex_lock(&tsmbpf_host_lock);
	if (tsmbpf_host)
		ret = -EBUSY;
	else
		tsmbpf_host = ops;
	mutex_unlock(&tsmbpf_host_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(tsmbpf_host_register);

/*
 * The TDIs of its functions pin the driver's module: none exists when it
 * unregisters.
 */
void tsmbpf_host_unregister(const struct tsmbpf_host_ops *ops)
{
	mutex_lock(&tsmbpf_host_lock);
	if (tsmbpf_host == ops)
		tsmbpf_host = NULL;
	mutex_unlock(&tsmbpf_host_lock);
}
EXPORT_SYMBOL_GPL(tsmbpf_host_unregister);

void tsmbpf_tdi_hold(struct tsmbpf_tdi *tdi)
{
	kref_get(&tdi->kref);
}
EXPORT_SYMBOL_GPL(tsmbpf_tdi_hold);

/* The host driver, its module pinned, or NULL. */
static const struct tsmbpf_host_ops *tsmbpf_host_get(void)
{
	const struct tsmbpf_host_ops *host;

	mutex_lock(&tsmbpf_host_lock);
	host = tsmbpf_host;
	if (host && !try_module_get(host->owner))
		host = NULL;
	mutex_unlock(&tsmbpf_host_lock);
	return host;
}

/* A TDI being created stands for the PCI function at @bdf. */
int tsmbpf_host_attach(struct tsmbpf_tdi *tdi, u32 bdf)
{
	const struct tsmbpf_host_ops *host = tsmbpf_host_get();
	int ret;

	if (!host) {
		pr_warn_ratelimited("no host driver for PCI functions: load tsmbpf_vfio_pci.ko\n");
		return -ENXIO;
	}
	ret = host->attach(bdf, tdi);
	if (ret) {
		module_put(host->owner);
		return ret;
	}
	tdi->host = host;	/* pinned until the TDI is released */
	return 0;
}

/* The TDI was destroyed: its function is free for another. */
void tsmbpf_host_detach(struct tsmbpf_tdi *tdi)
{
	if (tdi->host && READ_ONCE(tdi->host_data))
		tdi->host->detach(tdi);
}

/* The steps that turn the MMIO private or shared again call this. */
void tsmbpf_host_mmio(struct tsmbpf_tdi *tdi, bool private)
{
	lockdep_assert_held(&tdi->lock);
	if (!tdi->host || READ_ONCE(tdi->host_private) == private)
		return;
	WRITE_ONCE(tdi->host_private, private);
	if (tdi->host_data)
		tdi->host->mmio_private(tdi, private);
}

/* mmio_unmap revokes the function's dma-bufs, mmio_recover restores them. */
void tsmbpf_host_revoke(struct tsmbpf_tdi *tdi, bool revoke)
{
	lockdep_assert_held(&tdi->lock);
	if (tdi->host && tdi->host_data && tdi->host->mmio_revoke)
		tdi->host->mmio_revoke(tdi, revoke);
}

/* The TDI whose function exported @dmabuf, referenced, or an ERR_PTR. */
struct tsmbpf_tdi *tsmbpf_host_dmabuf_tdi(struct dma_buf *dmabuf)
{
	const struct tsmbpf_host_ops *host = tsmbpf_host_get();
	struct tsmbpf_tdi *tdi;

	if (!host)
		return ERR_PTR(-EINVAL);	/* then no exporter of ours */
	tdi = host->dmabuf_tdi ? host->dmabuf_tdi(dmabuf) : ERR_PTR(-EINVAL);
	module_put(host->owner);
	return tdi;
}

/**
 * tsmbpf_host_gone - the PCI function of @tdi was removed
 * @tdi: the TDI, unbound by the removal's gate
 *
 * The TDI stays, for the operator to see and destroy, but refuses binds.
 * Context: process context.
 */
void tsmbpf_host_gone(struct tsmbpf_tdi *tdi)
{
	mutex_lock(&tdi->lock);
	WRITE_ONCE(tdi->host_data, NULL);
	WRITE_ONCE(tdi->host_private, false);
	tsmbpf_tdi_unlock(tdi);
}
EXPORT_SYMBOL_GPL(tsmbpf_host_gone);

/*
 * At module exit no object can exist (a TDI pins its backend, which
 * depends on this module; a policy pins the module): this only guards
 * against leaks.
 */
void tsmbpf_objects_exit(void)
{
	struct tsmbpf_tdi *tdi;
	struct tsmbpf_vm *vm;
	unsigned long idx;

	xa_for_each(&tsmbpf_tdis, idx, tdi) {
		WARN_ON_ONCE(tdi->vm);
		WRITE_ONCE(tdi->dead, true);
		tsmbpf_sysfs_tdi_del(tdi);
		xa_erase(&tsmbpf_tdis, idx);
		tsmbpf_tdi_put(tdi);
	}
	xa_for_each(&tsmbpf_vms, idx, vm) {
		tsmbpf_mmio_release_all(vm);
		xa_erase(&tsmbpf_vms, idx);
		tsmbpf_vm_put(vm);
	}
}
