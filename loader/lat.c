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

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lat.h"
#include "main.h"
#include "names.h"
#include "tsmbpf_lat.skel.h"

#define LAT_RINGBUF_DEFAULT	(256 * 1024)

struct lat {
	struct tsmbpf_lat *skel;
	struct ring_buffer *rb;
	lat_rec_cb cb;
	void *cb_ctx;
	int seen;
};

static int lat_libbpf_print(enum libbpf_print_level level, const char *fmt,
			    va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int lat_on_rec(void *ctx, void *data, size_t size)
{
	struct lat *lat = ctx;

	if (size < sizeof(struct tsmbpf_rec))
		return 0;
	lat->seen++;
	return lat->cb ? lat->cb(lat->cb_ctx, data) : 0;
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
	lat->skel->rodata->timeline_on = timeline;
	/* no timeline: the smallest ring buffer there is, never written */
	err = bpf_map__set_max_entries(lat->skel->maps.timeline,
				       timeline ? size : page);
	if (err)
		goto err_load;
	err = tsmbpf_lat__load(lat->skel);
	if (err) {
		p_err("loading the tracing programs: %s (is tsmbpf.ko loaded?)",
		      strerror(-err));
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
	tsmbpf_lat__destroy(lat->skel);
err_free:
	free(lat);
	errno = -err;
	return NULL;
}

void lat_close(struct lat *lat)
{
	if (!lat)
		return;
	ring_buffer__free(lat->rb);
	tsmbpf_lat__destroy(lat->skel);
	free(lat);
}

int lat_poll(struct lat *lat, lat_rec_cb cb, void *ctx, int timeout_ms)
{
	int err;

	if (!lat->rb)
		return -EINVAL;
	lat->cb = cb;
	lat->cb_ctx = ctx;
	lat->seen = 0;
	err = ring_buffer__poll(lat->rb, timeout_ms);
	lat->cb = NULL;
	if (err < 0 && err != -EINTR)
		return err;
	/* a callback's non-zero return stops the poll: not an error here */
	return lat->seen;
}

static void lat_hist_read(int fd, const void *key,
			  struct tsmbpf_lat_hist *h)
{
	if (bpf_map_lookup_elem(fd, key, h))
		memset(h, 0, sizeof(*h));
}

/* hist_step, hist_op, cnt_verdict, cnt_policy: fixed-size tables. */
static void lat_snap_tables(struct lat *lat, struct lat_snapshot *snap)
{
	struct tsmbpf_lat_verdict_key vk = {};
	struct tsmbpf_lat_policy_key pk = {};
	struct tsmbpf_lat_step_key sk = {};
	struct tsmbpf_lat_op_key ok = {};
	int fd;

	fd = bpf_map__fd(lat->skel->maps.hist_step);
	for (sk.platform = 0; sk.platform < TSMBPF_PLAT_NR; sk.platform++)
		for (sk.step = 0; sk.step < TSMBPF_STEP_NR; sk.step++)
			lat_hist_read(fd, &sk, &snap->step[sk.platform][sk.step]);

	fd = bpf_map__fd(lat->skel->maps.hist_op);
	for (ok.platform = 0; ok.platform < TSMBPF_PLAT_NR; ok.platform++) {
		for (ok.op = 0; ok.op < TSMBPF_OP_NR; ok.op++) {
			if (ok.op == TSMBPF_OP_EVENT)
				continue;
			ok.event = 0;
			lat_hist_read(fd, &ok, &snap->op[ok.platform][ok.op]);
		}
		/* an event's latency is kept per event; the op is their sum */
		ok.op = TSMBPF_OP_EVENT;
		for (ok.event = 0; ok.event < TSMBPF_EV_NR; ok.event++) {
			struct tsmbpf_lat_hist *e = &snap->event[ok.platform][ok.event];
			struct tsmbpf_lat_hist *o = &snap->op[ok.platform][ok.op];
			int i;

			lat_hist_read(fd, &ok, e);
			for (i = 0; i < TSMBPF_LAT_SLOTS; i++)
				o->slots[i] += e->slots[i];
			o->count += e->count;
			o->sum_ns += e->sum_ns;
			if (e->max_ns > o->max_ns)
				o->max_ns = e->max_ns;
		}
	}

	fd = bpf_map__fd(lat->skel->maps.cnt_verdict);
	for (vk.platform = 0; vk.platform < TSMBPF_PLAT_NR; vk.platform++)
		for (vk.event = 0; vk.event < TSMBPF_EV_NR; vk.event++)
			for (vk.verdict = 0; vk.verdict < TSMBPF_VERDICT_NR; vk.verdict++) {
				uint64_t *v = &snap->verdicts[vk.platform][vk.event][vk.verdict];

				if (bpf_map_lookup_elem(fd, &vk, v))
					*v = 0;
			}

	fd = bpf_map__fd(lat->skel->maps.cnt_policy);
	for (pk.platform = 0; pk.platform < TSMBPF_PLAT_NR; pk.platform++)
		for (pk.what = 0; pk.what < TSMBPF_POL_NR; pk.what++) {
			uint64_t *v = &snap->policy_ops[pk.platform][pk.what];

			if (bpf_map_lookup_elem(fd, &pk, v))
				*v = 0;
		}
}

static int lat_tdi_cmp(const void *a, const void *b)
{
	const struct lat_tdi *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct lat_tdi *lat_tdi_find(struct lat_snapshot *snap, uint32_t id)
{
	struct lat_tdi key = { .id = id };

	return bsearch(&key, snap->tdi, snap->nr_tdi, sizeof(key), lat_tdi_cmp);
}

/* hist_tdi: one struct lat_tdi per TDI seen, labelled from tdi_info. */
static int lat_snap_tdis(struct lat *lat, struct lat_snapshot *snap)
{
	int ifd = bpf_map__fd(lat->skel->maps.tdi_info);
	int hfd = bpf_map__fd(lat->skel->maps.hist_tdi);
	struct tsmbpf_lat_tdi_info info;
	struct tsmbpf_lat_tdi_key tk, *prev_tk = NULL;
	uint32_t id, *prev = NULL;
	size_t room = 0;
	struct lat_tdi *t;

	while (!bpf_map_get_next_key(ifd, prev, &id)) {
		prev = &id;
		if (bpf_map_lookup_elem(ifd, &id, &info))
			continue;	/* gone since */
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
		t->platform = info.platform;
		bdf_format(info.bdf, t->bdf, sizeof(t->bdf));
	}
	qsort(snap->tdi, snap->nr_tdi, sizeof(*snap->tdi), lat_tdi_cmp);

	while (!bpf_map_get_next_key(hfd, prev_tk, &tk)) {
		prev_tk = &tk;
		if (tk.op >= TSMBPF_OP_NR)
			continue;
		t = lat_tdi_find(snap, tk.tdi);
		if (t)
			lat_hist_read(hfd, &tk, &t->op[tk.op]);
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
