/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The timeline's ring buffer records as a reader sees them (tsmctl's
 * loader/lat.c, tests/bin/tsmbpf_cycle_ab.c): a struct tsmbpf_rec, or a
 * struct tsmbpf_rec_batch that stands for one record per entry of a TDI's
 * latency log (bpf/tsmbpf_lat.h).  Userspace only; no libbpf.
 */
#ifndef __TSMBPF_LAT_REC_H
#define __TSMBPF_LAT_REC_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <linux/tsmbpf.h>

#include "tsmbpf_lat.h"

/* The ring buffer record @data of @size bytes is a batch. */
static inline bool tsmbpf_lat_is_batch(const void *data, size_t size)
{
	const struct tsmbpf_rec_batch *b = data;

	return size >= sizeof(b->kind) && b->kind == TSMBPF_REC_BATCH;
}

/*
 * The entries a batch of @size bytes holds: b->n, or 0 if it is too short
 * for them (a reader skips it; the BPF program writes none such).
 */
static inline __u32 tsmbpf_lat_batch_n(const struct tsmbpf_rec_batch *b,
				       size_t size)
{
	if (size < TSMBPF_LAT_BATCH_SIZE(0) || b->n > TSMBPF_LAT_BATCH_MAX ||
	    size < TSMBPF_LAT_BATCH_SIZE(b->n))
		return 0;
	return b->n;
}

/*
 * Record i (< b->n) of a batch, as the reader sees every record: 0, or -1
 * for an entry of a kind this reader does not know (skip it).  A state
 * change ends with the entry after it (the step that made it), or with
 * the hold.
 */
static inline int tsmbpf_lat_batch_rec(const struct tsmbpf_rec_batch *b,
				       __u32 i, struct tsmbpf_rec *r)
{
	const struct tsmbpf_lat_entry *e = &b->e[i];
	__u32 j;

	memset(r, 0, sizeof(*r));
	r->tdi = b->tdi;
	r->gen = b->gen;
	r->platform = b->platform;
	snprintf(r->bdf, sizeof(r->bdf), "%04x:%02x:%02x.%u", b->bdf >> 16,
		 (b->bdf >> 8) & 0xff, (b->bdf >> 3) & 0x1f, b->bdf & 7);
	r->ts_ns = e->end_ns;
	for (j = i + 1; !r->ts_ns && j < b->n; j++)
		r->ts_ns = b->e[j].end_ns;
	if (!r->ts_ns)
		r->ts_ns = b->ts_ns;
	if (e->what == TSMBPF_LAT_BATCH_STATE) {
		r->kind = TSMBPF_REC_STATE;
		r->arg0 = e->fw_error;
		r->arg1 = e->arg;
		return 0;
	}
	if (e->what >= TSMBPF_LAT_BATCH_BIND &&
	    e->what < TSMBPF_LAT_BATCH_BIND + TSMBPF_OP_EVENT) {
		r->kind = TSMBPF_REC_OP;
		r->step = e->what - TSMBPF_LAT_BATCH_BIND;
	} else if (e->what < TSMBPF_STEP_NR) {
		r->kind = TSMBPF_REC_STEP;
		r->step = e->what;
		r->fw_error = e->fw_error;
		r->arg0 = e->in_policy;
	} else {
		return -1;
	}
	r->ret = e->ret;
	r->dur_ns = e->timed ? e->ns : 0;
	snprintf(r->policy, sizeof(r->policy), "%s",
		 e->in_policy ? b->policy : "native");
	return 0;
}

#endif /* __TSMBPF_LAT_REC_H */
