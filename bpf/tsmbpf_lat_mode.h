/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The programs of bpf/tsmbpf_lat.bpf.c each mode loads, for the users of
 * its skeleton (tsmctl's loader/lat.c, tests/bin/tsmbpf_cycle_ab.c):
 *
 *   histograms  (tsmctl top and serve) steps and operations come from the
 *               TDI's latency log (lat_oplog), one program run per hold
 *               of its lock; no ring buffer record; the record-only
 *               program (lat_host_event) is not loaded, so its tracepoint
 *               stays off
 *   timeline    the same, and lat_oplog writes each log to the ring
 *               buffer as one struct tsmbpf_rec_batch; the host event,
 *               policy and ejection programs write a struct tsmbpf_rec
 *
 * Call between open and load.
 */
#ifndef __TSMBPF_LAT_MODE_H
#define __TSMBPF_LAT_MODE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/tsmbpf.h>

#include "tsmbpf_lat.h"
#include "tsmbpf_lat.skel.h"

static inline void tsmbpf_lat_set_mode(struct tsmbpf_lat *skel, bool timeline)
{
	skel->rodata->timeline_on = timeline;
	bpf_program__set_autoload(skel->progs.lat_host_event, timeline);
}

/*
 * The timeline's size in bytes (a power of 2 number of pages), and the
 * fill at which a record wakes its reader: a quarter.  Below that,
 * records wait for the reader's next poll, which must then read the ring
 * buffer whether or not it was woken (ring_buffer__consume() after
 * ring_buffer__poll()).  Call between open and load.
 */
static inline int tsmbpf_lat_set_ring(struct tsmbpf_lat *skel, __u32 size)
{
	skel->rodata->wake_bytes = size / 4;
	return bpf_map__set_max_entries(skel->maps.timeline, size);
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

#endif /* __TSMBPF_LAT_MODE_H */
