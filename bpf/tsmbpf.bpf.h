/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common header of tsmbpf policies: the kernel types (vmlinux.h, generated
 * from the 6.12 BTF plus tsmbpf.ko's), libbpf's helpers, the kfuncs the
 * core offers to struct tsmbpf_ops programs and small helpers.
 */
#ifndef __TSMBPF_BPF_H
#define __TSMBPF_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/*
 * Step kfuncs, sleepable: call them from bind() and unbind() loaded as
 * SEC("struct_ops.s/..."), on the TDI the callback was given.  Each returns
 * 0 or -errno; the platform's code lands in tdi->last_fw_error.
 */
extern int tsmbpf_tdi_lock(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_mmio_map(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_dma_setup(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_fence_clear(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_tdi_stop(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_mmio_unmap(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_dma_teardown(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_key_purge(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_tdi_reclaim(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_mmio_recover(struct tsmbpf_tdi *tdi) __ksym;

/* State readers, any callback. */
extern u32 tsmbpf_tdi_state(struct tsmbpf_tdi *tdi) __ksym;
extern u32 tsmbpf_tdi_resources(struct tsmbpf_tdi *tdi) __ksym;
extern u64 tsmbpf_tdi_mmio_pages(struct tsmbpf_tdi *tdi) __ksym;
extern u32 tsmbpf_tdi_last_fw_error(struct tsmbpf_tdi *tdi) __ksym;

extern void tsmbpf_error_bstr(const char *fmt__str, u64 *data,
			      u32 data__sz) __ksym;

/* Resource bits (uAPI #defines, not in BTF). */
#define TSMBPF_RES_METADATA	(1U << 0)
#define TSMBPF_RES_DMA		(1U << 1)
#define TSMBPF_RES_SHARED_MMIO	(1U << 2)
#define TSMBPF_RES_ACCEPTED	(1U << 3)
#define TSMBPF_RES_FENCED	(1U << 4)

/* Bits of tsmbpf_ops.platforms */
#define TSMBPF_PLAT(p)		(1U << (p))

/*
 * tsmbpf_error(fmt, args...) - eject this policy with a message; integer
 * conversions only (%d %u %x with l/ll).  Like sched_ext's scx_bpf_error().
 */
#define tsmbpf_error(fmt, args...)					\
	({								\
		static const char ___fmt[] = fmt;			\
		unsigned long long ___param[___bpf_narg(args) + 1];	\
									\
		_Pragma("GCC diagnostic push")				\
		_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")	\
		___bpf_fill(___param, args);				\
		_Pragma("GCC diagnostic pop")				\
		tsmbpf_error_bstr(___fmt, ___param,			\
				  sizeof(___param) - sizeof(___param[0])); \
	})

/*
 * Gating an operator chooses at load.  Each platform policy has a setting
 * `const volatile enum tsmbpf_gate gate` in .rodata, which the loader
 * writes before load (`tsmctl policy load OBJ set gate=strict`: the value
 * is an enumerator's name without the common TSMBPF_GATE_ prefix, in any
 * case).  tsmbpf_gate_verdict() answers for revoke_gate():
 *
 *   default  TSMBPF_VERDICT_UNBIND for every event: unbind first, the
 *            safe order;
 *   strict   TSMBPF_VERDICT_DENY for D3hot and runtime-PM low-power entry
 *            while the TDI is RUN, as default otherwise: a host that would
 *            power down a device the guest is using is refused;
 *   rebind   TSMBPF_VERDICT_REBIND after FLR, AF FLR, VFIO reset and hot
 *            reset, as default otherwise: the TDI is bound again after the
 *            reset and waits in CONFIG_LOCKED for the guest's accept.
 *
 * Close, remove and VM destroy cannot be refused: the core unbinds
 * whatever the verdict.
 */
enum tsmbpf_gate {
	TSMBPF_GATE_DEFAULT	= 0,
	TSMBPF_GATE_STRICT	= 1,
	TSMBPF_GATE_REBIND	= 2,
};

/* A reset of the function or its device set: FLR, AF FLR, VFIO resets. */
static __always_inline bool tsmbpf_event_is_reset(u32 event)
{
	return event == TSMBPF_EV_FLR || event == TSMBPF_EV_AF_FLR ||
	       event == TSMBPF_EV_RESET || event == TSMBPF_EV_HOT_RESET;
}

/* A power state change that loses the device's state. */
static __always_inline bool tsmbpf_event_is_low_power(u32 event)
{
	return event == TSMBPF_EV_D3HOT || event == TSMBPF_EV_RUNTIME_PM;
}

static __always_inline u32 tsmbpf_gate_verdict(struct tsmbpf_tdi *tdi,
					       u32 event,
					       enum tsmbpf_gate gate)
{
	switch (gate) {
	case TSMBPF_GATE_STRICT:
		if (tsmbpf_event_is_low_power(event) &&
		    tsmbpf_tdi_state(tdi) == TSMBPF_TDISP_RUN)
			return TSMBPF_VERDICT_DENY;
		break;
	case TSMBPF_GATE_REBIND:
		if (tsmbpf_event_is_reset(event))
			return TSMBPF_VERDICT_REBIND;
		break;
	default:
		break;
	}
	return TSMBPF_VERDICT_UNBIND;
}

/*
 * TSMBPF_TRY - run a step; on failure return its error from the callback.
 * The core then finishes the operation natively and records why.
 */
#define TSMBPF_TRY(step, tdi)				\
	({						\
		int __ret = step(tdi);			\
		if (__ret)				\
			return __ret;			\
		__ret;					\
	})

#endif /* __TSMBPF_BPF_H */
