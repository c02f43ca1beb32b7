/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct tsmbpf_ops: the BPF struct_ops through which a policy sequences
 * the teardown of a TDI.  The BPF side sees this type through the module's
 * BTF (vmlinux.h), so this header is kernel-only.
 */
#ifndef _TSMBPF_OPS_H
#define _TSMBPF_OPS_H

#include <linux/types.h>
#include <uapi/linux/tsmbpf.h>

struct tsmbpf_tdi;

/* Bits of tsmbpf_ops.platforms. */
#define TSMBPF_OPS_PLAT(p)	(1U << (p))
#define TSMBPF_OPS_PLAT_ALL	((1U << TSMBPF_PLAT_NR) - 1)

/* Bits of tsmbpf_ops.flags. */
enum tsmbpf_ops_flags {
	/* the policy is only an observer; the core still runs native */
	TSMBPF_OPS_F_OBSERVE	= 1U << 0,
	TSMBPF_OPS_F_ALL	= TSMBPF_OPS_F_OBSERVE,
};

/**
 * struct tsmbpf_ops - a TSM sequencing policy
 *
 * A policy serves one or more platforms (@platforms) and holds their
 * policy slots while attached; each slot holds at most one policy.
 */
struct tsmbpf_ops {
	/**
	 * @unbind: tear @tdi down in the order its platform requires
	 * @tdi: the TDI, bound to a VM; trusted pointer
	 * @reason: enum tsmbpf_unbind_reason
	 *
	 * Call the step kfuncs (tsmbpf_tdi_stop(), tsmbpf_mmio_unmap(),
	 * tsmbpf_dma_teardown(), tsmbpf_tdi_reclaim(), ...) in the order the
	 * platform's firmware accepts.  The return value is informational.
	 * After it returns the core checks the TDI is CONFIG_UNLOCKED with no
	 * private MMIO, no trusted DMA entry and no firmware metadata; if not
	 * it finishes the teardown with the native sequence.
	 *
	 * Context: process context, may sleep (load it as struct_ops.s),
	 * the TDI's lock held.  If absent the native sequence runs.
	 */
	int (*unbind)(struct tsmbpf_tdi *tdi, u32 reason);

	/** @platforms: TSMBPF_OPS_PLAT() bits of the slots this policy takes */
	u32 platforms;
	/** @flags: TSMBPF_OPS_F_* */
	u32 flags;
	/** @name: [a-z0-9_-], 1 to TSMBPF_NAME_LEN - 1 characters */
	char name[TSMBPF_NAME_LEN];
};

#endif /* _TSMBPF_OPS_H */
