/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmbpf tracepoints.  Every record carries the generation of the policy
 * (or of the slot table, for the native path) it ran under, so that a
 * timeline shows which policy did what across a swap.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tsmbpf

#if !defined(_TSMBPF_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TSMBPF_TRACE_H

#include <linux/tracepoint.h>

#include "tsmbpf.h"

TRACE_DEFINE_ENUM(TSMBPF_STEP_TDI_LOCK);
TRACE_DEFINE_ENUM(TSMBPF_STEP_MMIO_MAP);
TRACE_DEFINE_ENUM(TSMBPF_STEP_DMA_SETUP);
TRACE_DEFINE_ENUM(TSMBPF_STEP_ACCEPT);
TRACE_DEFINE_ENUM(TSMBPF_STEP_TDI_START);
TRACE_DEFINE_ENUM(TSMBPF_STEP_TDI_STOP);
TRACE_DEFINE_ENUM(TSMBPF_STEP_MMIO_UNMAP);
TRACE_DEFINE_ENUM(TSMBPF_STEP_DMA_TEARDOWN);
TRACE_DEFINE_ENUM(TSMBPF_STEP_TDI_RECLAIM);
TRACE_DEFINE_ENUM(TSMBPF_STEP_MMIO_RECOVER);
TRACE_DEFINE_ENUM(TSMBPF_STEP_KEY_PURGE);
TRACE_DEFINE_ENUM(TSMBPF_STEP_FENCE_CLEAR);

#define tsmbpf_show_step(s)						\
	__print_symbolic(s,						\
			 { TSMBPF_STEP_TDI_LOCK, "tdi_lock" },		\
			 { TSMBPF_STEP_MMIO_MAP, "mmio_map" },		\
			 { TSMBPF_STEP_DMA_SETUP, "dma_setup" },	\
			 { TSMBPF_STEP_ACCEPT, "accept" },		\
			 { TSMBPF_STEP_TDI_START, "tdi_start" },	\
			 { TSMBPF_STEP_TDI_STOP, "tdi_stop" },		\
			 { TSMBPF_STEP_MMIO_UNMAP, "mmio_unmap" },	\
			 { TSMBPF_STEP_DMA_TEARDOWN, "dma_teardown" },	\
			 { TSMBPF_STEP_TDI_RECLAIM, "tdi_reclaim" },	\
			 { TSMBPF_STEP_MMIO_RECOVER, "mmio_recover" },	\
			 { TSMBPF_STEP_KEY_PURGE, "key_purge" },	\
			 { TSMBPF_STEP_FENCE_CLEAR, "fence_clear" })

TRACE_DEFINE_ENUM(TSMBPF_PLAT_TDX);
TRACE_DEFINE_ENUM(TSMBPF_PLAT_SEV_TIO);
TRACE_DEFINE_ENUM(TSMBPF_PLAT_CCA);

#define tsmbpf_show_plat(p)						\
	__print_symbolic(p,						\
			 { TSMBPF_PLAT_TDX, "tdx" },			\
			 { TSMBPF_PLAT_SEV_TIO, "sev-tio" },		\
			 { TSMBPF_PLAT_CCA, "cca" })

TRACE_EVENT(tsmbpf_step,
	TP_PROTO(const struct tsmbpf_tdi *tdi, u32 step, int ret, u32 fw_error),
	TP_ARGS(tdi, step, ret, fw_error),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, platform)
		__field(u32, step)
		__field(int, ret)
		__field(u32, fw_error)
		__field(u64, gen)
		__field(bool, policy)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->platform = tdi->platform;
		__entry->step = step;
		__entry->ret = ret;
		__entry->fw_error = fw_error;
		__entry->gen = tdi->cur_gen;
		__entry->policy = tdi->in_policy;
	),
	TP_printk("tdi=%u plat=%s step=%s ret=%d fw=%#x gen=%llu by=%s",
		  __entry->tdi, tsmbpf_show_plat(__entry->platform),
		  tsmbpf_show_step(__entry->step), __entry->ret,
		  __entry->fw_error, __entry->gen,
		  __entry->policy ? "policy" : "native")
);

/*
 * A bind or unbind done: @start_ns is the ktime_get_ns() it started at;
 * the record carries the duration, read only while the event is enabled.
 */
DECLARE_EVENT_CLASS(tsmbpf_op,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, platform)
		__field(u64, gen)
		__string(policy, policy)
		__field(int, ret)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->platform = tdi->platform;
		__entry->gen = tdi->cur_gen;
		__assign_str(policy);
		__entry->ret = ret;
		__entry->ns = ktime_get_ns() - start_ns;
	),
	TP_printk("tdi=%u plat=%s gen=%llu policy=%s ret=%d ns=%llu",
		  __entry->tdi, tsmbpf_show_plat(__entry->platform),
		  __entry->gen, __get_str(policy), __entry->ret, __entry->ns)
);

DEFINE_EVENT(tsmbpf_op, tsmbpf_bind,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns));

DEFINE_EVENT(tsmbpf_op, tsmbpf_unbind,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns));

TRACE_EVENT(tsmbpf_eject,
	TP_PROTO(const struct tsmbpf_exit_info *info),
	TP_ARGS(info),
	TP_STRUCT__entry(
		__field(u32, kind)
		__field(u32, platform)
		__field(u32, tdi)
		__field(u64, gen)
		__array(char, policy, TSMBPF_NAME_LEN)
	),
	TP_fast_assign(
		__entry->kind = info->kind;
		__entry->platform = info->platform;
		__entry->tdi = info->tdi;
		__entry->gen = info->generation;
		memcpy(__entry->policy, info->policy, TSMBPF_NAME_LEN);
	),
	TP_printk("policy=%s gen=%llu plat=%s tdi=%u kind=%u",
		  __entry->policy, __entry->gen,
		  tsmbpf_show_plat(__entry->platform), __entry->tdi,
		  __entry->kind)
);

#endif /* _TSMBPF_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tsmbpf_trace
#include <trace/define_trace.h>
