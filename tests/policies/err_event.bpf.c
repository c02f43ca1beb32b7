// SPDX-License-Identifier: GPL-2.0
/*
 * err_event - event() calls tsmbpf_error() during a native operation
 *
 * A broken policy for the tests.  It sequences nothing, so TDX TDIs bind
 * and unbind natively and event() runs outside any policy operation.  On
 * a step of a TDI on bus 0x77 it calls tsmbpf_error(): that must eject it.
 * ev_counts counts what the tests check: [0] exit() calls, [1] event()
 * calls after exit(), [2] the exit kind, [3] event() calls.
 */
#include "tsmbpf.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} ev_counts SEC(".maps");

static void bump(u32 key, u64 val, bool set)
{
	u64 *v = bpf_map_lookup_elem(&ev_counts, &key);

	if (!v)
		return;
	if (set)
		*v = val;
	else
		__sync_fetch_and_add(v, val);
}

SEC("struct_ops/event")
void BPF_PROG(err_event_event, struct tsmbpf_tdi *tdi, u32 step, s32 result)
{
	u32 key = 0;
	u64 *exits = bpf_map_lookup_elem(&ev_counts, &key);

	bump(3, 1, false);
	if (exits && *exits)
		bump(1, 1, false);
	if (((tdi->bdf >> 8) & 0xff) == 0x77)
		tsmbpf_error("event() on tdi %u step %u", tdi->id, step);
}

SEC("struct_ops/exit")
void BPF_PROG(err_event_exit, struct tsmbpf_exit_info *info)
{
	bump(0, 1, false);
	bump(2, info->kind, true);
	bpf_printk("tsmbpf-test err_event exit kind %u", info->kind);
}

SEC(".struct_ops.link")
struct tsmbpf_ops err_event = {
	.event		= (void *)err_event_event,
	.exit		= (void *)err_event_exit,
	.platforms	= TSMBPF_PLAT(TSMBPF_PLAT_TDX),
	.name		= "err_event",
};
