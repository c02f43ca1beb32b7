/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsmctl: what `serve` and `top` make of a snapshot of the latency maps
 * (struct lat_snapshot, loader/lat.h).  Pure functions of one or two
 * snapshots, so that the host unit tests (tests/unit/test_metrics.c) cover
 * them with synthetic ones; serve.c and top.c only add the socket and the
 * terminal.
 *
 * Histograms are log2 (bpf/tsmbpf_lat.h): slot i counts durations d with
 * 2^(i-1) <= d < 2^i ns.  Prometheus gets a fixed set of buckets, the
 * same at every scrape (rate() needs that): le = 2^i ns in seconds for
 * i = METRICS_LE_FIRST..METRICS_LE_LAST, then +Inf.  Slots below the first
 * bucket are counted in it (cumulative), slots above the last one only in
 * +Inf.  A slot's upper bound is exclusive (d < 2^i) where `le` is
 * inclusive: a duration of exactly 2^i ns lands one bucket up, the usual
 * rounding of log2 histograms.
 */
#ifndef TSMCTL_METRICS_H
#define TSMCTL_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json_writer.h"
#include "lat.h"

#define METRICS_LE_FIRST	10	/* 1.024 us */
#define METRICS_LE_LAST		36	/* 68.7 s */
/* the per-TDI histograms keep every 3rd of those buckets: 1 us, 8 us, ... */
#define METRICS_TDI_STRIDE	3

/* The metric names `serve` exports (dashboards/ refer to these). */
#define METRIC_STEP		"tsmbpf_step_seconds"
#define METRIC_OP		"tsmbpf_op_seconds"
#define METRIC_TDI_OP		"tsmbpf_tdi_op_seconds"
#define METRIC_HOST_EVENTS	"tsmbpf_host_events_total"
#define METRIC_POLICY_ATTACH	"tsmbpf_policy_attach_total"
#define METRIC_POLICY_SWAP	"tsmbpf_policy_swap_total"
#define METRIC_POLICY_DETACH	"tsmbpf_policy_detach_total"
#define METRIC_POLICY_EJECT	"tsmbpf_policy_eject_total"
#define METRIC_TIMELINE_DROPS	"tsmbpf_timeline_dropped_total"
#define METRIC_POLICY_INFO	"tsmbpf_policy_info"
#define METRIC_POLICY_GEN	"tsmbpf_policy_generation"
#define METRIC_TDIS		"tsmbpf_tdis"

const char *lat_op_name(uint32_t op);		/* "bind", ... "event" */
const char *verdict_name(uint32_t verdict);	/* "unbind", "deny", "rebind" */
const char *policy_what_name(uint32_t what);	/* "attach", ... "eject" */

/* Total of a histogram's slots: the count its buckets add up to. */
uint64_t lat_hist_total(const struct tsmbpf_lat_hist *h);

struct metrics_opts {
	bool no_tdi;		/* leave tsmbpf_tdi_op_seconds out */
};

/*
 * Prometheus text exposition format 0.0.4 of a snapshot: every family with
 * HELP and TYPE, histograms as _bucket{le}, _sum and _count (the count is
 * the total of the slots, so that +Inf always equals it), counters as
 * _total, label values escaped.  Returns 0 or -EIO when f failed.
 */
int metrics_prom_write(FILE *f, const struct lat_snapshot *s,
		       const struct metrics_opts *opts);

/* "1.024e-06" for le of slot i (2^i ns), "+Inf" past the last bucket. */
void metrics_le_format(unsigned int slot, char *buf, size_t len);
/* Escape a label value (\\, \", \n) into buf; truncated, always NUL-ended. */
void metrics_label_escape(const char *in, char *buf, size_t len);

/* "0", "812ns", "3.4us", "27.1ms", "1.20s": a duration for humans. */
void metrics_dur_format(uint64_t ns, char *buf, size_t len);

struct top_view {
	double interval_s;	/* refresh interval, for the header */
	const char *clock;	/* "12:00:01" or NULL */
	bool footer;		/* the key help line (terminal only) */
};

/*
 * The `top` screen as plain text lines (no escapes; ASCII only): header,
 * policies per platform, operations and steps with count, rate, p50, p99,
 * max and a log2 histogram bar, host events per verdict.  prev may be
 * NULL (no rates yet).
 */
void metrics_top_render(FILE *f, const struct lat_snapshot *cur,
			const struct lat_snapshot *prev,
			const struct top_view *view);

/* The same, as one JSON object (`top -j`): counts, deltas, quantiles in ns. */
void metrics_top_json(json_writer_t *w, const struct lat_snapshot *cur,
		      const struct lat_snapshot *prev);

/* The histogram bar: one character per slot, METRICS_BAR_FIRST..LAST. */
#define METRICS_BAR_FIRST	10	/* <= 1us */
#define METRICS_BAR_LAST	33	/* >= 4.3s */
void metrics_hist_bar(const struct tsmbpf_lat_hist *h, char *buf, size_t len);

#endif
