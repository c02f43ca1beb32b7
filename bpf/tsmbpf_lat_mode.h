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

#endif /* __TSMBPF_LAT_MODE_H */
