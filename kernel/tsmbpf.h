/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmbpf core: objects shared by the core, the struct_ops glue and the
 * platform backends.
 */
#ifndef _TSMBPF_H
#define _TSMBPF_H

#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <uapi/linux/tsmbpf.h>

#include "tsmbpf_spt.h"

/*
 * Private MMIO layout.  Each bound TDI gets a 512 GiB window of guest
 * physical space in the upper half of the VM's 48-bit GPA space, and each
 * TDI owns a 512 GiB window of (emulated) host physical space.  BARs are
 * placed in a window in descending size order, so each is naturally
 * aligned and 6 x 64 GiB always fit.
 */
#define TSMBPF_WINDOW_SHIFT	39
#define TSMBPF_GPA_WINDOWS	256
#define TSMBPF_GPA_BASE		BIT_ULL(47)
#define TSMBPF_MAX_TDIS		8191
#define TSMBPF_BAR_MIN		SZ_4K
#define TSMBPF_BAR_MAX		SZ_64G

/**
 * struct tsmbpf_vm - a confidential VM (TD, SNP guest, realm)
 * @id: object id
 * @kref: lifetime
 * @nr_bound: TDIs bound; destroy is refused while non-zero.  Changed
 *	under @lock, read without it for statistics
 * @dead: destroyed: no TDI may bind to it any more
 * @lock: protects @nr_bound, @dead, @windows and the imports
 * @windows: GPA windows in use by bound TDIs
 * @imports: private MMIO imported from dma-bufs (tsmbpf_dmabuf.c)
 * @nr_imports: entries on @imports
 * @next_import: id of the next import
 * @owner: the open file that owns the VM (TSMBPF_VM_CREATE_OWNED), or
 *	NULL; compared, never dereferenced
 * @owner_pid: the process that created an owned VM
 * @spt: the VM's secure page table for private MMIO
 */
struct tsmbpf_backend_ops;
struct dma_buf;
struct device;

struct tsmbpf_vm {
	u32 id;
	struct kref kref;
	u32 nr_bound;
	bool dead;
	struct mutex lock;	/* see above */
	DECLARE_BITMAP(windows, TSMBPF_GPA_WINDOWS);
	struct list_head imports;
	u32 nr_imports;
	u32 next_import;
	const void *owner;
	pid_t owner_pid;
	struct tsmbpf_spt spt;
};

/*
 * The latency log of one hold of a TDI's lock: each step, each bind,
 * accept or unbind, and each TDISP state change, for the tsmbpf_oplog bare
 * tracepoint.  The log is written only while a program is attached to it;
 * releasing the lock (tsmbpf_tdi_unlock()) or a full log hands it over
 * and empties it, so that a tracing program runs once per operation
 * instead of once per step: it fills the latency histograms, and the
 * timeline takes the log as one record (bpf/tsmbpf_lat.h, struct
 * tsmbpf_rec_batch, which copies these entries as they are).
 */
enum tsmbpf_oplog_what {
	/* a step's is its enum tsmbpf_step; an operation's: */
	TSMBPF_OPLOG_BIND	= 0x100,
	TSMBPF_OPLOG_ACCEPT	= 0x101,
	TSMBPF_OPLOG_UNBIND	= 0x102,
	/* a TDISP state change: @fw_error = old state, @arg = new state */
	TSMBPF_OPLOG_STATE	= 0x103,
	/* entries in a log (a BPF reader sees them all through BTF) */
	TSMBPF_OPLOG_MAX	= 16,
};

/**
 * struct tsmbpf_oplog_entry - one step, operation or state change done
 * @what: enum tsmbpf_step, or enum tsmbpf_oplog_what
 * @timed: @ns is known (the log was on when it started)
 * @in_policy: a policy ran it (its name is the log's @policy)
 * @ret: its result
 * @ns: its duration
 * @end_ns: ktime_get_ns() at its end; 0 for a state change, which ends
 *	with the entry after it (the step that made it), or the hand-over
 * @fw_error: a step's firmware code; a state change's old state
 * @arg: a state change's new state
 */
struct tsmbpf_oplog_entry {
	u16 what;
	u8 timed;
	u8 in_policy;
	s32 ret;
	u64 ns;
	u64 end_ns;
	u32 fw_error;
	u32 arg;
};

/**
 * struct tsmbpf_oplog - the latency log of one hold of a TDI's lock
 * @n: entries in @e
 * @policy_id: the policy whose name @policy holds (compared, never
 *	dereferenced), NULL if none ran
 * @policy: the name of the policy that ran the entries marked in_policy
 * @e: the entries, in order
 */
struct tsmbpf_oplog {
	u32 n;
	const void *policy_id;
	char policy[TSMBPF_NAME_LEN];
	struct tsmbpf_oplog_entry e[TSMBPF_OPLOG_MAX];
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
 * @vm_id: id of @vm, 0 if none; read without @lock (sysfs)
 * @vbdf: guest BDF while bound
 * @viommu: vIOMMU type of the bind
 * @nonce: nonce returned by LOCK, to be echoed by START
 * @window: GPA window while bound
 * @bar_off: offset of each BAR in the TDI's GPA and HPA windows
 * @lazy: private MMIO is mapped by faults, not at bind
 * @fw_flags: private to the platform backend
 * @last_fw_error: last platform error seen on this TDI
 * @binds: completed binds
 * @unbinds: completed unbinds
 * @mmio_assigned: private MMIO is assigned (mmio_map done, not unmapped)
 * @cur_gen: generation of the policy (or slot table) the running operation
 *	started under; carried by trace records
 * @in_policy: a policy's bind() or unbind() is running on this TDI
 * @policy_step_err: the errno of the last step a policy's kfunc saw
 *	refused in the running callback, 0 if none
 * @call: the policy callback running on this TDI, if any
 * @call_task: the task running @call (compared, never dereferenced, by
 *	tsmbpf_error() looking for its own call)
 * @be: the platform backend, pinned for the TDI's life
 * @host: the host driver of the PCI function the TDI stands for, pinned
 *	for the TDI's life; NULL for a synthetic TDI
 * @host_data: the host driver's device, NULL once the function is gone
 * @pci_bar: PCI BAR number of each BAR of a PCI TDI
 * @host_events: host events gated on the TDI
 * @host_private: host access to the function's BARs is revoked (from
 *	mmio_map until mmio_recover); read without @lock by the host driver
 * @owner: the open file that owns the TDI (TSMBPF_TDI_CREATE_OWNED), or
 *	NULL; compared, never dereferenced
 * @dead: destroyed; every operation refuses it with -ENOENT.  Set once,
 *	under @lock, by the destroy that wins
 * @oplog: what this hold of @lock did, while tsmbpf_oplog is traced
 * @lock: serialises bind, accept, unbind and the steps of a policy
 * @kref: lifetime
 * @kobj: /sys/kernel/tsmbpf/tdis/<id>, holds a reference
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
	u32 vm_id;
	u32 vbdf;
	u32 viommu;
	u64 nonce;
	u32 window;
	u64 bar_off[TSMBPF_MAX_BARS];
	bool lazy;
	u32 fw_flags;
	u32 last_fw_error;
	u64 binds;
	u64 unbinds;
	bool mmio_assigned;
	u64 cur_gen;
	bool in_policy;
	int policy_step_err;
	struct tsmbpf_call *call;
	struct task_struct *call_task;
	const struct tsmbpf_backend_ops *be;
	const struct tsmbpf_host_ops *host;
	void *host_data;
	u32 pci_bar[TSMBPF_MAX_BARS];
	u32 host_events;
	bool host_private;
	const void *owner;
	bool dead;
	struct tsmbpf_oplog oplog;
	struct mutex lock;	/* serialises operations on the TDI */
	struct kref kref;
	struct kobject kobj;
};

void __tsmbpf_oplog_flush(struct tsmbpf_tdi *tdi);
void tsmbpf_oplog_add(struct tsmbpf_tdi *tdi, u32 what, int ret,
		      u64 start_ns, u32 fw_error, const char *policy);

/* Hand @tdi's latency log over, if it holds anything. */
static inline void tsmbpf_oplog_flush(struct tsmbpf_tdi *tdi)
{
	if (unlikely(tdi->oplog.n))
		__tsmbpf_oplog_flush(tdi);
}

/* Release @tdi's lock, handing its latency log over first. */
static inline void tsmbpf_tdi_unlock(struct tsmbpf_tdi *tdi)
{
	tsmbpf_oplog_flush(tdi);
	mutex_unlock(&tdi->lock);
}

static inline u64 tsmbpf_tdi_gpa(const struct tsmbpf_tdi *tdi, u32 bar)
{
	return TSMBPF_GPA_BASE + ((u64)tdi->window << TSMBPF_WINDOW_SHIFT) +
	       tdi->bar_off[bar];
}

static inline u64 tsmbpf_tdi_hpa(const struct tsmbpf_tdi *tdi, u32 bar)
{
	return ((u64)tdi->id << TSMBPF_WINDOW_SHIFT) + tdi->bar_off[bar];
}

/**
 * struct tsmbpf_backend_ops - a platform's firmware
 * @owner: module implementing it; pinned while TDIs of the platform exist
 * @platform: enum tsmbpf_platform served
 * @name: firmware name, e.g. "TDX module"
 * @call: the firmware call of @step on @tdi.  Checks the platform's rules
 *	against the TDI's current state and returns 0 if the step may
 *	proceed, after which the core applies it; otherwise a negative errno
 *	with the platform's code in @fw_error.  @arg is the nonce for
 *	TSMBPF_STEP_TDI_START.  May sleep (firmware latency).
 *	Context: process context, @tdi->lock held.
 * @error: the TDI entered TDISP ERROR (a host event broke it); the
 *	backend updates its own state (SEV-TIO fences the ASID's DMA).
 *	Context: process context, @tdi->lock held.
 */
struct tsmbpf_backend_ops {
	struct module *owner;
	u32 platform;
	const char *name;
	int (*call)(struct tsmbpf_tdi *tdi, u32 step, u64 arg, u32 *fw_error);
	void (*error)(struct tsmbpf_tdi *tdi);
};

int tsmbpf_backend_register(const struct tsmbpf_backend_ops *ops);
void tsmbpf_backend_unregister(const struct tsmbpf_backend_ops *ops);

/**
 * struct tsmbpf_host_ops - a host driver whose PCI functions can be TDIs
 * @owner: module implementing it; pinned while its functions have TDIs
 * @name: driver name, shown with the TDI
 * @attach: link the function at @bdf to @tdi: fill @tdi's @nr_bars,
 *	@bar_size, @pci_bar, @devset and @host_data, taking a reference on
 *	@tdi that @detach drops.  Return 0, -ENOENT if no such function is
 *	on the driver, -EBUSY if it has a TDI already, -EINVAL if it has no
 *	memory BAR, -ERANGE if a BAR is over TSMBPF_BAR_MAX.
 *	Context: process context, no tsmbpf lock held.
 * @detach: unlink @tdi from its function: the TDI was destroyed.
 *	Context: process context, no tsmbpf lock held.
 * @mmio_private: @tdi's MMIO turned private (@private true, mmio_map) or
 *	shared again (false, mmio_recover): revoke host access to the BARs
 *	(zap user mappings, refuse mmap and refaults) or restore it.
 *	Context: process context, @tdi->lock held: must not take locks the
 *	host's event paths hold while entering the gate.
 * @mmio_revoke: revoke the dma-bufs exported from @tdi's BARs (@revoke
 *	true, at mmio_unmap: dma_buf_move_notify() makes importers drop their
 *	mappings, and new attachments and maps are refused) or make them
 *	valid again (false, mmio_recover).
 *	Context: process context, @tdi->lock held; takes the dma-bufs'
 *	reservation locks.
 * @dmabuf_tdi: the TDI of the function that exported @dmabuf, with a
 *	reference, or an ERR_PTR: -EINVAL if another exporter made it,
 *	-ENODEV if its function was closed, -ENOENT if it has no TDI.
 *	Context: process context, no tsmbpf lock held.
 */
struct tsmbpf_host_ops {
	struct module *owner;
	const char *name;
	int (*attach)(u32 bdf, struct tsmbpf_tdi *tdi);
	void (*detach)(struct tsmbpf_tdi *tdi);
	void (*mmio_private)(struct tsmbpf_tdi *tdi, bool private);
	void (*mmio_revoke)(struct tsmbpf_tdi *tdi, bool revoke);
	struct tsmbpf_tdi *(*dmabuf_tdi)(struct dma_buf *dmabuf);
};

int tsmbpf_host_register(const struct tsmbpf_host_ops *ops);
void tsmbpf_host_unregister(const struct tsmbpf_host_ops *ops);

/**
 * struct tsmbpf_host_ev - a gated host event in progress
 * @event: enum tsmbpf_host_event
 * @verdict: enum tsmbpf_verdict applied
 * @rebind_vm: the VM to bind again after the event (TSMBPF_VERDICT_REBIND)
 * @vbdf: guest BDF of that bind
 * @viommu: vIOMMU type of that bind
 * @lazy: lazy MMIO mapping of that bind
 * @start_ns: ktime_get_ns() when the event was received, for its trace
 *	record; 0 if nobody traced it then
 */
struct tsmbpf_host_ev {
	u32 event;
	u32 verdict;
	u64 start_ns;
	struct tsmbpf_vm *rebind_vm;
	u32 vbdf;
	u32 viommu;
	bool lazy;
};

int tsmbpf_host_event_begin(struct tsmbpf_tdi *tdi, u32 event,
			    struct tsmbpf_host_ev *ev);
void tsmbpf_host_event_end(struct tsmbpf_tdi *tdi,
			   struct tsmbpf_host_ev *ev, int result);
void tsmbpf_host_reset_done(struct tsmbpf_tdi *tdi);
void tsmbpf_host_gone(struct tsmbpf_tdi *tdi);
void tsmbpf_tdi_hold(struct tsmbpf_tdi *tdi);

/* Counters, exported in sysfs and through TSMBPF_STATS. */
struct tsmbpf_counters {
	atomic64_t binds;
	atomic64_t unbinds;
	atomic64_t unbinds_native;
	atomic64_t unbinds_policy;
	atomic64_t unbinds_fw_fallback;
	atomic64_t policy_ejections;
	atomic64_t fw_calls;
	atomic64_t fw_refused;
	atomic64_t faults;
};

extern struct tsmbpf_counters tsmbpf_stats;

/* Firmware calls and refusals per platform and step (sysfs "steps"). */
extern atomic64_t tsmbpf_step_calls[TSMBPF_PLAT_NR][TSMBPF_STEP_NR];
extern atomic64_t tsmbpf_step_refused[TSMBPF_PLAT_NR][TSMBPF_STEP_NR];

/* tsmbpf_objects.c, tsmbpf_core.c, tsmbpf_gate.c */
void tsmbpf_objects_exit(void);
struct tsmbpf_vm *tsmbpf_vm_create(const void *owner);
int tsmbpf_vm_destroy(struct tsmbpf_vm *vm);
int tsmbpf_vm_destroy_id(u32 id);
int tsmbpf_vm_bound_tdis(struct tsmbpf_vm *vm, struct tsmbpf_tdi **tdis,
			 int room);
int tsmbpf_vm_destroy_unbind(u32 id);
int tsmbpf_vm_unbind_destroy(struct tsmbpf_vm *vm);
void tsmbpf_owner_release(const void *owner);
int tsmbpf_owned_take(const void *owner, struct tsmbpf_tdi **tdis,
		      struct tsmbpf_vm **vms, int room, int *nr_vms);
struct tsmbpf_vm *tsmbpf_vm_get(u32 id);
void tsmbpf_vm_put(struct tsmbpf_vm *vm);
struct tsmbpf_tdi *tsmbpf_tdi_create(const struct tsmbpf_tdi_create *arg,
				     const void *owner);
int tsmbpf_tdi_destroy(struct tsmbpf_tdi *tdi);
int tsmbpf_tdi_destroy_id(u32 id);
struct tsmbpf_tdi *tsmbpf_tdi_get(u32 id);
void tsmbpf_tdi_put(struct tsmbpf_tdi *tdi);
int tsmbpf_tdi_bind(struct tsmbpf_tdi *tdi, struct tsmbpf_vm *vm,
		    const struct tsmbpf_tdi_bind *arg, u64 *nonce, u32 *fw_error);
int tsmbpf_tdi_fault(struct tsmbpf_tdi *tdi, u64 gpa, u64 *mapped);
int tsmbpf_tdi_map(struct tsmbpf_tdi *tdi, u32 bar, u64 offset, u64 size,
		   u32 flags);
int tsmbpf_tdi_step_ioctl(struct tsmbpf_tdi *tdi, u32 step, u64 arg,
			  u32 *fw_error);
int tsmbpf_tdi_revoke_gate(struct tsmbpf_tdi *tdi, u32 event, u32 *verdict,
			   bool *by_policy);
int tsmbpf_tdi_accept(struct tsmbpf_tdi *tdi, u64 nonce, u32 *fw_error);
int tsmbpf_tdi_unbind(struct tsmbpf_tdi *tdi, u32 reason, u32 *fw_error);
int __tsmbpf_tdi_unbind(struct tsmbpf_tdi *tdi, u32 reason, u32 *fw_error);
int tsmbpf_tdi_lock_live(struct tsmbpf_tdi *tdi);
int tsmbpf_gate_verdict(struct tsmbpf_tdi *tdi, u32 event, u32 *verdict,
			bool *by_policy);
int tsmbpf_host_attach(struct tsmbpf_tdi *tdi, u32 bdf);
void tsmbpf_host_detach(struct tsmbpf_tdi *tdi);
void tsmbpf_host_mmio(struct tsmbpf_tdi *tdi, bool private);
void tsmbpf_host_revoke(struct tsmbpf_tdi *tdi, bool revoke);
struct tsmbpf_tdi *tsmbpf_host_dmabuf_tdi(struct dma_buf *dmabuf);

/* tsmbpf_dmabuf.c: private MMIO imported from dma-bufs */
extern struct device *tsmbpf_device;
int tsmbpf_mmio_import(struct tsmbpf_vm *vm, struct tsmbpf_mmio_import *arg);
int tsmbpf_mmio_release(struct tsmbpf_vm *vm, u32 id);
void tsmbpf_mmio_release_all(struct tsmbpf_vm *vm);
u64 tsmbpf_mmio_import_pages(struct tsmbpf_vm *vm, u64 *accepted);
int tsmbpf_mmio_import_accept(struct tsmbpf_tdi *tdi);
int tsmbpf_list(u32 what, u32 *ids, u32 room, u32 *count);
u64 tsmbpf_nr_vms(void);
u64 tsmbpf_nr_tdis(void);
int tsmbpf_step(struct tsmbpf_tdi *tdi, u32 step, u64 arg, u32 *fw_error);
int tsmbpf_tdi_device_error(struct tsmbpf_tdi *tdi);
int tsmbpf_native_unbind(struct tsmbpf_tdi *tdi, u32 *fw_error);
int tsmbpf_native_bind(struct tsmbpf_tdi *tdi, u32 *fw_error);
/* tries of a native step the firmware refuses (busy, a transient error) */
#define TSMBPF_NATIVE_TRIES	3
u32 tsmbpf_missing_step(const struct tsmbpf_tdi *tdi);
typedef void (*tsmbpf_step_observer_t)(struct tsmbpf_tdi *tdi, u32 step,
				       int result);
void tsmbpf_steps_observe(tsmbpf_step_observer_t fn);
void tsmbpf_policy_glue_init(void);
const char *tsmbpf_platform_name(u32 platform);
const char *tsmbpf_step_name(u32 step);
struct tsmbpf_call *tsmbpf_tdi_current_call(void);
bool tsmbpf_tdi_torn_down(const struct tsmbpf_tdi *tdi);

/* tsmbpf_struct_ops.c */
struct bpf_prog;
struct tsmbpf_ops;

/**
 * struct tsmbpf_policy - an attached policy
 * @ops: the struct_ops value (kdata)
 * @gen: generation, from the slot table's counter at attach or swap
 * @timeout_ms: resolved deadline of one callback
 * @deadline_ticks: whole jiffies in @timeout_ms, rounded down
 * @ejected: set once by tsmbpf_policy_eject()
 * @exited: set once by whoever calls @ops->exit()
 * @exit_info: the ejection's exit record, filled without allocating
 * @exit_work: calls exit() after an ejection, once every callback that
 *	may still be running on the policy has returned
 * @node: in the list of attached policies
 */
struct tsmbpf_policy {
	struct tsmbpf_ops *ops;
	u64 gen;
	u32 timeout_ms;
	unsigned long deadline_ticks;
	atomic_t ejected;
	atomic_t exited;
	struct tsmbpf_exit_info exit_info;
	struct work_struct exit_work;
	struct list_head node;
};

/* A policy callback in progress; see tsmbpf_call_begin(). */
struct tsmbpf_call {
	struct list_head node;
	struct tsmbpf_policy *pol;
	struct tsmbpf_tdi *tdi;
	const char *callback;
	struct task_struct *task;
	u64 start_ns;
	u64 duration_ns;	/* 0 until read; see tsmbpf_call_end() */
	unsigned long start_jiffies;
	bool error;
	char msg[TSMBPF_EXIT_MSG_LEN];
};

int tsmbpf_struct_ops_init(void);
bool tsmbpf_prog_is_policy(const struct bpf_prog *prog);
u64 tsmbpf_policy_generation(void);
struct tsmbpf_policy *tsmbpf_policy_enter(u32 platform, int *idx);
void tsmbpf_policy_exit(int idx);
bool tsmbpf_policy_watches(u32 platform, int result);
bool tsmbpf_policy_sequences(const struct tsmbpf_policy *pol);
void tsmbpf_call_register(struct tsmbpf_call *call);
void tsmbpf_call_unregister(struct tsmbpf_call *call);
u32 tsmbpf_call_verdict(struct tsmbpf_call *call);
DECLARE_PER_CPU(u64 [TSMBPF_PLAT_NR], tsmbpf_slot_calls);

/**
 * tsmbpf_call_begin - a policy callback starts
 * @call: its record, on the caller's stack
 * @pol: the policy
 * @tdi: the TDI it acts on, or NULL (init())
 * @callback: its name, for the exit record
 * @start_ns: ktime_get_ns() of the operation the callback serves, which the
 *	caller took already
 *
 * A call on a TDI registers on the TDI: tsmbpf_error() finds it there, and
 * no global lock is taken on the way into every bind and unbind.  The
 * message is written only on an error, so the record is not cleared.
 */
static inline void tsmbpf_call_begin(struct tsmbpf_call *call,
				     struct tsmbpf_policy *pol,
				     struct tsmbpf_tdi *tdi,
				     const char *callback, u64 start_ns)
{
	call->pol = pol;
	call->tdi = tdi;
	call->callback = callback;
	call->task = current;
	call->start_ns = start_ns;
	call->start_jiffies = jiffies;
	call->duration_ns = 0;
	call->error = false;
	call->msg[0] = '\0';
	if (tdi) {
		tdi->call = call;
		WRITE_ONCE(tdi->call_task, current);
		this_cpu_inc(tsmbpf_slot_calls[tdi->platform]);
	} else {
		tsmbpf_call_register(call);
	}
}

/**
 * tsmbpf_call_end - a policy callback returned
 * @call: its record
 *
 * The deadline is checked against jiffies first, which undercount the time
 * gone by less than one tick: a call that cannot be over its deadline does
 * not read the clock.
 *
 * Return: the exit kind the call deserves, TSMBPF_EXIT_NONE if none.
 */
static inline u32 tsmbpf_call_end(struct tsmbpf_call *call)
{
	if (call->tdi) {
		WRITE_ONCE(call->tdi->call_task, NULL);
		call->tdi->call = NULL;
	} else {
		tsmbpf_call_unregister(call);
	}
	if (likely(!call->error &&
		   jiffies - call->start_jiffies + 1 < call->pol->deadline_ticks))
		return TSMBPF_EXIT_NONE;
	return tsmbpf_call_verdict(call);
}

void tsmbpf_call_error(const char *msg);
void tsmbpf_policy_eject(struct tsmbpf_call *call, u32 kind, s32 ret,
			 u32 step);
int tsmbpf_policy_info(u32 platform, struct tsmbpf_policy_info *pi);
ssize_t tsmbpf_policy_show(char *buf);

/* tsmbpf_kfuncs.c */
int tsmbpf_kfuncs_init(void);
u64 tsmbpf_kfunc_calls(void);

/* tsmbpf_sysfs.c */
extern struct kobject *tsmbpf_kobj;
int tsmbpf_sysfs_init(void);
void tsmbpf_sysfs_exit(void);
int tsmbpf_sysfs_tdi_add(struct tsmbpf_tdi *tdi);
void tsmbpf_sysfs_tdi_del(struct tsmbpf_tdi *tdi);

#endif /* _TSMBPF_H */
