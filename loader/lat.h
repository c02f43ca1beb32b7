/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmctl: the latency tracing programs (bpf/tsmbpf_lat.bpf.c), loaded and
 * attached for the lifetime of one command (trace, top, serve), and
 * snapshots of their maps.  Implemented in lat.c; top.c and serve.c only
 * read snapshots, so they can be unit-tested with synthetic ones.
 */
#ifndef TSMCTL_LAT_H
#define TSMCTL_LAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/tsmbpf.h>

#include "../bpf/tsmbpf_lat.h"

struct lat;		/* opaque: the loaded skeleton and its links */

struct lat_opts {
	uint32_t ringbuf_size;	/* 0: default (256 KiB); must be a power of 2 page multiple */
	bool timeline;		/* false: histograms and counters only */
};

/* Load, verify and attach; NULL with errno set and an error printed. */
struct lat *lat_open(const struct lat_opts *opts);
void lat_close(struct lat *lat);

/*
 * Timeline: wait up to timeout_ms, read what the ring buffer holds, and
 * call cb for each record, in order of time (a TDI's steps, operations
 * and state changes arrive together when its lock is released); a
 * non-zero return of cb skips the rest.  Returns the number of records
 * read, or -errno (after calling cb for what was read).
 */
typedef int (*lat_rec_cb)(void *ctx, const struct tsmbpf_rec *rec);
int lat_poll(struct lat *lat, lat_rec_cb cb, void *ctx, int timeout_ms);

struct lat_tdi {
	uint32_t id;
	uint32_t platform;
	char bdf[TSMBPF_LAT_BDF_LEN];
	struct tsmbpf_lat_hist op[TSMBPF_OP_NR];
};

struct lat_policy {
	bool attached;
	char name[TSMBPF_LAT_NAME_LEN];
	uint64_t generation;
	char settings[256];	/* "gate=strict timeout_ms=..." or "" */
};

struct lat_snapshot {
	uint64_t taken_ns;	/* CLOCK_MONOTONIC */
	struct tsmbpf_lat_hist step[TSMBPF_PLAT_NR][TSMBPF_STEP_NR];
	struct tsmbpf_lat_hist op[TSMBPF_PLAT_NR][TSMBPF_OP_NR];
	/* TSMBPF_OP_EVENT split by host event */
	struct tsmbpf_lat_hist event[TSMBPF_PLAT_NR][TSMBPF_EV_NR];
	uint64_t verdicts[TSMBPF_PLAT_NR][TSMBPF_EV_NR][TSMBPF_VERDICT_NR];
	uint64_t policy_ops[TSMBPF_PLAT_NR][TSMBPF_POL_NR];
	uint64_t timeline_drops;
	struct lat_policy policy[TSMBPF_PLAT_NR];
	size_t nr_tdi;
	struct lat_tdi *tdi;	/* sorted by id; malloc'ed */
};

/* Fill *snap from the maps and sysfs; 0 or -errno.  lat_snapshot_free() after. */
int lat_snapshot(struct lat *lat, struct lat_snapshot *snap);
void lat_snapshot_free(struct lat_snapshot *snap);

/* Quantile q (0..1) of a log2 histogram, in ns (upper bound of its slot); in metrics.c. */
uint64_t lat_hist_quantile(const struct tsmbpf_lat_hist *h, double q);

#endif
