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

#include "tsmbpf_lat_rec.h"
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

#endif /* __TSMBPF_LAT_MODE_H */
