// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_cycle_ab: bind -> accept -> unbind cycle time with a BPF policy
 * against the native fallback, interleaved finely enough that a noisy,
 * shared machine affects both alike.
 *
 *   tsmbpf_cycle_ab -p PLATFORM {POLICY.bpf.o [-c] | -t [-H [-c] | -L]} [-n TDIS] [-r PAIRS]
 *                   [-g PASSES] [-w MS] [-W CYCLES] [-b BUS]
 *
 * Loads POLICY once (libbpf; one struct_ops map that serves PLATFORM), makes
 * one VM and TDIS TDIs (default 16), then runs PAIRS pairs (default 100) of
 * passes, a pass being one cycle on each TDI: native (the platform's slot
 * empty) and policy (the map attached with bpf_map__attach_struct_ops() for
 * the pass, detached after it), in ABBA order.  Attach and detach are not
 * timed.  Every cycle is timed and checked as tsmbpf_cycle checks it, and
 * the core's unbinds_native / unbinds_policy counters must say that each
 * pass ran the way it was meant to.  -g runs PASSES passes (default 1) per
 * mode and pair, under one attach; -w sleeps MS milliseconds (untimed)
 * after each attach and each detach.  -W runs CYCLES cycles (untimed,
 * checked, default 0) on the first TDI before each pass, in both modes
 * alike: an attach or a detach rewrites kernel text (the tracepoints'
 * static keys), and QEMU TCG then translates the code on those pages
 * again the first time it runs, a cost of the emulator that real CPUs
 * do not have and that would otherwise land on the pass after each
 * switch.
 *
 * -t (no POLICY) measures the latency tracing programs instead
 * (bpf/tsmbpf_lat.bpf.c, from their skeleton): both modes run the native
 * sequence, the tracing programs attached around the "traced" passes,
 * their timeline read after each of those passes (untimed, as another
 * CPU would); every record must have been read, none dropped.  -H loads
 * them as `tsmctl top` and `tsmctl serve` do: histograms and counters
 * only, the timeline off (the same programs, attached to the same
 * tracepoints; no record may reach the ring buffer).  -L reads the
 * timeline live instead, on a thread polling it as `tsmctl trace` does,
 * for the whole run: its wake-ups then fall in the timed passes.
 *
 * -c makes an A/A control: POLICY must serve another platform than
 * PLATFORM, so both modes run the native sequence and only the attach and
 * detach around the "policy" passes differ; the ratio should be 1.  With
 * -t -H, -c attaches every tracing program but the one that runs in a
 * cycle (lat_oplog) around the "traced" passes: the control of -t.
 *
 * Prints one JSON object: the median ns per cycle of each mode and their
 * ratio, the median ratio of the two passes of each pair, the means, the
 * median attach and detach times (detach until the slot reads empty), and
 * the failures, and (when the emulator's debugfs stats can be read) the
 * mean time one emulated firmware call's latency took in each mode.  Exit
 * status 0, 1 on any failure, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/tsmbpf.h>

#include "tsmbpf_test.h"
#include "../../bpf/tsmbpf_lat_mode.h"

#define SYSFS "/sys/kernel/tsmbpf/"

static int fd = -1;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_double(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Firmware calls of @plat and the time the emulated latency took, from the
 * emulator's debugfs stats; 0 if they cannot be read.
 */
#define EMU_STATS "/sys/kernel/debug/tsmbpf_emu/stats"
static int read_emu(int plat, uint64_t *calls, uint64_t *slept_ns)
{
	unsigned long long c, r, s;
	char name[64];
	int ret = -1;
	FILE *f;

	f = fopen(EMU_STATS, "r");
	if (!f)
		return -1;
	fscanf(f, "%*[^\n]");	/* header */
	while (fscanf(f, "%63s %llu %llu %llu", name, &c, &r, &s) == 4) {
		if (!strcmp(name, plat_names[plat])) {
			*calls = c;
			*slept_ns = s;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* 1 if the slot of @plat holds a policy, 0 if not, -1 on error */
static int slot_held(int plat)
{
	char name[64], pol[64];
	int ret = -1;
	FILE *f;

	f = fopen(SYSFS "policies", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %63s %*[^\n]", name, pol) == 2) {
		if (!strcmp(name, plat_names[plat])) {
			ret = strcmp(pol, "-") != 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Wait up to 2 s for the slot to be empty (@want 0) or held (1). */
static int wait_slot(int plat, int want)
{
	int i;

	for (i = 0; i < 2000; i++) {
		int held = slot_held(plat);

		if (held < 0)
			return -1;
		if (held == want)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* The struct_ops map of @obj and the platforms it serves. */
static struct bpf_map *policy_map(struct bpf_object *obj, uint32_t *platforms)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map, *found = NULL;
	const struct btf_member *m;
	const struct btf_type *t;
	const char *data;
	size_t size;
	int n = 0, i;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		found = map;
		n++;
	}
	if (n != 1 || !btf)
		return NULL;
	data = bpf_map__initial_value(found, &size);
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(found));
	if (!data || !t || !btf_is_struct(t))
		return NULL;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t off = btf_member_bit_offset(t, i) / 8;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "platforms"))
			continue;
		if (off + sizeof(*platforms) > size)
			return NULL;
		memcpy(platforms, data + off, sizeof(*platforms));
		return found;
	}
	return NULL;
}

static uint64_t trace_records;

/* A record, or a TDI's batch of them, turned into records as tsmctl does. */
static int trace_rec(void *ctx, void *data, size_t size)
{
	const struct tsmbpf_rec_batch *b = data;
	struct tsmbpf_rec r;
	__u32 i, n;

	if (!tsmbpf_lat_is_batch(data, size)) {
		trace_records++;
		return 0;
	}
	n = tsmbpf_lat_batch_n(b, size);
	for (i = 0; i < n; i++)
		if (!tsmbpf_lat_batch_rec(b, i, &r))
			trace_records++;
	return 0;
}

static volatile int reader_stop;

/*
 * -L: read the timeline live on another thread, as `tsmctl trace` does
 * (loader/lat.c, lat_poll()), for the whole run: the ring buffer's
 * wake-ups then land in the timed passes.  The only reader of @rb.
 */
static void *reader(void *rb)
{
	while (!reader_stop) {
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
		ring_buffer__consume(rb);
	}
	return NULL;
}

struct mode {
	const char *name;	/* "native" or "policy" */
	const char *counter;	/* unbinds_native or unbinds_policy */
	uint64_t *lat;		/* per cycle */
	size_t n;
	uint64_t sum;
};

/*
 * One pass over every TDI in @m's mode; ns of the pass in *pass_ns.
 * Returns the number of failed cycles, or -1 if the pass did not run in
 * its mode.
 */
static int pass(struct mode *m, const uint32_t *tdis, int n, uint32_t vm,
		uint64_t *pass_ns)
{
	long long c0, c1;
	uint64_t t0, t1, start;
	int i, failures = 0;

	c0 = read_counter(m->counter);
	start = now_ns();
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (tsmbpf_test_cycle(fd, tdis[i], vm)) {
			failures++;
			continue;
		}
		t1 = now_ns();
		m->lat[m->n++] = t1 - t0;
		m->sum += t1 - t0;
	}
	*pass_ns = now_ns() - start;
	c1 = read_counter(m->counter);
	if (c0 < 0 || c1 < 0 || c1 - c0 != n - failures) {
		fprintf(stderr, "%s pass: %lld of %d unbinds counted in %s\n",
			m->name, c1 - c0, n - failures, m->counter);
		return -1;
	}
	return failures;
}

int main(int argc, char **argv)
{
	int plat = -1, n = 16, pairs = 100, bus = 0x70, opt, i, k, ret = 1;
	int group = 1, wait_ms = 0, control = 0, trace = 0, hist_only = 0;
	int warm = 0, live = 0;
	pthread_t reader_thread;
	int reading = 0;
	struct tsmbpf_lat *lat = NULL;
	struct ring_buffer *rb = NULL;
	uint64_t drops = 0, traced_cycles = 0;
	struct mode native = { .name = "native", .counter = "unbinds_native" };
	struct mode policy = { .name = "policy", .counter = "unbinds_policy" };
	struct tsmbpf_vm_create vc = { .argsz = sizeof(vc) };
	struct bpf_object *obj = NULL;
	struct bpf_map *map = NULL;
	uint32_t *tdis = NULL, platforms = 0;
	uint64_t *attach_ns = NULL, *detach_ns = NULL, t0;
	uint64_t fw_calls[2] = { 0, 0 }, fw_slept[2] = { 0, 0 };
	double *pair_ratio = NULL;
	int failures = 0, made = 0, have_vm = 0;
	const char *path;

	while ((opt = getopt(argc, argv, "p:n:r:g:w:W:b:ctHLh")) != -1) {
		switch (opt) {
		case 'p':
			plat = plat_parse(optarg);
			if (plat < 0) {
				fprintf(stderr, "unknown platform %s\n", optarg);
				return 2;
			}
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			pairs = atoi(optarg);
			break;
		case 'g':
			group = atoi(optarg);
			break;
		case 'w':
			wait_ms = atoi(optarg);
			break;
		case 'W':
			warm = atoi(optarg);
			break;
		case 'c':
			control = 1;
			break;
		case 't':
			trace = 1;
			break;
		case 'H':
			hist_only = 1;
			break;
		case 'L':
			live = 1;
			break;
		case 'b':
			bus = strtol(optarg, NULL, 0);
			break;
		default:
			printf("usage: %s -p tdx|sev-tio|cca {POLICY.bpf.o [-c] | -t [-H [-c] | -L]} [-n TDIS] [-r PAIRS] [-g PASSES] [-w MS] [-W CYCLES] [-b BUS]\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (plat < 0 || argc - optind != !trace || (trace && control && !hist_only) || (hist_only && !trace) || (live && (!trace || hist_only)) || n < 1 || n > 256 || pairs < 1 ||
	    pairs > 100000 || group < 1 || group > 1000 || wait_ms < 0 || warm < 0 || warm > 1000 ||
	    bus < 0 || bus > 0xff) {
		fprintf(stderr, "usage: %s -p tdx|sev-tio|cca {POLICY.bpf.o [-c] | -t [-H [-c] | -L]} [-n TDIS] [-r PAIRS] [-g PASSES] [-w MS] [-W CYCLES] [-b BUS]\n",
			argv[0]);
		return 2;
	}
	path = trace ? "tsmbpf_lat" : argv[optind];
	libbpf_set_print(libbpf_print);

	native.lat = calloc((size_t)pairs * group * n, sizeof(uint64_t));
	policy.lat = calloc((size_t)pairs * group * n, sizeof(uint64_t));
	pair_ratio = calloc(pairs, sizeof(double));
	attach_ns = calloc(pairs, sizeof(uint64_t));
	detach_ns = calloc(pairs, sizeof(uint64_t));
	tdis = calloc(n, sizeof(*tdis));
	if (!native.lat || !policy.lat || !pair_ratio || !attach_ns ||
	    !detach_ns || !tdis) {
		perror("calloc");
		goto out;
	}

	if (trace) {
		policy.name = "traced";
		policy.counter = "unbinds_native";
		lat = tsmbpf_lat__open();
		if (!lat) {
			fprintf(stderr, "tsmbpf_lat: open failed: %s\n",
				strerror(errno));
			goto out;
		}
		/*
		 * As loader/lat.c's lat_open() does: with -H no timeline and
		 * the smallest ring buffer.
		 */
		tsmbpf_lat_set_mode(lat, !hist_only);
		/*
		 * -c, the A/A control: every program attached but lat_oplog,
		 * the one that runs on each hold of a TDI's lock: the same
		 * attach, detach and kernel text rewritten (the other
		 * tracepoints' static keys), nothing run in a cycle.
		 */
		if (control)
			bpf_program__set_autoattach(lat->progs.lat_oplog, false);
		if (tsmbpf_lat_set_ring(lat, hist_only ? sysconf(_SC_PAGESIZE) :
						   256 * 1024)) {
			fprintf(stderr, "tsmbpf_lat: sizing the ring buffer failed\n");
			goto out;
		}
		if (tsmbpf_lat__load(lat)) {
			fprintf(stderr, "tsmbpf_lat: load failed: %s\n",
				strerror(errno));
			goto out;
		}
		rb = ring_buffer__new(bpf_map__fd(lat->maps.timeline),
				      trace_rec, NULL, NULL);
		if (!rb) {
			perror("ring_buffer__new");
			goto out;
		}
		if (live) {
			errno = pthread_create(&reader_thread, NULL, reader, rb);
			if (errno) {
				perror("pthread_create");
				goto out;
			}
			reading = 1;
		}
		goto open_dev;
	}
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "%s: open: %s\n", path, strerror(errno));
		goto out;
	}
	map = policy_map(obj, &platforms);
	if (!map || !!(platforms & (1U << plat)) == control) {
		fprintf(stderr, "%s: need one struct_ops map %sserving %s\n",
			path, control ? "not " : "", plat_names[plat]);
		goto out;
	}
	if (control)
		policy.counter = "unbinds_native";
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: load failed\n", path);
		goto out;
	}
	if (slot_held(plat) != 0) {
		fprintf(stderr, "the %s slot is held or unreadable; unload its policy first\n",
			plat_names[plat]);
		goto out;
	}

open_dev:
	fd = open("/dev/tsmbpf", O_RDWR);
	if (fd < 0) {
		perror("/dev/tsmbpf");
		goto out;
	}
	if (ioctl(fd, TSMBPF_VM_CREATE, &vc)) {
		perror("VM_CREATE");
		goto out;
	}
	have_vm = 1;
	for (i = 0; i < n; i++, made++) {
		struct tsmbpf_tdi_create c = { .argsz = sizeof(c),
					       .platform = plat,
					       .bdf = TSMBPF_BDF(0, bus, i / 8, i % 8),
					       .devset = i / 4, .nr_bars = 2 };

		c.bar_size[0] = 2 << 20;
		c.bar_size[1] = 16 << 10;
		if (ioctl(fd, TSMBPF_TDI_CREATE, &c)) {
			perror("TDI_CREATE");
			goto out;
		}
		tdis[i] = c.tdi_id;
	}

	/* pair k: native then policy for even k, policy then native for odd */
	for (k = -1; k < pairs; k++) {
		uint64_t ns[2] = { 0, 0 };	/* native, policy */
		int j;

		for (j = 0; j < 2; j++) {
			int pol = (k & 1) ? !j : j;
			struct mode *m = pol ? &policy : &native;
			struct bpf_link *link = NULL;
			size_t keep = m->n;
			uint64_t keep_sum = m->sum;
			int r, g;

			if (pol && trace) {
				t0 = now_ns();
				if (tsmbpf_lat__attach(lat)) {
					fprintf(stderr, "attach: %s\n",
						strerror(errno));
					goto out;
				}
				if (k >= 0)
					attach_ns[k] = now_ns() - t0;
			} else if (pol) {
				t0 = now_ns();
				link = bpf_map__attach_struct_ops(map);
				if (k >= 0)
					attach_ns[k] = now_ns() - t0;
				if (!link) {
					fprintf(stderr, "attach: %s\n",
						strerror(errno));
					goto out;
				}
				if (wait_ms)
					usleep(wait_ms * 1000);
			}
			for (r = 0, g = 0; r >= 0 && g < group; g++) {
				uint64_t pass_ns, c0, s0, c1, s1;
				int emu, f, w;

				for (w = 0; w < warm; w++) {
					if (tsmbpf_test_cycle(fd, tdis[0], vc.vm_id)) {
						fprintf(stderr, "warm-up cycle failed\n");
						goto out;
					}
					if (pol)
						traced_cycles++;
				}
				emu = read_emu(plat, &c0, &s0);
				f = pass(m, tdis, n, vc.vm_id, &pass_ns);

				if (!emu && !read_emu(plat, &c1, &s1) && k >= 0) {
					fw_calls[pol] += c1 - c0;
					fw_slept[pol] += s1 - s0;
				}
				r = f < 0 ? f : r + f;
				ns[pol] += pass_ns;
				if (pol && f >= 0)
					traced_cycles += n - f;
			}
			if (pol && trace) {
				t0 = now_ns();
				tsmbpf_lat__detach(lat);
				if (k >= 0)
					detach_ns[k] = now_ns() - t0;
				if (!live && ring_buffer__consume(rb) < 0) {
					fprintf(stderr, "timeline: %s\n",
						strerror(errno));
					goto out;
				}
			}
			if (link) {
				t0 = now_ns();
				bpf_link__destroy(link);
				if (wait_slot(plat, 0)) {
					fprintf(stderr, "the %s slot stays held after detach\n",
						plat_names[plat]);
					goto out;
				}
				if (k >= 0)
					detach_ns[k] = now_ns() - t0;
				if (wait_ms)
					usleep(wait_ms * 1000);
			}
			if (r < 0)
				goto out;
			failures += r;
			if (k < 0) {	/* warm-up pair: not counted */
				m->n = keep;
				m->sum = keep_sum;
			}
		}
		if (k >= 0)
			pair_ratio[k] = ns[0] ? (double)ns[1] / ns[0] : 0;
	}

	if (reading) {
		reader_stop = 1;
		pthread_join(reader_thread, NULL);
		reading = 0;
		ring_buffer__consume(rb);
	}
	if (trace) {
		uint32_t zero = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(lat->maps.timeline_drops),
					&zero, &drops))
			drops = 0;
	}
	if (native.n && policy.n) {
		uint64_t nmean = native.sum / native.n;
		uint64_t pmean = policy.sum / policy.n;
		uint64_t nmed = median_u64(native.lat, native.n);
		uint64_t pmed = median_u64(policy.lat, policy.n);

		printf("{\"platform\":\"%s\",\"policy\":\"%s\",\"control\":%s,\"tdis\":%d,\"pairs\":%d,"
		       "\"cycles_per_mode\":%zu,\"native_ns\":%llu,\"policy_ns\":%llu,"
		       "\"ratio\":%.4f,\"paired_ratio\":%.4f,\"native_mean_ns\":%llu,"
		       "\"policy_mean_ns\":%llu,\"mean_ratio\":%.4f,\"attach_ns\":%llu,"
		       "\"detach_ns\":%llu,\"native_fw_slept_ns\":%llu,"
		       "\"policy_fw_slept_ns\":%llu,\"trace_records\":%llu,"
		       "\"trace_drops\":%llu,\"timeline\":%s,"
		       "\"records_per_cycle\":%.2f,\"failures\":%d}\n",
		       plat_names[plat], trace ? "tracing" : bpf_map__name(map),
		       control ? "true" : "false", n, pairs,
		       native.n, (unsigned long long)nmed,
		       (unsigned long long)pmed, (double)pmed / nmed,
		       median_double(pair_ratio, pairs),
		       (unsigned long long)nmean, (unsigned long long)pmean,
		       (double)pmean / nmean,
		       (unsigned long long)median_u64(attach_ns, pairs),
		       (unsigned long long)median_u64(detach_ns, pairs),
		       (unsigned long long)(fw_calls[0] ? fw_slept[0] / fw_calls[0] : 0),
		       (unsigned long long)(fw_calls[1] ? fw_slept[1] / fw_calls[1] : 0),
		       (unsigned long long)trace_records,
		       (unsigned long long)drops,
		       trace && !hist_only ? "true" : "false",
		       traced_cycles ? (double)trace_records / traced_cycles : 0,
		       failures);
	}
	ret = failures ? 1 : 0;
	if (trace && (drops || !trace_records == !hist_only)) {
		fprintf(stderr, "timeline: %llu records, %llu dropped\n",
			(unsigned long long)trace_records,
			(unsigned long long)drops);
		ret = 1;
	}

out:
	if (reading) {
		reader_stop = 1;
		pthread_join(reader_thread, NULL);
	}
	for (i = 0; i < made; i++) {
		struct tsmbpf_tdi_destroy d = { .argsz = sizeof(d),
						.tdi_id = tdis[i] };

		if (ioctl(fd, TSMBPF_TDI_DESTROY, &d)) {
			/* a failed pass may have left it bound */
			struct tsmbpf_tdi_unbind u = { .argsz = sizeof(u),
						       .tdi_id = tdis[i] };

			ioctl(fd, TSMBPF_TDI_UNBIND, &u);
			if (ioctl(fd, TSMBPF_TDI_DESTROY, &d)) {
				perror("TDI_DESTROY");
				ret = 1;
			}
		}
	}
	if (have_vm) {
		struct tsmbpf_vm_destroy vd = { .argsz = sizeof(vd),
						.vm_id = vc.vm_id };

		if (ioctl(fd, TSMBPF_VM_DESTROY, &vd)) {
			perror("VM_DESTROY");
			ret = 1;
		}
	}
	if (fd >= 0)
		close(fd);
	bpf_object__close(obj);
	ring_buffer__free(rb);
	tsmbpf_lat__destroy(lat);
	free(tdis);
	free(attach_ns);
	free(detach_ns);
	free(pair_ratio);
	free(policy.lat);
	free(native.lat);
	return ret;
}
