/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tsmbpf - policy and observability for confidential device assignment.
 *
 * Userspace API of /dev/tsmbpf.  Conventions follow VFIO: every argument
 * struct starts with @argsz (the size userspace passes, at least up to the
 * last field it knows) and @flags (unknown bits are refused with -EINVAL).
 * Every ioctl needs CAP_SYS_ADMIN.  Objects are named by id.  When the
 * platform firmware refuses a step the ioctl fails with an errno and the
 * platform's own code is returned in @fw_error (see enum tsmbpf_fw_error).
 */
#ifndef _UAPI_LINUX_TSMBPF_H
#define _UAPI_LINUX_TSMBPF_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TSMBPF_API_VERSION	1
#define TSMBPF_TYPE		'T'
#define TSMBPF_BASE		0xa0

#define TSMBPF_MAX_BARS		6
#define TSMBPF_NAME_LEN		32

/* Platforms; one policy slot each. */
enum tsmbpf_platform {
	TSMBPF_PLAT_TDX		= 0,	/* Intel TDX Connect */
	TSMBPF_PLAT_SEV_TIO	= 1,	/* AMD SEV-TIO */
	TSMBPF_PLAT_CCA		= 2,	/* Arm CCA, RMM 2.0 */
	TSMBPF_PLAT_NR,
};

/* TDISP interface states, PCIe r6 section 11. */
enum tsmbpf_tdisp_state {
	TSMBPF_TDISP_CONFIG_UNLOCKED	= 0,
	TSMBPF_TDISP_CONFIG_LOCKED	= 1,
	TSMBPF_TDISP_RUN		= 2,
	TSMBPF_TDISP_ERROR		= 3,
};

/* vIOMMU type of a bind; smmuv3 cannot carry a TSM device. */
enum tsmbpf_viommu {
	TSMBPF_VIOMMU_NONE		= 0,
	TSMBPF_VIOMMU_TSM_VTD		= 1,
	TSMBPF_VIOMMU_TSM_NO_VIOMMU	= 2,
	TSMBPF_VIOMMU_SMMUV3		= 3,
};

/* Why an unbind happens; passed to the policy's unbind(). */
enum tsmbpf_unbind_reason {
	TSMBPF_UNBIND_USER	= 0,	/* operator or VMM asked for it */
	TSMBPF_UNBIND_HOST_EVENT = 1,	/* FLR, MSE clear, D3hot, reset... */
	TSMBPF_UNBIND_VM_DESTROY = 2,
	TSMBPF_UNBIND_ERROR	= 3,	/* TDI entered ERROR */
	TSMBPF_UNBIND_REASON_NR,
};

/* Host events that revoke MMIO (VFIO); passed to revoke_gate() and event(). */
enum tsmbpf_host_event {
	TSMBPF_EV_MSE_CLEAR	= 0,	/* command register memory enable cleared */
	TSMBPF_EV_BME_CLEAR,		/* bus master enable cleared */
	TSMBPF_EV_D3HOT,		/* power state change that loses state */
	TSMBPF_EV_FLR,			/* PCIe function level reset */
	TSMBPF_EV_AF_FLR,		/* advanced features FLR */
	TSMBPF_EV_RESET,		/* VFIO_DEVICE_RESET */
	TSMBPF_EV_HOT_RESET,		/* hot reset of the device set */
	TSMBPF_EV_RUNTIME_PM,		/* runtime-PM low-power entry */
	TSMBPF_EV_CLOSE,		/* close of the device */
	TSMBPF_EV_REMOVE,		/* device removal */
	TSMBPF_EV_VM_DESTROY,		/* destroy of the VM */
	TSMBPF_EV_NR,
};

/* Verdicts of a policy's revoke_gate(). */
enum tsmbpf_verdict {
	TSMBPF_VERDICT_UNBIND	= 0,	/* unbind first, then revoke MMIO */
	TSMBPF_VERDICT_DENY	= 1,	/* refuse the host event */
	TSMBPF_VERDICT_REBIND	= 2,	/* unbind, revoke, then bind again */
	TSMBPF_VERDICT_NR,
};

/* Why a policy stopped serving its platforms (tsmbpf_exit_info.kind). */
enum tsmbpf_exit_kind {
	TSMBPF_EXIT_NONE	= 0,
	TSMBPF_EXIT_UNREG	= 1,	/* detached by the operator */
	TSMBPF_EXIT_ERROR	= 2,	/* the policy called tsmbpf_error() */
	TSMBPF_EXIT_INVARIANT	= 3,	/* left a TDI half torn down */
	TSMBPF_EXIT_TIMEOUT	= 4,	/* a callback overran timeout_ms */
	TSMBPF_EXIT_BAD_RETURN	= 5,	/* a callback returned a bad value */
	TSMBPF_EXIT_INIT	= 6,	/* init() failed */
	TSMBPF_EXIT_SWAP	= 7,	/* replaced by a link update */
	TSMBPF_EXIT_KIND_NR,
};

#define TSMBPF_EXIT_MSG_LEN	128

/* The exit record of a policy, like sched_ext's scx_exit_info. */
struct tsmbpf_exit_info {
	__u32	kind;		/* enum tsmbpf_exit_kind */
	__s32	ret;		/* the callback's return value */
	__u32	platform;	/* slot it was ejected from */
	__u32	tdi;		/* TDI the callback ran on, 0 if none */
	__u32	step;		/* first step the core had to finish */
	__u32	fw_error;	/* last firmware error on that TDI */
	__u64	generation;	/* of the policy when it ran */
	__u64	duration_ns;	/* of the callback */
	char	policy[TSMBPF_NAME_LEN];
	char	callback[16];
	char	msg[TSMBPF_EXIT_MSG_LEN];
};

/* Steps of bind and unbind, in the generic vocabulary of DESIGN.md. */
enum tsmbpf_step {
	TSMBPF_STEP_NONE	= 0,
	TSMBPF_STEP_TDI_LOCK,
	TSMBPF_STEP_MMIO_MAP,
	TSMBPF_STEP_DMA_SETUP,
	TSMBPF_STEP_ACCEPT,
	TSMBPF_STEP_TDI_START,
	TSMBPF_STEP_TDI_STOP,
	TSMBPF_STEP_MMIO_UNMAP,
	TSMBPF_STEP_DMA_TEARDOWN,
	TSMBPF_STEP_TDI_RECLAIM,
	TSMBPF_STEP_MMIO_RECOVER,
	TSMBPF_STEP_KEY_PURGE,		/* CCA, optional */
	TSMBPF_STEP_FENCE_CLEAR,	/* SEV-TIO TIO_ASID_FENCE_CLEAR */
	/*
	 * Not a firmware call: the device leaves LOCKED or RUN for ERROR, as
	 * MSE/BME clear, FLR, D3hot or link down make it (TSMBPF_TDI_STEP).
	 */
	TSMBPF_STEP_DEVICE_ERROR,
	TSMBPF_STEP_NR,
};

/*
 * Platform firmware error codes.  0 is success.  Names follow each
 * platform's firmware; tsmctl prints the name and a hint.
 */
enum tsmbpf_fw_error {
	TSMBPF_FW_OK				= 0,
	/* TDX module */
	TSMBPF_FW_TDX_DEVIF_INVALID_STATE	= 0x100,
	TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_MMIO	= 0x101,
	TSMBPF_FW_TDX_DEVIF_HAS_MAPPED_DMA	= 0x102,
	TSMBPF_FW_TDX_DEVIF_TDISP_ERROR_STATE	= 0x103,
	TSMBPF_FW_TDX_DEVIF_TDISP_OUT_REQ	= 0x104,
	TSMBPF_FW_TDX_DEVIF_BAD_NONCE		= 0x105,
	TSMBPF_FW_TDX_OPERAND_BUSY		= 0x106,
	/* AMD SEV firmware (TIO) */
	TSMBPF_FW_SEV_TIO_INVALID_STATE		= 0x200,
	TSMBPF_FW_SEV_TIO_RMP_IMMUTABLE		= 0x201,
	TSMBPF_FW_SEV_TIO_MMIO_IN_USE		= 0x202,
	TSMBPF_FW_SEV_TIO_DMA_IN_USE		= 0x203,
	TSMBPF_FW_SEV_TIO_ASID_FENCED		= 0x204,
	TSMBPF_FW_SEV_TIO_TDISP_ERROR		= 0x205,
	TSMBPF_FW_SEV_TIO_REQUEST_PENDING	= 0x206,
	TSMBPF_FW_SEV_TIO_BAD_NONCE		= 0x207,
	/* Arm RMM 2.0 */
	TSMBPF_FW_RMI_ERROR_DEVICE_STATE	= 0x300,
	TSMBPF_FW_RMI_ERROR_DEVICE_MEMORY	= 0x301,
	TSMBPF_FW_RMI_ERROR_DEVICE_DMA		= 0x302,
	TSMBPF_FW_RMI_ERROR_DEVICE_BUSY		= 0x303,
	TSMBPF_FW_RMI_ERROR_DEVICE_NONCE	= 0x304,
	/* injected by the emulator's fault knob */
	TSMBPF_FW_INJECTED			= 0xf00,
};

/* State bits of a TDI as the platform sees it (tsmbpf_tdi_info.res). */
#define TSMBPF_RES_METADATA	(1U << 0)	/* firmware metadata present */
#define TSMBPF_RES_DMA		(1U << 1)	/* trusted DMA entry present */
#define TSMBPF_RES_SHARED_MMIO	(1U << 2)	/* shared MMIO mapped */
#define TSMBPF_RES_ACCEPTED	(1U << 3)	/* guest accepted */
#define TSMBPF_RES_FENCED	(1U << 4)	/* SEV-TIO ASID DMA fence set */

#define TSMBPF_BDF(seg, bus, dev, fn) \
	(((__u32)(seg) << 16) | ((__u32)(bus) << 8) | ((dev) << 3) | (fn))

/*
 * TSMBPF_VM_CREATE_OWNED, TSMBPF_TDI_CREATE_OWNED: the object belongs to
 * the open file of /dev/tsmbpf that created it, as a KVM VM belongs to its
 * VM fd.  When the file's last reference goes (close, exit, SIGKILL), an
 * owned TDI is unbound and destroyed, and an owned VM is destroyed with
 * every TDI still bound to it unbound first (TSMBPF_VM_DESTROY_UNBIND).
 * Without the flag the object is global and named by its id, for
 * operators.
 */
#define TSMBPF_VM_CREATE_OWNED	(1U << 0)

struct tsmbpf_vm_create {
	__u32	argsz;
	__u32	flags;		/* TSMBPF_VM_CREATE_OWNED */
	__u32	vm_id;		/* out */
	__u32	__reserved;
};

/*
 * TSMBPF_VM_DESTROY_UNBIND: destroy the VM even with TDIs bound, as the
 * VMM's exit does: each bound TDI goes through the gate as a
 * TSMBPF_EV_VM_DESTROY host event (which cannot be refused) and is unbound
 * first.  Without it a VM with bound TDIs is refused with EBUSY.
 */
#define TSMBPF_VM_DESTROY_UNBIND	(1U << 0)

struct tsmbpf_vm_destroy {
	__u32	argsz;
	__u32	flags;		/* TSMBPF_VM_DESTROY_* */
	__u32	vm_id;
	__u32	__reserved;
};

/*
 * TSMBPF_TDI_CREATE_PCI: the TDI stands for the real PCI function at @bdf,
 * which must be bound to a tsmbpf host driver (tsmbpf_vfio_pci).  Its BARs
 * (the memory BARs, at least 4 KiB each) and its device set come from the
 * function: @nr_bars and @bar_size must be 0, @devset is ignored.  Host
 * events on the function (config writes, resets, power changes, close,
 * removal) are then gated by the platform's policy.
 */
#define TSMBPF_TDI_CREATE_PCI	(1U << 0)
#define TSMBPF_TDI_CREATE_OWNED	(1U << 1)	/* see TSMBPF_VM_CREATE_OWNED */

struct tsmbpf_tdi_create {
	__u32	argsz;
	__u32	flags;		/* TSMBPF_TDI_CREATE_* */
	__u32	platform;	/* enum tsmbpf_platform */
	__u32	bdf;		/* TSMBPF_BDF(); segment in bits 31:16 */
	__u32	devset;		/* devices reset together by a hot reset */
	__u32	nr_bars;	/* 1 .. TSMBPF_MAX_BARS */
	__u64	bar_size[TSMBPF_MAX_BARS]; /* power of two, 4 KiB .. 64 GiB */
	__u32	tdi_id;		/* out */
	__u32	__reserved;
};

struct tsmbpf_tdi_destroy {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	__reserved;
};

/*
 * Bind: tdi_lock, mmio_map (PENDING), dma_setup.  Guest accept follows.
 * With TSMBPF_BIND_LAZY_MMIO the private MMIO is assigned but mapped only
 * by faults (TSMBPF_TDI_FAULT) or TSMBPF_TDI_MAP, as KVM's fault path does.
 */
#define TSMBPF_BIND_LAZY_MMIO	(1U << 0)

struct tsmbpf_tdi_bind {
	__u32	argsz;
	__u32	flags;		/* TSMBPF_BIND_* */
	__u32	tdi_id;
	__u32	vm_id;
	__u32	vbdf;		/* guest BDF */
	__u32	viommu;		/* enum tsmbpf_viommu */
	__u64	nonce;		/* out: returned by LOCK, echoed by START */
	__u32	fw_error;	/* out: enum tsmbpf_fw_error */
	__u32	__reserved;
};

/* Guest accept: MMIO.ACCEPT, DMAR.ACCEPT, TDI.START with the nonce. */
struct tsmbpf_tdi_accept {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	fw_error;	/* out */
	__u64	nonce;
};

struct tsmbpf_tdi_unbind {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	reason;		/* enum tsmbpf_unbind_reason */
	__u32	fw_error;	/* out */
	__u32	__reserved;
};

struct tsmbpf_tdi_info {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	platform;	/* out ... */
	__u32	bdf;
	__u32	devset;
	__u32	state;		/* enum tsmbpf_tdisp_state */
	__u32	res;		/* TSMBPF_RES_* */
	__u32	vm_id;		/* 0: not bound */
	__u32	vbdf;
	__u32	viommu;
	__u32	nr_bars;
	__u64	bar_size[TSMBPF_MAX_BARS];
	__u64	mmio_pages;	/* private MMIO 4 KiB pages mapped */
	__u64	binds;
	__u64	unbinds;
	__u32	last_fw_error;
	__u32	__reserved;
	__u64	bar_gpa[TSMBPF_MAX_BARS]; /* guest physical base while bound */
	__u64	bar_hpa[TSMBPF_MAX_BARS]; /* host physical base */
	/* since the host drivers: */
	__u32	host_flags;	/* out: TSMBPF_TDI_HOST_* */
	__u32	host_events;	/* out: host events gated on this TDI */
	__u32	pci_bar[TSMBPF_MAX_BARS]; /* out: PCI BAR number of each BAR */
	char	driver[16];	/* out: host driver, "" for a synthetic TDI */
};

/* tsmbpf_tdi_info.host_flags */
#define TSMBPF_TDI_HOST_PCI	(1U << 0)	/* a real PCI function */
#define TSMBPF_TDI_HOST_GONE	(1U << 1)	/* its function was removed */
#define TSMBPF_TDI_HOST_PRIVATE	(1U << 2)	/* host access to its BARs revoked */
#define TSMBPF_TDI_OWNED	(1U << 3)	/* owned by an open file */

struct tsmbpf_vm_info {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	vm_id;
	__u32	nr_bound;	/* out */
	__u64	spt_pages;	/* out: secure page table pages */
	__u64	spt_leaves_4k;	/* out: 4 KiB leaf entries */
	__u64	spt_leaves_2m;	/* out: 2 MiB leaf entries */
	__u64	spt_epoch;	/* out: TLB tracking epoch */
	__u64	spt_kept_pages;	/* out: emptied table pages kept for reuse */
	__u32	nr_imports;	/* out: private MMIO dma-bufs imported */
	__u32	owner_pid;	/* out: creator of an owned VM, else 0 */
	__u64	import_pages;	/* out: 4 KiB pages the imports map */
	__u64	import_accepted; /* out: of their leaves, those accepted */
};

/*
 * One private-MMIO fault: maps one 4 KiB page or one 2 MiB block.  A GPA
 * in none of the TDI's BARs gets EFAULT, as a KVM memory fault does.
 */
struct tsmbpf_tdi_fault {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	__reserved;
	__u64	gpa;		/* faulting guest physical address */
	__u64	mapped;		/* out: bytes mapped, 0 if already mapped */
};

/* Map a range of a BAR's private MMIO (PENDING). */
#define TSMBPF_MAP_4K		(1U << 0)	/* 4 KiB leaves only */

struct tsmbpf_tdi_map {
	__u32	argsz;
	__u32	flags;		/* TSMBPF_MAP_* */
	__u32	tdi_id;
	__u32	bar;
	__u64	offset;		/* 4 KiB aligned, within the BAR */
	__u64	size;		/* 4 KiB aligned, within the BAR */
};

/*
 * Test interface: one step of enum tsmbpf_step on a TDI, in any order, so
 * that the firmware's ordering rules can be exercised.  Only when tsmbpf.ko
 * is loaded with step_ioctl=1; -EPERM otherwise.
 */
struct tsmbpf_tdi_step {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	step;		/* enum tsmbpf_step */
	__u64	arg;		/* nonce for TSMBPF_STEP_TDI_START */
	__u32	fw_error;	/* out */
	__u32	__reserved;
};

#define TSMBPF_LIST_VMS		0
#define TSMBPF_LIST_TDIS	1

struct tsmbpf_list {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	what;		/* TSMBPF_LIST_* */
	__u32	count;		/* in: room in ids; out: number of objects */
	__u64	ids;		/* pointer to __u32[count] */
};

struct tsmbpf_stats {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u64	nr_vms;
	__u64	nr_tdis;
	__u64	binds;
	__u64	unbinds;
	__u64	unbinds_native;	/* done by the native fallback */
	__u64	unbinds_policy;	/* done by an attached policy */
	__u64	policy_ejections;
	__u64	fw_calls;
	__u64	fw_refused;
	__u64	spt_pages;	/* secure page table pages, all VMs */
	__u64	faults;		/* private MMIO faults served */
	__u64	spt_kept_pages;	/* emptied table pages kept for reuse, all VMs */
	/* a policy's unbind() passed on a busy or failing firmware's refusal:
	 * the native sequence took over, the policy stayed attached
	 */
	__u64	unbinds_fw_fallback;
};

#define TSMBPF_VM_CREATE	_IO(TSMBPF_TYPE, TSMBPF_BASE + 0)
#define TSMBPF_VM_DESTROY	_IO(TSMBPF_TYPE, TSMBPF_BASE + 1)
#define TSMBPF_TDI_CREATE	_IO(TSMBPF_TYPE, TSMBPF_BASE + 2)
#define TSMBPF_TDI_DESTROY	_IO(TSMBPF_TYPE, TSMBPF_BASE + 3)
#define TSMBPF_TDI_BIND		_IO(TSMBPF_TYPE, TSMBPF_BASE + 4)
#define TSMBPF_TDI_ACCEPT	_IO(TSMBPF_TYPE, TSMBPF_BASE + 5)
#define TSMBPF_TDI_UNBIND	_IO(TSMBPF_TYPE, TSMBPF_BASE + 6)
#define TSMBPF_TDI_INFO		_IO(TSMBPF_TYPE, TSMBPF_BASE + 7)
#define TSMBPF_VM_INFO		_IO(TSMBPF_TYPE, TSMBPF_BASE + 8)
#define TSMBPF_LIST		_IO(TSMBPF_TYPE, TSMBPF_BASE + 9)
/* The policy slot of a platform and the exit record of its last policy. */
struct tsmbpf_policy_info {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	platform;	/* enum tsmbpf_platform */
	__u32	attached;	/* out: 1 if a policy holds the slot */
	__u64	generation;	/* out: of the policy in the slot */
	char	name[TSMBPF_NAME_LEN];	/* out */
	__u64	calls;		/* out: callbacks run by this slot's policies */
	struct tsmbpf_exit_info exit;	/* out: last exit on this slot */
};

/* Test interface (step_ioctl=1): ask the gate about a host event. */
struct tsmbpf_revoke_gate {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	tdi_id;
	__u32	event;		/* enum tsmbpf_host_event */
	__u32	verdict;	/* out: enum tsmbpf_verdict */
	__u32	by_policy;	/* out: 1 if a policy decided */
};

#define TSMBPF_STATS		_IO(TSMBPF_TYPE, TSMBPF_BASE + 10)
#define TSMBPF_TDI_FAULT	_IO(TSMBPF_TYPE, TSMBPF_BASE + 11)
#define TSMBPF_TDI_MAP		_IO(TSMBPF_TYPE, TSMBPF_BASE + 12)
#define TSMBPF_TDI_STEP		_IO(TSMBPF_TYPE, TSMBPF_BASE + 13)
#define TSMBPF_POLICY_INFO	_IO(TSMBPF_TYPE, TSMBPF_BASE + 14)
#define TSMBPF_REVOKE_GATE	_IO(TSMBPF_TYPE, TSMBPF_BASE + 15)

/*
 * Private MMIO as a dma-buf (seed 004: KVM maps private MMIO from a VFIO
 * dma-buf).  The VMM exports BAR ranges of a function on the variant
 * driver with VFIO_DEVICE_FEATURE_DMA_BUF (the upstream uAPI), then
 * imports the buffer into the secure page table of the VM its TDI is
 * bound to: a dynamic attachment, mapped PENDING at @gpa.  The TDI's
 * unbind revokes the buffer (mmio_unmap): the import's entries leave the
 * table and the buffer refuses attachments and maps until mmio_recover.
 * A revoked import stays until released (or its VM is destroyed) and
 * maps nothing.
 */
struct tsmbpf_mmio_import {
	__u32	argsz;
	__u32	flags;		/* TSMBPF_MAP_4K */
	__u32	vm_id;
	__s32	fd;		/* dma-buf from VFIO_DEVICE_FEATURE_DMA_BUF */
	__u64	gpa;		/* 4 KiB aligned, below TSMBPF_IMPORT_GPA_END */
	__u32	import_id;	/* out: id within the VM */
	__u32	tdi_id;		/* out: TDI of the exporting function */
	__u64	size;		/* out: bytes mapped */
};

#define TSMBPF_IMPORT_GPA_END	(1ULL << 47)	/* the TDIs' windows above */

struct tsmbpf_mmio_release {
	__u32	argsz;
	__u32	flags;		/* none defined */
	__u32	vm_id;
	__u32	import_id;
};

#define TSMBPF_MMIO_IMPORT	_IO(TSMBPF_TYPE, TSMBPF_BASE + 16)
#define TSMBPF_MMIO_RELEASE	_IO(TSMBPF_TYPE, TSMBPF_BASE + 17)

#endif /* _UAPI_LINUX_TSMBPF_H */
