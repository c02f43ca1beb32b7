// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_fuzz: a seeded fuzzer of the uAPI of /dev/tsmbpf and of the
 * vfio-pci variant driver tsmbpf_vfio_pci, run as root in the guest.
 *
 * Every call is one of the ioctls of /dev/tsmbpf, an unknown command, or
 * one operation on a real function opened through the VFIO type1
 * container (its device ioctls, each VFIO_DEVICE_FEATURE number, config
 * space reads and writes, BAR region reads, mmap and reads through the
 * mapping, close and reopen), or on a dma-buf it exported.  Arguments are
 * mostly plausible, then mutated:
 *
 *   argsz      0, under the header, minsz - 1, minsz, exact, larger, huge
 *   flags      known bits, unknown bits, garbage
 *   ids        live objects of the fuzzer's, destroyed ones, 0, max, random
 *   ranges     GPAs, BARs, offsets and sizes, steps, platforms, events,
 *              unbind reasons, vIOMMUs, dma-buf ranges
 *   pointers   the argument in a good page, misaligned, in a read-only
 *              page (copied in, not out), at the tail of a page whose next
 *              page is unmapped (the copy crosses into it), NULL, an
 *              unmapped page, a kernel address, a non-canonical one
 *
 * and mixed with valid operation sequences on live objects, so that the
 * deep paths run: a TDI bound, then accept, fault, map, step, gate and
 * unbind fuzzed on it; a function's dma-buf exported, then imported,
 * released, revoked by unbind, by a host event, by close.  A warm-up runs
 * each of those sequences once, valid, before the random calls: each of
 * its calls must succeed.
 *
 * Checks, any of which fails the run:
 *   - the program is never killed (the kernel must never fault the caller;
 *     a SIGBUS from a BAR mapping while the MMIO is private is expected and
 *     caught);
 *   - no kernel splat (BUG, WARNING, Oops, KASAN, UBSAN, lockdep,
 *     refcount, list corruption, stalls) in /dev/kmsg from the start;
 *   - sane errnos: a kernel-internal errno (>= 512) never reaches the
 *     caller; an unknown command of /dev/tsmbpf gets ENOTTY, a known one
 *     never; a bad argument pointer gets EFAULT, argsz under the minimum or
 *     an unknown flag EINVAL; an ioctl that copies out never succeeds into
 *     a read-only page; /dev/tsmbpf's ioctls return 0 on success;
 *   - an audit every few hundred calls and at the end: the objects listed
 *     are exactly the fuzzer's (none leaked by a failed call, none lost),
 *     counts agree (LIST, STATS, VM_INFO's bound TDIs and imports), and
 *     every TDI holds the TSMBPF_TDI_INFO invariants (an unbound TDI is
 *     torn down: CONFIG_UNLOCKED, no private MMIO, no DMA entry, no
 *     metadata; a VM with nothing bound maps nothing);
 *   - at the end every object it created is unbound and destroyed through
 *     the uAPI, each step succeeding, and nothing is left;
 *   - coverage: every ioctl of /dev/tsmbpf succeeded at least once, and
 *     every VFIO ioctl, feature and operation was reached.
 *
 * The fuzzing runs in a child process; the parent keeps a watchdog (no
 * call returned for -w seconds: it prints the child's kernel stack and the
 * last calls) and reports.  On a failure the last calls are printed: with
 * the seed, a replay (-s SEED -n CALLS, -v to print every call) gives the
 * same sequence of calls.
 *
 * Usage: tsmbpf_fuzz [-s SEED] [-t SECS | -n CALLS] [-j] [-v] [-w SECS]
 *                    [-g GAP] [BDF...]
 *   -s  seed (default: from the clock); printed first, "seed S"
 *   -t  seconds of random calls (default 10); -n: that many calls instead
 *   -j  a JSON summary on the last line: calls, calls per second, and per
 *       ioctl, VFIO operation and feature: calls, successes, errnos
 *   -v  print every call
 *   -w  watchdog seconds (default 60)
 *   -g  calls between two slow VFIO operations (resets, FLR, low power,
 *       reopen; default 1500), which take tens of ms each under TCG
 *   BDF functions bound to tsmbpf_vfio_pci (their IOMMU groups viable)
 *   -L  (self test) create a VM behind the fuzzer's back: the audit must
 *       fail
 *
 * Exit status: 0 if every check held, 1 if one did not, 2 on a usage or
 * set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "tsmbpf_test.h"
#include "tsmbpf_vfio.h"

#define PAGE		4096UL
#define NR_FEATURES	12		/* VFIO_DEVICE_FEATURE numbers 0..11 */
#define MAX_FNS		4
#define MAX_VMS		12
#define MAX_TDIS	24
#define MAX_IMPORTS	24
#define MAX_DMABUFS	8
#define MAX_PRE		256
#define NR_BARS		6
#define RING		32
#define AUDIT_EVERY	400

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MEMBER_END(s, m) (offsetof(struct s, m) + sizeof(((struct s *)0)->m))

/* ------------------------------------------------------------ the ops -- */

enum {
	/* /dev/tsmbpf, in the order of their numbers */
	OP_VM_CREATE, OP_VM_DESTROY, OP_TDI_CREATE, OP_TDI_DESTROY,
	OP_TDI_BIND, OP_TDI_ACCEPT, OP_TDI_UNBIND, OP_TDI_INFO, OP_VM_INFO,
	OP_LIST, OP_STATS, OP_TDI_FAULT, OP_TDI_MAP, OP_TDI_STEP,
	OP_POLICY_INFO, OP_REVOKE_GATE, OP_MMIO_IMPORT, OP_MMIO_RELEASE,
	NR_TSMBPF,
	OP_TSMBPF_UNKNOWN = NR_TSMBPF,	/* an unknown command */
	OP_TSMBPF_CLOSE,		/* close an owning fd, reopen it */
	/* the variant driver, through VFIO */
	OP_VFIO_FIRST,
	OP_GET_INFO = OP_VFIO_FIRST, OP_GET_REGION_INFO, OP_GET_IRQ_INFO,
	OP_SET_IRQS, OP_RESET, OP_HOT_RESET_INFO, OP_HOT_RESET, OP_IOEVENTFD,
	OP_VFIO_UNKNOWN, OP_CFG_READ, OP_CFG_WRITE, OP_REGION_READ, OP_MMAP,
	OP_BAR_READ, OP_DEV_REOPEN, OP_DMABUF_FD,
	OP_FEAT_FIRST,
	OP_FEAT_UNKNOWN = OP_FEAT_FIRST + NR_FEATURES,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"VM_CREATE", "VM_DESTROY", "TDI_CREATE", "TDI_DESTROY", "TDI_BIND",
	"TDI_ACCEPT", "TDI_UNBIND", "TDI_INFO", "VM_INFO", "LIST", "STATS",
	"TDI_FAULT", "TDI_MAP", "TDI_STEP", "POLICY_INFO", "REVOKE_GATE",
	"MMIO_IMPORT", "MMIO_RELEASE", "unknown_command", "close_reopen",
	"VFIO_DEVICE_GET_INFO", "VFIO_DEVICE_GET_REGION_INFO",
	"VFIO_DEVICE_GET_IRQ_INFO", "VFIO_DEVICE_SET_IRQS",
	"VFIO_DEVICE_RESET", "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
	"VFIO_DEVICE_PCI_HOT_RESET", "VFIO_DEVICE_IOEVENTFD",
	"unknown_ioctl", "config_read", "config_write", "region_read", "mmap",
	"bar_read", "close_reopen", "dmabuf_fd",
	"PCI_VF_TOKEN", "MIGRATION", "MIG_DEVICE_STATE", "LOW_POWER_ENTRY",
	"LOW_POWER_ENTRY_WITH_WAKEUP", "LOW_POWER_EXIT", "DMA_LOGGING_START",
	"DMA_LOGGING_STOP", "DMA_LOGGING_REPORT", "MIG_DATA_SIZE",
	"BUS_MASTER", "DMA_BUF", "unknown_feature",
};

struct ioc {
	unsigned long cmd;
	uint32_t size, minsz, flags;
	bool out;			/* copies its argument out on success */
};

#define IOC(n, s, last, fl, o) \
	[OP_##n] = { TSMBPF_##n, sizeof(struct s), MEMBER_END(s, last), fl, o }

static const struct ioc iocs[NR_TSMBPF] = {
	IOC(VM_CREATE, tsmbpf_vm_create, vm_id, TSMBPF_VM_CREATE_OWNED, true),
	IOC(VM_DESTROY, tsmbpf_vm_destroy, vm_id, TSMBPF_VM_DESTROY_UNBIND, false),
	IOC(TDI_CREATE, tsmbpf_tdi_create, tdi_id,
	    TSMBPF_TDI_CREATE_PCI | TSMBPF_TDI_CREATE_OWNED, true),
	IOC(TDI_DESTROY, tsmbpf_tdi_destroy, tdi_id, 0, false),
	IOC(TDI_BIND, tsmbpf_tdi_bind, fw_error, TSMBPF_BIND_LAZY_MMIO, true),
	IOC(TDI_ACCEPT, tsmbpf_tdi_accept, nonce, 0, true),
	IOC(TDI_UNBIND, tsmbpf_tdi_unbind, fw_error, 0, true),
	IOC(TDI_INFO, tsmbpf_tdi_info, tdi_id, 0, true),
	IOC(VM_INFO, tsmbpf_vm_info, vm_id, 0, true),
	IOC(LIST, tsmbpf_list, ids, 0, true),
	IOC(STATS, tsmbpf_stats, flags, 0, true),
	IOC(TDI_FAULT, tsmbpf_tdi_fault, gpa, 0, true),
	IOC(TDI_MAP, tsmbpf_tdi_map, size, TSMBPF_MAP_4K, false),
	IOC(TDI_STEP, tsmbpf_tdi_step, arg, 0, true),
	IOC(POLICY_INFO, tsmbpf_policy_info, platform, 0, true),
	IOC(REVOKE_GATE, tsmbpf_revoke_gate, event, 0, true),
	IOC(MMIO_IMPORT, tsmbpf_mmio_import, size, TSMBPF_MAP_4K, true),
	IOC(MMIO_RELEASE, tsmbpf_mmio_release, import_id, 0, false),
};

/* --------------------------------------------------- shared with parent -- */

#define ERR_SIGBUS	255		/* a BAR read that got SIGBUS */

struct opstat {
	uint64_t calls, ok;
	uint64_t errs[4];		/* bit per errno 0..255 */
};

static struct shared {
	volatile uint64_t progress;	/* calls started, for the watchdog */
	uint64_t calls;			/* calls made, warm-up included */
	uint64_t t0, t1;		/* of the random calls */
	uint64_t audits, slow, sigbus;
	struct opstat op[NR_OPS];
	volatile int failed;
	char msg[1024];
	/* broken promises that do not stop the run: reported at its end */
	uint64_t private_reads;
	char private_msg[300];
	uint32_t ring_pos;
	char ring[RING][240];
} *sh;

/* --------------------------------------------------------------- state -- */

static unsigned int seed;
static uint64_t rng;
static bool verbose, json, leak_selftest, step_ioctl = true;
static int secs = 10, watchdog = 60;
static uint64_t max_calls, slow_gap = 1500, last_slow;
static uint64_t deadline;

static int tfd[2] = { -1, -1 };		/* /dev/tsmbpf: two owning files */
static int efd = -1;			/* an eventfd, for wake-ups */

/* memory for arguments */
static uint8_t *arena;		/* a RW page, then a PROT_NONE page */
static uint8_t *ro_page;	/* read-only */
static uint8_t *hole;		/* PROT_NONE, never unmapped: no mmap reuses it */
static uint32_t *ids_buf;	/* TSMBPF_LIST: 65536 ids, then a guard */
#define IDS_MAX		65536
#define IDS_BYTES	(IDS_MAX * 4UL)

struct mvm {
	uint32_t id;
	int owner;		/* index into tfd, -1: global */
};

struct mtdi {
	uint32_t id;
	int owner;
	int fn;			/* function index, -1: synthetic */
	uint32_t bdf;
	uint64_t nonce;		/* of its last bind */
	uint32_t nr_bars;
	uint64_t bar_size[NR_BARS];
	uint64_t gpa[NR_BARS];	/* while bound by us, else 0 */
};

struct mimp {
	uint32_t vm, id;
};

static struct mvm vms[MAX_VMS];
static int nr_vms;
static struct mtdi tdis[MAX_TDIS];
static int nr_tdis;
static struct mimp imps[MAX_IMPORTS];
static int nr_imps;
static uint32_t dead_vm[8], dead_tdi[8];
static uint32_t pre_vms[MAX_PRE], pre_tdis[MAX_PRE];
static uint32_t nr_pre_vms, nr_pre_tdis;
static uint32_t next_bdf;

struct fn {
	const char *name;
	uint32_t bdf;
	int group;		/* index into groups */
	int fd;			/* -1 while closed */
	uint64_t cfg_off, cfg_size;
	struct vfio_region_info bar[NR_BARS];
	void *map[NR_BARS];
	size_t maplen[NR_BARS];
	int pm_cap, exp_cap;
	int dma_bar;		/* a mappable memory BAR, -1 if none */
};

static int container = -1;
static struct { int id, fd; } groups[MAX_FNS];
static int nr_groups;
static struct fn fns[MAX_FNS];
static int nr_fns;

struct mbuf {
	int fd, fn;
};
static struct mbuf bufs[MAX_DMABUFS];
static int nr_bufs;

/* ------------------------------------------------------------- helpers -- */

static uint64_t rnd64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? rnd64() % n : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

/* Values that sit on a boundary of some check. */
static uint64_t interesting(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 0xff, 0x1000, 0xfff, 0x1001, 0x200000, 0x1fffff,
		0x40000000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		1ULL << 36, 1ULL << 47, (1ULL << 47) - 0x1000, 1ULL << 48,
		1ULL << 63, ~0ULL, ~0ULL - 0xfff, ~0ULL << 12,
	};

	return rnd(4) ? v[rnd(ARRAY_SIZE(v))] : rnd64();
}

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void failf(const char *fmt, ...)
{
	va_list ap;

	if (sh->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
	sh->failed = 1;
}

static const char *errname(int err)
{
	const char *s;

	if (err == ERR_SIGBUS)
		return "SIGBUS";
	s = strerrorname_np(err);
	return s ? s : "E?";
}

/* A kernel-internal errno, or none at all, must never reach userspace. */
static bool errno_sane(int err)
{
	return err > 0 && err < 512 && strerrorname_np(err);
}

/* ------------------------------------------------------ call recording -- */

static char *cur;		/* the ring entry of the current call */

static void desc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void desc(const char *fmt, ...)
{
	va_list ap;
	size_t n;

	cur = sh->ring[sh->ring_pos++ % RING];
	n = snprintf(cur, sizeof(sh->ring[0]), "#%llu ",
		     (unsigned long long)sh->calls);
	va_start(ap, fmt);
	vsnprintf(cur + n, sizeof(sh->ring[0]) - n, fmt, ap);
	va_end(ap);
	sh->progress++;
}

/* Count the call's outcome (0 or an errno) and finish its ring entry. */
static void record(int op, int err)
{
	struct opstat *s = &sh->op[op];
	size_t n = strlen(cur);

	sh->calls++;
	s->calls++;
	if (!err)
		s->ok++;
	else if (err < 256)
		s->errs[err / 64] |= 1ULL << (err % 64);
	snprintf(cur + n, sizeof(sh->ring[0]) - n, " -> %s",
		 err ? errname(err) : "ok");
	if (verbose)
		printf("%s\n", cur);
	if (err && err != ERR_SIGBUS && !errno_sane(err))
		failf("%s returned errno %d, no errno userspace knows: %s",
		      op_names[op], err, cur);
}

/* -------------------------------------------------------- pointer kinds -- */

enum {
	PK_OK, PK_MISALIGNED, PK_TAIL, PK_RO, PK_NULL, PK_UNMAPPED,
	PK_KERNEL, PK_NONCANON,
};

static const char *const pk_names[] = {
	"ok", "misaligned", "tail", "ro", "null", "unmapped", "kernel",
	"noncanonical",
};

static bool pristine;		/* valid sequences: good pointers only */

static int pick_pk(void)
{
	uint32_t r = pristine ? 0 : rnd(100);

	if (r < 72)
		return PK_OK;
	if (r < 78)
		return PK_MISALIGNED;
	if (r < 86)
		return PK_TAIL;
	if (r < 92)
		return PK_RO;
	return PK_NULL + rnd(4);
}

static bool pk_bad(int kind)
{
	return kind >= PK_NULL;
}

/*
 * Put @size bytes of @buf where the pointer kind says; *@readable is how
 * many of them the kernel can reach (SIZE_MAX: all).
 */
static void *place(const void *buf, size_t size, int kind, size_t *readable)
{
	uint8_t *p;
	size_t n;

	*readable = SIZE_MAX;
	switch (kind) {
	case PK_OK:
		memcpy(arena, buf, size);
		return arena;
	case PK_MISALIGNED:
		p = arena + 1 + rnd(7);
		memcpy(p, buf, size);
		return p;
	case PK_TAIL:
		switch (rnd(4)) {
		case 0:
			n = 8;
			break;
		case 1:
			n = size ? size - 1 : 0;
			break;
		default:
			n = rnd(size + 1);
		}
		n = n > size ? size : n;
		p = arena + PAGE - n;
		memcpy(p, buf, n);
		*readable = n;
		return p;
	case PK_RO:
		mprotect(ro_page, PAGE, PROT_READ | PROT_WRITE);
		memcpy(ro_page, buf, size);
		mprotect(ro_page, PAGE, PROT_READ);
		return ro_page;
	case PK_NULL:
		*readable = 0;
		return NULL;
	case PK_UNMAPPED:
		*readable = 0;
		return hole;
	case PK_KERNEL:
		*readable = 0;
		return (void *)(rnd(2) ? 0xffffffff81000000UL :
				0xffff888000000000UL + rnd(1 << 20) * 8);
	default:
		*readable = 0;
		return (void *)(0x0000800000000000UL << rnd(8));
	}
}

/* What the kernel wrote back, into @buf. */
static void readback(void *buf, size_t size, const void *p, int kind,
		     size_t readable)
{
	if (kind == PK_OK || kind == PK_MISALIGNED)
		memcpy(buf, p, size);
	else if (kind == PK_TAIL)
		memcpy(buf, p, readable < size ? readable : size);
}

/* ------------------------------------------------------------ the model -- */

static bool is_pre(const uint32_t *pre, uint32_t n, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (pre[i] == id)
			return true;
	return false;
}

static struct mvm *vm_find(uint32_t id)
{
	int i;

	for (i = 0; i < nr_vms; i++)
		if (vms[i].id == id)
			return &vms[i];
	return NULL;
}

static struct mtdi *tdi_find(uint32_t id)
{
	int i;

	for (i = 0; i < nr_tdis; i++)
		if (tdis[i].id == id)
			return &tdis[i];
	return NULL;
}

static void imps_drop_vm(uint32_t vm)
{
	int i;

	for (i = 0; i < nr_imps;)
		if (imps[i].vm == vm)
			imps[i] = imps[--nr_imps];
		else
			i++;
}

static void vm_forget(uint32_t id)
{
	struct mvm *v = vm_find(id);

	if (!v)
		return;
	dead_vm[rnd(8)] = id;
	imps_drop_vm(id);
	*v = vms[--nr_vms];
}

static void tdi_forget(uint32_t id)
{
	struct mtdi *t = tdi_find(id);

	if (!t)
		return;
	dead_tdi[rnd(8)] = id;
	*t = tdis[--nr_tdis];
}

/* A VM or TDI id: mostly a live one of ours, else a boundary. */
static uint32_t pick_id(bool vm)
{
	uint32_t r = pristine ? 0 : rnd(100), id;
	int n = vm ? nr_vms : nr_tdis;

	if (r < 80 && n)
		return vm ? vms[rnd(n)].id : tdis[rnd(n)].id;
	if (r < 88)
		id = vm ? dead_vm[rnd(8)] : dead_tdi[rnd(8)];
	else if (r < 92)
		id = 0;
	else if (r < 95)
		id = UINT32_MAX - rnd(2);
	else
		id = rnd(3) ? rnd(64) : (uint32_t)rnd64();
	/* never a random hit on objects that were there before us */
	if (vm ? is_pre(pre_vms, nr_pre_vms, id) :
		 is_pre(pre_tdis, nr_pre_tdis, id))
		id = 0;
	return id;
}

static int pick_fdi(void)
{
	return pristine ? 0 : rnd(10) == 0;
}

/* ---------------------------------------------------- raw, unrecorded -- */

/* For the audit and the clean-up: not counted, not fuzzed. */
static int raw(unsigned long cmd, void *arg)
{
	return ioctl(tfd[0], cmd, arg) ? -errno : 0;
}

static int raw_tdi_info(uint32_t id, struct tsmbpf_tdi_info *i)
{
	memset(i, 0, sizeof(*i));
	i->argsz = sizeof(*i);
	i->tdi_id = id;
	return raw(TSMBPF_TDI_INFO, i);
}

static int raw_vm_info(uint32_t id, struct tsmbpf_vm_info *i)
{
	memset(i, 0, sizeof(*i));
	i->argsz = sizeof(*i);
	i->vm_id = id;
	return raw(TSMBPF_VM_INFO, i);
}

static int raw_list(uint32_t what, uint32_t *ids, uint32_t room,
		    uint32_t *count)
{
	struct tsmbpf_list l = { .argsz = sizeof(l), .what = what,
				 .count = room, .ids = (uintptr_t)ids };
	int ret = raw(TSMBPF_LIST, &l);

	*count = l.count;
	return ret;
}

/* -------------------------------------------------- /dev/tsmbpf calls -- */

/*
 * One ioctl of /dev/tsmbpf with @buf (argsz and flags set by the caller),
 * through a pointer of a random kind on a random owning file, with the
 * checks every such call must pass.  The result is read back into @buf.
 */
static int tsm_call(int op, void *buf, int fdi, const char *what)
{
	const struct ioc *c = &iocs[op];
	uint32_t argsz = ((uint32_t *)buf)[0], flags = ((uint32_t *)buf)[1];
	int kind = pick_pk(), err;
	size_t readable, need;
	void *p;

	p = place(buf, c->size, kind, &readable);
	desc("%s fd%d argsz=%u flags=%#x ptr=%s %s", op_names[op], fdi, argsz,
	     flags, pk_names[kind], what);
	if (kind == PK_TAIL)
		snprintf(cur + strlen(cur), sizeof(sh->ring[0]) - strlen(cur),
			 " (%zu readable)", readable);
	err = ioctl(tfd[fdi], c->cmd, p);
	if (err > 0) {
		record(op, 0);
		failf("%s returned %d, not 0: %s", op_names[op], err, cur);
		return 0;
	}
	err = err ? errno : 0;
	record(op, err);
	readback(buf, c->size, p, kind, readable);

	/* what the header alone decides */
	need = argsz < c->size ? argsz : c->size;
	if ((op == OP_TDI_STEP || op == OP_REVOKE_GATE) && !step_ioctl) {
		if (err != EPERM)
			failf("%s without step_ioctl=1: %s, not EPERM: %s",
			      op_names[op], errname(err), cur);
	} else if (pk_bad(kind) || (kind == PK_TAIL && readable < 8)) {
		if (err != EFAULT)
			failf("%s with an unreadable argument: %s, not EFAULT: %s",
			      op_names[op], err ? errname(err) : "success", cur);
	} else if (argsz < c->minsz || (flags & ~c->flags)) {
		if (err != EINVAL)
			failf("%s with argsz %u (minimum %u) and flags %#x (known %#x): %s, not EINVAL: %s",
			      op_names[op], argsz, c->minsz, flags, c->flags,
			      err ? errname(err) : "success", cur);
	} else if (kind == PK_TAIL && readable < need) {
		if (err != EFAULT)
			failf("%s whose argument crosses into an unmapped page: %s, not EFAULT: %s",
			      op_names[op], err ? errname(err) : "success", cur);
	} else if (err == ENOTTY) {
		failf("%s, a known command, returned ENOTTY: %s", op_names[op],
		      cur);
	} else if (!err && kind == PK_RO && c->out) {
		failf("%s succeeded with its argument in a read-only page: %s",
		      op_names[op], cur);
	}
	return -err;
}

/* argsz: mostly exact, else each boundary. */
static uint32_t pick_argsz(int op)
{
	const struct ioc *c = &iocs[op];

	if (pristine)
		return c->size;
	switch (rnd(24)) {
	case 0:
		return 0;
	case 1:
		return rnd(8);
	case 2:
		return c->minsz - 1;
	case 3:
		return c->minsz;
	case 4:
		return c->minsz + rnd(c->size - c->minsz + 1);
	case 5:
		return c->size + 1 + rnd(64);
	case 6:
		return rnd(2) ? UINT32_MAX : 1U << (12 + rnd(20));
	default:
		return c->size;
	}
}

/*
 * Mutate a plausible argument: sometimes its flags, sometimes a few of its
 * fields (reserved ones included) get a boundary value.
 */
static void mutate(int op, void *buf)
{
	const struct ioc *c = &iocs[op];
	uint32_t *w = buf, i, n, off;

	w[0] = pick_argsz(op);
	if (pristine)
		return;
	if (chance(10)) {
		switch (rnd(4)) {
		case 0:
			w[1] = c->flags & (uint32_t)rnd64();
			break;
		case 1:
			w[1] = 1U << rnd(32);
			break;
		case 2:
			w[1] = (uint32_t)rnd64();
			break;
		default:
			w[1] = 0;
		}
	}
	if (chance(12)) {
		n = 1 + rnd(3);
		for (i = 0; i < n; i++) {
			off = 8 + 4 * rnd((c->size - 8) / 4);
			if (off % 8 == 0 && off + 8 <= c->size && rnd(2)) {
				uint64_t v = interesting();

				memcpy((uint8_t *)buf + off, &v, 8);
			} else {
				w[off / 4] = (uint32_t)interesting();
			}
		}
	}
}

static uint32_t pick_platform(void)
{
	return pristine || rnd(10) ? rnd(TSMBPF_PLAT_NR) : (uint32_t)interesting();
}

static uint64_t pick_bar_size(void)
{
	static const uint64_t odd[] = { 0, 0xfff, 0x3000, 1ULL << 37, ~0ULL,
					0x800, 1ULL << 36, 64ULL << 30 };

	if (pristine || rnd(10) < 8)
		return 1ULL << (12 + rnd(10));		/* 4 KiB .. 2 MiB */
	if (rnd(2))
		return 1ULL << (12 + rnd(25));		/* .. 64 GiB */
	return odd[rnd(ARRAY_SIZE(odd))];
}

/* Keep the model's pools bounded: undo a create the pool has no room for. */
static void undo_vm(uint32_t id)
{
	struct tsmbpf_vm_destroy d = { .argsz = sizeof(d), .vm_id = id,
				       .flags = TSMBPF_VM_DESTROY_UNBIND };

	if (raw(TSMBPF_VM_DESTROY, &d))
		failf("destroy of vm %u (pool full): %s", id, strerror(errno));
}

static void undo_tdi(uint32_t id)
{
	struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d), .tdi_id = id };

	if (raw(TSMBPF_TDI_DESTROY, &d))
		failf("destroy of tdi %u (pool full): %s", id, strerror(errno));
}

static int op_vm_create(uint32_t *id)
{
	struct tsmbpf_vm_create a = { 0 };
	int fdi = pick_fdi(), ret;

	if (id)
		*id = 0;

	if (!pristine && chance(30))
		a.flags = TSMBPF_VM_CREATE_OWNED;
	mutate(OP_VM_CREATE, &a);
	ret = tsm_call(OP_VM_CREATE, &a, fdi, "");
	if (ret)
		return ret;
	if (vm_find(a.vm_id) || is_pre(pre_vms, nr_pre_vms, a.vm_id))
		failf("VM_CREATE returned vm %u, which exists already", a.vm_id);
	else if (nr_vms == MAX_VMS)
		undo_vm(a.vm_id);
	else if ((vms[nr_vms++] = (struct mvm){ a.vm_id,
			a.flags & TSMBPF_VM_CREATE_OWNED ? fdi : -1 }).id && id)
		*id = a.vm_id;
	return 0;
}

static int op_vm_destroy(uint32_t id)
{
	struct tsmbpf_vm_destroy a = { .vm_id = id };
	char what[32];
	int ret;

	if (!id)
		a.vm_id = pick_id(true);
	if (!pristine && chance(50))
		a.flags = TSMBPF_VM_DESTROY_UNBIND;
	mutate(OP_VM_DESTROY, &a);
	snprintf(what, sizeof(what), "vm=%u", a.vm_id);
	ret = tsm_call(OP_VM_DESTROY, &a, pick_fdi(), what);
	if (!ret)
		vm_forget(a.vm_id);
	return ret;
}

static int op_tdi_create(int fn, uint32_t platform, uint32_t *id)
{
	struct tsmbpf_tdi_create a = { .platform = platform };
	int fdi = pick_fdi(), ret, i;
	struct mtdi *t;
	char what[64];

	if (!pristine) {
		a.platform = pick_platform();
		fn = nr_fns && chance(25) ? (int)rnd(nr_fns) : -1;
	}
	if (fn >= 0) {
		a.flags = TSMBPF_TDI_CREATE_PCI;
		a.bdf = fns[fn].bdf;
	} else {
		a.bdf = TSMBPF_BDF(0, 0xd0, 0, 0) + next_bdf++ % 4096;
		if (!pristine && nr_tdis && chance(10))
			a.bdf = tdis[rnd(nr_tdis)].bdf;
		a.devset = rnd(4);
		a.nr_bars = pristine ? 2 : rnd(10) ? 1 + rnd(NR_BARS) : rnd(9);
		for (i = 0; i < (int)a.nr_bars && i < NR_BARS; i++)
			a.bar_size[i] = pristine ? (i ? 0x4000 : 0x200000) :
				pick_bar_size();
	}
	if (!pristine && chance(30))
		a.flags |= TSMBPF_TDI_CREATE_OWNED;
	mutate(OP_TDI_CREATE, &a);
	snprintf(what, sizeof(what), "platform=%u bdf=%#x bars=%u", a.platform,
		 a.bdf, a.nr_bars);
	if (id)
		*id = 0;
	ret = tsm_call(OP_TDI_CREATE, &a, fdi, what);
	if (ret)
		return ret;
	if (tdi_find(a.tdi_id) || is_pre(pre_tdis, nr_pre_tdis, a.tdi_id)) {
		failf("TDI_CREATE returned tdi %u, which exists already",
		      a.tdi_id);
		return 0;
	}
	if (nr_tdis == MAX_TDIS) {
		undo_tdi(a.tdi_id);
		return 0;
	}
	t = &tdis[nr_tdis++];
	memset(t, 0, sizeof(*t));
	t->id = a.tdi_id;
	if (id)
		*id = a.tdi_id;
	t->owner = a.flags & TSMBPF_TDI_CREATE_OWNED ? fdi : -1;
	t->fn = -1;
	t->bdf = a.bdf;
	if (a.flags & TSMBPF_TDI_CREATE_PCI)
		for (i = 0; i < nr_fns; i++)
			if (fns[i].bdf == a.bdf)
				t->fn = i;
	return 0;
}

static int op_tdi_destroy(uint32_t id)
{
	struct tsmbpf_tdi_destroy a = { .tdi_id = id ?: pick_id(false) };
	char what[32];
	int ret;

	mutate(OP_TDI_DESTROY, &a);
	snprintf(what, sizeof(what), "tdi=%u", a.tdi_id);
	ret = tsm_call(OP_TDI_DESTROY, &a, pick_fdi(), what);
	if (!ret)
		tdi_forget(a.tdi_id);
	return ret;
}

/* The BAR layout of a bound TDI, for faults and maps. */
static void learn_gpas(struct mtdi *t)
{
	struct tsmbpf_tdi_info i;
	uint32_t b;

	if (raw_tdi_info(t->id, &i))
		return;
	t->nr_bars = i.nr_bars > NR_BARS ? NR_BARS : i.nr_bars;
	for (b = 0; b < t->nr_bars; b++) {
		t->bar_size[b] = i.bar_size[b];
		t->gpa[b] = i.bar_gpa[b];
	}
}

static int op_tdi_bind(uint32_t tdi, uint32_t vm, bool lazy)
{
	struct tsmbpf_tdi_bind a = {
		.tdi_id = tdi ?: pick_id(false), .vm_id = vm ?: pick_id(true),
		.viommu = TSMBPF_VIOMMU_TSM_NO_VIOMMU,
		.flags = lazy ? TSMBPF_BIND_LAZY_MMIO : 0,
	};
	struct mtdi *t;
	char what[64];
	int ret;

	if (!pristine) {
		a.flags = chance(30) ? TSMBPF_BIND_LAZY_MMIO : 0;
		a.viommu = rnd(8) ? rnd(3) : (uint32_t)interesting();
		a.vbdf = rnd(10) ? rnd(0x10000) : (uint32_t)interesting();
	}
	mutate(OP_TDI_BIND, &a);
	snprintf(what, sizeof(what), "tdi=%u vm=%u viommu=%u vbdf=%#x",
		 a.tdi_id, a.vm_id, a.viommu, a.vbdf);
	ret = tsm_call(OP_TDI_BIND, &a, pick_fdi(), what);
	t = tdi_find(a.tdi_id);
	if (!ret && t) {
		t->nonce = a.nonce;
		learn_gpas(t);
	}
	return ret;
}

static uint64_t nonce_of(uint32_t tdi)
{
	struct mtdi *t = tdi_find(tdi);

	return t ? t->nonce : 0;
}

static int op_tdi_accept(uint32_t tdi)
{
	struct tsmbpf_tdi_accept a = { .tdi_id = tdi ?: pick_id(false) };
	char what[48];

	a.nonce = pristine || rnd(6) ? nonce_of(a.tdi_id) : interesting();
	mutate(OP_TDI_ACCEPT, &a);
	snprintf(what, sizeof(what), "tdi=%u nonce=%#llx", a.tdi_id,
		 (unsigned long long)a.nonce);
	return tsm_call(OP_TDI_ACCEPT, &a, pick_fdi(), what);
}

static int op_tdi_unbind(uint32_t tdi)
{
	struct tsmbpf_tdi_unbind a = { .tdi_id = tdi ?: pick_id(false) };
	char what[48];
	int ret;

	if (!pristine)
		a.reason = rnd(10) ? rnd(TSMBPF_UNBIND_REASON_NR) :
			   (uint32_t)interesting();
	mutate(OP_TDI_UNBIND, &a);
	snprintf(what, sizeof(what), "tdi=%u reason=%u", a.tdi_id, a.reason);
	ret = tsm_call(OP_TDI_UNBIND, &a, pick_fdi(), what);
	if (!ret && tdi_find(a.tdi_id))
		memset(tdi_find(a.tdi_id)->gpa, 0, sizeof(tdis[0].gpa));
	return ret;
}

static int op_tdi_info(uint32_t tdi)
{
	struct tsmbpf_tdi_info a = { .tdi_id = tdi ?: pick_id(false) };
	char what[32];
	int ret;

	mutate(OP_TDI_INFO, &a);
	snprintf(what, sizeof(what), "tdi=%u", a.tdi_id);
	ret = tsm_call(OP_TDI_INFO, &a, pick_fdi(), what);
	if (!ret && a.argsz >= sizeof(a) &&
	    (a.state > TSMBPF_TDISP_ERROR || a.platform >= TSMBPF_PLAT_NR ||
	     !a.nr_bars || a.nr_bars > NR_BARS))
		failf("TDI_INFO of tdi %u: state %u platform %u nr_bars %u: %s",
		      a.tdi_id, a.state, a.platform, a.nr_bars, cur);
	return ret;
}

static int op_vm_info(uint32_t vm)
{
	struct tsmbpf_vm_info a = { .vm_id = vm ?: pick_id(true) };
	char what[32];

	mutate(OP_VM_INFO, &a);
	snprintf(what, sizeof(what), "vm=%u", a.vm_id);
	return tsm_call(OP_VM_INFO, &a, pick_fdi(), what);
}

static int op_list(void)
{
	struct tsmbpf_list a = { .what = rnd(2), .count = 1 + rnd(64) };
	uint32_t r = pristine ? 0 : rnd(100), room, want;
	const char *kind = "ids";
	char what[64];
	int ret;

	a.ids = (uintptr_t)ids_buf;
	if (!pristine) {
		if (chance(10))
			a.what = interesting();
		if (chance(20))
			a.count = rnd(2) ? (uint32_t)interesting() : 0;
	}
	room = a.count < IDS_MAX ? a.count : IDS_MAX;
	if (r >= 70 && r < 80) {	/* the ids end at the guard page */
		a.ids = (uintptr_t)ids_buf + IDS_BYTES - 4 * (room ? rnd(room) : 0);
		kind = "ids-tail";
	} else if (r >= 80 && r < 85) {
		a.ids = (uintptr_t)ro_page;
		kind = "ids-ro";
	} else if (r >= 85 && r < 90) {
		a.ids = 0;
		kind = "ids-null";
	} else if (r >= 90 && r < 95) {
		a.ids = 0xffffffff81000000UL;
		kind = "ids-kernel";
	} else if (r >= 95) {
		a.ids = (uintptr_t)hole;
		kind = "ids-unmapped";
	}
	mutate(OP_LIST, &a);
	snprintf(what, sizeof(what), "what=%u count=%u %s", a.what, a.count,
		 kind);
	ret = tsm_call(OP_LIST, &a, pick_fdi(), what);
	if (!ret && a.argsz >= MEMBER_END(tsmbpf_list, count) &&
	    a.what <= TSMBPF_LIST_TDIS) {
		want = a.what == TSMBPF_LIST_VMS ? nr_vms + nr_pre_vms :
		       nr_tdis + nr_pre_tdis;
		if (a.count != want)
			failf("LIST %s counts %u, the fuzzer has %u: %s",
			      a.what ? "tdis" : "vms", a.count, want, cur);
	}
	return ret;
}

static int op_stats(void)
{
	struct tsmbpf_stats a = { 0 };
	int ret;

	mutate(OP_STATS, &a);
	ret = tsm_call(OP_STATS, &a, pick_fdi(), "");
	if (!ret && a.argsz >= MEMBER_END(tsmbpf_stats, nr_tdis) &&
	    (a.nr_vms != (uint64_t)nr_vms + nr_pre_vms ||
	     a.nr_tdis != (uint64_t)nr_tdis + nr_pre_tdis))
		failf("STATS counts %llu VMs and %llu TDIs, the fuzzer has %u and %u: %s",
		      (unsigned long long)a.nr_vms,
		      (unsigned long long)a.nr_tdis, nr_vms + nr_pre_vms,
		      nr_tdis + nr_pre_tdis, cur);
	return ret;
}

/* A GPA in (or around) one of the TDI's BARs. */
static uint64_t pick_gpa(struct mtdi *t)
{
	uint32_t b;

	if (!t || !t->gpa[0] || (!pristine && chance(15)))
		return interesting();
	if (pristine)
		return t->gpa[0];
	b = rnd(t->nr_bars);
	switch (rnd(6)) {
	case 0:
		return t->gpa[b] + t->bar_size[b];	/* just past */
	case 1:
		return t->gpa[b] - 1;
	case 2:
		return t->gpa[b] + rnd64() % t->bar_size[b];
	default:
		return t->gpa[b] + (rnd64() % t->bar_size[b] & ~(PAGE - 1));
	}
}

static int op_tdi_fault(uint32_t tdi)
{
	struct tsmbpf_tdi_fault a = { .tdi_id = tdi ?: pick_id(false) };
	char what[48];

	a.gpa = pick_gpa(tdi_find(a.tdi_id));
	mutate(OP_TDI_FAULT, &a);
	snprintf(what, sizeof(what), "tdi=%u gpa=%#llx", a.tdi_id,
		 (unsigned long long)a.gpa);
	return tsm_call(OP_TDI_FAULT, &a, pick_fdi(), what);
}

static int op_tdi_map(uint32_t tdi, uint32_t bar, uint64_t size)
{
	struct tsmbpf_tdi_map a = { .tdi_id = tdi ?: pick_id(false),
				    .bar = bar, .size = size,
				    .flags = TSMBPF_MAP_4K };
	struct mtdi *t = tdi_find(a.tdi_id);
	uint64_t bs;
	char what[80];

	if (!pristine) {
		a.flags = rnd(2) ? TSMBPF_MAP_4K : 0;
		a.bar = t && t->nr_bars && rnd(8) ? rnd(t->nr_bars) :
			(uint32_t)interesting();
		bs = t && a.bar < t->nr_bars ? t->bar_size[a.bar] : 0x200000;
		if (!bs)
			bs = 0x200000;
		switch (rnd(5)) {
		case 0:
			a.offset = interesting();
			a.size = interesting();
			break;
		case 1:		/* unaligned */
			a.offset = rnd64() % bs;
			a.size = 1 + rnd64() % bs;
			break;
		default:
			a.offset = (rnd64() % bs) & ~(PAGE - 1);
			a.size = PAGE * (1 + rnd64() % ((bs - a.offset) / PAGE));
		}
	}
	mutate(OP_TDI_MAP, &a);
	/*
	 * 4 KiB leaves of many GiB would measure only the guest's memory: at
	 * most 64 MiB of them in one call.
	 */
	if ((a.flags & TSMBPF_MAP_4K) && a.size > (64ULL << 20) &&
	    a.size < (1ULL << 40))
		a.size = 64ULL << 20;
	snprintf(what, sizeof(what), "tdi=%u bar=%u offset=%#llx size=%#llx",
		 a.tdi_id, a.bar, (unsigned long long)a.offset,
		 (unsigned long long)a.size);
	return tsm_call(OP_TDI_MAP, &a, pick_fdi(), what);
}

static int op_tdi_step(uint32_t tdi, uint32_t step)
{
	struct tsmbpf_tdi_step a = { .tdi_id = tdi ?: pick_id(false),
				     .step = step };
	char what[48];

	if (!pristine)
		a.step = rnd(10) ? 1 + rnd(TSMBPF_STEP_NR - 1) :
			 (uint32_t)interesting();
	a.arg = pristine || rnd(3) ? nonce_of(a.tdi_id) : interesting();
	mutate(OP_TDI_STEP, &a);
	snprintf(what, sizeof(what), "tdi=%u step=%u", a.tdi_id, a.step);
	return tsm_call(OP_TDI_STEP, &a, pick_fdi(), what);
}

static int op_policy_info(uint32_t platform)
{
	struct tsmbpf_policy_info a = { .platform = platform };
	char what[32];

	if (!pristine)
		a.platform = pick_platform();
	mutate(OP_POLICY_INFO, &a);
	snprintf(what, sizeof(what), "platform=%u", a.platform);
	return tsm_call(OP_POLICY_INFO, &a, pick_fdi(), what);
}

static int op_revoke_gate(uint32_t tdi, uint32_t event)
{
	struct tsmbpf_revoke_gate a = { .tdi_id = tdi ?: pick_id(false),
					.event = event };
	char what[48];

	if (!pristine)
		a.event = rnd(10) ? rnd(TSMBPF_EV_NR) : (uint32_t)interesting();
	mutate(OP_REVOKE_GATE, &a);
	snprintf(what, sizeof(what), "tdi=%u event=%u", a.tdi_id, a.event);
	return tsm_call(OP_REVOKE_GATE, &a, pick_fdi(), what);
}

static int pick_other_fd(void)
{
	switch (rnd(8)) {
	case 0:
		return -1;
	case 1:
		return tfd[0];
	case 2:
		return efd;
	case 3:
		return nr_fns ? fns[rnd(nr_fns)].fd : 0;
	case 4:
		return 9999;
	case 5:
		return INT_MIN;
	case 6:
		return container;
	default:
		return 0;
	}
}

static int op_mmio_import(uint32_t vm, int buf, uint64_t gpa)
{
	struct tsmbpf_mmio_import a = { .vm_id = vm ?: pick_id(true),
					.gpa = gpa };
	char what[64];
	int ret;

	if (pristine) {
		a.fd = bufs[buf].fd;
	} else {
		a.fd = nr_bufs && rnd(4) ? bufs[rnd(nr_bufs)].fd : pick_other_fd();
		a.flags = rnd(2) ? TSMBPF_MAP_4K : 0;
		switch (rnd(6)) {
		case 0:
			a.gpa = interesting();
			break;
		case 1:
			a.gpa = TSMBPF_IMPORT_GPA_END - PAGE * rnd(8);
			break;
		case 2:
			a.gpa = rnd64() & ((1ULL << 47) - 1);
			break;
		default:
			a.gpa = (1ULL << 32) * (1 + rnd(32)) + 0x200000 * rnd(4);
		}
	}
	mutate(OP_MMIO_IMPORT, &a);
	snprintf(what, sizeof(what), "vm=%u fd=%d gpa=%#llx", a.vm_id, a.fd,
		 (unsigned long long)a.gpa);
	ret = tsm_call(OP_MMIO_IMPORT, &a, pick_fdi(), what);
	if (!ret) {
		if (!vm_find(a.vm_id))
			failf("MMIO_IMPORT succeeded into vm %u, not one of the fuzzer's: %s",
			      a.vm_id, cur);
		else if (nr_imps < MAX_IMPORTS)
			imps[nr_imps++] = (struct mimp){ a.vm_id, a.import_id };
		else
			imps[rnd(MAX_IMPORTS)] = (struct mimp){ a.vm_id, a.import_id };
	}
	return ret;
}

static int op_mmio_release(uint32_t vm, uint32_t id)
{
	struct tsmbpf_mmio_release a = { .vm_id = vm, .import_id = id };
	char what[48];
	int ret, i;

	if (!pristine) {
		if (nr_imps && rnd(4)) {
			i = rnd(nr_imps);
			a.vm_id = imps[i].vm;
			a.import_id = imps[i].id;
		} else {
			a.vm_id = pick_id(true);
			a.import_id = rnd(2) ? rnd(8) : (uint32_t)interesting();
		}
	}
	mutate(OP_MMIO_RELEASE, &a);
	snprintf(what, sizeof(what), "vm=%u import=%u", a.vm_id, a.import_id);
	ret = tsm_call(OP_MMIO_RELEASE, &a, pick_fdi(), what);
	if (!ret)
		for (i = 0; i < nr_imps; i++)
			if (imps[i].vm == a.vm_id && imps[i].id == a.import_id) {
				imps[i] = imps[--nr_imps];
				break;
			}
	return ret;
}

static bool cmd_known(unsigned long cmd)
{
	int i;

	for (i = 0; i < NR_TSMBPF; i++)
		if (iocs[i].cmd == cmd)
			return true;
	return false;
}

/*
 * A command /dev/tsmbpf does not know: neighbours of its numbers, its
 * numbers with a direction or size, or random ones.  Never one the VFS
 * handles before the driver (FIOCLEX, FIFREEZE, FICLONE, ...: types 'T'
 * below 0x80, 'X', 'f', 0x94, 0x15, 0).
 */
static unsigned long unknown_cmd(void)
{
	unsigned long cmd;
	unsigned int type;

	do {
		switch (rnd(4)) {
		case 0:
			cmd = _IO(TSMBPF_TYPE, rnd(2) ? TSMBPF_BASE - 1 - rnd(4) :
				  TSMBPF_BASE + NR_TSMBPF + rnd(8));
			break;
		case 1:
			cmd = _IOC(1 + rnd(3), TSMBPF_TYPE,
				   TSMBPF_BASE + rnd(NR_TSMBPF), 1 + rnd(256));
			break;
		case 2:
			cmd = _IOC(rnd(4), TSMBPF_TYPE, 0x80 + rnd(128),
				   rnd(1 << 14));
			break;
		default:
			cmd = (uint32_t)rnd64();
		}
		type = _IOC_TYPE(cmd);
	} while (cmd_known(cmd) || (type == 'T' && _IOC_NR(cmd) < 0x80) ||
		 type == 'X' || type == 'f' || type == 0x94 || type == 0x15 ||
		 type == 0);
	return cmd;
}

static void op_tsmbpf_unknown(void)
{
	unsigned long cmd = unknown_cmd();
	uint32_t buf[64] = { sizeof(buf) };
	size_t readable;
	int kind = pick_pk(), err;
	void *p = place(buf, sizeof(buf), kind, &readable);

	desc("unknown_command %#lx ptr=%s", cmd, pk_names[kind]);
	err = ioctl(tfd[pick_fdi()], cmd, p) ? errno : 0;
	record(OP_TSMBPF_UNKNOWN, err);
	if (err != ENOTTY)
		failf("unknown command %#lx of /dev/tsmbpf: %s, not ENOTTY: %s",
		      cmd, err ? errname(err) : "success", cur);
}

/* Close one owning file of /dev/tsmbpf: its objects go with it. */
static void op_tsmbpf_close(int fdi)
{
	int i, err = 0;

	desc("close_reopen fd%d", fdi);
	if (close(tfd[fdi]))
		err = errno;
	tfd[fdi] = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
	if (tfd[fdi] < 0 && !err)
		err = errno;
	record(OP_TSMBPF_CLOSE, err);
	if (err) {
		failf("close and reopen of /dev/tsmbpf: %s", strerror(err));
		return;
	}
	for (i = 0; i < nr_tdis;)
		if (tdis[i].owner == fdi)
			tdi_forget(tdis[i].id);
		else
			i++;
	for (i = 0; i < nr_vms;)
		if (vms[i].owner == fdi)
			vm_forget(vms[i].id);
		else
			i++;
}

/* ---------------------------------------------------------- VFIO side -- */

static bool slow_ok(void)
{
	if (pristine || sh->calls - last_slow >= slow_gap) {
		last_slow = sh->calls;
		sh->slow++;
		return true;
	}
	return false;
}

/* A VFIO ioctl with a buffer placed per a random pointer kind. */
static int vfio_call(int op, int fd, unsigned long cmd, void *buf,
		     size_t size, const char *what)
{
	int kind = pristine ? PK_OK : pick_pk(), ret, err;
	size_t readable;
	void *p = buf ? place(buf, size, kind, &readable) : NULL;

	desc("%s fd=%d ptr=%s %s", op_names[op], fd, buf ? pk_names[kind] : "-",
	     what);
	ret = ioctl(fd, cmd, p);
	err = ret < 0 ? errno : 0;
	record(op, err);
	if (buf)
		readback(buf, size, p, kind, readable);
	return ret < 0 ? -err : ret;
}

static uint32_t vfio_argsz(uint32_t size)
{
	if (pristine || rnd(4))
		return size;
	switch (rnd(4)) {
	case 0:
		return 0;
	case 1:
		return rnd(size);
	case 2:
		return size + rnd(64);
	default:
		return (uint32_t)interesting();
	}
}

static struct fn *pick_fn(void)
{
	return &fns[rnd(nr_fns)];
}

static void dev_unmap(struct fn *f, int b)
{
	if (f->map[b]) {
		munmap(f->map[b], f->maplen[b]);
		f->map[b] = NULL;
	}
}

static int dev_open(struct fn *f)
{
	f->fd = ioctl(groups[f->group].fd, VFIO_GROUP_GET_DEVICE_FD, f->name);
	return f->fd < 0 ? -errno : 0;
}

static void op_get_info(struct fn *f)
{
	struct vfio_device_info a = { 0 };

	a.argsz = vfio_argsz(sizeof(a));
	vfio_call(OP_GET_INFO, f->fd, VFIO_DEVICE_GET_INFO, &a, sizeof(a), "");
}

static void op_get_region_info(struct fn *f)
{
	struct vfio_region_info a = { 0 };
	char what[32];

	a.argsz = vfio_argsz(sizeof(a));
	a.index = pristine || rnd(6) ? rnd(VFIO_PCI_NUM_REGIONS + 2) :
		  (uint32_t)interesting();
	snprintf(what, sizeof(what), "index=%u", a.index);
	vfio_call(OP_GET_REGION_INFO, f->fd, VFIO_DEVICE_GET_REGION_INFO, &a,
		  sizeof(a), what);
}

static void op_get_irq_info(struct fn *f)
{
	struct vfio_irq_info a = { 0 };
	char what[32];

	a.argsz = vfio_argsz(sizeof(a));
	a.index = pristine || rnd(6) ? rnd(VFIO_PCI_NUM_IRQS + 1) :
		  (uint32_t)interesting();
	snprintf(what, sizeof(what), "index=%u", a.index);
	vfio_call(OP_GET_IRQ_INFO, f->fd, VFIO_DEVICE_GET_IRQ_INFO, &a,
		  sizeof(a), what);
}

/* SET_IRQS, never with a live eventfd: triggers, masks and disables. */
static void op_set_irqs(struct fn *f)
{
	struct {
		struct vfio_irq_set s;
		int32_t data[8];
	} a;
	static const uint32_t data[] = { VFIO_IRQ_SET_DATA_NONE,
					 VFIO_IRQ_SET_DATA_BOOL,
					 VFIO_IRQ_SET_DATA_EVENTFD };
	char what[64];
	int i;

	memset(&a, 0, sizeof(a));
	a.s.argsz = vfio_argsz(sizeof(a));
	a.s.flags = data[pristine ? 0 : rnd(3)] |
		    (VFIO_IRQ_SET_ACTION_MASK << (pristine ? 2 : rnd(3)));
	a.s.index = pristine ? VFIO_PCI_MSIX_IRQ_INDEX : rnd(VFIO_PCI_NUM_IRQS + 1);
	a.s.start = pristine ? 0 : rnd(3);
	a.s.count = pristine ? 0 : rnd(4) ? rnd(3) : (uint32_t)interesting();
	if (!pristine && chance(10))
		a.s.flags = (uint32_t)interesting();
	for (i = 0; i < 8; i++)
		a.data[i] = (a.s.flags & VFIO_IRQ_SET_DATA_EVENTFD) ?
			    (rnd(2) ? -1 : 9999) : (int32_t)rnd(2);
	snprintf(what, sizeof(what), "flags=%#x index=%u start=%u count=%u",
		 a.s.flags, a.s.index, a.s.start, a.s.count);
	vfio_call(OP_SET_IRQS, f->fd, VFIO_DEVICE_SET_IRQS, &a, sizeof(a), what);
}

static void op_reset(struct fn *f)
{
	if (!slow_ok())
		return;
	vfio_call(OP_RESET, f->fd, VFIO_DEVICE_RESET, NULL, 0, "");
}

static void op_hot_reset_info(struct fn *f)
{
	struct {
		struct vfio_pci_hot_reset_info i;
		struct vfio_pci_dependent_device d[8];
	} a;

	memset(&a, 0, sizeof(a));
	a.i.argsz = pristine || rnd(3) ? sizeof(a) :
		    rnd(2) ? sizeof(a.i) : vfio_argsz(sizeof(a));
	vfio_call(OP_HOT_RESET_INFO, f->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
		  &a, sizeof(a), "");
}

static void op_hot_reset(struct fn *f)
{
	struct {
		struct vfio_pci_hot_reset r;
		int32_t fds[4];
	} a;
	bool valid = pristine || rnd(4) == 0;
	char what[48];
	int i;

	if (valid && !slow_ok())
		valid = false;
	memset(&a, 0, sizeof(a));
	a.r.argsz = sizeof(a.r) + 4;
	a.r.count = 1;
	a.fds[0] = groups[f->group].fd;
	if (!valid) {
		a.r.argsz = vfio_argsz(sizeof(a));
		a.r.count = rnd(2) ? rnd(6) : (uint32_t)interesting();
		for (i = 0; i < 4; i++)
			a.fds[i] = rnd(2) ? pick_other_fd() : -1;
		/* a full set of valid group fds would reset: only when slow */
		if (a.r.count == 1 && a.fds[0] == groups[f->group].fd)
			a.fds[0] = -1;
		if (chance(10))
			a.r.flags = (uint32_t)interesting();
	}
	snprintf(what, sizeof(what), "%s count=%u", valid ? "valid" : "bad",
		 a.r.count);
	vfio_call(OP_HOT_RESET, f->fd, VFIO_DEVICE_PCI_HOT_RESET, &a,
		  sizeof(a), what);
}

/*
 * Never an offset with bit 63 set: Debian 6.12's vfio-pci-core takes the
 * BAR index of an ioeventfd from the signed offset (loff_t >> 40), so such
 * an offset gives a negative index that passes its "index > BAR5" check,
 * and pci_resource_len() reads before pdev->resource[]: an Oops
 * (vfio_pci_ioeventfd+0x6b; found by seed 1752776170, call #5151).  A bug
 * of the upstream driver, not of tsmbpf_vfio_pci, which passes the ioctl
 * through; the one known bug this fuzzer steps around.
 */
static void op_ioeventfd(struct fn *f)
{
	struct vfio_device_ioeventfd a = { 0 };
	char what[64];

	a.argsz = vfio_argsz(sizeof(a));
	a.flags = pristine || rnd(4) ? 1U << rnd(4) : (uint32_t)interesting();
	a.offset = f->bar[rnd(NR_BARS)].offset + (rnd(2) ? rnd(0x4000) :
						     interesting());
	a.offset &= ~(1ULL << 63);
	a.data = rnd64();
	a.fd = rnd(2) ? -1 : 9999;	/* de-assign, or a bad fd: no live one */
	snprintf(what, sizeof(what), "flags=%#x offset=%#llx fd=%d", a.flags,
		 (unsigned long long)a.offset, a.fd);
	vfio_call(OP_IOEVENTFD, f->fd, VFIO_DEVICE_IOEVENTFD, &a, sizeof(a),
		  what);
}

static void op_vfio_unknown(struct fn *f)
{
	static const uint32_t nrs[] = { 100, 101, 102, 103, 104, 105, 106, 114,
					115, 121, 122, 130, 199 };
	uint32_t buf[32] = { sizeof(buf) };
	unsigned long cmd;
	char what[32];

	cmd = rnd(2) ? _IO(VFIO_TYPE, nrs[rnd(ARRAY_SIZE(nrs))]) :
	      _IOC(1 + rnd(3), VFIO_TYPE, 100 + rnd(40), 1 + rnd(64));
	snprintf(what, sizeof(what), "cmd=%#lx", cmd);
	vfio_call(OP_VFIO_UNKNOWN, f->fd, cmd, buf, sizeof(buf), what);
}

/* An offset into config space: a gated register, the header, or beyond. */
static uint32_t pick_cfg_off(struct fn *f, bool write)
{
	switch (rnd(8)) {
	case 0:
		return PCI_COMMAND;
	case 1:
		return f->pm_cap ? f->pm_cap + PCI_PM_CTRL : PCI_COMMAND;
	case 2:
		return f->exp_cap ? f->exp_cap + PCI_EXP_DEVCTL : PCI_STATUS;
	case 3:
		return f->exp_cap ? f->exp_cap + rnd(0x3c) : rnd(0x40);
	case 4:
		if (!write)
			return rnd(f->cfg_size + 16);
		return f->cfg_size + rnd(16);	/* beyond: refused */
	case 5:
		if (!write)
			return (uint32_t)interesting();
		return f->cfg_size + rnd(64);
	default:
		return rnd(0x40);
	}
}

static void op_cfg_read(struct fn *f)
{
	uint8_t buf[16] = { 0 };
	uint32_t off = pick_cfg_off(f, false);
	size_t count = rnd(8) ? 1U << rnd(3) : rnd(2) ? rnd(16) : PAGE + 1;
	int kind = pristine ? PK_OK : pick_pk(), err;
	size_t readable;
	void *p = place(buf, count < sizeof(buf) ? count : sizeof(buf), kind,
			&readable);
	ssize_t n;

	if (count > sizeof(buf) && (kind == PK_OK || kind == PK_MISALIGNED))
		count = sizeof(buf);	/* within our buffer */
	desc("config_read %s off=%#x count=%zu ptr=%s", f->name, off, count,
	     pk_names[kind]);
	n = pread(f->fd, p, count, f->cfg_off + off);
	err = n < 0 ? errno : 0;
	record(OP_CFG_READ, err);
}

static int cfg_get(struct fn *f, uint32_t off, int width, uint32_t *v)
{
	*v = 0;
	return pread(f->fd, v, width, f->cfg_off + off) == width ? 0 : -1;
}

/*
 * A config write.  Gated registers get the changes that are host events
 * (MSE, BME clear and set, D3hot and D0, FLR when a slow operation is
 * allowed); the header gets random values, other offsets nothing: past the
 * header the virtio capabilities reach the BARs, and a random write there
 * could start DMA.
 */
static void op_cfg_write(struct fn *f, int which)
{
	uint32_t off, v = 0, cur_v = 0;
	int width = 2, kind = PK_OK, err;
	size_t readable, count;
	const char *what = "random";
	void *p;
	ssize_t n;

	switch (which >= 0 ? which : (int)rnd(8)) {
	case 0:
		off = PCI_COMMAND;
		cfg_get(f, off, 2, &cur_v);
		v = cur_v ^ (which < 0 && rnd(2) ? PCI_COMMAND_MASTER :
			     PCI_COMMAND_MEMORY);
		what = "command";
		break;
	case 1:
		if (!f->pm_cap)
			return;
		off = f->pm_cap + PCI_PM_CTRL;
		cfg_get(f, off, 2, &cur_v);
		v = (cur_v & ~(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS)) |
		    (rnd(2) ? 3 : 0);
		what = "pmcsr";
		break;
	case 2:
		if (!f->exp_cap || !slow_ok())
			return;
		off = f->exp_cap + PCI_EXP_DEVCTL;
		cfg_get(f, off, 2, &cur_v);
		v = cur_v | PCI_EXP_DEVCTL_BCR_FLR;
		what = "flr";
		break;
	default:
		off = rnd(4) ? rnd(0x40) : f->cfg_size + rnd(64);
		width = 1 << rnd(3);
		v = rnd(2) ? (uint32_t)rnd64() : 0;
		/*
		 * Not the command register (above), BIST (a self test) or
		 * past the header, by chance.
		 */
		if ((off < PCI_COMMAND + 2 && off + width > PCI_COMMAND) ||
		    (off <= PCI_BIST && off + width > PCI_BIST) ||
		    (off < 0x40 && off + width > 0x40))
			off = 0x3c;	/* interrupt line and pin */
		if (!pristine)
			kind = pick_pk();
	}
	count = width;
	/* a long write only from a pointer that ends before its 2nd byte */
	if (which < 0 && !pristine && chance(5)) {
		count = rnd(2) ? 0 : PAGE + 1 + rnd(8);
		kind = count ? (rnd(2) ? PK_NULL : PK_TAIL) : kind;
	}
	p = place(&v, kind == PK_TAIL ? 1 : width, kind, &readable);
	desc("config_write %s %s off=%#x v=%#x count=%zu ptr=%s", f->name,
	     what, off, v, count, pk_names[kind]);
	n = pwrite(f->fd, p, count, f->cfg_off + off);
	err = n < 0 ? errno : 0;
	record(OP_CFG_WRITE, err);
}

/* Is the MMIO of @f's TDI private (host access revoked)? */
static bool fn_private(struct fn *f)
{
	struct tsmbpf_tdi_info ti;
	int i;

	for (i = 0; i < nr_tdis; i++)
		if (tdis[i].fn == f - fns)
			return !raw_tdi_info(tdis[i].id, &ti) &&
			       (ti.host_flags & TSMBPF_TDI_HOST_PRIVATE);
	return false;
}

/*
 * A read of a region through the device fd.  While the TDI's MMIO is
 * private the host must not touch its BARs (README: "While the MMIO is
 * private the host cannot touch the BARs"): a BAR read that succeeds then
 * is a broken promise.  It is counted and fails the run at its end, but
 * does not stop it, so that it hides nothing else.
 */
static void op_region_read(struct fn *f)
{
	uint8_t buf[64];
	uint32_t idx = rnd(VFIO_PCI_NUM_REGIONS + 1);
	uint64_t base = (uint64_t)idx << 40, off;
	size_t count = 1U << rnd(4);
	bool priv;
	int err;
	ssize_t n;

	if (idx < NR_BARS && f->bar[idx].size)
		off = (rnd64() % f->bar[idx].size) & ~(count - 1);
	else
		off = rnd(2) ? rnd(64) : interesting() & ((1ULL << 40) - 1);
	priv = idx < NR_BARS && fn_private(f);
	desc("region_read %s index=%u off=%#llx count=%zu%s", f->name, idx,
	     (unsigned long long)off, count, priv ? " (private)" : "");
	n = pread(f->fd, buf, count, base + off);
	err = n < 0 ? errno : 0;
	record(OP_REGION_READ, err);
	if (priv && n > 0 && fn_private(f) && !sh->private_reads++)
		snprintf(sh->private_msg, sizeof(sh->private_msg),
			 "the host read BAR %u of %s through the VFIO region (pread) while its TDI's MMIO was private: %s",
			 idx, f->name, cur);
}

static void op_mmap(struct fn *f)
{
	uint32_t idx = pristine ? (uint32_t)f->dma_bar : rnd(NR_BARS + 3);
	uint64_t size = idx < NR_BARS ? f->bar[idx].size : PAGE, off = 0;
	size_t len;
	void *p;
	int err;

	if (!size)
		size = PAGE;
	len = size;
	if (!pristine && chance(30)) {
		off = PAGE * rnd(4);
		len = PAGE * (1 + rnd(4));
	}
	desc("mmap %s index=%u off=%#llx len=%#zx", f->name, idx,
	     (unsigned long long)off, len);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd,
		 ((uint64_t)idx << 40) + off);
	err = p == MAP_FAILED ? errno : 0;
	record(OP_MMAP, err);
	if (err || idx >= NR_BARS) {
		if (!err)
			munmap(p, len);
		return;
	}
	dev_unmap(f, idx);
	f->map[idx] = p;
	f->maplen[idx] = len;
}

/* A 4-byte read of @p; 1 on SIGBUS (on_sigbus() of tsmbpf_vfio.h). */
static int mmio_read(volatile uint32_t *p)
{
	volatile uint32_t v;

	if (sigsetjmp(bus_jmp, 1))
		return 1;
	bus_armed = 1;
	v = *p;
	bus_armed = 0;
	(void)v;
	return 0;
}

/* A read through a BAR mapping: SIGBUS while the MMIO is revoked. */
static void op_bar_read(struct fn *f)
{
	int b, n = 0, pick = -1, err = 0;
	size_t off;

	for (b = 0; b < NR_BARS; b++)
		if (f->map[b] && rnd(++n) == 0)
			pick = b;
	if (pick < 0)
		return;
	off = (rnd64() % f->maplen[pick]) & ~3UL;
	desc("bar_read %s bar=%d off=%#zx", f->name, pick, off);
	if (mmio_read((volatile uint32_t *)((uint8_t *)f->map[pick] + off))) {
		err = ERR_SIGBUS;
		sh->sigbus++;
	}
	record(OP_BAR_READ, err);
}

/* Close the device (a gated close) and open it again (its reset). */
static void op_dev_reopen(struct fn *f)
{
	int b, err = 0;

	if (!slow_ok())
		return;
	for (b = 0; b < NR_BARS; b++)
		dev_unmap(f, b);
	desc("close_reopen %s", f->name);
	if (close(f->fd))
		err = errno;
	f->fd = -1;
	if (!err && dev_open(f))
		err = errno;
	record(OP_DEV_REOPEN, err);
	if (err)
		failf("close and reopen of %s: %s", f->name, strerror(err));
}

static void buf_add(int fd, int fn)
{
	if (nr_bufs == MAX_DMABUFS) {
		int i = rnd(MAX_DMABUFS);

		close(bufs[i].fd);
		bufs[i] = (struct mbuf){ fd, fn };
		return;
	}
	bufs[nr_bufs++] = (struct mbuf){ fd, fn };
}

/* What a dma-buf without mmap or vmap does with the usual fd calls. */
static void op_dmabuf_fd(void)
{
	struct dma_buf_sync s;
	int i, err = 0, fd;
	char what[48];
	void *p;

	if (!nr_bufs)
		return;
	i = rnd(nr_bufs);
	fd = bufs[i].fd;
	switch (rnd(6)) {
	case 0:
		snprintf(what, sizeof(what), "mmap");
		desc("dmabuf_fd fd=%d %s", fd, what);
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			err = errno;
		else
			munmap(p, PAGE);
		break;
	case 1:
		s.flags = rnd(2) ? DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW :
			  (uint64_t)interesting();
		desc("dmabuf_fd fd=%d sync flags=%#llx", fd,
		     (unsigned long long)s.flags);
		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &s))
			err = errno;
		break;
	case 2:
		desc("dmabuf_fd fd=%d set_name", fd);
		if (ioctl(fd, DMA_BUF_SET_NAME_B, rnd(2) ? "fuzz" : (char *)hole))
			err = errno;
		break;
	case 3:
		desc("dmabuf_fd fd=%d lseek", fd);
		if (lseek(fd, 0, SEEK_END) < 0)
			err = errno;
		break;
	case 4:
		desc("dmabuf_fd fd=%d read", fd);
		if (read(fd, what, 8) < 0)
			err = errno;
		break;
	default:
		desc("dmabuf_fd fd=%d close", fd);
		if (close(fd))
			err = errno;
		bufs[i] = bufs[--nr_bufs];
	}
	record(OP_DMABUF_FD, err);
}

/* VFIO_DEVICE_FEATURE @feature, or a random one for -1. */
static int op_feature(struct fn *f, int feature, uint32_t dirs)
{
	struct {
		struct vfio_device_feature h;
		union {
			struct vfio_device_feature_dma_buf d;
			struct vfio_device_low_power_entry_with_wakeup w;
			uint8_t raw[16 + 16 * 66];
		};
	} a;
	static const uint32_t dir[] = {
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 0,
		VFIO_DEVICE_FEATURE_PROBE,
	};
	uint32_t payload = 0, i, op;
	uint64_t bs;
	char what[96];
	int ret;

	memset(&a, 0, sizeof(a));
	if (feature < 0)
		feature = rnd(10) ? (int)rnd(NR_FEATURES) : 12 + (int)rnd(0xfff0);
	op = feature < NR_FEATURES ? OP_FEAT_FIRST + feature : OP_FEAT_UNKNOWN;
	if (!dirs) {
		dirs = dir[rnd(ARRAY_SIZE(dir))];
		if (chance(5))
			dirs |= 1U << (19 + rnd(13));
	}
	/* the slow ones: a runtime suspend of the function */
	if ((feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY ||
	     feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP) &&
	    (dirs & VFIO_DEVICE_FEATURE_SET) &&
	    !(dirs & VFIO_DEVICE_FEATURE_PROBE) && !slow_ok())
		dirs |= VFIO_DEVICE_FEATURE_PROBE;
	a.h.flags = feature | dirs;
	switch (feature) {
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		a.d.region_index = pristine || rnd(5) ?
			(f->dma_bar >= 0 ? f->dma_bar : 0) :
			rnd(3) ? rnd(VFIO_PCI_NUM_REGIONS) : (uint32_t)interesting();
		a.d.open_flags = O_CLOEXEC | O_RDWR;
		if (!pristine && chance(10))
			a.d.open_flags = (uint32_t)interesting();
		if (!pristine && chance(5))
			a.d.flags = (uint32_t)interesting();
		a.d.nr_ranges = pristine || rnd(6) ? 1 + rnd(3) :
				rnd(2) ? rnd(2) * 64 + rnd(3) : (uint32_t)interesting();
		bs = a.d.region_index < NR_BARS ? f->bar[a.d.region_index].size : 0;
		for (i = 0; i < a.d.nr_ranges && i < 66; i++) {
			struct vfio_region_dma_range *r = &a.d.dma_ranges[i];

			if (pristine) {
				r->offset = 0;
				r->length = bs;
				a.d.nr_ranges = 1;
				break;
			}
			if (bs && rnd(5)) {
				r->offset = (rnd64() % bs) & ~(PAGE - 1);
				r->length = PAGE * (1 + rnd64() % ((bs - r->offset) / PAGE));
			} else {
				r->offset = interesting();
				r->length = interesting();
			}
		}
		payload = sizeof(a.d) + 16 * (a.d.nr_ranges < 66 ? a.d.nr_ranges : 66);
		break;
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		a.w.wakeup_eventfd = pristine || rnd(4) ? efd : pick_other_fd();
		payload = sizeof(a.w);
		break;
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		break;
	default:
		payload = rnd(33);
		for (i = 0; i < payload; i++)
			a.raw[i] = rnd64();
	}
	a.h.argsz = sizeof(a.h) + payload;
	if (!pristine && chance(15))
		a.h.argsz = rnd(2) ? rnd(sizeof(a.h) + payload + 1) :
			    (uint32_t)interesting();
	if (a.h.argsz > sizeof(a) && rnd(2))
		a.h.argsz = sizeof(a);
	snprintf(what, sizeof(what), "flags=%#x argsz=%u", a.h.flags, a.h.argsz);
	ret = vfio_call(op, f->fd, VFIO_DEVICE_FEATURE, &a, sizeof(a), what);
	if (feature == VFIO_DEVICE_FEATURE_DMA_BUF && ret > 0)
		buf_add(ret, f - fns);
	else if (ret > 0)
		failf("%s returned %d: %s", op_names[op], ret, cur);
	return ret;
}

static void op_vfio(void)
{
	struct fn *f = pick_fn();
	uint32_t r = rnd(100);

	if (f->fd < 0 && dev_open(f)) {
		failf("reopen of %s: %s", f->name, strerror(errno));
		return;
	}
	if (r < 6)
		op_get_info(f);
	else if (r < 12)
		op_get_region_info(f);
	else if (r < 16)
		op_get_irq_info(f);
	else if (r < 20)
		op_set_irqs(f);
	else if (r < 21)
		op_reset(f);
	else if (r < 24)
		op_hot_reset_info(f);
	else if (r < 27)
		op_hot_reset(f);
	else if (r < 30)
		op_ioeventfd(f);
	else if (r < 33)
		op_vfio_unknown(f);
	else if (r < 40)
		op_cfg_read(f);
	else if (r < 50)
		op_cfg_write(f, -1);
	else if (r < 55)
		op_region_read(f);
	else if (r < 60)
		op_mmap(f);
	else if (r < 68)
		op_bar_read(f);
	else if (r < 69)
		op_dev_reopen(f);
	else if (r < 73)
		op_dmabuf_fd();
	else
		op_feature(f, r < 88 ? VFIO_DEVICE_FEATURE_DMA_BUF : -1, 0);
}

/* ---------------------------------------------------------- sequences -- */

/*
 * A valid sequence on a PCI function's TDI: its TDI (created if it has
 * none), a VM, a bind, a dma-buf exported and imported, accept, fault,
 * map, gate, a host event, release, unbind.  Outcomes depend on what the
 * random calls left behind: only the warm-up requires success.
 */
static int deep_pci(int fn, uint32_t platform, bool must)
{
	struct fn *f = &fns[fn];
	uint32_t vm = 0, tdi = 0, imp_before;
	int i, ret, b;
	bool was = pristine;

	pristine = true;
	for (i = 0; i < nr_tdis; i++)
		if (tdis[i].fn == fn)
			tdi = tdis[i].id;
	ret = tdi ? 0 : op_tdi_create(fn, platform, &tdi);
	if (must && ret)
		failf("valid sequence on %s: TDI_CREATE: %s", f->name,
		      strerror(-ret));
	if (ret || f->dma_bar < 0)
		goto out;
	ret = op_vm_create(&vm);
	if (ret || !vm)
		goto out;
	if (f->fd < 0 && dev_open(f))
		goto out;
	b = nr_bufs;
	ret = op_feature(f, VFIO_DEVICE_FEATURE_DMA_BUF, VFIO_DEVICE_FEATURE_GET);
	if (must && (ret < 0 || nr_bufs == b))
		failf("valid sequence on %s: export of BAR %d: %s", f->name,
		      f->dma_bar, strerror(-ret));
	ret = op_tdi_bind(tdi, vm, rnd(2));
	if (must && ret)
		failf("valid sequence on %s: bind of tdi %u: %s", f->name, tdi,
		      strerror(-ret));
	if (ret)
		goto out;
	imp_before = nr_imps;
	if (nr_bufs) {
		ret = op_mmio_import(vm, nr_bufs - 1, 1ULL << 32);
		if (must && ret)
			failf("valid sequence on %s: import: %s", f->name,
			      strerror(-ret));
	}
	ret = op_tdi_accept(tdi);
	if (must && ret)
		failf("valid sequence on %s: accept: %s", f->name, strerror(-ret));
	op_tdi_fault(tdi);
	op_revoke_gate(tdi, TSMBPF_EV_FLR);
	op_vm_info(vm);
	if (nr_imps > (int)imp_before) {
		ret = op_mmio_release(vm, imps[nr_imps - 1].id);
		if (must && ret)
			failf("valid sequence on %s: release: %s", f->name,
			      strerror(-ret));
	}
	/* a host event: MSE clear unbinds under the native gate */
	op_cfg_write(f, 0);
	op_cfg_write(f, 0);
	op_tdi_unbind(tdi);
out:
	if (vm)
		op_vm_destroy(vm);
	pristine = was;
	return ret;
}

/* A valid sequence on a synthetic TDI of @platform. */
static int deep_synthetic(uint32_t platform, bool must)
{
	uint32_t vm, tdi = 0;
	bool was = pristine;
	int ret;

	pristine = true;
	ret = op_vm_create(&vm);
	if (ret || !vm)
		goto out;
	ret = op_tdi_create(-1, platform, &tdi);
	if (ret || !tdi)
		goto out_vm;
	ret = op_tdi_bind(tdi, vm, true);
	if (ret)
		goto out_tdi;
	if (!(ret = op_tdi_fault(tdi)) && !(ret = op_tdi_map(tdi, 1, 0x4000)) &&
	    !(ret = op_tdi_accept(tdi)) && !(ret = op_tdi_info(tdi)) &&
	    !(ret = op_vm_info(vm)) &&
	    !(ret = op_revoke_gate(tdi, TSMBPF_EV_RESET)) &&
	    platform == TSMBPF_PLAT_CCA)
		ret = op_tdi_step(tdi, TSMBPF_STEP_DEVICE_ERROR);
	if (must && ret)
		failf("valid sequence on %s: %s", plat_names[platform],
		      strerror(-ret));
	ret = op_tdi_unbind(tdi) ?: ret;
out_tdi:
	ret = op_tdi_destroy(tdi) ?: ret;
out_vm:
	ret = op_vm_destroy(vm) ?: ret;
out:
	if (must && ret)
		failf("valid sequence on %s: %s (see the last calls)",
		      plat_names[platform], strerror(-ret));
	pristine = was;
	return ret;
}

/* Each ioctl, feature and operation once, valid, before the random calls. */
static void warm_up(void)
{
	uint32_t p;
	int i, ret;

	pristine = true;
	for (p = 0; p < TSMBPF_PLAT_NR && !sh->failed; p++) {
		deep_synthetic(p, true);
		if (nr_fns)
			deep_pci(p % nr_fns, p, true);
		op_policy_info(p);
	}
	op_list();
	op_stats();
	op_tsmbpf_unknown();
	for (i = 0; i < nr_fns && !sh->failed; i++) {
		struct fn *f = &fns[i];

		op_get_info(f);
		op_get_region_info(f);
		op_get_irq_info(f);
		op_set_irqs(f);
		op_hot_reset_info(f);
		op_ioeventfd(f);
		op_vfio_unknown(f);
		op_cfg_read(f);
		op_region_read(f);
		if (f->dma_bar >= 0) {
			op_mmap(f);
			op_bar_read(f);
		}
		for (p = 0; p <= NR_FEATURES; p++) {
			if (p == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY ||
			    p == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP) {
				ret = op_feature(f, p, VFIO_DEVICE_FEATURE_SET);
				if (ret)
					failf("valid %s on %s: %s",
					      op_names[OP_FEAT_FIRST + p], f->name,
					      strerror(-ret));
				op_feature(f, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
					   VFIO_DEVICE_FEATURE_SET);
			} else {
				op_feature(f, p, VFIO_DEVICE_FEATURE_PROBE |
					   VFIO_DEVICE_FEATURE_GET);
			}
		}
		op_dmabuf_fd();
		if (!i) {
			op_reset(f);
			op_hot_reset(f);
			op_dev_reopen(f);
		}
	}
	pristine = false;
}

/* ---------------------------------------------------------------- audit -- */

static bool in_model(bool vm, uint32_t id)
{
	return vm ? vm_find(id) || is_pre(pre_vms, nr_pre_vms, id) :
		    tdi_find(id) || is_pre(pre_tdis, nr_pre_tdis, id);
}

/*
 * The kernel's objects are the fuzzer's, and each TDI holds the
 * invariants: unbound means torn down; bound means to a VM that counts it.
 */
static void audit(const char *when)
{
	static uint32_t ids[4096];
	uint32_t n, i, bound[MAX_VMS] = { 0 }, k;
	struct tsmbpf_tdi_info ti;
	struct tsmbpf_vm_info vi;
	struct mvm *v;
	int j, nimp;

	sh->audits++;
	for (k = 0; k < 2 && !sh->failed; k++) {
		if (raw_list(k, ids, ARRAY_SIZE(ids), &n)) {
			failf("%s: LIST: %s", when, strerror(errno));
			return;
		}
		for (i = 0; i < n && i < ARRAY_SIZE(ids); i++)
			if (!in_model(!k, ids[i]))
				failf("%s: %s %u exists, but no call of the fuzzer's made it (a failed call left it, or a destroy that succeeded did not destroy it)",
				      when, k ? "tdi" : "vm", ids[i]);
		if (n != (k ? nr_tdis + nr_pre_tdis : nr_vms + nr_pre_vms))
			failf("%s: %u %s listed, the fuzzer has %u", when, n,
			      k ? "TDIs" : "VMs",
			      k ? nr_tdis + nr_pre_tdis : nr_vms + nr_pre_vms);
	}
	for (j = 0; j < nr_tdis && !sh->failed; j++) {
		struct mtdi *t = &tdis[j];

		if (raw_tdi_info(t->id, &ti)) {
			failf("%s: TDI_INFO of tdi %u: %s", when, t->id,
			      strerror(errno));
			return;
		}
		if (ti.state > TSMBPF_TDISP_ERROR || ti.platform >= TSMBPF_PLAT_NR ||
		    !ti.nr_bars || ti.nr_bars > NR_BARS || (ti.res & ~0x1fU))
			failf("%s: tdi %u: state %u platform %u nr_bars %u res %#x",
			      when, t->id, ti.state, ti.platform, ti.nr_bars,
			      ti.res);
		if (!ti.vm_id && (ti.state != TSMBPF_TDISP_CONFIG_UNLOCKED ||
				  ti.mmio_pages ||
				  (ti.res & (TSMBPF_RES_DMA | TSMBPF_RES_METADATA))))
			failf("%s: tdi %u is unbound but not torn down: state %u res %#x mmio_pages %llu",
			      when, t->id, ti.state, ti.res,
			      (unsigned long long)ti.mmio_pages);
		if (ti.vm_id) {
			v = vm_find(ti.vm_id);
			if (!v && !is_pre(pre_vms, nr_pre_vms, ti.vm_id))
				failf("%s: tdi %u is bound to vm %u, which does not exist",
				      when, t->id, ti.vm_id);
			else if (v)
				bound[v - vms]++;
		}
		if (((ti.host_flags & TSMBPF_TDI_HOST_PCI) != 0) != (t->fn >= 0) ||
		    ((ti.host_flags & TSMBPF_TDI_OWNED) != 0) != (t->owner >= 0))
			failf("%s: tdi %u: host_flags %#x, but it was created %s and %s",
			      when, t->id, ti.host_flags,
			      t->fn >= 0 ? "for a PCI function" : "synthetic",
			      t->owner >= 0 ? "owned" : "global");
	}
	for (j = 0; j < nr_vms && !sh->failed; j++) {
		if (raw_vm_info(vms[j].id, &vi)) {
			failf("%s: VM_INFO of vm %u: %s", when, vms[j].id,
			      strerror(errno));
			return;
		}
		for (nimp = 0, i = 0; i < (uint32_t)nr_imps; i++)
			nimp += imps[i].vm == vms[j].id;
		if (vi.nr_bound != bound[j])
			failf("%s: vm %u counts %u TDIs bound, %u TDIs name it",
			      when, vms[j].id, vi.nr_bound, bound[j]);
		if (vi.nr_imports != (uint32_t)nimp)
			failf("%s: vm %u has %u imports, the fuzzer made %d",
			      when, vms[j].id, vi.nr_imports, nimp);
		if (!vi.nr_bound && (vi.spt_leaves_4k || vi.spt_leaves_2m ||
				     vi.import_pages))
			failf("%s: vm %u has nothing bound but maps %llu 4K and %llu 2M leaves, %llu import pages",
			      when, vms[j].id,
			      (unsigned long long)vi.spt_leaves_4k,
			      (unsigned long long)vi.spt_leaves_2m,
			      (unsigned long long)vi.import_pages);
	}
}

/* ------------------------------------------------------------- teardown -- */

/* Unbind and destroy everything of ours through the uAPI: each must work. */
static void teardown(void)
{
	struct tsmbpf_tdi_info ti;
	int i, b;

	while (nr_tdis) {
		struct mtdi *t = &tdis[nr_tdis - 1];
		struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u), .tdi_id = t->id };
		struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d), .tdi_id = t->id };

		if (raw_tdi_info(t->id, &ti))
			failf("clean-up: TDI_INFO of tdi %u: %s", t->id,
			      strerror(errno));
		else if (ti.vm_id && raw(TSMBPF_TDI_UNBIND, &u))
			failf("clean-up: unbind of tdi %u (state %u res %#x): %s, fw %#x",
			      t->id, ti.state, ti.res, strerror(errno),
			      u.fw_error);
		else if (raw(TSMBPF_TDI_DESTROY, &d))
			failf("clean-up: destroy of tdi %u: %s", t->id,
			      strerror(errno));
		nr_tdis--;
	}
	while (nr_vms) {
		struct tsmbpf_vm_destroy d = { .argsz = sizeof(d),
					       .vm_id = vms[nr_vms - 1].id };

		if (raw(TSMBPF_VM_DESTROY, &d))
			failf("clean-up: destroy of vm %u: %s", d.vm_id,
			      strerror(errno));
		nr_vms--;
	}
	nr_imps = 0;
	for (i = 0; i < nr_bufs; i++)
		close(bufs[i].fd);
	nr_bufs = 0;
	for (i = 0; i < nr_fns; i++) {
		for (b = 0; b < NR_BARS; b++)
			dev_unmap(&fns[i], b);
		if (fns[i].fd >= 0)
			close(fns[i].fd);
		fns[i].fd = -1;
	}
}

/* ---------------------------------------------------------------- set-up -- */

static void __attribute__((noreturn)) setup_fail(const char *what, ...)
{
	va_list ap;

	fprintf(stderr, "set-up: ");
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(2);
}

static void fn_open(struct fn *f)
{
	unsigned int seg, bus, dev, fun;
	const char *what;
	int id, i, b;

	if (sscanf(f->name, "%x:%x:%x.%x", &seg, &bus, &dev, &fun) != 4)
		setup_fail("bad BDF %s", f->name);
	f->bdf = TSMBPF_BDF(seg, bus, dev, fun);
	id = vfio_group_id(f->name);
	if (id < 0)
		setup_fail("/sys/bus/pci/devices/%s/iommu_group", f->name);
	f->group = -1;
	for (i = 0; i < nr_groups; i++)
		if (groups[i].id == id)
			f->group = i;
	if (f->group < 0) {
		groups[nr_groups].id = id;
		groups[nr_groups].fd = vfio_group_open(id, &what);
		if (groups[nr_groups].fd < 0 && !what)
			setup_fail("/dev/vfio/%d", id);
		if (groups[nr_groups].fd < 0)
			setup_fail("group %d of %s not viable", id, f->name);
		if (ioctl(groups[nr_groups].fd, VFIO_GROUP_SET_CONTAINER,
			  &container))
			setup_fail("VFIO_GROUP_SET_CONTAINER");
		if (!nr_groups && vfio_set_iommu(container) < 0)
			setup_fail("VFIO_SET_IOMMU");
		f->group = nr_groups++;
	}
	if (dev_open(f))
		setup_fail("VFIO_GROUP_GET_DEVICE_FD %s", f->name);
	{
		struct vfio_region_info cfg = { .argsz = sizeof(cfg),
			.index = VFIO_PCI_CONFIG_REGION_INDEX };

		if (ioctl(f->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg))
			setup_fail("config region of %s", f->name);
		f->cfg_off = cfg.offset;
		f->cfg_size = cfg.size;
	}
	f->dma_bar = -1;
	for (b = 0; b < NR_BARS; b++) {
		f->bar[b].argsz = sizeof(f->bar[b]);
		f->bar[b].index = b;
		if (ioctl(f->fd, VFIO_DEVICE_GET_REGION_INFO, &f->bar[b]))
			setup_fail("region %d of %s", b, f->name);
		if (f->dma_bar < 0 && f->bar[b].size >= PAGE &&
		    (f->bar[b].flags & VFIO_REGION_INFO_FLAG_MMAP))
			f->dma_bar = b;
	}
	f->pm_cap = vfio_find_cap(f->fd, f->cfg_off, PCI_CAP_ID_PM);
	f->exp_cap = vfio_find_cap(f->fd, f->cfg_off, PCI_CAP_ID_EXP);
}

static void setup(char **bdfs, int n)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	int i;

	for (i = 0; i < 2; i++) {
		tfd[i] = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
		if (tfd[i] < 0)
			setup_fail("/dev/tsmbpf");
	}
	efd = eventfd(0, EFD_CLOEXEC);
	arena = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ids_buf = mmap(NULL, IDS_BYTES + PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || ro_page == MAP_FAILED || hole == MAP_FAILED ||
	    ids_buf == MAP_FAILED || efd < 0)
		setup_fail("memory");
	if (mprotect(arena + PAGE, PAGE, PROT_NONE) ||
	    mprotect((uint8_t *)ids_buf + IDS_BYTES, PAGE, PROT_NONE))
		setup_fail("guard pages");
	sigaction(SIGBUS, &sa, NULL);
	if (n > MAX_FNS) {
		fprintf(stderr, "at most %d functions\n", MAX_FNS);
		exit(2);
	}
	if (n) {
		container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (container < 0)
			setup_fail("/dev/vfio/vfio");
	}
	for (i = 0; i < n; i++) {
		fns[i].name = bdfs[i];
		fn_open(&fns[nr_fns++]);
	}
}

/* ---------------------------------------------------------------- child -- */

static bool done(void)
{
	if (sh->failed)
		return true;
	if (max_calls)
		return sh->calls >= max_calls;
	return now_ns() >= deadline;
}

static void fuzz_one(void)
{
	uint32_t r = rnd(1000);

	if (nr_fns && r < 220) {
		op_vfio();
		return;
	}
	if (r < 230) {
		if (nr_fns && rnd(2))
			deep_pci(rnd(nr_fns), rnd(TSMBPF_PLAT_NR), false);
		else
			deep_synthetic(rnd(TSMBPF_PLAT_NR), false);
		return;
	}
	if (r < 232) {
		op_tsmbpf_close(rnd(2));
		return;
	}
	switch (rnd(40)) {
	case 0: case 1:
		op_vm_create(NULL);
		break;
	case 2:
		op_vm_destroy(0);
		break;
	case 3: case 4: case 5:
		op_tdi_create(-1, 0, NULL);
		break;
	case 6: case 7:
		op_tdi_destroy(0);
		break;
	case 8: case 9: case 10: case 11:
		op_tdi_bind(0, 0, false);
		break;
	case 12: case 13: case 14:
		op_tdi_accept(0);
		break;
	case 15: case 16: case 17:
		op_tdi_unbind(0);
		break;
	case 18:
		op_tdi_info(0);
		break;
	case 19:
		op_vm_info(0);
		break;
	case 20:
		op_list();
		break;
	case 21:
		op_stats();
		break;
	case 22: case 23: case 24:
		op_tdi_fault(0);
		break;
	case 25: case 26:
		op_tdi_map(0, 0, 0);
		break;
	case 27: case 28: case 29:
		op_tdi_step(0, 0);
		break;
	case 30:
		op_policy_info(0);
		break;
	case 31: case 32:
		op_revoke_gate(0, 0);
		break;
	case 33: case 34: case 35:
		if (nr_bufs)
			op_mmio_import(0, 0, 0);
		else if (nr_fns)
			op_feature(pick_fn(), VFIO_DEVICE_FEATURE_DMA_BUF, 0);
		break;
	case 36: case 37:
		op_mmio_release(0, 0);
		break;
	default:
		op_tsmbpf_unknown();
	}
}

static char **fn_args;
static int nr_fn_args;

static void __attribute__((noreturn)) child(void)
{
	struct tsmbpf_vm_create c = { .argsz = sizeof(c),
				      .flags = TSMBPF_VM_CREATE_OWNED };
	uint64_t next_audit = AUDIT_EVERY;

	rng = seed;
	close(tfd[0]);		/* the parent's: the objects are this process's */
	tfd[0] = -1;
	setup(fn_args, nr_fn_args);
	warm_up();
	if (!sh->failed)
		audit("after the warm-up");
	/*
	 * Behind the model's back, owned by a file of its own: the fuzzer
	 * closes and reopens its files at random, which would take the VM
	 * with it before an audit could see it; this one goes at exit.
	 */
	if (leak_selftest) {
		int rogue = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);

		if (rogue < 0 || ioctl(rogue, TSMBPF_VM_CREATE, &c))
			failf("self test: a VM behind the fuzzer's back: %s",
			      strerror(errno));
	}
	sh->t0 = now_ns();
	if (!max_calls)
		deadline = sh->t0 + (uint64_t)secs * 1000000000ULL;
	else
		max_calls += sh->calls;
	while (!done()) {
		fuzz_one();
		if (sh->calls >= next_audit) {
			audit("audit");
			next_audit = sh->calls + AUDIT_EVERY;
		}
	}
	sh->t1 = now_ns();
	if (!sh->failed)
		audit("final audit");
	teardown();
	close(tfd[0]);
	close(tfd[1]);
	_exit(sh->failed ? 1 : 0);
}

/* --------------------------------------------------------------- parent -- */

static int fuzz_kmsg_open(void)
{
	int f = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (f >= 0)
		lseek(f, 0, SEEK_END);
	return f;
}

/* The first splat logged since fuzz_kmsg_open(), into @buf; 0 if none. */
static int fuzz_kmsg_splat(int f, char *buf, size_t len)
{
	static const char *const pat[] = {
		"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "kernel BUG",
		"refcount_t", "list_add corruption", "list_del corruption",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "lockdep", "general protection",
		"stall", "hung_task", "blocked for more than", "kmemleak",
		"Call Trace",
	};
	char rec[1024];
	ssize_t n;
	size_t i;

	if (f < 0)
		return 0;
	while ((n = read(f, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;
		rec[n] = '\0';
		rec[strcspn(rec, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(pat); i++) {
			if (strstr(rec, pat[i])) {
				snprintf(buf, len, "%.300s", strchr(rec, ';') ?
					 strchr(rec, ';') + 1 : rec);
				return 1;
			}
		}
	}
	return 0;
}

static void print_ring(void)
{
	uint32_t i, n = sh->ring_pos < RING ? sh->ring_pos : RING;

	printf("# the last %u calls:\n", n);
	for (i = sh->ring_pos - n; i != sh->ring_pos; i++)
		printf("#   %s\n", sh->ring[i % RING]);
}

static void dump_stack(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	printf("# kernel stack of the fuzzer:\n");
	while (fgets(line, sizeof(line), f))
		printf("#   %s", line);
	fclose(f);
}

static void print_json(double secs_run, bool ok, const char *why)
{
	bool first = true;
	int op, e;

	printf("{\"seed\":%u,\"ok\":%s,\"calls\":%llu,\"secs\":%.2f,\"calls_per_sec\":%.0f,"
	       "\"audits\":%llu,\"slow_ops\":%llu,\"sigbus\":%llu,"
	       "\"private_bar_reads\":%llu",
	       seed, ok ? "true" : "false", (unsigned long long)sh->calls,
	       secs_run, secs_run > 0 ? sh->calls / secs_run : 0.0,
	       (unsigned long long)sh->audits, (unsigned long long)sh->slow,
	       (unsigned long long)sh->sigbus,
	       (unsigned long long)sh->private_reads);
	printf(",\"failure\":");
	if (why) {
		putchar('"');
		for (; *why; why++)
			if (*why == '"' || *why == '\\')
				printf("\\%c", *why);
			else if ((unsigned char)*why >= 0x20)
				putchar(*why);
		putchar('"');
	} else {
		printf("null");
	}
	for (op = 0; op < NR_OPS; op++) {
		const char *grp = op < OP_VFIO_FIRST ? "tsmbpf" :
				  op < OP_FEAT_FIRST ? "vfio" : "features";

		if (op == 0 || op == OP_VFIO_FIRST || op == OP_FEAT_FIRST)
			printf("%s\"%s\":{", op ? "}," : ",", grp);
		printf("%s\"%s\":{\"calls\":%llu,\"ok\":%llu,\"errnos\":[",
		       op == 0 || op == OP_VFIO_FIRST || op == OP_FEAT_FIRST ?
		       "" : ",", op_names[op],
		       (unsigned long long)sh->op[op].calls,
		       (unsigned long long)sh->op[op].ok);
		first = true;
		for (e = 1; e < 256; e++)
			if (sh->op[op].errs[e / 64] & (1ULL << (e % 64))) {
				printf("%s\"%s\"", first ? "" : ",", errname(e));
				first = false;
			}
		printf("]}");
	}
	printf("}");
	printf(",\"unreached\":[");
	first = true;
	for (op = 0; op < NR_OPS; op++)
		if (!sh->op[op].calls && (op < OP_VFIO_FIRST || nr_fns)) {
			printf("%s\"%s\"", first ? "" : ",", op_names[op]);
			first = false;
		}
	printf("]}\n");
}

/* Every ioctl of /dev/tsmbpf succeeded, every VFIO operation ran. */
static bool coverage(char *why, size_t len)
{
	int op;

	for (op = 0; op < NR_OPS; op++) {
		if ((op == OP_TDI_STEP || op == OP_REVOKE_GATE) && !step_ioctl)
			continue;
		if (op < NR_TSMBPF && !sh->op[op].ok) {
			snprintf(why, len, "%s never succeeded", op_names[op]);
			return false;
		}
		if ((op < OP_VFIO_FIRST || nr_fns) && !sh->op[op].calls) {
			snprintf(why, len, "%s never reached", op_names[op]);
			return false;
		}
	}
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: tsmbpf_fuzz [-s SEED] [-t SECS | -n CALLS] [-j] [-v] [-w SECS] [-g GAP] [-L] [BDF...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t last = 0, last_change;
	char why[1200], splat[400];
	int opt, status, kmsg, i;
	FILE *pf;
	bool ok = true;
	double run;
	pid_t pid;

	seed = (unsigned int)now_ns() ^ getpid();
	while ((opt = getopt(argc, argv, "s:t:n:jvw:g:Lh")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'n':
			max_calls = strtoull(optarg, NULL, 0);
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'w':
			watchdog = atoi(optarg);
			break;
		case 'g':
			slow_gap = strtoull(optarg, NULL, 0);
			break;
		case 'L':
			leak_selftest = true;
			break;
		default:
			usage();
		}
	}
	if (secs <= 0 || watchdog <= 0)
		usage();
	printf("seed %u\n", seed);
	fflush(stdout);
	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		setup_fail("mmap");
	fn_args = argv + optind;
	nr_fn_args = argc - optind;
	pf = fopen("/sys/module/tsmbpf/parameters/step_ioctl", "r");
	if (pf) {
		step_ioctl = fgetc(pf) == 'Y';
		fclose(pf);
	}
	tfd[0] = open("/dev/tsmbpf", O_RDWR | O_CLOEXEC);
	if (tfd[0] < 0)
		setup_fail("/dev/tsmbpf");
	/* the objects that were there before: never ours to touch */
	if (raw_list(TSMBPF_LIST_VMS, pre_vms, MAX_PRE, &nr_pre_vms) ||
	    raw_list(TSMBPF_LIST_TDIS, pre_tdis, MAX_PRE, &nr_pre_tdis) ||
	    nr_pre_vms > MAX_PRE || nr_pre_tdis > MAX_PRE)
		setup_fail("LIST (at most %d objects before the run)", MAX_PRE);
	if (nr_pre_vms || nr_pre_tdis)
		printf("# %u VMs and %u TDIs exist already: left alone\n",
		       nr_pre_vms, nr_pre_tdis);
	kmsg = fuzz_kmsg_open();
	pid = fork();
	if (pid < 0)
		setup_fail("fork");
	if (!pid)
		child();
	nr_fns = nr_fn_args;	/* for the report */

	/* the watchdog */
	last_change = now_ns();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		usleep(100000);
		if (sh->progress != last) {
			last = sh->progress;
			last_change = now_ns();
		} else if (now_ns() - last_change > watchdog * 1000000000ULL) {
			printf("not ok - no call returned for %d s: the kernel is stuck (seed %u)\n",
			       watchdog, seed);
			print_ring();
			dump_stack(pid);
			kill(pid, SIGKILL);
			return 1;
		}
	}
	run = sh->t1 > sh->t0 ? (sh->t1 - sh->t0) / 1e9 : 0;
	why[0] = '\0';
	if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "the fuzzer was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (sh->failed) {
		snprintf(why, sizeof(why), "%s", sh->msg);
	} else if (WEXITSTATUS(status)) {
		snprintf(why, sizeof(why), "the fuzzer exited %d",
			 WEXITSTATUS(status));
	}
	/* after the child: nothing of its may be left, closed fds included */
	if (!why[0]) {
		uint32_t n;

		for (i = 0; i < 2 && !why[0]; i++) {
			static uint32_t ids[4096];

			if (raw_list(i, ids, ARRAY_SIZE(ids), &n))
				snprintf(why, sizeof(why), "LIST after the run: %s",
					 strerror(errno));
			else if (n != (i ? nr_pre_tdis : nr_pre_vms))
				snprintf(why, sizeof(why),
					 "%u %s left after the clean-up (%u before the run)",
					 n, i ? "TDIs" : "VMs",
					 i ? nr_pre_tdis : nr_pre_vms);
		}
	}
	if (!why[0])
		coverage(why, sizeof(why));
	if (sh->private_reads) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, "%s%llu times %s",
			 n ? "; " : "", (unsigned long long)sh->private_reads,
			 sh->private_msg);
	}
	if (fuzz_kmsg_splat(kmsg, splat, sizeof(splat))) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, "%sthe kernel logged: %s",
			 n ? "; " : "", splat);
	}
	ok = !why[0];
	if (ok) {
		printf("ok - %llu calls in %.1f s (%.0f calls/s), %llu audits, seed %u\n",
		       (unsigned long long)sh->calls, run,
		       run > 0 ? sh->calls / run : 0.0,
		       (unsigned long long)sh->audits, seed);
	} else {
		printf("not ok - %s (seed %u, after %llu calls)\n", why, seed,
		       (unsigned long long)sh->calls);
		print_ring();
	}
	if (json)
		print_json(run, ok, ok ? NULL : why);
	return ok ? 0 : 1;
}
