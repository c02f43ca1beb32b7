/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmbpf core: objects shared by the core, the struct_ops glue and the
 * platform backends.
 */
#ifndef _TSMBPF_H
#define _TSMBPF_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/tsmbpf.h>

struct tsmbpf_vm {
	u32 id;
	struct kref kref;
	/* TDIs bound to this VM; destroy is refused while non-zero */
	atomic_t nr_bound;
};

/**
 * struct tsmbpf_tdi - a TEE device interface
 * @id: object id, stable for the life of the TDI
 * @platform: enum tsmbpf_platform, fixed at creation
 * @bdf: host segment:bus:device.function, TSMBPF_BDF() encoded
 * @devset: id of the set of devices a hot reset resets together
 * @nr_bars: number of BARs
 * @bar_size: size of each BAR in bytes
 * @state: TDISP state, enum tsmbpf_tdisp_state
 * @res: TSMBPF_RES_* resource bits the platform cares about
 * @mmio_pages: private MMIO 4 KiB pages mapped in the secure page table
 * @vm: VM the TDI is bound to, or NULL
 * @vbdf: guest BDF while bound
 * @viommu: vIOMMU type of the bind
 * @nonce: nonce returned by LOCK, to be echoed by START
 * @last_fw_error: last platform error seen on this TDI
 * @binds: completed binds
 * @unbinds: completed unbinds
 * @lock: serialises bind, accept, unbind and the steps of a policy
 * @kref: lifetime
 */
struct tsmbpf_tdi {
	u32 id;
	u32 platform;
	u32 bdf;
	u32 devset;
	u32 nr_bars;
	u64 bar_size[TSMBPF_MAX_BARS];
	u32 state;
	u32 res;
	u64 mmio_pages;
	struct tsmbpf_vm *vm;
	u32 vbdf;
	u32 viommu;
	u64 nonce;
	u32 last_fw_error;
	u64 binds;
	u64 unbinds;
	struct mutex lock;
	struct kref kref;
};

/* Counters, exported in sysfs and through TSMBPF_STATS. */
struct tsmbpf_counters {
	atomic64_t binds;
	atomic64_t unbinds;
	atomic64_t unbinds_native;
	atomic64_t unbinds_policy;
	atomic64_t policy_ejections;
	atomic64_t kfunc_calls;
	atomic64_t fw_calls;
	atomic64_t fw_refused;
};

extern struct tsmbpf_counters tsmbpf_stats;

/* tsmbpf_core.c */
int tsmbpf_core_init(void);
void tsmbpf_core_exit(void);
struct tsmbpf_vm *tsmbpf_vm_create(void);
int tsmbpf_vm_destroy(u32 id);
struct tsmbpf_vm *tsmbpf_vm_get(u32 id);
void tsmbpf_vm_put(struct tsmbpf_vm *vm);
struct tsmbpf_tdi *tsmbpf_tdi_create(const struct tsmbpf_tdi_create *arg);
int tsmbpf_tdi_destroy(u32 id);
struct tsmbpf_tdi *tsmbpf_tdi_get(u32 id);
void tsmbpf_tdi_put(struct tsmbpf_tdi *tdi);
int tsmbpf_tdi_bind(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm, u32 vbdf,
		    u32 viommu, u64 *nonce, u32 *fw_error);
int tsmbpf_tdi_accept(struct tsmbpf_tdi *tdi, u64 nonce, u32 *fw_error);
int tsmbpf_tdi_unbind(struct tsmbpf_tdi *tdi, u32 reason, u32 *fw_error);
int tsmbpf_list(u32 what, u32 *ids, u32 room, u32 *count);
u64 tsmbpf_nr_vms(void);
u64 tsmbpf_nr_tdis(void);
int tsmbpf_step(struct tsmbpf_tdi *tdi, u32 step, u32 *fw_error);
void tsmbpf_native_unbind(struct tsmbpf_tdi *tdi);
bool tsmbpf_tdi_torn_down(const struct tsmbpf_tdi *tdi);

/* tsmbpf_struct_ops.c */
struct bpf_prog;
int tsmbpf_struct_ops_init(void);
bool tsmbpf_prog_is_policy(const struct bpf_prog *prog);
u64 tsmbpf_policy_generation(void);
int tsmbpf_policy_unbind(struct tsmbpf_tdi *tdi, u32 reason, bool *ran);
ssize_t tsmbpf_policy_show(char *buf);

/* tsmbpf_kfuncs.c */
int tsmbpf_kfuncs_init(void);

/* tsmbpf_main.c */
int tsmbpf_sysfs_init(void);
void tsmbpf_sysfs_exit(void);

#endif /* _TSMBPF_H */
