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

TRACE_DEFINE_ENUM(TSMBPF_TDISP_CONFIG_UNLOCKED);
TRACE_DEFINE_ENUM(TSMBPF_TDISP_CONFIG_LOCKED);
TRACE_DEFINE_ENUM(TSMBPF_TDISP_RUN);
TRACE_DEFINE_ENUM(TSMBPF_TDISP_ERROR);

#define tsmbpf_show_state(s)						\
	__print_symbolic(s,						\
			 { TSMBPF_TDISP_CONFIG_UNLOCKED, "config_unlocked" }, \
			 { TSMBPF_TDISP_CONFIG_LOCKED, "config_locked" }, \
			 { TSMBPF_TDISP_RUN, "run" },			\
			 { TSMBPF_TDISP_ERROR, "error" })

TRACE_DEFINE_ENUM(TSMBPF_EV_MSE_CLEAR);
TRACE_DEFINE_ENUM(TSMBPF_EV_BME_CLEAR);
TRACE_DEFINE_ENUM(TSMBPF_EV_D3HOT);
TRACE_DEFINE_ENUM(TSMBPF_EV_FLR);
TRACE_DEFINE_ENUM(TSMBPF_EV_AF_FLR);
TRACE_DEFINE_ENUM(TSMBPF_EV_RESET);
TRACE_DEFINE_ENUM(TSMBPF_EV_HOT_RESET);
TRACE_DEFINE_ENUM(TSMBPF_EV_RUNTIME_PM);
TRACE_DEFINE_ENUM(TSMBPF_EV_CLOSE);
TRACE_DEFINE_ENUM(TSMBPF_EV_REMOVE);
TRACE_DEFINE_ENUM(TSMBPF_EV_VM_DESTROY);

#define tsmbpf_show_event(e)						\
	__print_symbolic(e,						\
			 { TSMBPF_EV_MSE_CLEAR, "mse_clear" },		\
			 { TSMBPF_EV_BME_CLEAR, "bme_clear" },		\
			 { TSMBPF_EV_D3HOT, "d3hot" },			\
			 { TSMBPF_EV_FLR, "flr" },			\
			 { TSMBPF_EV_AF_FLR, "af_flr" },		\
			 { TSMBPF_EV_RESET, "reset" },			\
			 { TSMBPF_EV_HOT_RESET, "hot_reset" },		\
			 { TSMBPF_EV_RUNTIME_PM, "runtime_pm" },	\
			 { TSMBPF_EV_CLOSE, "close" },			\
			 { TSMBPF_EV_REMOVE, "remove" },		\
			 { TSMBPF_EV_VM_DESTROY, "vm_destroy" })

TRACE_DEFINE_ENUM(TSMBPF_VERDICT_UNBIND);
TRACE_DEFINE_ENUM(TSMBPF_VERDICT_DENY);
TRACE_DEFINE_ENUM(TSMBPF_VERDICT_REBIND);

#define tsmbpf_show_verdict(v)						\
	__print_symbolic(v,						\
			 { TSMBPF_VERDICT_UNBIND, "unbind" },		\
			 { TSMBPF_VERDICT_DENY, "deny" },		\
			 { TSMBPF_VERDICT_REBIND, "rebind" })

/*
 * The BDF as lspci prints it.  Every record on a TDI carries the TDI's id,
 * its BDF, its platform and the generation of the policy the operation
 * runs under (tdi->cur_gen).
 */
#define tsmbpf_bdf_seg(b)	((b) >> 16)
#define tsmbpf_bdf_bus(b)	(((b) >> 8) & 0xff)
#define tsmbpf_bdf_dev(b)	(((b) >> 3) & 0x1f)
#define tsmbpf_bdf_fn(b)	((b) & 7)
#define TSMBPF_BDF_FMT "%04x:%02x:%02x.%u"

/*
 * A bare tracepoint (no trace event, for BPF only: tp_btf or raw_tp): the
 * latency log of a hold of @tdi's lock, @tdi->oplog, just before it is
 * emptied.  A histogram program attached here runs once per operation,
 * not once per step as on tsmbpf_step.
 */
DECLARE_TRACE(tsmbpf_oplog,
	TP_PROTO(const struct tsmbpf_tdi *tdi),
	TP_ARGS(tdi));

/*
 * A step done, by the native sequence, a policy's kfunc or the test
 * ioctl alike: @start_ns is the ktime_get_ns() it started at, 0 when the
 * event was off then (tracing attached during the step): no duration.
 */
TRACE_EVENT(tsmbpf_step,
	TP_PROTO(const struct tsmbpf_tdi *tdi, u32 step, int ret, u32 fw_error,
		 u64 start_ns),
	TP_ARGS(tdi, step, ret, fw_error, start_ns),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
		__field(u32, step)
		__field(int, ret)
		__field(u32, fw_error)
		__field(u64, gen)
		__field(u64, ns)
		__field(bool, policy)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
		__entry->step = step;
		__entry->ret = ret;
		__entry->fw_error = fw_error;
		__entry->gen = tdi->cur_gen;
		__entry->ns = start_ns ? ktime_get_ns() - start_ns : 0;
		__entry->policy = tdi->in_policy;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT
		  " plat=%s step=%s ret=%d fw=%#x gen=%llu ns=%llu by=%s",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform),
		  tsmbpf_show_step(__entry->step), __entry->ret,
		  __entry->fw_error, __entry->gen, __entry->ns,
		  __entry->policy ? "policy" : "native")
);

/* The TDISP state of @tdi moved from @old to @new. */
TRACE_EVENT(tsmbpf_state,
	TP_PROTO(const struct tsmbpf_tdi *tdi, u32 old, u32 new),
	TP_ARGS(tdi, old, new),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
		__field(u32, old)
		__field(u32, new)
		__field(u64, gen)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
		__entry->old = old;
		__entry->new = new;
		__entry->gen = tdi->cur_gen;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT " plat=%s gen=%llu %s -> %s",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform), __entry->gen,
		  tsmbpf_show_state(__entry->old),
		  tsmbpf_show_state(__entry->new))
);

/*
 * A bind, accept or unbind done: @start_ns is the ktime_get_ns() it
 * started at (0 if unknown: an accept that began before tracing did); the
 * record carries the duration, read only while the event is enabled.
 */
DECLARE_EVENT_CLASS(tsmbpf_op,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
		__field(u64, gen)
		__string(policy, policy)
		__field(int, ret)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
		__entry->gen = tdi->cur_gen;
		__assign_str(policy);
		__entry->ret = ret;
		__entry->ns = start_ns ? ktime_get_ns() - start_ns : 0;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT " plat=%s gen=%llu policy=%s ret=%d ns=%llu",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform),
		  __entry->gen, __get_str(policy), __entry->ret, __entry->ns)
);

DEFINE_EVENT(tsmbpf_op, tsmbpf_bind,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns));

DEFINE_EVENT(tsmbpf_op, tsmbpf_accept,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns));

DEFINE_EVENT(tsmbpf_op, tsmbpf_unbind,
	TP_PROTO(const struct tsmbpf_tdi *tdi, const char *policy, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, policy, ret, start_ns));

/* A host event reached the gate for @tdi's function. */
TRACE_EVENT(tsmbpf_host_event,
	TP_PROTO(const struct tsmbpf_tdi *tdi, u32 event),
	TP_ARGS(tdi, event),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
		__field(u32, event)
		__field(u64, gen)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
		__entry->event = event;
		__entry->gen = tdi->cur_gen;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT " plat=%s gen=%llu event=%s",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform), __entry->gen,
		  tsmbpf_show_event(__entry->event))
);

/* The verdict on a host event of a bound TDI, by its policy or not. */
TRACE_EVENT(tsmbpf_host_verdict,
	TP_PROTO(const struct tsmbpf_tdi *tdi, u32 event, u32 verdict,
		 bool by_policy),
	TP_ARGS(tdi, event, verdict, by_policy),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
		__field(u32, event)
		__field(u32, verdict)
		__field(u64, gen)
		__field(bool, policy)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
		__entry->event = event;
		__entry->verdict = verdict;
		__entry->gen = tdi->cur_gen;
		__entry->policy = by_policy;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT " plat=%s gen=%llu event=%s verdict=%s by=%s",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform), __entry->gen,
		  tsmbpf_show_event(__entry->event),
		  tsmbpf_show_verdict(__entry->verdict),
		  __entry->policy ? "policy" : "native")
);

/*
 * A host event is over: refused by the gate (@ret its errno) or done by
 * the host (@ret the host's result).  @start_ns is when it was received.
 */
TRACE_EVENT(tsmbpf_host_event_done,
	TP_PROTO(const struct tsmbpf_tdi *tdi, u32 event, u32 verdict, int ret,
		 u64 start_ns),
	TP_ARGS(tdi, event, verdict, ret, start_ns),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
		__field(u32, event)
		__field(u32, verdict)
		__field(int, ret)
		__field(u64, gen)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
		__entry->event = event;
		__entry->verdict = verdict;
		__entry->ret = ret;
		__entry->gen = tdi->cur_gen;
		__entry->ns = start_ns ? ktime_get_ns() - start_ns : 0;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT
		  " plat=%s gen=%llu event=%s verdict=%s ret=%d ns=%llu",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform), __entry->gen,
		  tsmbpf_show_event(__entry->event),
		  tsmbpf_show_verdict(__entry->verdict), __entry->ret,
		  __entry->ns)
);

/*
 * A policy took (attach, swap) or left (detach) the slot of @platform;
 * @gen is the generation of the attached policy, or of the slot table
 * after a detach.
 */
DECLARE_EVENT_CLASS(tsmbpf_policy_op,
	TP_PROTO(u32 platform, const char *policy, u64 gen),
	TP_ARGS(platform, policy, gen),
	TP_STRUCT__entry(
		__field(u32, platform)
		__field(u64, gen)
		__array(char, policy, TSMBPF_NAME_LEN)
	),
	TP_fast_assign(
		__entry->platform = platform;
		__entry->gen = gen;
		strscpy(__entry->policy, policy, TSMBPF_NAME_LEN);
	),
	TP_printk("plat=%s policy=%s gen=%llu",
		  tsmbpf_show_plat(__entry->platform), __entry->policy,
		  __entry->gen)
);

DEFINE_EVENT(tsmbpf_policy_op, tsmbpf_policy_attach,
	TP_PROTO(u32 platform, const char *policy, u64 gen),
	TP_ARGS(platform, policy, gen));

DEFINE_EVENT(tsmbpf_policy_op, tsmbpf_policy_swap,
	TP_PROTO(u32 platform, const char *policy, u64 gen),
	TP_ARGS(platform, policy, gen));

DEFINE_EVENT(tsmbpf_policy_op, tsmbpf_policy_detach,
	TP_PROTO(u32 platform, const char *policy, u64 gen),
	TP_ARGS(platform, policy, gen));

/*
 * @tdi was created (its id reserved, not yet published) or is being
 * destroyed (dead, still published).  Ids are reused after a destroy:
 * whatever is kept per TDI id starts afresh at a create.
 */
DECLARE_EVENT_CLASS(tsmbpf_tdi_life,
	TP_PROTO(const struct tsmbpf_tdi *tdi),
	TP_ARGS(tdi),
	TP_STRUCT__entry(
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u32, platform)
	),
	TP_fast_assign(
		__entry->tdi = tdi->id;
		__entry->bdf = tdi->bdf;
		__entry->platform = tdi->platform;
	),
	TP_printk("tdi=%u bdf=" TSMBPF_BDF_FMT " plat=%s",
		  __entry->tdi, tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf),
		  tsmbpf_show_plat(__entry->platform))
);

DEFINE_EVENT(tsmbpf_tdi_life, tsmbpf_tdi_created,
	TP_PROTO(const struct tsmbpf_tdi *tdi),
	TP_ARGS(tdi));

DEFINE_EVENT(tsmbpf_tdi_life, tsmbpf_tdi_destroyed,
	TP_PROTO(const struct tsmbpf_tdi *tdi),
	TP_ARGS(tdi));

/* A policy ejected; @bdf is the BDF of the TDI it failed on, or 0. */
TRACE_EVENT(tsmbpf_eject,
	TP_PROTO(const struct tsmbpf_exit_info *info, u32 bdf),
	TP_ARGS(info, bdf),
	TP_STRUCT__entry(
		__field(u32, kind)
		__field(u32, platform)
		__field(u32, tdi)
		__field(u32, bdf)
		__field(u64, gen)
		__array(char, policy, TSMBPF_NAME_LEN)
	),
	TP_fast_assign(
		__entry->kind = info->kind;
		__entry->platform = info->platform;
		__entry->tdi = info->tdi;
		__entry->bdf = bdf;
		__entry->gen = info->generation;
		memcpy(__entry->policy, info->policy, TSMBPF_NAME_LEN);
	),
	TP_printk("policy=%s gen=%llu plat=%s tdi=%u bdf=" TSMBPF_BDF_FMT " kind=%u",
		  __entry->policy, __entry->gen,
		  tsmbpf_show_plat(__entry->platform), __entry->tdi,
		  tsmbpf_bdf_seg(__entry->bdf),
		  tsmbpf_bdf_bus(__entry->bdf), tsmbpf_bdf_dev(__entry->bdf),
		  tsmbpf_bdf_fn(__entry->bdf), __entry->kind)
);

#endif /* _TSMBPF_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tsmbpf_trace
#include <trace/define_trace.h>
