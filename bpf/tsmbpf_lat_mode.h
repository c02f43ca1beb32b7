/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The programs of bpf/tsmbpf_lat.bpf.c each mode loads, for the users of
 * its skeleton (tsmctl's loader/lat.c, tests/bin/tsmbpf_cycle_ab.c):
 *
 *   timeline    every tracepoint program: a record per step, operation,
 *               state change and host event, histograms on the way
 *   histograms  (tsmctl top and serve) no ring buffer records: steps and
 *               operations come from the TDI's latency log (lat_oplog),
 *               one program run per operation instead of one per step;
 *               the record-only programs (lat_state, lat_host_event) are
 *               not loaded, so their tracepoints stay off
 *
 * lat_oplog and the per-step programs fill the same histograms: exactly
 * one of the two is loaded.  Call between open and load.
 */
#ifndef __TSMBPF_LAT_MODE_H
#define __TSMBPF_LAT_MODE_H

#include <stdbool.h>

#include "tsmbpf_lat.skel.h"

static inline void tsmbpf_lat_set_mode(struct tsmbpf_lat *skel, bool timeline)
{
	skel->rodata->timeline_on = timeline;
	bpf_program__set_autoload(skel->progs.lat_oplog, !timeline);
	bpf_program__set_autoload(skel->progs.lat_step, timeline);
	bpf_program__set_autoload(skel->progs.lat_bind, timeline);
	bpf_program__set_autoload(skel->progs.lat_accept, timeline);
	bpf_program__set_autoload(skel->progs.lat_unbind, timeline);
	bpf_program__set_autoload(skel->progs.lat_state, timeline);
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
