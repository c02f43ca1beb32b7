// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl trace: the timeline of the latency tracing programs, record by
 * record, as they arrive (bpf/tsmbpf_lat.bpf.c, through loader/lat.c).
 *
 * Plain text, one line a record; with -j one JSON object a line (JSON
 * lines, not one array, so that a consumer reads it while it runs).
 * --perfetto FILE also writes the Chrome trace-event JSON that Perfetto
 * and chrome://tracing open: a process per platform, a thread (track) per
 * TDI, each step a complete ("X") slice inside the slice of the bind,
 * accept or unbind that ran it, and host events, verdicts, state changes,
 * policy attach/swap/detach and ejections as instants ("i").  Policy
 * records have no TDI: they go on the platform's "policy slot" track.
 * The file is closed properly on --duration, --count, SIGINT and SIGTERM.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lat.h"
#include "main.h"
#include "metrics.h"
#include "names.h"

#define TRACE_MAX_TDIS	8192

struct trace_filter {
	bool tdi_set, plat_set, step_set;
	uint32_t tdi, plat, step;
};

struct trace_ctx {
	struct trace_filter f;
	uint64_t count;		/* stop after this many records; 0: never */
	uint64_t shown;
	FILE *pf;		/* --perfetto */
	json_writer_t *pw;
	bool pid_named[TSMBPF_PLAT_NR];
	unsigned char tid_named[TRACE_MAX_TDIS / 8];
};

static volatile sig_atomic_t trace_stop;

static void trace_on_signal(int sig)
{
	trace_stop = 1;
}

static const char *rec_kind_name(uint32_t kind)
{
	static const char * const names[TSMBPF_REC_NR] = {
		[TSMBPF_REC_STEP] = "step",
		[TSMBPF_REC_OP] = "op",
		[TSMBPF_REC_STATE] = "state",
		[TSMBPF_REC_EVENT] = "event",
		[TSMBPF_REC_VERDICT] = "verdict",
		[TSMBPF_REC_EVENT_DONE] = "event_done",
		[TSMBPF_REC_ATTACH] = "attach",
		[TSMBPF_REC_SWAP] = "swap",
		[TSMBPF_REC_DETACH] = "detach",
		[TSMBPF_REC_EJECT] = "eject",
	};

	return kind < TSMBPF_REC_NR ? names[kind] : "?";
}

static bool rec_has_tdi(const struct tsmbpf_rec *r)
{
	return r->kind <= TSMBPF_REC_EVENT_DONE;
}

static bool trace_match(const struct trace_filter *f,
			const struct tsmbpf_rec *r)
{
	if (f->plat_set && r->platform != f->plat)
		return false;
	/* policy records have no TDI: they pass a TDI filter */
	if (f->tdi_set && rec_has_tdi(r) && r->tdi != f->tdi)
		return false;
	if (f->step_set && (r->kind != TSMBPF_REC_STEP || r->step != f->step))
		return false;
	return true;
}

/* What the record is about: "tdi_stop", "unbind", "flr", "run", ... */
static const char *rec_what(const struct tsmbpf_rec *r)
{
	switch (r->kind) {
	case TSMBPF_REC_STEP:
		return step_name(r->step);
	case TSMBPF_REC_OP:
		return lat_op_name(r->step);
	case TSMBPF_REC_STATE:
		return tdisp_state_name(r->arg1);
	case TSMBPF_REC_EVENT:
	case TSMBPF_REC_VERDICT:
	case TSMBPF_REC_EVENT_DONE:
		return event_name(r->arg0);
	default:
		return r->policy;
	}
}

static void trace_print_text(const struct tsmbpf_rec *r)
{
	char dur[32] = "-", detail[96] = "";

	if (r->dur_ns)
		metrics_dur_format(r->dur_ns, dur, sizeof(dur));
	switch (r->kind) {
	case TSMBPF_REC_STEP:
		snprintf(detail, sizeof(detail), "ret=%d fw=%s by=%s", r->ret,
			 fw_error_name(r->fw_error), r->arg0 ? "policy" : "native");
		break;
	case TSMBPF_REC_OP:
	case TSMBPF_REC_EVENT_DONE:
		snprintf(detail, sizeof(detail), "ret=%d", r->ret);
		if (r->kind == TSMBPF_REC_EVENT_DONE)
			snprintf(detail + strlen(detail),
				 sizeof(detail) - strlen(detail), " verdict=%s",
				 verdict_name(r->arg1));
		break;
	case TSMBPF_REC_STATE:
		snprintf(detail, sizeof(detail), "from=%s",
			 tdisp_state_name(r->arg0));
		break;
	case TSMBPF_REC_VERDICT:
		snprintf(detail, sizeof(detail), "verdict=%s by=%s",
			 verdict_name(r->arg1), r->fw_error ? "policy" : "native");
		break;
	case TSMBPF_REC_EJECT:
		snprintf(detail, sizeof(detail), "exit_kind=%u", r->arg0);
		break;
	}
	printf("%" PRIu64 ".%06" PRIu64 " %-10s %5u %-12s %-8s %4" PRIu64
	       " %-16s %-14s %9s %s\n",
	       (uint64_t)r->ts_ns / 1000000000,
	       (uint64_t)r->ts_ns % 1000000000 / 1000,
	       rec_kind_name(r->kind), r->tdi, r->bdf[0] ? r->bdf : "-",
	       platform_name(r->platform), (uint64_t)r->gen,
	       r->policy[0] ? r->policy : "-", rec_what(r), dur, detail);
}

static void trace_print_json(const struct tsmbpf_rec *r)
{
	json_writer_t *w = jsonw_new(stdout);

	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_uint_field(w, "ts_ns", r->ts_ns);
	jsonw_string_field(w, "kind", rec_kind_name(r->kind));
	if (rec_has_tdi(r) || r->tdi) {
		jsonw_uint_field(w, "tdi", r->tdi);
		jsonw_string_field(w, "bdf", r->bdf);
	}
	jsonw_string_field(w, "platform", platform_name(r->platform));
	jsonw_uint_field(w, "gen", r->gen);
	if (r->policy[0])
		jsonw_string_field(w, "policy", r->policy);
	switch (r->kind) {
	case TSMBPF_REC_STEP:
		jsonw_string_field(w, "step", step_name(r->step));
		jsonw_bool_field(w, "by_policy", r->arg0);
		jsonw_uint_field(w, "dur_ns", r->dur_ns);
		jsonw_int_field(w, "ret", r->ret);
		jsonw_string_field(w, "fw_error", fw_error_name(r->fw_error));
		break;
	case TSMBPF_REC_OP:
		jsonw_string_field(w, "op", lat_op_name(r->step));
		jsonw_uint_field(w, "dur_ns", r->dur_ns);
		jsonw_int_field(w, "ret", r->ret);
		break;
	case TSMBPF_REC_STATE:
		jsonw_string_field(w, "from", tdisp_state_name(r->arg0));
		jsonw_string_field(w, "to", tdisp_state_name(r->arg1));
		break;
	case TSMBPF_REC_EVENT:
		jsonw_string_field(w, "event", event_name(r->arg0));
		break;
	case TSMBPF_REC_VERDICT:
		jsonw_string_field(w, "event", event_name(r->arg0));
		jsonw_string_field(w, "verdict", verdict_name(r->arg1));
		jsonw_bool_field(w, "by_policy", r->fw_error);
		break;
	case TSMBPF_REC_EVENT_DONE:
		jsonw_string_field(w, "event", event_name(r->arg0));
		jsonw_string_field(w, "verdict", verdict_name(r->arg1));
		jsonw_uint_field(w, "dur_ns", r->dur_ns);
		jsonw_int_field(w, "ret", r->ret);
		break;
	case TSMBPF_REC_EJECT:
		jsonw_uint_field(w, "exit_kind", r->arg0);
		break;
	}
	jsonw_end_object(w);
	jsonw_destroy(&w);	/* the newline that ends the line */
}

/* Perfetto: a process per platform (pid = platform + 1), a thread per TDI. */
static void pf_meta(json_writer_t *w, const char *what, uint32_t pid,
		    uint32_t tid, const char *name)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "ph", "M");
	jsonw_string_field(w, "name", what);
	jsonw_uint_field(w, "pid", pid);
	jsonw_uint_field(w, "tid", tid);
	jsonw_name(w, "args");
	jsonw_start_object(w);
	jsonw_string_field(w, "name", name);
	jsonw_end_object(w);
	jsonw_end_object(w);
}

static void pf_name_tracks(struct trace_ctx *c, const struct tsmbpf_rec *r)
{
	uint32_t pid = r->platform + 1, tid = rec_has_tdi(r) ? r->tdi : 0;
	char name[64];

	if (r->platform < TSMBPF_PLAT_NR && !c->pid_named[r->platform]) {
		c->pid_named[r->platform] = true;
		pf_meta(c->pw, "process_name", pid, 0, platform_name(r->platform));
		pf_meta(c->pw, "thread_name", pid, 0, "policy slot");
	}
	if (!tid || tid >= TRACE_MAX_TDIS ||
	    (c->tid_named[tid / 8] & (1U << (tid % 8))))
		return;
	c->tid_named[tid / 8] |= 1U << (tid % 8);
	snprintf(name, sizeof(name), "tdi %u %s", tid, r->bdf);
	pf_meta(c->pw, "thread_name", pid, tid, name);
}

/* Chrome trace timestamps are microseconds; keep the nanoseconds. */
static void pf_us(json_writer_t *w, const char *name, uint64_t ns)
{
	char buf[32];

	jsonw_name(w, name);
	snprintf(buf, sizeof(buf), "%" PRIu64 ".%03" PRIu64, ns / 1000,
		 ns % 1000);
	jsonw_number(w, buf);
}

static void trace_perfetto(struct trace_ctx *c, const struct tsmbpf_rec *r)
{
	json_writer_t *w = c->pw;
	bool slice = r->kind == TSMBPF_REC_STEP || r->kind == TSMBPF_REC_OP;

	pf_name_tracks(c, r);
	jsonw_start_object(w);
	jsonw_string_field(w, "name", rec_what(r));
	jsonw_string_field(w, "cat", rec_kind_name(r->kind));
	jsonw_string_field(w, "ph", slice ? "X" : "i");
	jsonw_uint_field(w, "pid", r->platform + 1);
	jsonw_uint_field(w, "tid", rec_has_tdi(r) ? r->tdi : 0);
	if (slice) {
		pf_us(w, "ts", r->ts_ns - r->dur_ns);
		pf_us(w, "dur", r->dur_ns);
	} else {
		pf_us(w, "ts", r->ts_ns);
		/* policy records mark the whole platform */
		jsonw_string_field(w, "s", rec_has_tdi(r) ? "t" : "p");
	}
	jsonw_name(w, "args");
	jsonw_start_object(w);
	jsonw_uint_field(w, "gen", r->gen);
	if (r->policy[0])
		jsonw_string_field(w, "policy", r->policy);
	switch (r->kind) {
	case TSMBPF_REC_STEP:
		jsonw_int_field(w, "ret", r->ret);
		jsonw_string_field(w, "fw_error", fw_error_name(r->fw_error));
		jsonw_string_field(w, "by", r->arg0 ? "policy" : "native");
		break;
	case TSMBPF_REC_OP:
	case TSMBPF_REC_EVENT_DONE:
		jsonw_int_field(w, "ret", r->ret);
		jsonw_uint_field(w, "dur_ns", r->dur_ns);
		break;
	case TSMBPF_REC_STATE:
		jsonw_string_field(w, "from", tdisp_state_name(r->arg0));
		break;
	case TSMBPF_REC_VERDICT:
		jsonw_string_field(w, "verdict", verdict_name(r->arg1));
		break;
	case TSMBPF_REC_EJECT:
		jsonw_uint_field(w, "exit_kind", r->arg0);
		break;
	}
	jsonw_end_object(w);
	jsonw_end_object(w);
}

static int trace_on_rec(void *ctx, const struct tsmbpf_rec *r)
{
	struct trace_ctx *c = ctx;

	if (c->count && c->shown >= c->count)
		return 0;	/* a libbpf ring buffer stops only on errors */
	if (!trace_match(&c->f, r))
		return 0;
	c->shown++;
	if (json_output)
		trace_print_json(r);
	else
		trace_print_text(r);
	if (c->pw)
		trace_perfetto(c, r);
	return 0;
}

static int do_help(void)
{
	printf("Usage: %s [-j] trace [FILTER]... [OPTION]...\n"
	       "\n"
	       "Stream the timeline of tsmbpf: steps, bind/accept/unbind,\n"
	       "TDISP state changes, host events and verdicts, policy\n"
	       "attach/swap/detach and ejections, in the order they happened.\n"
	       "\n"
	       "       FILTER := { tdi ID | platform { tdx | sev-tio | cca } |\n"
	       "                   step STEP }\n"
	       "       OPTION := { --perfetto FILE | --duration SEC | --count N |\n"
	       "                   --ringbuf-size SIZE | --help }\n"
	       "\n"
	       "A record has the TDI, its BDF, platform, policy generation and\n"
	       "policy; steps and operations their duration.  Policy records\n"
	       "have no TDI and pass a tdi filter; a step filter keeps steps only.\n"
	       "-j prints one JSON object a line.  --perfetto writes Chrome\n"
	       "trace-event JSON (Perfetto, chrome://tracing): a track per TDI,\n"
	       "steps as slices, events and policy changes as instants.\n"
	       "--duration and --count stop the trace, as do SIGINT and SIGTERM;\n"
	       "the record and drop counts go to stderr at the end.  SIZE (a power\n"
	       "of 2, 4K at least; default 256K) is the ring buffer's: a buffer\n"
	       "too small for the rate drops records, and counts them.\n",
	       bin_name);
	return 0;
}

static int trace_parse(int argc, char **argv, struct trace_ctx *c,
		       const char **perfetto, double *duration,
		       uint32_t *ringbuf)
{
	uint64_t v;

	while (argc) {
		const char *k = argv[0];

		if (!strcmp(k, "help") || !strcmp(k, "--help") ||
		    !strcmp(k, "-h"))
			return 1;
		if (argc < 2) {
			p_err("'%s' needs a value; try '%s trace help'", k,
			      bin_name);
			return -1;
		}
		if (!strcmp(k, "tdi")) {
			if (u32_parse(argv[1], &c->f.tdi) || !c->f.tdi) {
				p_err("bad TDI id '%s'", argv[1]);
				return -1;
			}
			c->f.tdi_set = true;
		} else if (!strcmp(k, "platform")) {
			if (platform_parse(argv[1], &c->f.plat)) {
				p_err("unknown platform '%s' (tdx, sev-tio, cca)",
				      argv[1]);
				return -1;
			}
			c->f.plat_set = true;
		} else if (!strcmp(k, "step")) {
			if (step_parse(argv[1], &c->f.step)) {
				p_err("unknown step '%s' (tdi_lock, mmio_map, dma_setup, accept, tdi_start, tdi_stop, mmio_unmap, dma_teardown, tdi_reclaim, mmio_recover, key_purge, fence_clear)",
				      argv[1]);
				return -1;
			}
			c->f.step_set = true;
		} else if (!strcmp(k, "--perfetto")) {
			*perfetto = argv[1];
		} else if (!strcmp(k, "--duration")) {
			char *end;

			errno = 0;
			*duration = strtod(argv[1], &end);
			if (errno || *end || end == argv[1] || *duration <= 0) {
				p_err("bad duration '%s': seconds, more than 0",
				      argv[1]);
				return -1;
			}
		} else if (!strcmp(k, "--count")) {
			uint32_t n;

			if (u32_parse(argv[1], &n) || !n) {
				p_err("bad count '%s': a number of records, 1 at least",
				      argv[1]);
				return -1;
			}
			c->count = n;
		} else if (!strcmp(k, "--ringbuf-size")) {
			if (size_parse(argv[1], &v) || v < 4096 || v > (1U << 30) ||
			    (v & (v - 1))) {
				p_err("bad ring buffer size '%s': a power of 2 from 4K to 1G",
				      argv[1]);
				return -1;
			}
			*ringbuf = v;
		} else {
			p_err("unknown argument '%s'; try '%s trace help'", k,
			      bin_name);
			return -1;
		}
		argc -= 2;
		argv += 2;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int do_trace(int argc, char **argv)
{
	struct lat_opts opts = { .timeline = true };
	struct trace_ctx c = {};
	const char *perfetto = NULL;
	struct lat_snapshot snap;
	double duration = 0, end = 0;
	struct sigaction sa = {};
	struct lat *lat;
	int err;

	err = trace_parse(argc, argv, &c, &perfetto, &duration,
			  &opts.ringbuf_size);
	if (err)
		return err > 0 ? do_help() : -1;
	if (perfetto) {
		c.pf = fopen(perfetto, "w");
		if (!c.pf) {
			p_err("cannot write '%s': %s", perfetto, strerror(errno));
			return -1;
		}
	}
	lat = lat_open(&opts);
	if (!lat) {
		if (c.pf)
			fclose(c.pf);
		return -1;
	}
	/* one JSON object a line, not main's single document */
	if (json_output)
		jsonw_discard(&json_wtr);
	if (c.pf) {
		c.pw = jsonw_new(c.pf);
		jsonw_start_object(c.pw);
		jsonw_string_field(c.pw, "displayTimeUnit", "ns");
		jsonw_name(c.pw, "traceEvents");
		jsonw_start_array(c.pw);
	}
	sa.sa_handler = trace_on_signal;	/* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "Tracing tsmbpf; %s to end.\n",
		duration ? "--duration" : c.count ? "--count or Ctrl-C" : "Ctrl-C");
	if (duration)
		end = now_s() + duration;

	while (!trace_stop && !(c.count && c.shown >= c.count)) {
		int ms = 100;

		if (duration) {
			double left = end - now_s();

			if (left <= 0)
				break;
			if (left * 1000 < ms)
				ms = left * 1000 + 1;
		}
		err = lat_poll(lat, trace_on_rec, &c, ms);
		if (err < 0) {
			p_err("reading the timeline: %s", strerror(-err));
			break;
		}
		err = 0;
	}
	/* what is left in the buffer once stopped by time or a signal */
	if (!(c.count && c.shown >= c.count))
		lat_poll(lat, trace_on_rec, &c, 0);

	if (c.pw) {
		jsonw_end_array(c.pw);
		jsonw_end_object(c.pw);
		jsonw_destroy(&c.pw);
	}
	if (c.pf && fclose(c.pf)) {
		p_err("writing '%s': %s", perfetto, strerror(errno));
		err = -1;
	}
	fflush(stdout);
	if (!lat_snapshot(lat, &snap)) {
		fprintf(stderr, "%" PRIu64 " records, %" PRIu64 " dropped\n",
			c.shown, snap.timeline_drops);
		lat_snapshot_free(&snap);
	}
	lat_close(lat);
	return err;
}
