/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmbpf latency tracing: the layout shared by bpf/tsmbpf_lat.bpf.c and
 * tsmctl (loader/lat.c).  Every map name says which metric it feeds:
 *
 *   hist_step      log2 latency per (platform, step)         -> tsmbpf_step_seconds
 *   hist_op        log2 latency per (platform, op[, event])  -> tsmbpf_op_seconds
 *   hist_tdi       log2 latency per (tdi, op), with the TDI's
 *                  platform and BDF (its labels)              -> tsmbpf_tdi_op_seconds
 *   cnt_verdict    host events per (platform, event, verdict) -> tsmbpf_host_events_total
 *   cnt_policy     attach/swap/detach/eject per (platform, what) -> tsmbpf_policy_*_total
 *   timeline       BPF ring buffer of struct tsmbpf_rec and struct
 *                  tsmbpf_rec_batch (a TDI's steps, operations and state
 *                  changes, one record per hold of its lock)
 *   timeline_drops records the ring buffer had no room for     -> tsmbpf_timeline_dropped_total
 *
 * hist_step and hist_op are per-CPU arrays (a reader sums the CPUs' copies,
 * and takes the largest max_ns), indexed by TSMBPF_LAT_STEP_IDX() and
 * TSMBPF_LAT_OP_IDX(); cnt_verdict and cnt_policy are arrays of __u64
 * indexed by TSMBPF_LAT_VERDICT_IDX() and TSMBPF_LAT_POLICY_IDX(): the hot
 * programs look nothing up in a hash table.  hist_tdi is an array indexed
 * by TDI id (1 to TSMBPF_MAX_TDIS), mmapable, about 11 MiB allocated at
 * load; an entry with no count is a TDI not seen.  A TDI's entry is zeroed
 * when a TDI is created (the tsmbpf_tdi_created tracepoint), as ids are
 * reused after a destroy: a destroyed TDI's histograms stay until its id
 * is given to a new TDI, whose counts and labels start afresh.
 *
 * Slot i of a histogram counts durations d with 2^(i-1) <= d < 2^i ns
 * (slot 0 counts d == 0), as libbpf-tools' log2 histograms do.
 */
#ifndef __TSMBPF_LAT_H
#define __TSMBPF_LAT_H

#define TSMBPF_LAT_SLOTS	40	/* up to 2^39 ns, about 9 minutes */

enum tsmbpf_lat_op {
	TSMBPF_OP_BIND		= 0,
	TSMBPF_OP_ACCEPT	= 1,
	TSMBPF_OP_UNBIND	= 2,
	TSMBPF_OP_EVENT		= 3,	/* a gated host event, receipt to completion */
	TSMBPF_OP_NR,
};

enum tsmbpf_lat_policy_what {
	TSMBPF_POL_ATTACH	= 0,
	TSMBPF_POL_SWAP		= 1,
	TSMBPF_POL_DETACH	= 2,
	TSMBPF_POL_EJECT	= 3,
	TSMBPF_POL_NR,
};

struct tsmbpf_lat_hist {
	__u64	slots[TSMBPF_LAT_SLOTS];
	__u64	count;
	__u64	sum_ns;
	__u64	max_ns;
};

/*
 * The slot of a duration of d ns: 0 for 0, else 1 + floor(log2(d)), capped
 * at the last slot.  The BPF program's, for each step; userspace has it
 * for tests and tsmbpf_calib.
 */
static __always_inline __u32 tsmbpf_lat_slot(__u64 d)
{
	__u32 r = 0;

	if (d >= 1ULL << 32) { d >>= 32; r += 32; }
	if (d >= 1ULL << 16) { d >>= 16; r += 16; }
	if (d >= 1ULL << 8) { d >>= 8; r += 8; }
	if (d >= 1ULL << 4) { d >>= 4; r += 4; }
	if (d >= 1ULL << 2) { d >>= 2; r += 2; }
	if (d >= 1ULL << 1) { d >>= 1; r += 1; }
	r += d;		/* d is 0 or 1 here */
	return r < TSMBPF_LAT_SLOTS ? r : TSMBPF_LAT_SLOTS - 1;
}

/* hist_op: bind, accept and unbind, then one per host event */
#define TSMBPF_LAT_OP_SLOTS	(TSMBPF_OP_EVENT + TSMBPF_EV_NR)

#define TSMBPF_LAT_STEP_IDX(plat, step)	((plat) * TSMBPF_STEP_NR + (step))
#define TSMBPF_LAT_OP_IDX(plat, op, event)				\
	((plat) * TSMBPF_LAT_OP_SLOTS +					\
	 ((op) == TSMBPF_OP_EVENT ? TSMBPF_OP_EVENT + (event) : (op)))
#define TSMBPF_LAT_VERDICT_IDX(plat, event, verdict)			\
	(((plat) * TSMBPF_EV_NR + (event)) * TSMBPF_VERDICT_NR + (verdict))
#define TSMBPF_LAT_POLICY_IDX(plat, what)	((plat) * TSMBPF_POL_NR + (what))

/* hist_tdi's value: one TDI's labels and its histogram per operation */
struct tsmbpf_lat_tdi {
	__u32	platform;	/* enum tsmbpf_platform */
	__u32	bdf;		/* TSMBPF_BDF() */
	struct tsmbpf_lat_hist op[TSMBPF_OP_NR];
};

enum tsmbpf_rec_kind {
	TSMBPF_REC_STEP		= 0,	/* a firmware step done: dur_ns, ret, fw_error;
					 * arg0 = 1 if a policy ran it */
	TSMBPF_REC_OP		= 1,	/* bind/accept/unbind/event done: op, dur_ns, ret */
	TSMBPF_REC_STATE	= 2,	/* TDISP state change: arg0 = old, arg1 = new */
	TSMBPF_REC_EVENT	= 3,	/* host event received: arg0 = event */
	TSMBPF_REC_VERDICT	= 4,	/* its verdict: arg0 = event, arg1 = verdict,
					 * fw_error = 1 if a policy decided */
	TSMBPF_REC_EVENT_DONE	= 5,	/* its completion: arg0 = event, arg1 = verdict,
					 * ret, dur_ns */
	TSMBPF_REC_ATTACH	= 6,	/* policy attach/swap/detach/eject: no TDI */
	TSMBPF_REC_SWAP		= 7,
	TSMBPF_REC_DETACH	= 8,
	TSMBPF_REC_EJECT	= 9,	/* arg0 = exit kind */
	TSMBPF_REC_NR,
	/* in the ring buffer only: struct tsmbpf_rec_batch */
	TSMBPF_REC_BATCH	= 0x100,
};

#define TSMBPF_LAT_BDF_LEN	16
#define TSMBPF_LAT_NAME_LEN	32	/* TSMBPF_NAME_LEN */

/*
 * One timeline record; ts_ns is when the thing ended (bpf_ktime_get_ns,
 * CLOCK_MONOTONIC).  dur_ns is 0 when the start was not seen (tracing
 * attached in the middle); such records feed no histogram.  policy is
 * the policy's name, "native" for the built-in sequence.
 */
struct tsmbpf_rec {
	__u32	kind;		/* enum tsmbpf_rec_kind; first, as in a batch */
	__u32	tdi;		/* 0 when none */
	__u64	ts_ns;
	__u64	dur_ns;
	__u64	gen;		/* policy generation */
	__u32	platform;
	__u32	step;		/* enum tsmbpf_step (STEP) or enum tsmbpf_lat_op (OP) */
	__s32	ret;
	__u32	fw_error;
	__u32	arg0;
	__u32	arg1;
	char	bdf[TSMBPF_LAT_BDF_LEN];
	char	policy[TSMBPF_LAT_NAME_LEN];
};

/*
 * The steps, operations and TDISP state changes of one hold of a TDI's
 * lock, as the core logged them (kernel/tsmbpf.h, struct tsmbpf_oplog):
 * one ring buffer record, written when the hold ends, in place of one
 * record each.  The reader turns it into struct tsmbpf_rec records
 * (tsmbpf_lat_batch_rec()), which then sort by time with the others.
 * Its entries are the core's struct tsmbpf_oplog_entry, copied as they
 * are; the BPF program checks that the two layouts agree.  A record holds
 * e[0] to e[n - 1] and ends there or a little after: it is
 * TSMBPF_LAT_BATCH_SIZE(4), (8) or (16) bytes long, and a reader takes the
 * n entries only (tsmbpf_lat_batch_n() in tsmbpf_lat_rec.h checks the size).
 */
#define TSMBPF_LAT_BATCH_MAX	16	/* TSMBPF_OPLOG_MAX */
#define TSMBPF_LAT_BATCH_BIND	0x100	/* TSMBPF_OPLOG_BIND, ACCEPT, UNBIND */
#define TSMBPF_LAT_BATCH_STATE	0x103	/* TSMBPF_OPLOG_STATE */

struct tsmbpf_lat_entry {
	__u16	what;		/* enum tsmbpf_step, or TSMBPF_LAT_BATCH_* */
	__u8	timed;		/* ns is known */
	__u8	in_policy;	/* the batch's policy ran it */
	__s32	ret;
	__u64	ns;		/* duration */
	__u64	end_ns;		/* 0: a state change, ended with the next entry */
	__u32	fw_error;	/* a step's firmware code; a state's old state */
	__u32	arg;		/* a state's new state */
};

struct tsmbpf_rec_batch {
	__u32	kind;		/* TSMBPF_REC_BATCH */
	__u32	tdi;
	__u64	ts_ns;		/* the hold's end: the hand-over */
	__u64	gen;		/* policy generation then */
	__u32	platform;
	__u32	bdf;		/* TSMBPF_BDF() */
	__u32	n;		/* entries in e */
	__u32	pad;
	char	policy[TSMBPF_LAT_NAME_LEN];	/* of the in_policy entries */
	struct tsmbpf_lat_entry e[TSMBPF_LAT_BATCH_MAX];
};

/* The size of a batch record with room for n entries. */
#define TSMBPF_LAT_BATCH_SIZE(n)					\
	(__builtin_offsetof(struct tsmbpf_rec_batch, e) +		\
	 (n) * sizeof(struct tsmbpf_lat_entry))

#endif /* __TSMBPF_LAT_H */
