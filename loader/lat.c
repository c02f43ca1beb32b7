// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl: the latency tracing programs (bpf/tsmbpf_lat.bpf.c) for the life
 * of one command, and snapshots of their maps (lat.h).  The programs are
 * tp_btf on the tsmbpf tracepoints, so loading them changes nothing in
 * the core or the policies; closing detaches them, whatever the TDIs are
 * doing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lat.h"
#include "main.h"
#include "names.h"
#include "../bpf/tsmbpf_lat_mode.h"

#define LAT_RINGBUF_DEFAULT	(256 * 1024)
/*
 * Records one lat_poll() reads at most before it shows them: a producer
 * that keeps the ring buffer busy would otherwise keep the reader reading
 * (libbpf reads until the buffer is empty) with nothing shown.
 */
#define LAT_POLL_RECS		65536

struct lat_rec {
	struct tsmbpf_rec rec;
	size_t seq;		/* its place in the ring buffer */
};

struct lat {
	struct tsmbpf_lat *skel;
	struct ring_buffer *rb;
	struct tsmbpf_lat_hist *percpu;	/* one per possible CPU */
	int ncpus;
	const struct tsmbpf_lat_tdi *tdis;	/* hist_tdi, mapped read-only */
	size_t tdis_len;			/* bytes mapped */
	uint32_t nr_tdis;			/* its entries */
	/* the records of one poll, sorted by time before they are shown */
	struct lat_rec *recs;
	size_t nr_recs, cap_recs;
	int err;
	bool full;		/* LAT_POLL_RECS read: the rest at the next poll */
};

static int lat_libbpf_print(enum libbpf_print_level level, const char *fmt,
			    va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static struct tsmbpf_rec *lat_rec_new(struct lat *lat)
{
	struct lat_rec *recs;
	size_t cap;

	if (lat->nr_recs == lat->cap_recs) {
		cap = lat->cap_recs ? 2 * lat->cap_recs : 1024;
		recs = realloc(lat->recs, cap * sizeof(*recs));
		if (!recs)
			return NULL;
		lat->recs = recs;
		lat->cap_recs = cap;
	}
	lat->recs[lat->nr_recs].seq = lat->nr_recs;
	return &lat->recs[lat->nr_recs++].rec;
}

/* Stop reading (libbpf stops at a negative return) once a poll has enough. */
static int lat_rec_full(struct lat *lat)
{
	if (lat->nr_recs < LAT_POLL_RECS)
		return 0;
	lat->full = true;
	return -ENOSPC;
}

/* A record, or a batch of a TDI's (one hold of its lock): kept to sort. */
static int lat_on_rec(void *ctx, void *data, size_t size)
{
	const struct tsmbpf_rec_batch *b = data;
	struct lat *lat = ctx;
	struct tsmbpf_rec *r;
	__u32 i, n;

	if (tsmbpf_lat_is_batch(data, size)) {
		n = tsmbpf_lat_batch_n(b, size);
		for (i = 0; i < n; i++) {
			r = lat_rec_new(lat);
			if (!r)
				goto err_nomem;
			if (tsmbpf_lat_batch_rec(b, i, r))
				lat->nr_recs--;
		}
		return lat_rec_full(lat);
	}
	if (size < sizeof(*r))
		return 0;
	r = lat_rec_new(lat);
	if (!r)
		goto err_nomem;
	memcpy(r, data, sizeof(*r));
	return lat_rec_full(lat);

err_nomem:
	lat->err = -ENOMEM;
	return -ENOMEM;		/* stops the poll; what is read is shown */
}

/* By time, and in ring buffer order for equal times. */
static int lat_rec_cmp(const void *a, const void *b)
{
	const struct lat_rec *x = a, *y = b;

	if (x->rec.ts_ns != y->rec.ts_ns)
		return x->rec.ts_ns < y->rec.ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct lat *lat_open(const struct lat_opts *opts)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t size = opts && opts->ringbuf_size ? opts->ringbuf_size :
			LAT_RINGBUF_DEFAULT;
	bool timeline = opts ? opts->timeline : true;
	struct lat *lat;
	int err;

	if (size < page || (size & (size - 1))) {
		p_err("ring buffer size %u: must be a power of 2, %ld at least",
		      size, page);
		errno = EINVAL;
		return NULL;
	}
	lat = calloc(1, sizeof(*lat));
	if (!lat) {
		p_err("out of memory");
		errno = ENOMEM;
		return NULL;
	}
	libbpf_set_print(lat_libbpf_print);
	lat->skel = tsmbpf_lat__open();
	if (!lat->skel) {
		err = -errno;
		p_err("opening the tracing programs: %s", strerror(-err));
		goto err_free;
	}
	tsmbpf_lat_set_mode(lat->skel, timeline);
	lat->ncpus = libbpf_num_possible_cpus();
	if (lat->ncpus < 1) {
		err = lat->ncpus < 0 ? lat->ncpus : -EINVAL;
		p_err("possible CPUs: %s", strerror(-err));
		goto err_destroy;
	}
	lat->percpu = calloc(lat->ncpus, sizeof(*lat->percpu));
	if (!lat->percpu) {
		err = -ENOMEM;
		p_err("out of memory");
		goto err_destroy;
	}
	/* no timeline: the smallest ring buffer there is, never written */
	err = tsmbpf_lat_set_ring(lat->skel, timeline ? size : page);
	if (err)
		goto err_load;
	err = tsmbpf_lat__load(lat->skel);
	if (err) {
		p_err("loading the tracing programs: %s (is tsmbpf.ko loaded?)",
		      strerror(-err));
		goto err_destroy;
	}
	/* hist_tdi in place: a snapshot reads it without a syscall per TDI */
	lat->nr_tdis = bpf_map__max_entries(lat->skel->maps.hist_tdi);
	lat->tdis_len = ((size_t)lat->nr_tdis * sizeof(*lat->tdis) + page - 1) &
			~((size_t)page - 1);
	lat->tdis = mmap(NULL, lat->tdis_len, PROT_READ, MAP_SHARED,
			 bpf_map__fd(lat->skel->maps.hist_tdi), 0);
	if (lat->tdis == MAP_FAILED) {
		err = -errno;
		lat->tdis = NULL;
		p_err("mapping hist_tdi: %s", strerror(-err));
		goto err_destroy;
	}
	err = tsmbpf_lat__attach(lat->skel);
	if (err) {
		p_err("attaching the tracing programs: %s", strerror(-err));
		goto err_destroy;
	}
	if (timeline) {
		lat->rb = ring_buffer__new(bpf_map__fd(lat->skel->maps.timeline),
					   lat_on_rec, lat, NULL);
		if (!lat->rb) {
			err = -errno;
			p_err("ring buffer: %s", strerror(-err));
			goto err_destroy;
		}
	}
	return lat;

err_load:
	p_err("sizing the ring buffer: %s", strerror(-err));
err_destroy:
	if (lat->tdis)
		munmap((void *)lat->tdis, lat->tdis_len);
	tsmbpf_lat__destroy(lat->skel);
err_free:
	free(lat->percpu);
	free(lat);
	errno = -err;
	return NULL;
}

void lat_close(struct lat *lat)
{
	if (!lat)
		return;
	ring_buffer__free(lat->rb);
	free(lat->recs);
	if (lat->tdis)
		munmap((void *)lat->tdis, lat->tdis_len);
	tsmbpf_lat__destroy(lat->skel);
	free(lat->percpu);
	free(lat);
}

int lat_poll(struct lat *lat, lat_rec_cb cb, void *ctx, int timeout_ms)
{
	size_t i;
	int err;

	if (!lat->rb)
		return -EINVAL;
	lat->nr_recs = 0;
	lat->err = 0;
	lat->full = false;
	err = ring_buffer__poll(lat->rb, timeout_ms);
	/* records below the wake-up fill woke no one: read them all */
	if (err >= 0 || err == -EINTR)
		err = ring_buffer__consume(lat->rb);
	if (lat->full)
		err = 0;
	if (lat->err)
		err = lat->err;
	/*
	 * A TDI's steps come in one batch when its lock is released, after
	 * what other TDIs did meanwhile: what one poll read goes out in order
	 * of time, ties in the order read.
	 */
	qsort(lat->recs, lat->nr_recs, sizeof(*lat->recs), lat_rec_cmp);
	for (i = 0; i < lat->nr_recs; i++)
		if (cb(ctx, &lat->recs[i].rec))
			break;	/* the caller has seen enough: not an error */
	if (err < 0 && err != -EINTR)
		return err;
	return lat->nr_recs;
}

static void lat_hist_merge(struct tsmbpf_lat_hist *to,
			   const struct tsmbpf_lat_hist *h)
{
	int i;

	for (i = 0; i < TSMBPF_LAT_SLOTS; i++)
		to->slots[i] += h->slots[i];
	to->count += h->count;
	to->sum_ns += h->sum_ns;
	if (h->max_ns > to->max_ns)
		to->max_ns = h->max_ns;
}

/* Entry idx of a per-CPU histogram array, the CPUs' copies summed. */
static void lat_hist_read(struct lat *lat, int fd, uint32_t idx,
			  struct tsmbpf_lat_hist *h)
{
	int cpu;

	memset(h, 0, sizeof(*h));
	if (bpf_map_lookup_elem(fd, &idx, lat->percpu))
		return;
	for (cpu = 0; cpu < lat->ncpus; cpu++)
		lat_hist_merge(h, &lat->percpu[cpu]);
}

static uint64_t lat_cnt_read(int fd, uint32_t idx)
{
	uint64_t v;

	return bpf_map_lookup_elem(fd, &idx, &v) ? 0 : v;
}

/* hist_step, hist_op, cnt_verdict, cnt_policy: fixed-size tables. */
static void lat_snap_tables(struct lat *lat, struct lat_snapshot *snap)
{
	uint32_t p, i, e, v;
	int fd;

	fd = bpf_map__fd(lat->skel->maps.hist_step);
	for (p = 0; p < TSMBPF_PLAT_NR; p++)
		for (i = 0; i < TSMBPF_STEP_NR; i++)
			lat_hist_read(lat, fd, TSMBPF_LAT_STEP_IDX(p, i),
				      &snap->step[p][i]);

	fd = bpf_map__fd(lat->skel->maps.hist_op);
	for (p = 0; p < TSMBPF_PLAT_NR; p++) {
		for (i = 0; i < TSMBPF_OP_NR; i++) {
			if (i == TSMBPF_OP_EVENT)
				continue;
			lat_hist_read(lat, fd, TSMBPF_LAT_OP_IDX(p, i, 0),
				      &snap->op[p][i]);
		}
		/* an event's latency is kept per event; the op is their sum */
		for (e = 0; e < TSMBPF_EV_NR; e++) {
			lat_hist_read(lat, fd, TSMBPF_LAT_OP_IDX(p, TSMBPF_OP_EVENT, e),
				      &snap->event[p][e]);
			lat_hist_merge(&snap->op[p][TSMBPF_OP_EVENT],
				       &snap->event[p][e]);
		}
	}

	fd = bpf_map__fd(lat->skel->maps.cnt_verdict);
	for (p = 0; p < TSMBPF_PLAT_NR; p++)
		for (e = 0; e < TSMBPF_EV_NR; e++)
			for (v = 0; v < TSMBPF_VERDICT_NR; v++)
				snap->verdicts[p][e][v] =
					lat_cnt_read(fd, TSMBPF_LAT_VERDICT_IDX(p, e, v));

	fd = bpf_map__fd(lat->skel->maps.cnt_policy);
	for (p = 0; p < TSMBPF_PLAT_NR; p++)
		for (i = 0; i < TSMBPF_POL_NR; i++)
			snap->policy_ops[p][i] =
				lat_cnt_read(fd, TSMBPF_LAT_POLICY_IDX(p, i));
}

static bool lat_tdi_seen(const struct tsmbpf_lat_tdi *v)
{
	int op;

	for (op = 0; op < TSMBPF_OP_NR; op++)
		if (v->op[op].count)
			return true;
	return false;
}

/*
 * hist_tdi: one struct lat_tdi per TDI seen (an entry with a count), with
 * its labels, in id order.  Each entry is copied out of the mapping
 * first, as bpf_map_lookup_elem() would copy it: the programs go on
 * writing while it is read.
 */
static int lat_snap_tdis(struct lat *lat, struct lat_snapshot *snap)
{
	struct tsmbpf_lat_tdi v;
	size_t room = 0;
	struct lat_tdi *t;
	uint32_t id;

	for (id = 0; id < lat->nr_tdis; id++) {
		if (!lat_tdi_seen(&lat->tdis[id]))
			continue;
		memcpy(&v, &lat->tdis[id], sizeof(v));
		if (snap->nr_tdi == room) {
			room = room ? 2 * room : 64;
			t = realloc(snap->tdi, room * sizeof(*t));
			if (!t)
				return -ENOMEM;
			snap->tdi = t;
		}
		t = &snap->tdi[snap->nr_tdi++];
		memset(t, 0, sizeof(*t));
		t->id = id;
		t->platform = v.platform;
		bdf_format(v.bdf, t->bdf, sizeof(t->bdf));
		memcpy(t->op, v.op, sizeof(t->op));
	}
	return 0;
}

/* The policy in each slot, as `tsmctl policy show` reads it. */
static void lat_snap_policies(struct lat_snapshot *snap)
{
	struct tsmbpf_policy_info pi;
	struct lat_policy *p;
	uint32_t plat;
	int fd;

	fd = open(TSMBPF_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (plat = 0; plat < TSMBPF_PLAT_NR; plat++) {
		p = &snap->policy[plat];
		memset(&pi, 0, sizeof(pi));
		pi.argsz = sizeof(pi);
		pi.platform = plat;
		if (tsmbpf_ioctl(fd, TSMBPF_POLICY_INFO, &pi))
			continue;
		p->attached = pi.attached;
		p->generation = pi.generation;
		if (!pi.attached)
			continue;
		snprintf(p->name, sizeof(p->name), "%s", pi.name);
		policy_slot_settings(plat, pi.name, p->settings,
				     sizeof(p->settings));
	}
	close(fd);
}

int lat_snapshot(struct lat *lat, struct lat_snapshot *snap)
{
	struct timespec ts;
	uint32_t zero = 0;
	int err;

	memset(snap, 0, sizeof(*snap));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snap->taken_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	lat_snap_tables(lat, snap);
	if (bpf_map_lookup_elem(bpf_map__fd(lat->skel->maps.timeline_drops),
				&zero, &snap->timeline_drops))
		snap->timeline_drops = 0;
	err = lat_snap_tdis(lat, snap);
	if (err) {
		lat_snapshot_free(snap);
		return err;
	}
	lat_snap_policies(snap);
	return 0;
}

void lat_snapshot_free(struct lat_snapshot *snap)
{
	free(snap->tdi);
	snap->tdi = NULL;
	snap->nr_tdi = 0;
}
