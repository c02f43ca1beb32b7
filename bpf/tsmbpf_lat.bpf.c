// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf latency tracing: tp_btf programs on the tsmbpf tracepoints
 * (kernel/tsmbpf_trace.h) that fill log2 histograms and counters, and an
 * ordered timeline in a BPF ring buffer.  The layout and the metric each
 * map feeds are in tsmbpf_lat.h; tsmctl (loader/lat.c) loads and reads it.
 *
 * It does not touch the policies: the tracepoints fire on the native path
 * and inside any policy's kfuncs alike, so it works with any policy, or
 * none, in a slot.  Steps, operations and state changes come from the
 * TDI's latency log, which the core hands over once per hold of the TDI's
 * lock (lat_oplog); host events, policy changes and ejections from their
 * own tracepoints.  Durations are the core's (ktime_get_ns(), the clock
 * bpf_ktime_get_ns() reads); an entry or a start of 0 that is not timed
 * began before tracing was attached: it goes to the timeline with no
 * duration and into no histogram, so attaching or detaching while TDIs
 * are busy never counts a bogus time.
 * The 6.12 verifier takes every pointer argument of a tracepoint as
 * possibly NULL (they never are here): each program checks first.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "tsmbpf_lat.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * false: histograms and counters only, nothing in the ring buffer; the
 * loader then does not load lat_host_event, which feeds the timeline
 * alone (tsmbpf_lat_mode.h).
 */
const volatile bool timeline_on = true;

/*
 * A record wakes the timeline's reader only once this much is waiting in
 * the ring buffer: a quarter of it (tsmbpf_lat_set_ring()).  Below that
 * the reader finds records at its next poll (tsmctl trace polls every
 * 100 ms at most), and the traced path pays no wake-up (an irq_work, then
 * an IPI to the reader's CPU) for each record it catches up on.
 */
const volatile __u64 wake_bytes = 64 * 1024;

/* hist_tdi's entries: TDI ids run from 1 to TSMBPF_MAX_TDIS (8191) */
#define LAT_MAX_TDIS	8192

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSMBPF_PLAT_NR * TSMBPF_STEP_NR);
	__type(key, __u32);
	__type(value, struct tsmbpf_lat_hist);
} hist_step SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSMBPF_PLAT_NR * TSMBPF_LAT_OP_SLOTS);
	__type(key, __u32);
	__type(value, struct tsmbpf_lat_hist);
} hist_op SEC(".maps");

/*
 * Indexed by TDI id: the verifier inlines the lookup, where a hash table's
 * cost more than the rest of lat_oplog's run.  Mmapable: tsmctl reads it
 * in place (loader/lat.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LAT_MAX_TDIS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct tsmbpf_lat_tdi);
} hist_tdi SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSMBPF_PLAT_NR * TSMBPF_EV_NR * TSMBPF_VERDICT_NR);
	__type(key, __u32);
	__type(value, __u64);
} cnt_verdict SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TSMBPF_PLAT_NR * TSMBPF_POL_NR);
	__type(key, __u32);
	__type(value, __u64);
} cnt_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);	/* set by the loader */
} timeline SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} timeline_drops SEC(".maps");

static const struct tsmbpf_lat_tdi zero_tdi;

/*
 * Add d to a per-CPU histogram: plain adds.  Every program here runs from
 * a tracepoint, which calls it with preemption disabled, and the
 * tracepoints fire in process context only, where bpf_trace_run() refuses
 * a nested run of the same program on the CPU: nothing else can touch this
 * CPU's copy in the middle.  Atomics would cost a locked instruction each
 * (an out-of-line helper under QEMU TCG) on every step.
 */
static __always_inline void hist_add(struct tsmbpf_lat_hist *h, __u64 d)
{
	__u32 slot = tsmbpf_lat_slot(d);

	if (slot < TSMBPF_LAT_SLOTS)
		h->slots[slot]++;
	h->sum_ns += d;
	if (d > h->max_ns)
		h->max_ns = d;
	h->count++;
}

/*
 * Add d to a histogram shared by all CPUs (a TDI's: two operations on one
 * TDI may end at once on two CPUs, say an unbind and a host event's
 * completion).
 */
static __always_inline void hist_add_shared(struct tsmbpf_lat_hist *h, __u64 d)
{
	__u32 slot = tsmbpf_lat_slot(d);

	if (slot < TSMBPF_LAT_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum_ns, d);
	if (d > h->max_ns)
		h->max_ns = d;	/* a lost race loses a maximum, not a count */
	/* last: a reader that sees the count sees its slot */
	__sync_fetch_and_add(&h->count, 1);
}

/* A per-CPU array map's entry: inlined by the verifier, no hashing. */
static __always_inline void hist_add_idx(void *map, __u32 idx, __u64 d)
{
	struct tsmbpf_lat_hist *h = bpf_map_lookup_elem(map, &idx);

	if (h)
		hist_add(h, d);
}

static __always_inline void cnt_add(void *map, __u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(map, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline __u64 lat_dur(__u64 now, __u64 start_ns)
{
	return start_ns && now > start_ns ? now - start_ns : 0;
}

/*
 * The TDI's operation histogram, at its id; its labels written with each
 * count (a created TDI's entry is zeroed first: lat_tdi_created, and an
 * entry with no count is a TDI not seen).  A bind, accept or unbind
 * reaches it with the TDI's lock held (the tsmbpf_oplog tracepoint fires
 * under it), so the writers of those three histograms take turns and add
 * plainly; a host event ends after the lock is released, and two may end
 * at once on two CPUs: its histogram is shared.
 */
static __always_inline void tdi_hist_add(const struct tsmbpf_tdi *tdi,
					 __u32 op, __u64 d)
{
	struct tsmbpf_lat_tdi *t;
	__u32 id = tdi->id;

	t = bpf_map_lookup_elem(&hist_tdi, &id);
	if (!t)
		return;
	t->platform = tdi->platform;
	t->bdf = tdi->bdf;
	if (op == TSMBPF_OP_EVENT)
		hist_add_shared(&t->op[op], d);
	else if (op < TSMBPF_OP_NR)
		hist_add(&t->op[op], d);
}

static __always_inline char hex(__u32 d)
{
	return d < 10 ? '0' + d : 'a' + d - 10;
}

/* "ssss:bb:dd.f" without bpf_snprintf(): this runs on every step. */
static __always_inline void bdf_str(char *s, __u32 bdf)
{
	s[0] = hex((bdf >> 28) & 0xf);
	s[1] = hex((bdf >> 24) & 0xf);
	s[2] = hex((bdf >> 20) & 0xf);
	s[3] = hex((bdf >> 16) & 0xf);
	s[4] = ':';
	s[5] = hex((bdf >> 12) & 0xf);
	s[6] = hex((bdf >> 8) & 0xf);
	s[7] = ':';
	s[8] = hex((bdf >> 7) & 0x1);
	s[9] = hex((bdf >> 3) & 0xf);
	s[10] = '.';
	s[11] = hex(bdf & 7);
	s[12] = '\0';
}

static __always_inline struct tsmbpf_rec *rec_new(__u32 kind, __u64 now)
{
	struct tsmbpf_rec *r;
	__u32 zero = 0;
	__u64 *drops;

	if (!timeline_on)
		return NULL;
	r = bpf_ringbuf_reserve(&timeline, sizeof(*r), 0);
	if (!r) {
		drops = bpf_map_lookup_elem(&timeline_drops, &zero);
		if (drops)
			__sync_fetch_and_add(drops, 1);
		return NULL;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->ts_ns = now;
	r->kind = kind;
	return r;
}

static __always_inline void rec_submit(void *r)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&timeline, BPF_RB_AVAIL_DATA) >= wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

static __always_inline void rec_name(struct tsmbpf_rec *r, const char *name)
{
	bpf_probe_read_kernel_str(r->policy, sizeof(r->policy), name);
}

static __always_inline void rec_tdi(struct tsmbpf_rec *r,
				    const struct tsmbpf_tdi *tdi)
{
	r->tdi = tdi->id;
	r->platform = tdi->platform;
	r->gen = tdi->cur_gen;
	bdf_str(r->bdf, tdi->bdf);
}

/* What an operation's entry in the latency log feeds: TSMBPF_OP_*, or -1 */
static __always_inline int oplog_op(__u32 what)
{
	switch (what) {
	case TSMBPF_OPLOG_BIND:
		return TSMBPF_OP_BIND;
	case TSMBPF_OPLOG_ACCEPT:
		return TSMBPF_OP_ACCEPT;
	case TSMBPF_OPLOG_UNBIND:
		return TSMBPF_OP_UNBIND;
	}
	return -1;
}

/*
 * The TDI's latency log, handed over once per hold of its lock
 * (kernel/tsmbpf.h, struct tsmbpf_oplog): its steps, operations and state
 * changes.  One run per hold, not one per step: the histograms take each
 * timed step and operation, and the timeline the whole log as one record.
 * The log is read in place through BTF, a plain load per field, entry by
 * entry at constant offsets: the verifier takes no variable offset into a
 * BTF object.  One function called per entry, not inlined: the verifier
 * follows each call with its constant index, and the program stays small
 * (inlined, its 16 copies made it 4,800 instructions, 21 KiB of x86, and
 * no faster).
 */
static __noinline void oplog_entry(const struct tsmbpf_tdi *tdi,
					__u32 plat, __u32 i)
{
	const struct tsmbpf_oplog_entry *e = &tdi->oplog.e[i];
	__u32 what = e->what;
	__u64 ns = e->ns;
	int op;

	if (!e->timed)
		return;		/* begun before tracing was attached */
	if (what < TSMBPF_STEP_NR) {
		hist_add_idx(&hist_step, TSMBPF_LAT_STEP_IDX(plat, what), ns);
		return;
	}
	op = oplog_op(what);
	if (op < 0)
		return;
	hist_add_idx(&hist_op, TSMBPF_LAT_OP_IDX(plat, op, 0), ns);
	tdi_hist_add(tdi, op, ns);
}

/* The batch copies the core's log entries as they are. */
#define SAME_FIELD(f)							\
	_Static_assert(__builtin_offsetof(struct tsmbpf_oplog_entry, f) ==	\
		       __builtin_offsetof(struct tsmbpf_lat_entry, f) &&	\
		       sizeof(((struct tsmbpf_oplog_entry *)0)->f) ==	\
		       sizeof(((struct tsmbpf_lat_entry *)0)->f), #f)
SAME_FIELD(what);
SAME_FIELD(timed);
SAME_FIELD(in_policy);
SAME_FIELD(ret);
SAME_FIELD(ns);
SAME_FIELD(end_ns);
SAME_FIELD(fw_error);
SAME_FIELD(arg);
_Static_assert(sizeof(struct tsmbpf_oplog_entry) == sizeof(struct tsmbpf_lat_entry),
	       "log entry");
_Static_assert(TSMBPF_OPLOG_MAX == TSMBPF_LAT_BATCH_MAX &&
	       TSMBPF_OPLOG_BIND == TSMBPF_LAT_BATCH_BIND &&
	       TSMBPF_OPLOG_STATE == TSMBPF_LAT_BATCH_STATE, "log entry kinds");
/* the name and the entries follow each other in both: one copy */
_Static_assert(__builtin_offsetof(struct tsmbpf_oplog, e) -
	       __builtin_offsetof(struct tsmbpf_oplog, policy) ==
	       __builtin_offsetof(struct tsmbpf_rec_batch, e) -
	       __builtin_offsetof(struct tsmbpf_rec_batch, policy) &&
	       sizeof(((struct tsmbpf_oplog *)0)->policy) ==
	       sizeof(((struct tsmbpf_rec_batch *)0)->policy), "log layout");

/*
 * The whole log as one timeline record, n records for the reader: the
 * header, the policy's name and the n entries, in a record with room for
 * max entries.  The copy is one helper call of the name and the entries
 * that are there, not the whole log: each 8 bytes copied is a few
 * instructions of copy_from_kernel_nofault(), and most holds log 4 to 7
 * entries of the 16.
 */
static __always_inline void oplog_batch_max(const struct tsmbpf_tdi *tdi,
					    __u32 n, const __u32 max)
{
	struct tsmbpf_rec_batch *b;
	__u32 zero = 0;
	__u64 *drops;

	b = bpf_ringbuf_reserve(&timeline, TSMBPF_LAT_BATCH_SIZE(max), 0);
	if (!b)
		goto drop;
	b->kind = TSMBPF_REC_BATCH;
	b->tdi = tdi->id;
	b->ts_ns = bpf_ktime_get_ns();
	b->gen = tdi->cur_gen;
	b->platform = tdi->platform;
	b->bdf = tdi->bdf;
	b->n = n;
	b->pad = 0;
	if (n > max)	/* it is not: for the verifier */
		n = max;
	if (bpf_probe_read_kernel(b->policy, sizeof(b->policy) +
				  n * sizeof(b->e[0]), tdi->oplog.policy)) {
		bpf_ringbuf_discard(b, 0);
		goto drop;
	}
	rec_submit(b);
	return;
drop:
	drops = bpf_map_lookup_elem(&timeline_drops, &zero);
	if (drops)
		__sync_fetch_and_add(drops, n);
}

/* In a record of 4, 8 or 16 entries: the ring buffer holds more of them. */
static __always_inline void oplog_batch(const struct tsmbpf_tdi *tdi, __u32 n)
{
	if (n <= 4)
		oplog_batch_max(tdi, n, 4);
	else if (n <= 8)
		oplog_batch_max(tdi, n, 8);
	else
		oplog_batch_max(tdi, n, TSMBPF_LAT_BATCH_MAX);
}

#define OPLOG_ENTRY(i)						\
	do {							\
		if ((i) >= n)					\
			goto out;				\
		oplog_entry(tdi, plat, (i));			\
	} while (0)

SEC("tp_btf/tsmbpf_oplog")
int BPF_PROG(lat_oplog, const struct tsmbpf_tdi *tdi)
{
	__u32 n, plat;

	if (!tdi)
		return 0;
	plat = tdi->platform;
	n = tdi->oplog.n;
	_Static_assert(TSMBPF_OPLOG_MAX == 16, "one OPLOG_ENTRY per entry");
	OPLOG_ENTRY(0);
	OPLOG_ENTRY(1);
	OPLOG_ENTRY(2);
	OPLOG_ENTRY(3);
	OPLOG_ENTRY(4);
	OPLOG_ENTRY(5);
	OPLOG_ENTRY(6);
	OPLOG_ENTRY(7);
	OPLOG_ENTRY(8);
	OPLOG_ENTRY(9);
	OPLOG_ENTRY(10);
	OPLOG_ENTRY(11);
	OPLOG_ENTRY(12);
	OPLOG_ENTRY(13);
	OPLOG_ENTRY(14);
	OPLOG_ENTRY(15);
out:
	if (timeline_on && n)
		oplog_batch(tdi, n);
	return 0;
}

static __always_inline int lat_host_event_do(const struct tsmbpf_tdi *tdi, u32 event)
{
	struct tsmbpf_rec *r = rec_new(TSMBPF_REC_EVENT, bpf_ktime_get_ns());

	if (!r)
		return 0;
	rec_tdi(r, tdi);
	r->arg0 = event;
	rec_submit(r);
	return 0;
}

SEC("tp_btf/tsmbpf_host_event")
int BPF_PROG(lat_host_event, const struct tsmbpf_tdi *tdi, u32 event)
{
	if (!tdi)
		return 0;
	return lat_host_event_do(tdi, event);
}

static __always_inline int lat_host_verdict_do(const struct tsmbpf_tdi *tdi, u32 event,
	     u32 verdict, bool by_policy)
{
	struct tsmbpf_rec *r;

	cnt_add(&cnt_verdict, TSMBPF_LAT_VERDICT_IDX(tdi->platform, event, verdict));
	r = rec_new(TSMBPF_REC_VERDICT, bpf_ktime_get_ns());
	if (!r)
		return 0;
	rec_tdi(r, tdi);
	r->arg0 = event;
	r->arg1 = verdict;
	r->fw_error = by_policy;
	rec_submit(r);
	return 0;
}

SEC("tp_btf/tsmbpf_host_verdict")
int BPF_PROG(lat_host_verdict, const struct tsmbpf_tdi *tdi, u32 event,
	     u32 verdict, bool by_policy)
{
	if (!tdi)
		return 0;
	return lat_host_verdict_do(tdi, event, verdict, by_policy);
}

static __always_inline int lat_host_event_done_do(const struct tsmbpf_tdi *tdi, u32 event,
	     u32 verdict, int ret, u64 start_ns)
{
	__u64 now = bpf_ktime_get_ns(), d = lat_dur(now, start_ns);
	struct tsmbpf_rec *r;

	if (start_ns) {
		if (event < TSMBPF_EV_NR)
			hist_add_idx(&hist_op, TSMBPF_LAT_OP_IDX(tdi->platform,
								 TSMBPF_OP_EVENT, event), d);
		tdi_hist_add(tdi, TSMBPF_OP_EVENT, d);
	}
	r = rec_new(TSMBPF_REC_EVENT_DONE, now);
	if (!r)
		return 0;
	rec_tdi(r, tdi);
	r->dur_ns = d;
	r->step = TSMBPF_OP_EVENT;
	r->ret = ret;
	r->arg0 = event;
	r->arg1 = verdict;
	rec_submit(r);
	return 0;
}

SEC("tp_btf/tsmbpf_host_event_done")
int BPF_PROG(lat_host_event_done, const struct tsmbpf_tdi *tdi, u32 event,
	     u32 verdict, int ret, u64 start_ns)
{
	if (!tdi)
		return 0;
	return lat_host_event_done_do(tdi, event, verdict, ret, start_ns);
}

static __always_inline int lat_policy(__u32 kind, __u32 what, __u32 platform,
				      const char *name, __u64 gen)
{
	struct tsmbpf_rec *r;

	cnt_add(&cnt_policy, TSMBPF_LAT_POLICY_IDX(platform, what));
	r = rec_new(kind, bpf_ktime_get_ns());
	if (!r)
		return 0;
	r->platform = platform;
	r->gen = gen;
	rec_name(r, name);
	rec_submit(r);
	return 0;
}

SEC("tp_btf/tsmbpf_policy_attach")
int BPF_PROG(lat_policy_attach, u32 platform, const char *policy, u64 gen)
{
	return lat_policy(TSMBPF_REC_ATTACH, TSMBPF_POL_ATTACH, platform,
			  policy, gen);
}

SEC("tp_btf/tsmbpf_policy_swap")
int BPF_PROG(lat_policy_swap, u32 platform, const char *policy, u64 gen)
{
	return lat_policy(TSMBPF_REC_SWAP, TSMBPF_POL_SWAP, platform,
			  policy, gen);
}

SEC("tp_btf/tsmbpf_policy_detach")
int BPF_PROG(lat_policy_detach, u32 platform, const char *policy, u64 gen)
{
	return lat_policy(TSMBPF_REC_DETACH, TSMBPF_POL_DETACH, platform,
			  policy, gen);
}

static __always_inline int lat_eject_do(const struct tsmbpf_exit_info *info, u32 bdf)
{
	struct tsmbpf_rec *r;

	cnt_add(&cnt_policy, TSMBPF_LAT_POLICY_IDX(info->platform, TSMBPF_POL_EJECT));
	r = rec_new(TSMBPF_REC_EJECT, bpf_ktime_get_ns());
	if (!r)
		return 0;
	r->platform = info->platform;
	r->tdi = info->tdi;
	r->gen = info->generation;
	r->arg0 = info->kind;
	if (info->tdi)
		bdf_str(r->bdf, bdf);
	rec_name(r, info->policy);
	rec_submit(r);
	return 0;
}

SEC("tp_btf/tsmbpf_eject")
int BPF_PROG(lat_eject, const struct tsmbpf_exit_info *info, u32 bdf)
{
	if (!info)
		return 0;
	return lat_eject_do(info, bdf);
}

/*
 * A TDI was created: its id may be a destroyed TDI's, whose histograms
 * and labels must not carry over.  No record; the entry is zeroed, and
 * takes this TDI's labels with its first count.
 */
SEC("tp_btf/tsmbpf_tdi_created")
int BPF_PROG(lat_tdi_created, const struct tsmbpf_tdi *tdi)
{
	__u32 id;

	if (!tdi)
		return 0;
	id = tdi->id;
	bpf_map_update_elem(&hist_tdi, &id, &zero_tdi, BPF_ANY);
	return 0;
}
