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

/* Step kfuncs: 0 or -errno; the platform code lands in tdi->last_fw_error. */
extern int tsmbpf_tdi_stop(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_mmio_unmap(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_dma_teardown(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_tdi_reclaim(struct tsmbpf_tdi *tdi) __ksym;
extern int tsmbpf_mmio_recover(struct tsmbpf_tdi *tdi) __ksym;

/* Bits of tsmbpf_ops.platforms */
#define TSMBPF_PLAT(p)		(1U << (p))

/*
 * TSMBPF_TRY - run a step; on failure return its error from the callback.
 * The core then finishes the teardown natively and records why.
 */
#define TSMBPF_TRY(step, tdi)				\
	({						\
		int __ret = step(tdi);			\
		if (__ret)				\
			return __ret;			\
		__ret;					\
	})

#endif /* __TSMBPF_BPF_H */
