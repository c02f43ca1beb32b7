// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf core: VMs, TDIs, the TDISP state machine, the steps of bind and
 * unbind and the native fallback sequences.
 *
 * Every step goes through tsmbpf_step(), whether the native sequence or a
 * BPF policy (through a kfunc) asks for it.  After a policy's unbind the
 * core checks that the TDI is fully torn down and finishes the job with the
 * native sequence if it is not: no policy can leave a TDI half done.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "tsmbpf.h"

struct tsmbpf_counters tsmbpf_stats;

static DEFINE_XARRAY_ALLOC1(tsmbpf_vms);
static DEFINE_XARRAY_ALLOC1(tsmbpf_tdis);

static void tsmbpf_vm_release(struct kref *kref)
{
	kfree(container_of(kref, struct tsmbpf_vm, kref));
}

void tsmbpf_vm_put(struct tsmbpf_vm *vm)
{
	kref_put(&vm->kref, tsmbpf_vm_release);
}

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

struct tsmbpf_vm *tsmbpf_vm_create(void)
{
	struct tsmbpf_vm *vm;
	int ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	kref_init(&vm->kref);
	atomic_set(&vm->nr_bound, 0);
	ret = xa_alloc(&tsmbpf_vms, &vm->id, vm, xa_limit_31b, GFP_KERNEL);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}
	return vm;
}

int tsmbpf_vm_destroy(u32 id)
{
	struct tsmbpf_vm *vm;
	int ret = 0;

	xa_lock(&tsmbpf_vms);
	vm = xa_load(&tsmbpf_vms, id);
	if (!vm)
		ret = -ENOENT;
	else if (atomic_read(&vm->nr_bound))
		ret = -EBUSY;	/* TDX refuses to destroy a TD with TDIs */
	else
		__xa_erase(&tsmbpf_vms, id);
	xa_unlock(&tsmbpf_vms);
	if (!ret)
		tsmbpf_vm_put(vm);
	return ret;
}

static void tsmbpf_tdi_release(struct kref *kref)
{
	struct tsmbpf_tdi *tdi = container_of(kref, struct tsmbpf_tdi, kref);

	mutex_destroy(&tdi->lock);
	kfree(tdi);
}

void tsmbpf_tdi_put(struct tsmbpf_tdi *tdi)
{
	kref_put(&tdi->kref, tsmbpf_tdi_release);
}

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

#define TSMBPF_BAR_MIN	SZ_4K
#define TSMBPF_BAR_MAX	(1ULL << 40)

static bool tsmbpf_bdf_in_use(u32 bdf)
{
	struct tsmbpf_tdi *t;
	unsigned long idx;

	lockdep_assert_held(&tsmbpf_tdis.xa_lock);
	xa_for_each(&tsmbpf_tdis, idx, t)
		if (t->bdf == bdf)
			return true;
	return false;
}

struct tsmbpf_tdi *tsmbpf_tdi_create(const struct tsmbpf_tdi_create *arg)
{
	struct tsmbpf_tdi *tdi;
	u32 i;
	int ret;

	if (arg->platform >= TSMBPF_PLAT_NR)
		return ERR_PTR(-EINVAL);
	if (!arg->nr_bars || arg->nr_bars > TSMBPF_MAX_BARS)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < TSMBPF_MAX_BARS; i++) {
		u64 sz = arg->bar_size[i];

		if (i >= arg->nr_bars) {
			if (sz)
				return ERR_PTR(-EINVAL);
			continue;
		}
		if (sz < TSMBPF_BAR_MIN || sz > TSMBPF_BAR_MAX ||
		    !is_power_of_2(sz))
			return ERR_PTR(-EINVAL);
	}

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
	mutex_init(&tdi->lock);
	kref_init(&tdi->kref);

	xa_lock(&tsmbpf_tdis);
	if (tsmbpf_bdf_in_use(arg->bdf))
		ret = -EEXIST;
	else
		ret = __xa_alloc(&tsmbpf_tdis, &tdi->id, tdi, xa_limit_31b,
				 GFP_KERNEL);
	xa_unlock(&tsmbpf_tdis);
	if (ret) {
		tsmbpf_tdi_put(tdi);
		return ERR_PTR(ret);
	}
	return tdi;
}

int tsmbpf_tdi_destroy(u32 id)
{
	struct tsmbpf_tdi *tdi;
	int ret = 0;

	tdi = tsmbpf_tdi_get(id);
	if (!tdi)
		return -ENOENT;
	mutex_lock(&tdi->lock);
	if (tdi->vm) {
		ret = -EBUSY;
	} else if (xa_erase(&tsmbpf_tdis, id) != tdi) {
		ret = -ENOENT;	/* lost a race with another destroy */
	} else {
		tsmbpf_tdi_put(tdi);	/* the xarray's reference */
	}
	mutex_unlock(&tdi->lock);
	tsmbpf_tdi_put(tdi);
	return ret;
}

u64 tsmbpf_nr_vms(void)
{
	struct tsmbpf_vm *vm;
	unsigned long idx;
	u64 n = 0;

	xa_for_each(&tsmbpf_vms, idx, vm)
		n++;
	return n;
}

u64 tsmbpf_nr_tdis(void)
{
	struct tsmbpf_tdi *tdi;
	unsigned long idx;
	u64 n = 0;

	xa_for_each(&tsmbpf_tdis, idx, tdi)
		n++;
	return n;
}

int tsmbpf_list(u32 what, u32 *ids, u32 room, u32 *count)
{
	struct xarray *xa;
	unsigned long idx;
	void *entry;
	u32 n = 0;

	if (what == TSMBPF_LIST_VMS)
		xa = &tsmbpf_vms;
	else if (what == TSMBPF_LIST_TDIS)
		xa = &tsmbpf_tdis;
	else
		return -EINVAL;

	xa_for_each(xa, idx, entry) {
		if (n < room)
			ids[n] = idx;
		n++;
	}
	*count = n;
	return 0;
}

static u64 tsmbpf_tdi_mmio_pages(const struct tsmbpf_tdi *tdi)
{
	u64 pages = 0;
	u32 i;

	for (i = 0; i < tdi->nr_bars; i++)
		pages += tdi->bar_size[i] >> PAGE_SHIFT;
	return pages;
}

/*
 * tsmbpf_step - perform one step of bind or unbind on @tdi
 *
 * The TDISP rules that hold on every platform are checked here; the
 * platform firmware's ordering rules are the backend's.  Returns 0 or a
 * negative errno, with the platform code in @fw_error.
 *
 * Context: process context, @tdi->lock held.
 */
int tsmbpf_step(struct tsmbpf_tdi *tdi, u32 step, u32 *fw_error)
{
	lockdep_assert_held(&tdi->lock);

	*fw_error = TSMBPF_FW_OK;
	atomic64_inc(&tsmbpf_stats.fw_calls);

	switch (step) {
	case TSMBPF_STEP_TDI_LOCK:
		if (tdi->state != TSMBPF_TDISP_CONFIG_UNLOCKED)
			goto bad_state;
		tdi->state = TSMBPF_TDISP_CONFIG_LOCKED;
		tdi->res |= TSMBPF_RES_METADATA;
		tdi->nonce = get_random_u64() | 1;
		break;
	case TSMBPF_STEP_MMIO_MAP:
		if (tdi->state != TSMBPF_TDISP_CONFIG_LOCKED)
			goto bad_state;
		tdi->res &= ~TSMBPF_RES_SHARED_MMIO;
		tdi->mmio_pages = tsmbpf_tdi_mmio_pages(tdi);
		break;
	case TSMBPF_STEP_DMA_SETUP:
		if (tdi->state != TSMBPF_TDISP_CONFIG_LOCKED)
			goto bad_state;
		tdi->res |= TSMBPF_RES_DMA;
		break;
	case TSMBPF_STEP_ACCEPT:
		if (tdi->state != TSMBPF_TDISP_CONFIG_LOCKED)
			goto bad_state;
		tdi->res |= TSMBPF_RES_ACCEPTED;
		break;
	case TSMBPF_STEP_TDI_START:
		if (tdi->state != TSMBPF_TDISP_CONFIG_LOCKED ||
		    !(tdi->res & TSMBPF_RES_ACCEPTED))
			goto bad_state;
		tdi->state = TSMBPF_TDISP_RUN;
		break;
	case TSMBPF_STEP_TDI_STOP:
		tdi->state = TSMBPF_TDISP_CONFIG_UNLOCKED;
		tdi->res &= ~TSMBPF_RES_ACCEPTED;
		break;
	case TSMBPF_STEP_MMIO_UNMAP:
		tdi->mmio_pages = 0;
		break;
	case TSMBPF_STEP_DMA_TEARDOWN:
		tdi->res &= ~TSMBPF_RES_DMA;
		break;
	case TSMBPF_STEP_TDI_RECLAIM:
		if (tdi->state != TSMBPF_TDISP_CONFIG_UNLOCKED &&
		    tdi->state != TSMBPF_TDISP_ERROR)
			goto bad_state;
		tdi->res &= ~TSMBPF_RES_METADATA;
		tdi->state = TSMBPF_TDISP_CONFIG_UNLOCKED;
		break;
	case TSMBPF_STEP_MMIO_RECOVER:
		if (tdi->state != TSMBPF_TDISP_CONFIG_UNLOCKED ||
		    tdi->mmio_pages)
			goto bad_state;
		tdi->res |= TSMBPF_RES_SHARED_MMIO;
		break;
	default:
		return -EINVAL;
	}
	return 0;

bad_state:
	atomic64_inc(&tsmbpf_stats.fw_refused);
	return -EPERM;
}

/*
 * tsmbpf_tdi_torn_down - the invariant every unbind must leave behind:
 * CONFIG_UNLOCKED, no private MMIO mapped, no trusted DMA entry and the
 * firmware metadata reclaimed.
 */
bool tsmbpf_tdi_torn_down(const struct tsmbpf_tdi *tdi)
{
	return tdi->state == TSMBPF_TDISP_CONFIG_UNLOCKED && !tdi->mmio_pages &&
	       !(tdi->res & (TSMBPF_RES_DMA | TSMBPF_RES_METADATA));
}

/* Native unbind orders, DESIGN.md section 1. */
static const u32 tsmbpf_native_order[TSMBPF_PLAT_NR][4] = {
	[TSMBPF_PLAT_TDX] = { TSMBPF_STEP_TDI_STOP, TSMBPF_STEP_MMIO_UNMAP,
			      TSMBPF_STEP_DMA_TEARDOWN, TSMBPF_STEP_TDI_RECLAIM },
	[TSMBPF_PLAT_SEV_TIO] = { TSMBPF_STEP_TDI_STOP, TSMBPF_STEP_MMIO_UNMAP,
				  TSMBPF_STEP_DMA_TEARDOWN,
				  TSMBPF_STEP_TDI_RECLAIM },
	[TSMBPF_PLAT_CCA] = { TSMBPF_STEP_MMIO_UNMAP, TSMBPF_STEP_DMA_TEARDOWN,
			      TSMBPF_STEP_TDI_STOP, TSMBPF_STEP_TDI_RECLAIM },
};

static bool tsmbpf_step_done(const struct tsmbpf_tdi *tdi, u32 step)
{
	switch (step) {
	case TSMBPF_STEP_TDI_STOP:
		return tdi->state == TSMBPF_TDISP_CONFIG_UNLOCKED;
	case TSMBPF_STEP_MMIO_UNMAP:
		return !tdi->mmio_pages;
	case TSMBPF_STEP_DMA_TEARDOWN:
		return !(tdi->res & TSMBPF_RES_DMA);
	case TSMBPF_STEP_TDI_RECLAIM:
		return !(tdi->res & TSMBPF_RES_METADATA);
	}
	return true;
}

/**
 * tsmbpf_native_unbind - the built-in teardown of @tdi's platform
 * @tdi: the TDI
 *
 * Runs the platform's order from wherever the TDI stands, skipping steps
 * already done, so it also completes what a policy left half done.
 *
 * Context: process context, @tdi->lock held.
 */
void tsmbpf_native_unbind(struct tsmbpf_tdi *tdi)
{
	const u32 *order = tsmbpf_native_order[tdi->platform];
	u32 fw_error;
	int i, ret;

	lockdep_assert_held(&tdi->lock);
	for (i = 0; i < ARRAY_SIZE(tsmbpf_native_order[0]); i++) {
		if (tsmbpf_step_done(tdi, order[i]))
			continue;
		ret = tsmbpf_step(tdi, order[i], &fw_error);
		if (ret) {
			tdi->last_fw_error = fw_error;
			pr_err("tdi %u: native step %u failed: %d (fw %#x)\n",
			       tdi->id, order[i], ret, fw_error);
		}
	}
}

static void tsmbpf_tdi_detach_vm(struct tsmbpf_tdi *tdi)
{
	atomic_dec(&tdi->vm->nr_bound);
	tsmbpf_vm_put(tdi->vm);
	tdi->vm = NULL;
	tdi->vbdf = 0;
	tdi->viommu = TSMBPF_VIOMMU_NONE;
}

int tsmbpf_tdi_bind(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm, u32 vbdf,
		    u32 viommu, u64 *nonce, u32 *fw_error)
{
	static const u32 steps[] = { TSMBPF_STEP_TDI_LOCK,
				     TSMBPF_STEP_MMIO_MAP,
				     TSMBPF_STEP_DMA_SETUP };
	int i, ret = 0;

	*fw_error = TSMBPF_FW_OK;
	if (viommu > TSMBPF_VIOMMU_SMMUV3)
		return -EINVAL;
	/* A vIOMMU that translates only T=0 traffic cannot carry a TDI. */
	if (viommu == TSMBPF_VIOMMU_SMMUV3)
		return -EOPNOTSUPP;

	mutex_lock(&tdi->lock);
	if (tdi->vm) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!tsmbpf_tdi_torn_down(tdi)) {
		ret = -EBADFD;
		goto out_unlock;
	}
	kref_get(&vm->kref);
	atomic_inc(&vm->nr_bound);
	tdi->vm = vm;
	tdi->vbdf = vbdf;
	tdi->viommu = viommu;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		ret = tsmbpf_step(tdi, steps[i], fw_error);
		if (ret)
			goto err_undo;
	}
	*nonce = tdi->nonce;
	tdi->binds++;
	atomic64_inc(&tsmbpf_stats.binds);
	goto out_unlock;

err_undo:
	tdi->last_fw_error = *fw_error;
	tsmbpf_native_unbind(tdi);
	if (!(tdi->res & TSMBPF_RES_SHARED_MMIO))
		tsmbpf_step(tdi, TSMBPF_STEP_MMIO_RECOVER, &(u32){0});
	tsmbpf_tdi_detach_vm(tdi);
out_unlock:
	mutex_unlock(&tdi->lock);
	return ret;
}

int tsmbpf_tdi_accept(struct tsmbpf_tdi *tdi, u64 nonce, u32 *fw_error)
{
	int ret;

	mutex_lock(&tdi->lock);
	if (!tdi->vm) {
		ret = -ENOTCONN;
		goto out_unlock;
	}
	ret = tsmbpf_step(tdi, TSMBPF_STEP_ACCEPT, fw_error);
	if (ret)
		goto out_unlock;
	if (nonce != tdi->nonce) {
		ret = -EPERM;
		goto out_unlock;
	}
	ret = tsmbpf_step(tdi, TSMBPF_STEP_TDI_START, fw_error);
out_unlock:
	if (ret)
		tdi->last_fw_error = *fw_error;
	mutex_unlock(&tdi->lock);
	return ret;
}

/**
 * tsmbpf_tdi_unbind - tear @tdi down and leave it shared
 * @tdi: the TDI
 * @reason: enum tsmbpf_unbind_reason
 * @fw_error: out, the last platform error seen
 *
 * The policy attached to the TDI's platform sequences the teardown; with
 * none, or when the policy leaves the TDI half done, the native sequence
 * does.  Either way the TDI ends CONFIG_UNLOCKED and shared.
 */
int tsmbpf_tdi_unbind(struct tsmbpf_tdi *tdi, u32 reason, u32 *fw_error)
{
	bool ran = false;
	int ret = 0;

	*fw_error = TSMBPF_FW_OK;
	if (reason >= TSMBPF_UNBIND_REASON_NR)
		return -EINVAL;

	mutex_lock(&tdi->lock);
	if (!tdi->vm) {
		ret = -ENOTCONN;
		goto out_unlock;
	}

	tsmbpf_policy_unbind(tdi, reason, &ran);
	if (ran && tsmbpf_tdi_torn_down(tdi)) {
		atomic64_inc(&tsmbpf_stats.unbinds_policy);
	} else {
		tsmbpf_native_unbind(tdi);
		atomic64_inc(&tsmbpf_stats.unbinds_native);
	}
	if (!(tdi->res & TSMBPF_RES_SHARED_MMIO))
		tsmbpf_step(tdi, TSMBPF_STEP_MMIO_RECOVER, fw_error);
	*fw_error = tdi->last_fw_error;

	tsmbpf_tdi_detach_vm(tdi);
	tdi->unbinds++;
	atomic64_inc(&tsmbpf_stats.unbinds);
out_unlock:
	mutex_unlock(&tdi->lock);
	return ret;
}

void tsmbpf_core_exit(void)
{
	struct tsmbpf_tdi *tdi;
	struct tsmbpf_vm *vm;
	unsigned long idx;

	/* No policy can be attached here: it pins the module. */
	xa_for_each(&tsmbpf_tdis, idx, tdi) {
		mutex_lock(&tdi->lock);
		if (tdi->vm) {
			tsmbpf_native_unbind(tdi);
			tsmbpf_tdi_detach_vm(tdi);
		}
		mutex_unlock(&tdi->lock);
		xa_erase(&tsmbpf_tdis, idx);
		tsmbpf_tdi_put(tdi);
	}
	xa_for_each(&tsmbpf_vms, idx, vm) {
		xa_erase(&tsmbpf_vms, idx);
		tsmbpf_vm_put(vm);
	}
}
